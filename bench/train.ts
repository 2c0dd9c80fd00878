/**
 * Training throughput: gradient updates per second of the default network sizes of each agent on
 * the TensorFlow.js backend in use, against the plain CPU backend measured in the same run.
 * Also reports the replay buffer's bytes per transition.
 *
 *   npm run bench:train -- [--updates N] [--agents maddpg-admm,td3]
 */
import * as tf from '../src/agents/tf.js';
import { agentRegistry, selectBackend, type BackendChoice, type TrainableAgent } from '../src/agents/index.js';
import { SyntheticSlicingEnv } from '../src/families/index.js';
import { loadScenario, scenarioLayout } from '../src/scenario/index.js';
import { agentScenario } from '../src/train/index.js';
import { writeJsonAtomic } from '../src/util/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const updates = Number(arg('--updates') ?? 40);
const agents = (arg('--agents') ?? 'maddpg-admm,maddpg-lagrangian,td3,ddpg').split(',');
const scenario = loadScenario('slicing-synthetic');
const layout = scenarioLayout(scenario);

interface Row {
  agent: string;
  backend: string;
  updatesPerSecond: number;
  msPerUpdate: number;
  replayBytesPerTransition: number;
}

async function measure(agentId: string): Promise<{ perSecond: number; bytes: number }> {
  // updateEvery 1 so that each observed step runs one update; warm-up just long enough to fill a batch.
  const agent = (await agentRegistry[agentId]!.create(layout, agentScenario(scenario), {
    seed: 1,
    settings: { warmupSteps: 100, updateEvery: 1 },
  })) as TrainableAgent & { update(): unknown };
  const env = new SyntheticSlicingEnv(scenario);
  let { obs } = await env.reset({ seed: 1 });
  const ctx = { layout, step: 0 };
  for (let t = 0; t < 100; t++) {
    const action = await agent.actExplore(obs, ctx);
    const r = await env.step({ data: action, shape: [layout.cells, layout.slices.length] });
    await agent.observe({ obs, action, reward: r.reward, nextObs: r.obs, terminated: false, truncated: r.truncated, info: r.info, step: t });
    obs = r.truncated ? (await env.reset({ seed: 2 + t })).obs : r.obs;
  }
  for (let i = 0; i < 3; i++) agent.update();
  const started = performance.now();
  for (let i = 0; i < updates; i++) agent.update();
  const seconds = (performance.now() - started) / 1000;
  const bytes = Number(agent.settings().replayBytesPerTransition);
  agent.dispose();
  return { perSecond: updates / seconds, bytes };
}

const inUse = await selectBackend('auto');
const rows: Row[] = [];
for (const choice of [inUse.requested, 'cpu'] as BackendChoice[]) {
  const info = await selectBackend(choice);
  if (choice === 'cpu' && inUse.name === 'cpu') break;
  for (const agent of agents) {
    const { perSecond, bytes } = await measure(agent);
    rows.push({ agent, backend: info.name, updatesPerSecond: perSecond, msPerUpdate: 1000 / perSecond, replayBytesPerTransition: bytes });
    process.stderr.write(`${agent} on ${info.name}: ${perSecond.toFixed(1)} updates/s\n`);
  }
}
const header = ['agent', 'backend', 'updates/s', 'ms/update', 'vs cpu', 'replay B/transition'];
const table = rows.map((r) => {
  const ref = rows.find((x) => x.agent === r.agent && x.backend === 'cpu');
  return [r.agent, r.backend, r.updatesPerSecond.toFixed(1), r.msPerUpdate.toFixed(1), ref ? (r.updatesPerSecond / ref.updatesPerSecond).toFixed(2) : '-', String(r.replayBytesPerTransition)];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
process.stdout.write(
  `gradient updates per second, default network sizes and batch (slicing-synthetic, ${updates} updates each), tfjs ${tf.version.tfjs}\n${line(header)}\n${table.map(line).join('\n')}\n`,
);
writeJsonAtomic('bench-results/train.json', { rows, backend: inUse.name, updates });
