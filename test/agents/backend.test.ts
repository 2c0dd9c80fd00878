import * as tf from '../../src/agents/tf.js';
import { describe, expect, it } from 'vitest';
import { parseBackendChoice, selectBackend, trainingEngine } from '../../src/agents/index.js';
import { nativeStatus } from '../../src/native/index.js';

describe('training backend selection', () => {
  it('auto is the training engine: native when the addon loads, else its TS fallback (saying why)', async () => {
    const auto = await selectBackend('auto');
    const native = nativeStatus().active;
    expect(auto).toMatchObject({ name: native ? 'native' : 'ts', engine: native ? 'native' : 'ts', requested: 'auto' });
    expect(auto.fallbacks).toEqual(native ? [] : [`native: ${nativeStatus().reason}`]);
    expect(trainingEngine()).toBe(auto.engine);
    expect(trainingEngine('tfjs')).toBe('tfjs');
    expect((await selectBackend('ts')).engine).toBe('ts');
    if (!native) await expect(selectBackend('native')).rejects.toThrow(/--backend: got "native"/);
  });

  it('tfjs takes tfjs-node when it loads, else wasm (saying why), else cpu; explicit choices are honoured', async () => {
    const auto = await selectBackend('tfjs');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(auto.name);
    expect(auto.engine).toBe('tfjs');
    expect(tf.getBackend()).toBe(auto.name);
    if (auto.name !== 'tensorflow') {
      expect(auto.fallbacks[0]).toMatch(/^tfjs-node: /);
      // An explicit choice that cannot load is an error, not a silent fallback.
      await expect(selectBackend('tfjs-node')).rejects.toThrow(/--backend: got "tfjs-node"/);
    }
    const cpu = await selectBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', engine: 'tfjs', requested: 'cpu', fallbacks: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(trainingEngine()).toBe('tfjs');
    expect(tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0])).toBe(6);
  });

  it('rejects an unknown backend name in one line', () => {
    expect(() => parseBackendChoice('gpu')).toThrow('--backend: got "gpu", expected one of auto, native, ts, tfjs, tfjs-node, wasm, cpu');
  });
});
