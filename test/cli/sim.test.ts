import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NdArray } from '../../src/env/index.js';
import { SyntheticSlicingEnv } from '../../src/families/index.js';
import { RemoteEnv } from '../../src/remote/index.js';
import { loadScenario, setByPath } from '../../src/scenario/index.js';
import { Rng, selfCommand } from '../../src/util/index.js';
import { children, killChildren, runCli } from './helpers-scenarios.js';

afterAll(killChildren);

const scenario = setByPath(loadScenario('slicing-synthetic'), 'episodeSteps', 12);

function startSim(args: string[]): Promise<number | null> {
  const self = selfCommand();
  const child = spawn(self.command, [...self.args, 'sim', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      if (code !== 0) process.stderr.write(stderr);
      resolve(code);
    });
  });
}

function actions(seed: number, n: number, size: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => rng.uniform(0, 0.33)));
}

describe('ns3ts sim', () => {
  it('gives the same trajectory out of process as the in-process env (same seed, same actions), with soft reset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sim-'));
    const path = join(dir, 'short.yaml');
    const { writeFileSync } = await import('node:fs');
    const { scenarioToYaml } = await import('../../src/scenario/index.js');
    writeFileSync(path, scenarioToYaml(scenario));
    const env = await RemoteEnv.listen<NdArray<Float32Array>, NdArray<Float32Array>>({
      endpoint: `ipc://${join(dir, 'agent.sock')}`,
      initTimeoutMs: 60_000,
      stepTimeoutMs: 10_000,
    });
    // The launcher's flag style: --openGymEndpoint=<ep> --simSeed=<n>.
    const sim = startSim(['--scenario', path, `--openGymEndpoint=${env.server.endpoint}`, '--simSeed=21', '--timeout-ms', '20000']);
    const local = new SyntheticSlicingEnv(scenario);
    const size = scenario.cells * scenario.slices.length;
    try {
      for (const [episode, seed] of [[0, 21], [1, 33]] as const) {
        const remote = await env.reset({ seed });
        const first = local.resetSync(seed);
        expect(remote.obs.shape).toEqual([3, 3, 12]);
        expect(Array.from(remote.obs.data)).toEqual(Array.from(first));
        const steps = actions(episode, scenario.episodeSteps, size);
        for (let t = 0; t < steps.length; t++) {
          const r = await env.step({ data: steps[t]!, shape: [3, 3] });
          const reward = local.stepSync(steps[t]!);
          expect(Array.from(r.obs.data)).toEqual(Array.from(local.obs));
          expect(r.reward).toBeCloseTo(reward, 5); // the wire carries the reward as float32
          expect(r.info).toMatchObject({ slices: ['embb', 'urllc', 'mmtc'], step: t + 1, cells: 3 });
          expect(r.truncated).toBe(t === steps.length - 1);
        }
      }
    } finally {
      await env.close();
    }
    expect(await sim).toBe(0);
  }, 120_000);

  it('serves an agent without soft reset (ns3-gym style) for one episode, then ends cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sim-'));
    const path = join(dir, 'short.yaml');
    const { writeFileSync } = await import('node:fs');
    const { scenarioToYaml } = await import('../../src/scenario/index.js');
    writeFileSync(path, scenarioToYaml(scenario));
    const env = await RemoteEnv.listen<NdArray<Float32Array>, NdArray<Float32Array>>({
      endpoint: `ipc://${join(dir, 'agent.sock')}`,
      initTimeoutMs: 60_000,
      stepTimeoutMs: 10_000,
      softReset: false,
      capabilities: '',
    });
    const sim = startSim(['--scenario', path, '--endpoint', env.server.endpoint, '--simSeed', '4']);
    let steps = 0;
    try {
      const first = await env.reset();
      expect(first.info.seed).toBe(4);
      for (;;) {
        const r = await env.step({ data: new Float32Array(9).fill(0.3), shape: [3, 3] });
        steps++;
        if (r.truncated || r.terminated) {
          expect(r.info.reason).toBe('SimulationEnd');
          break;
        }
      }
    } finally {
      await env.close();
    }
    expect(steps).toBe(scenario.episodeSteps);
    expect(await sim).toBe(0);
  }, 120_000);

  it('refuses an ns-3 scenario and a missing endpoint in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns3ts-sim-'));
    const { writeFileSync } = await import('node:fs');
    const ns3 = join(dir, 'ns3.yaml');
    writeFileSync(ns3, 'name: x\nenv: { kind: ns3, program: slicing-lte }\nslices: [{ name: a, type: eMBB, phiTarget: 1, delayTarget: 10 }]\n');
    const [none, wrongKind] = await Promise.all([
      runCli(['sim', '--scenario', 'slicing-synthetic']),
      runCli(['sim', '--scenario', ns3, '--endpoint', 'ipc:///tmp/none']),
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr.split('\n')[0]).toMatch(/^ns3ts: --endpoint: got undefined, expected the agent endpoint/);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr.split('\n')[0]).toMatch(/^ns3ts: --scenario: got ".*ns3.yaml", expected a synthetic scenario \(this one runs ns-3 program slicing-lte\)/);
  }, 120_000);
});
