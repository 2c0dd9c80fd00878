import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteEnv } from '../../src/remote/index.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { type NdArray } from '../../src/env/index.js';
import { loadScenario, scenarioToYaml, setByPath } from '../../src/scenario/index.js';
import { selfCommand } from '../../src/util/index.js';
import { children, killChildren } from './helpers-scenarios.js';

afterAll(killChildren);

const scenario = setByPath(loadScenario('slicing-synthetic'), 'episodeSteps', 6);

function startSim(args: string[]): Promise<number | null> {
  const self = selfCommand();
  const child = spawn(self.command, [...self.args, 'sim', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve(code);
    });
  });
}

describe('ns3ts sim, agent resets', () => {
  it('a reset in mid-episode starts the next episode with the seed sent; --episodes ends the simulation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sim-reset-'));
    const path = join(dir, 'short.yaml');
    writeFileSync(path, scenarioToYaml(scenario));
    const env = await RemoteEnv.listen<NdArray<Float32Array>, NdArray<Float32Array>>({
      endpoint: `ipc://${join(dir, 'agent.sock')}`,
      initTimeoutMs: 60_000,
      stepTimeoutMs: 10_000,
    });
    const sim = startSim(['--scenario', path, '--endpoint', env.server.endpoint, '--simSeed', '5', '--episodes', '2', '--timeout-ms', '20000']);
    const local = new SyntheticSlicingEnv(scenario);
    const action = { data: new Float32Array(9).fill(0.3), shape: [3, 3] };
    try {
      await env.reset({ seed: 5 });
      await env.step(action);
      await env.step(action);
      // Mid-episode: the second episode starts from seed 9, exactly as in process.
      const remote = await env.reset({ seed: 9 });
      expect(Array.from(remote.obs.data)).toEqual(Array.from(local.resetSync(9)));
      for (let t = 0; t < scenario.episodeSteps; t++) {
        const r = await env.step(action);
        local.stepSync(action.data);
        expect(Array.from(r.obs.data)).toEqual(Array.from(local.obs));
        expect(r.truncated).toBe(t === scenario.episodeSteps - 1);
      }
    } finally {
      await env.close();
    }
    expect(await sim).toBe(0);
  }, 120_000);
});
