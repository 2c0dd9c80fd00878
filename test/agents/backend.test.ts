import * as tf from '../../src/agents/tf.js';
import { describe, expect, it } from 'vitest';
import { parseBackendChoice, selectBackend } from '../../src/agents/index.js';

describe('TensorFlow.js backend selection', () => {
  it('auto takes tfjs-node when it loads, else wasm (saying why), else cpu; explicit choices are honoured', async () => {
    const auto = await selectBackend('auto');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(auto.name);
    expect(tf.getBackend()).toBe(auto.name);
    if (auto.name !== 'tensorflow') {
      expect(auto.fallbacks[0]).toMatch(/^tfjs-node: /);
      // An explicit choice that cannot load is an error, not a silent fallback.
      await expect(selectBackend('tfjs-node')).rejects.toThrow(/--backend: got "tfjs-node"/);
    }
    const cpu = await selectBackend('cpu');
    expect(cpu).toMatchObject({ name: 'cpu', requested: 'cpu', fallbacks: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0])).toBe(6);
  });

  it('rejects an unknown backend name in one line', () => {
    expect(() => parseBackendChoice('gpu')).toThrow('--backend: got "gpu", expected one of auto, tfjs-node, wasm, cpu');
  });
});
