/**
 * Training throughput: ms per gradient update of the same update shapes (bench/train-updates.ts)
 * on the native training engine (1 and 2 threads), its TypeScript fallback, PyTorch
 * (bench/torch_reference.py, 1 and 2 threads, when python3 can import torch) and today's agents on
 * TensorFlow.js (wasm; the agents' own update, projection and replay included). Native and torch
 * run alternately, `--repeats` times each; the median is kept. Prints ratios to torch at the same
 * thread count and writes bench-results/train.json as {"rows":[{"agent","impl","threads","msPerUpdate"}]}.
 *
 *   npm run bench:train -- [--updates 200] [--repeats 5] [--agents td3,td3-256,maddpg-admm] [--no-tfjs] [--no-torch]
 *
 * NS3TS_TORCH_PYTHON picks the interpreter (default: the first of python3, /usr/bin/python3 that
 * imports torch).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { nativeStatus } from '../src/native/index.js';
import { packageRoot, writeJsonAtomic } from '../src/util/index.js';
import { makeUpdate, msPerUpdate, UPDATE_SHAPES, type UpdateShape } from './train-updates.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const updates = Number(arg('--updates') ?? 200);
const repeats = Number(arg('--repeats') ?? 5);
const shapes = (arg('--agents') ?? UPDATE_SHAPES.join(',')).split(',') as UpdateShape[];
const withTfjs = !process.argv.includes('--no-tfjs');
const withTorch = !process.argv.includes('--no-torch');

interface Row {
  agent: string;
  impl: 'native' | 'tfjs-wasm' | 'ts' | 'torch';
  threads: number;
  msPerUpdate: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function findTorchPython(): { python: string; version: string } | undefined {
  const candidates = process.env.NS3TS_TORCH_PYTHON ? [process.env.NS3TS_TORCH_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return undefined;
}

function torchMs(python: string, shape: UpdateShape, threads: number): number {
  // The same OpenMP wait policy as the addon's (src/native/addon.ts), so neither spins.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' };
  const text = execFileSync(python, [join(packageRoot, 'bench', 'torch_reference.py'), '--shape', shape, '--threads', String(threads), '--updates', String(updates)], { encoding: 'utf8', env, timeout: 600_000 });
  return (JSON.parse(text.trim().split('\n').pop()!) as { msPerUpdate: number }).msPerUpdate;
}

const status = nativeStatus();
const torch = withTorch ? findTorchPython() : undefined;
process.stderr.write(`native: ${status.reason}\n`);
process.stderr.write(torch ? `torch ${torch.version} via ${torch.python}\n` : 'torch: skipped (no python3 that imports torch; apt-get install python3-torch to compare)\n');
const loadBefore = loadavg()[0]!;

const rows: Row[] = [];
for (const shape of shapes) {
  for (const threads of [1, 2]) {
    const native: number[] = [];
    const ref: number[] = [];
    for (let r = 0; r < repeats; r++) {
      if (status.active) native.push(msPerUpdate(makeUpdate(shape, 'native', threads), updates));
      if (torch) ref.push(torchMs(torch.python, shape, threads));
    }
    if (native.length) rows.push({ agent: shape, impl: 'native', threads, msPerUpdate: median(native) });
    if (ref.length) rows.push({ agent: shape, impl: 'torch', threads, msPerUpdate: median(ref) });
    process.stderr.write(`${shape} ${threads} thread(s): native ${native.map((x) => x.toFixed(2)).join(' ')} | torch ${ref.map((x) => x.toFixed(2)).join(' ')}\n`);
  }
  rows.push({ agent: shape, impl: 'ts', threads: 1, msPerUpdate: msPerUpdate(makeUpdate(shape, 'ts', 1), 6, 2) });
}

if (withTfjs) {
  // Today's path: the agents' own update() on TF.js wasm (the same shapes, plus their projection and replay).
  const { agentRegistry, selectBackend } = await import('../src/agents/index.js');
  const { SyntheticSlicingEnv } = await import('../src/families/index.js');
  const { loadScenario, scenarioLayout } = await import('../src/scenario/index.js');
  const backend = await selectBackend('wasm');
  const scenario = loadScenario('slicing-synthetic');
  const layout = scenarioLayout(scenario);
  for (const shape of shapes) {
    const agentId = shape === 'td3-256' ? 'td3' : shape;
    const settings: Record<string, unknown> = { warmupSteps: 100, updateEvery: 1, ...(shape === 'td3-256' ? { hidden: [256, 256] } : {}) };
    const agent = (await agentRegistry[agentId]!.create(layout, scenario, { seed: 1, settings })) as unknown as {
      actExplore(obs: unknown, ctx: unknown): Promise<Float32Array>;
      observe(t: unknown): Promise<void>;
      update(): unknown;
      dispose(): void;
    };
    const env = new SyntheticSlicingEnv(scenario);
    let { obs } = await env.reset({ seed: 1 });
    const ctx = { layout, step: 0 };
    for (let t = 0; t < 100; t++) {
      const action = await agent.actExplore(obs, ctx);
      const r = await env.step({ data: action, shape: [layout.cells, layout.slices.length] });
      await agent.observe({ obs, action, reward: r.reward, nextObs: r.obs, terminated: false, truncated: r.truncated, info: r.info, step: t });
      obs = r.truncated ? (await env.reset({ seed: 2 + t })).obs : r.obs;
    }
    const ms = msPerUpdate(() => void agent.update(), 20, 4);
    agent.dispose();
    rows.push({ agent: shape, impl: 'tfjs-wasm', threads: 1, msPerUpdate: ms });
    process.stderr.write(`${shape} on tfjs ${backend.name}: ${ms.toFixed(1)} ms\n`);
  }
}

const loadAfter = loadavg()[0]!;
const header = ['agent', 'impl', 'threads', 'ms/update', 'vs torch'];
const table = rows.map((r) => {
  const ref = rows.find((x) => x.agent === r.agent && x.impl === 'torch' && x.threads === r.threads);
  return [r.agent, r.impl, String(r.threads), r.msPerUpdate.toFixed(2), ref ? `${(r.msPerUpdate / ref.msPerUpdate).toFixed(2)}x` : '-'];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
process.stdout.write(
  `ms per update, batch 256 (median of ${repeats} alternating runs of ${updates} updates for native and torch), ` +
    `training products: ${status.trainingProducts}, load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)} on ${
      (await import('node:os')).availableParallelism()
    } cores\n${line(header)}\n${table.map(line).join('\n')}\n`,
);
writeJsonAtomic('bench-results/train.json', { rows, trainingProducts: status.trainingProducts, torch: torch?.version ?? null, loadAverage: [loadBefore, loadAfter] });
