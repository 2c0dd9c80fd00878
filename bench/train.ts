/**
 * Training throughput: ms per gradient update of the same update shapes (bench/train-updates.ts)
 * on the native training engine (1 and 2 threads), its TypeScript fallback and PyTorch
 * (bench/torch_reference.py, 1 and 2 threads, when python3 can import torch); then the agents' own
 * update() (replay sampling, projection and, where gamma > 0, the target ADMM included) on the engine (native 1 and 2
 * threads, ts) and on TensorFlow.js wasm. Native and torch run alternately, `--repeats` times
 * each; the median is kept. Prints ratios to torch at the same thread count and writes
 * bench-results/train.json as {"rows":[{"agent","impl","threads","msPerUpdate","scope"}]}, scope
 * 'update' (the shapes) or 'agent' (the agents' update()).
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
import { packageRoot, textTableLines, writeJsonAtomic } from '../src/util/index.js';
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

// The agents' own update() (replay sampling, projection / target ADMM included): the training
// path a run takes, on the engine (native 1 and 2 threads, ts) and on TF.js wasm.
const { agentRegistry, selectBackend } = await import('../src/agents/index.js');
const { SyntheticSlicingEnv } = await import('../src/families/index.js');
const { loadScenario, scenarioLayout } = await import('../src/scenario/index.js');
const scenario = loadScenario('slicing-synthetic');
const layout = scenarioLayout(scenario);

async function agentUpdateMs(shape: UpdateShape, engine: 'native' | 'ts' | 'tfjs', threads: number, count: number, warmup: number): Promise<number> {
  const agentId = shape === 'td3-256' ? 'td3' : shape;
  const settings: Record<string, unknown> = { warmupSteps: 100, updateEvery: 1, batchSize: 256, ...(agentId === 'td3' ? { hidden: shape === 'td3-256' ? [256, 256] : [128, 128] } : { hidden: [64, 64] }) };
  const saved = process.env.NS3TS_NATIVE_THREADS;
  process.env.NS3TS_NATIVE_THREADS = String(threads);
  try {
    const agent = (await agentRegistry[agentId]!.create(layout, scenario, { seed: 1, settings, engine })) as unknown as {
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
    const ms = msPerUpdate(() => void agent.update(), count, warmup);
    agent.dispose();
    return ms;
  } finally {
    if (saved === undefined) delete process.env.NS3TS_NATIVE_THREADS;
    else process.env.NS3TS_NATIVE_THREADS = saved;
  }
}

const agentRows: Row[] = [];
for (const shape of shapes) {
  if (status.active) {
    for (const threads of [1, 2]) {
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) runs.push(await agentUpdateMs(shape, 'native', threads, Math.max(20, updates / 2), 10));
      const ms = median(runs);
      agentRows.push({ agent: shape, impl: 'native', threads, msPerUpdate: ms });
      process.stderr.write(`${shape} agent on native, ${threads} thread(s): ${ms.toFixed(2)} ms\n`);
    }
  }
  const tsMs = await agentUpdateMs(shape, 'ts', 1, 4, 2);
  agentRows.push({ agent: shape, impl: 'ts', threads: 1, msPerUpdate: tsMs });
  process.stderr.write(`${shape} agent on ts: ${tsMs.toFixed(1)} ms\n`);
}
if (withTfjs) {
  const backend = await selectBackend('wasm');
  for (const shape of shapes) {
    const ms = await agentUpdateMs(shape, 'tfjs', 1, 20, 4);
    agentRows.push({ agent: shape, impl: 'tfjs-wasm', threads: 1, msPerUpdate: ms });
    process.stderr.write(`${shape} agent on tfjs ${backend.name}: ${ms.toFixed(1)} ms\n`);
  }
}

const loadAfter = loadavg()[0]!;
const header = ['agent', 'impl', 'threads', 'ms/update', 'vs torch'];
const tableOf = (list: Row[]): string[][] =>
  list.map((r) => {
    const ref = rows.find((x) => x.agent === r.agent && x.impl === 'torch' && x.threads === r.threads);
    return [r.agent, r.impl, String(r.threads), r.msPerUpdate.toFixed(2), ref ? `${(r.msPerUpdate / ref.msPerUpdate).toFixed(2)}x` : '-'];
  });
const updateTable = tableOf(rows);
const agentTable = tableOf(agentRows);
// Both tables take the same column widths, so that they line up.
const printed = (table: string[][]): string => textTableLines([header, ...table], { leftColumns: 2, widthsOf: [header, ...updateTable, ...agentTable] }).join('\n');
process.stdout.write(
  `ms per update, batch 256 (median of ${repeats} alternating runs of ${updates} updates for native and torch), ` +
    `training products: ${status.trainingProducts}, load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)} on ${
      (await import('node:os')).availableParallelism()
    } cores\n` +
    `the update shapes (bench/train-updates.ts, bench/torch_reference.py):\n${printed(updateTable)}\n` +
    `the agents' own update() at their defaults (replay sampling, projection, target ADMM where gamma > 0; median of 3 for native):\n${printed(agentTable)}\n`,
);
writeJsonAtomic('bench-results/train.json', {
  rows: [...rows.map((r) => ({ ...r, scope: 'update' })), ...agentRows.map((r) => ({ ...r, scope: 'agent' }))],
  trainingProducts: status.trainingProducts,
  torch: torch?.version ?? null,
  loadAverage: [loadBefore, loadAfter],
});
