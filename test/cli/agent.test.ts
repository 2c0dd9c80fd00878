import { afterAll, describe, expect, it } from 'vitest';
import { Box, Discrete, Tuple } from '../../src/env/index.js';
import { SimulatorPeer, actionFromJson, parsePolicy, runAgent } from '../../src/server/index.js';
import { ipcEndpoint, killChildren, spawnSimChild, startCli, waitForExit, waitForLine } from '../server/helpers.js';

afterAll(killChildren);

/** Runs the CLI to its end; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startCli(args).exited;
}


describe('ns3ts --help', () => {
  it('lists every command with a description, and agent --help is complete', async () => {
    const root = await cli(['--help']);
    expect(root.code).toBe(0);
    for (const name of ['agent', 'doctor']) expect(root.stdout).toMatch(new RegExp(`^  ${name} \\[options\\]\\s+\\S`, 'm'));
    // Every listed command has a description on its line.
    const commands = root.stdout.split('Commands:')[1]!.split('\n').filter((l) => /^ {2}\S/.test(l));
    for (const line of commands) expect(line.trim().split(/\s{2,}/).length, line).toBeGreaterThanOrEqual(2);
    const agent = await cli(['agent', '--help']);
    expect(agent.code).toBe(0);
    for (const flag of ['--endpoint', '--policy', '--mode', '--timeout', '--max-episodes', '--seed']) expect(agent.stdout).toContain(flag);
    const flat = agent.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('(default: "tcp://127.0.0.1:5555")');
    expect(flat).toContain('(choices: "rep", "router", default: "rep")');
    expect(flat).toContain('(default: 60)');
  });
});

describe('ns3ts agent', () => {
  it('serves a TypeScript simulator in a child process and exits 0 after it stops', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--timeout', '20', '--policy', 'constant:2']);
      await agent.listening;
      const sim = spawnSimChild([ipc.endpoint, '5', 'gameover']);
      const [result, simExit] = await Promise.all([agent.exited, waitForExit(sim)]);
      expect(result.code, result.stderr).toBe(0);
      expect(simExit.code).toBe(0);
      expect(result.stdout).toContain('observation space: {"type":"Box","dtype":"float32","shape":[4],"low":0,"high":100}');
      expect(result.stdout).toContain('action space: {"type":"Discrete","n":3}');
      expect(result.stdout).toMatch(/episode 1: simulator \d+, 4 steps, reward 10, terminated \(GameOver\)/);
    } finally {
      ipc.cleanup();
    }
  });

  it('ROUTER mode with --max-episodes serves several simulators at once', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--mode', 'router', '--max-episodes', '3', '--timeout', '20']);
      await agent.listening;
      const sims = [0, 1, 2].map(() => spawnSimChild([ipc.endpoint, '3', 'simend']));
      const result = await agent.exited;
      await Promise.all(sims.map(waitForExit));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.match(/^episode \d+:/gm)).toHaveLength(3);
      expect(result.stdout).toContain('done: 3 episode(s), 6 step(s)');
    } finally {
      ipc.cleanup();
    }
  });

  it('exits non-zero with one line when its simulator is killed mid-episode', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--timeout', '30']);
      await agent.listening;
      const sim = spawnSimChild([ipc.endpoint, 'forever']);
      await waitForLine(sim, /^step 2$/);
      sim.kill('SIGKILL');
      const result = await agent.exited;
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('ns3ts:'));
      expect(lines).toEqual([expect.stringMatching(/^ns3ts: episode cut: simulator \d+ disconnected from ipc:\/\//)]);
    } finally {
      ipc.cleanup();
    }
  });

  it('exits non-zero with one line when no simulator comes', async () => {
    const result = await cli(['agent', '--endpoint', 'tcp://127.0.0.1:0', '--timeout', '0.5']);
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('ns3ts:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ns3ts: timed out after 500 ms waiting for a simulator to connect to tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it('bad flags are one-line input errors', async () => {
    const result = await cli(['agent', '--policy', 'greedy', '--timeout', '1']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("--policy: got \"greedy\", expected 'random' or 'constant:<json>'");
  });
});

describe('runAgent (in process)', () => {
  it('ROUTER without --max-episodes: serves the simulators that come and returns once none is left', async () => {
    const ipc = ipcEndpoint();
    const lines: string[] = [];
    try {
      const agent = runAgent({ endpoint: ipc.endpoint, policy: 'constant:1', mode: 'router', timeout: 20, seed: 0 }, (l) => lines.push(l));
      const play = async (pid: number, steps: number) => {
        const peer = new SimulatorPeer<number, number>({ endpoint: ipc.endpoint, timeoutMs: 20_000, simProcessId: pid });
        await peer.init({ observationSpace: new Discrete(5), actionSpace: new Discrete(3) });
        const actions: number[] = [];
        for (let i = 0; ; i++) {
          const reply = await peer.step({ obs: i % 5, reward: 1, gameOver: i === steps });
          if (reply.kind === 'stop') break;
          if (reply.kind === 'action') actions.push(reply.action);
        }
        await peer.close();
        return actions;
      };
      const [a, b] = await Promise.all([play(11, 2), play(12, 4)]);
      expect(a).toEqual([1, 1]);
      expect(b).toEqual([1, 1, 1, 1]);
      const summary = await agent;
      expect(summary).toMatchObject({ episodes: 2, steps: 6 });
      expect(lines.filter((l) => l.startsWith('episode '))).toHaveLength(2);
    } finally {
      ipc.cleanup();
    }
  });
});

describe('policies', () => {
  it('constant actions follow the action space', () => {
    expect(actionFromJson(new Discrete(3), 2, 'p')).toBe(2);
    const box = new Box({ low: 0, high: 1, shape: [2, 2] });
    expect(actionFromJson(box, [[0.5, 0.25], [0, 1]], 'p')).toEqual({ data: new Float32Array([0.5, 0.25, 0, 1]), shape: [2, 2] });
    expect(actionFromJson(box, 0.5, 'p')).toEqual({ data: new Float32Array([0.5, 0.5, 0.5, 0.5]), shape: [2, 2] });
    expect(actionFromJson(new Tuple([new Discrete(2), new Discrete(4)]), [1, 3], 'p')).toEqual([1, 3]);
    expect(() => actionFromJson(new Discrete(3), 5, 'p')).toThrowError(/p: got 5, expected an integer in \[0, 2\]/);
    expect(() => actionFromJson(box, [1, 2, 3], 'p')).toThrowError(/4 numbers/);
    expect(() => parsePolicy('constant:{')).toThrowError(/constant:<json>/);
  });
});
