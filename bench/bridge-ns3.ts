// ns-3 rows of the bridge benchmark: the same ns-3 simulator served by three agents — the bare
// C++ REP agent (gym-echo-agent: constant action bytes, no decoding; the ceiling any agent can
// reach on that simulator), `ns3ts agent --policy random` (the CLI, its own process) and a
// RemoteEnv loop (random actions through the Env API, in this process) — on opengym-example and
// slicing-null, over tcp and ipc. Each row's ratioToCeiling is its steps/s over the ceiling's.
//
// Used by bench/bridge.ts; runs on its own too: `npx tsx bench/bridge-ns3.ts [--rounds 3]`.
// Needs build/cpp/bin/{gym-echo-agent,opengym-example,slicing-null} (scripts/build-cpp.sh);
// a simulator that is missing is left out.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GymSpace } from '../src/env/index.js';
import { RemoteEnv } from '../src/remote/index.js';
import { GymServer, NATIVE_SPIN_US } from '../src/server/index.js';
import { packageRoot, Rng, selfCommand } from '../src/util/index.js';
import { encodeEnvActMsg, toWireData } from '../src/wire/index.js';
import { CPP_BIN_DIR, finishedOk, freeTcpPort, killStartedProcesses, startProcess } from './processes.js';

export interface Ns3AgentRow {
  sim: 'opengym-example' | 'slicing-null';
  agent: Ns3AgentName;
  transport: 'tcp' | 'ipc';
  /** Median over the rounds (agents alternate within each round). */
  stepsPerSec: number;
  /** stepsPerSec / the cpp-echo row's (absent on the cpp-echo row itself). */
  ratioToCeiling?: number;
  /** Every round's reading, in order. */
  samples: number[];
}

/**
 * cpp-echo: the ceiling; cpp-echo-spin: the same C++ echo polling up to NATIVE_SPIN_US for each
 * state before it blocks, as the ns3ts agent's native socket does (the ceiling for that wait); js-echo: the same bare echo on zeromq.js (bench/js-echo-agent.ts), the
 * ceiling of any agent on zeromq.js; ns3ts-agent: the CLI with `--socket auto` (the addon's
 * libzmq socket when built; the CLI's default); ns3ts-agent-zeromq: the CLI on zeromq.js
 * (`--socket zeromq`); remote-env: a RemoteEnv loop in this process.
 */
export type Ns3AgentName = 'cpp-echo' | 'cpp-echo-spin' | 'js-echo' | 'ns3ts-agent' | 'ns3ts-agent-zeromq' | 'remote-env';
const AGENTS: readonly Ns3AgentName[] = ['cpp-echo', 'cpp-echo-spin', 'js-echo', 'ns3ts-agent', 'ns3ts-agent-zeromq', 'remote-env'];

export interface Ns3AgentOptions {
  rounds?: number;
  transports?: Array<'tcp' | 'ipc'>;
}

/** The simulators and their arguments: `steps` agent steps per episode. */
const SIMS = {
  // 2000 steps of ns3-gym's own example (the issue's comparison with ns3-gym's Python agent).
  'opengym-example': (endpoint: string, steps: number): string[] => [
    `--openGymEndpoint=${endpoint}`,
    '--simSeed=1',
    `--maxSteps=${steps + 1}`,
    '--stepTime=0.001',
    '--simTime=1000000',
    '--openGymTimeoutMs=30000',
  ],
  // The slicing spaces with almost no simulation per step.
  'slicing-null': (endpoint: string, steps: number): string[] => [`--openGymEndpoint=${endpoint}`, '--simSeed=1', '--stepTime=0.1', `--simTime=${(steps + 1) * 0.1}`, '--openGymTimeoutMs=30000'],
} as const;
type SimName = keyof typeof SIMS;
const STEPS: Record<SimName, number> = { 'opengym-example': 2000, 'slicing-null': 2000 };

/** The simulator's action space, learnt from one short handshake (for the ceiling's constant action). */
async function actionSpaceOf(sim: SimName, endpoint: string): Promise<GymSpace> {
  const server = new GymServer({ endpoint });
  try {
    const bound = await server.listen();
    const run = startProcess(join(CPP_BIN_DIR, sim), SIMS[sim](bound, 2));
    const session = await server.acceptSession({ timeoutMs: 60_000 });
    const space = session.actionSpace;
    session.stop();
    await run.done;
    return space;
  } finally {
    await server.close();
  }
}

async function cppEcho(sim: SimName, endpoint: string, actionHex: string, spinUs = 0): Promise<number> {
  const agent = startProcess(join(CPP_BIN_DIR, 'gym-echo-agent'), ['--endpoint', endpoint, '--action-hex', actionHex, '--idle-ms', '500', '--spin-us', String(spinUs)]);
  await new Promise((r) => setTimeout(r, 100)); // let it bind (REQ would retry anyway)
  const simRun = startProcess(join(CPP_BIN_DIR, sim), SIMS[sim](endpoint, STEPS[sim]));
  await finishedOk(simRun, sim);
  const out = await finishedOk(agent, 'gym-echo-agent');
  return (JSON.parse(out.stdout.trim().split('\n').pop()!) as { stepsPerSec: number }).stepsPerSec;
}

async function jsEcho(sim: SimName, endpoint: string, actionHex: string): Promise<number> {
  const agent = startProcess(process.execPath, ['--import', 'tsx', join(packageRoot, 'bench', 'js-echo-agent.ts'), '--endpoint', endpoint, '--action-hex', actionHex, '--idle-ms', '500']);
  await new Promise((r) => setTimeout(r, 1000)); // let it load and bind (REQ would retry anyway)
  const simRun = startProcess(join(CPP_BIN_DIR, sim), SIMS[sim](endpoint, STEPS[sim]));
  await finishedOk(simRun, sim);
  const out = await finishedOk(agent, 'js-echo-agent');
  return (JSON.parse(out.stdout.trim().split('\n').pop()!) as { stepsPerSec: number }).stepsPerSec;
}

async function ns3tsAgent(sim: SimName, endpoint: string, socket: 'auto' | 'zeromq' = 'auto'): Promise<number> {
  const self = selfCommand();
  const agent = startProcess(self.command, [...self.args, 'agent', '--endpoint', endpoint, '--policy', 'random', '--timeout', '60', '--socket', socket]);
  // The agent prints "listening on" once bound.
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('ns3ts agent did not start within 60 s')), 60_000);
    agent.child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const simRun = startProcess(join(CPP_BIN_DIR, sim), SIMS[sim](endpoint, STEPS[sim]));
  const [out] = await Promise.all([finishedOk(agent, 'ns3ts agent'), finishedOk(simRun, sim)]);
  const match = /^episode 1: .*, (\d+) steps\/s$/m.exec(out.stdout);
  if (!match) throw new Error(`ns3ts agent printed no episode rate: ${out.stdout.trim().split('\n').pop() ?? ''}`);
  return Number(match[1]);
}

async function remoteEnv(sim: SimName, endpoint: string): Promise<number> {
  const env = await RemoteEnv.listen({ endpoint });
  try {
    const bound = env.server.endpoint;
    const simRun = startProcess(join(CPP_BIN_DIR, sim), SIMS[sim](bound, STEPS[sim]));
    await env.reset();
    const rng = new Rng(1);
    const space = env.actionSpace;
    const started = performance.now();
    let steps = 0;
    for (;;) {
      const r = await env.step(space.sample(rng));
      steps++;
      if (r.terminated || r.truncated) break;
    }
    const seconds = (performance.now() - started) / 1000;
    await env.close();
    await finishedOk(simRun, sim);
    return steps / seconds;
  } finally {
    await env.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function ns3AgentRows(options: Ns3AgentOptions = {}): Promise<Ns3AgentRow[]> {
  const rounds = Math.max(1, options.rounds ?? 3);
  const transports = options.transports ?? ['tcp', 'ipc'];
  if (!existsSync(join(CPP_BIN_DIR, 'gym-echo-agent'))) {
    process.stderr.write(`bridge-ns3: ${CPP_BIN_DIR} lacks gym-echo-agent (run scripts/build-cpp.sh); no ns-3 rows\n`);
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-bench-ns3-'));
  let counter = 0;
  const endpointFor = async (transport: 'tcp' | 'ipc'): Promise<string> =>
    transport === 'ipc' ? `ipc://${join(dir, `e${counter++}.sock`)}` : `tcp://127.0.0.1:${await freeTcpPort()}`;
  const rows: Ns3AgentRow[] = [];
  try {
    for (const sim of Object.keys(SIMS) as SimName[]) {
      if (!existsSync(join(CPP_BIN_DIR, sim))) {
        process.stderr.write(`bridge-ns3: ${CPP_BIN_DIR} lacks ${sim}; its rows are left out\n`);
        continue;
      }
      const space = await actionSpaceOf(sim, await endpointFor('ipc'));
      const actionHex = Buffer.from(encodeEnvActMsg({ actData: toWireData(space, space.sample(new Rng(1))) })).toString('hex');
      // Warm-up (discarded): the first runs pay for page cache and V8 compilation.
      await ns3tsAgent(sim, await endpointFor('ipc'));
      await remoteEnv(sim, await endpointFor('ipc'));
      for (const transport of transports) {
        const samples = Object.fromEntries(AGENTS.map((a) => [a, [] as number[]])) as Record<Ns3AgentName, number[]>;
        for (let r = 0; r < rounds; r++) {
          // Alternating within a round: each agent sees about the same machine load.
          samples['cpp-echo'].push(await cppEcho(sim, await endpointFor(transport), actionHex));
          samples['cpp-echo-spin'].push(await cppEcho(sim, await endpointFor(transport), actionHex, NATIVE_SPIN_US));
          samples['js-echo'].push(await jsEcho(sim, await endpointFor(transport), actionHex));
          samples['ns3ts-agent'].push(await ns3tsAgent(sim, await endpointFor(transport)));
          samples['ns3ts-agent-zeromq'].push(await ns3tsAgent(sim, await endpointFor(transport), 'zeromq'));
          samples['remote-env'].push(await remoteEnv(sim, await endpointFor(transport)));
        }
        const ceiling = median(samples['cpp-echo']);
        for (const agent of AGENTS) {
          const rate = median(samples[agent]);
          const row: Ns3AgentRow = { sim, agent, transport, stepsPerSec: Math.round(rate), samples: samples[agent].map((x) => Math.round(x)) };
          if (agent !== 'cpp-echo') row.ratioToCeiling = Number((rate / ceiling).toFixed(3));
          rows.push(row);
        }
      }
    }
  } finally {
    killStartedProcesses();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatNs3Row(r: Ns3AgentRow): string {
  return `${r.sim.padEnd(17)}${r.agent.padEnd(20)}${r.transport.padEnd(10)}${String(r.stepsPerSec).padStart(9)}${(r.ratioToCeiling?.toFixed(3) ?? '-').padStart(8)}  [${r.samples.join(', ')}]`;
}

export const NS3_ROW_HEADER = `${'sim'.padEnd(17)}${'agent'.padEnd(20)}${'transport'.padEnd(10)}${'steps/s'.padStart(9)}${'ratio'.padStart(8)}  samples`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--rounds');
  const rows = await ns3AgentRows({ rounds: i > 0 ? Number(process.argv[i + 1]) : 3 });
  console.log(NS3_ROW_HEADER);
  for (const r of rows) console.log(formatNs3Row(r));
}
