// `ns3ts agent` against hostile peers: one bad simulator in ROUTER mode ends its own session only,
// limits are flags, and a bind on every interface says so.
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEnvStateMsg, encodeSimInitMsg } from '../../src/wire/index.js';
import { ipcEndpoint, killChildren, rawRequest, spawnSimChild, startCli, waitForExit, waitForLine } from '../server/helpers.js';

afterAll(killChildren);


/** The simulator of sim-child.ts declares Box(float32, [4]) and Discrete(3). */
const simInit = encodeSimInitMsg({
  simProcessId: 777,
  obsSpace: { type: 'Box', low: 0, high: 100, dtype: 'FLOAT', shape: [4] },
  actSpace: { type: 'Discrete', n: 3 },
});


describe('ns3ts agent --mode router: one bad simulator', () => {
  for (const strict of [false, true]) {
    it(`a NaN state ends that session only; the good simulator is served to its end${strict ? '; --strict exits 1 at the end' : ''}`, async () => {
      const ipc = ipcEndpoint();
      try {
        const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--mode', 'router', '--timeout', '20', ...(strict ? ['--strict'] : [])]);
        await agent.listening;
        const good = spawnSimChild([ipc.endpoint, '12', 'gameover']);
        await waitForLine(good, /^step 2$/);
        const nan = encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'FLOAT', shape: [4], floatData: [1, Number.NaN, 3, 4] }, reward: 1 });
        expect(await rawRequest(ipc.endpoint, [simInit, nan], 10_000)).toEqual(['0801', '1001']);
        const [result, goodExit] = await Promise.all([agent.exited, waitForExit(good)]);
        expect(goodExit.code).toBe(0);
        expect(result.stdout).toMatch(/episode \d+: simulator \d+, 11 steps, reward \d+, terminated \(GameOver\)/);
        const reports = result.stderr.split('\n').filter((l) => l.startsWith('ns3ts agent:'));
        expect(reports).toEqual([
          expect.stringMatching(/^ns3ts agent: session s\d+ of simulator 777 \(connection [0-9a-f]+\) ended: protocol-error: .*obs\[1\]: got NaN, expected a finite number/),
        ]);
        if (strict) {
          expect(result.code).toBe(1);
          expect(result.stderr).toMatch(/^ns3ts: 1 session\(s\) ended with an error \(--strict\)$/m);
        } else {
          expect(result.code, result.stderr).toBe(0);
        }
      } finally {
        ipc.cleanup();
      }
    });
  }

  it('limits are flags: a space beyond --max-elements is refused with the reason, the agent keeps serving', async () => {
    const ipc = ipcEndpoint();
    try {
      const agent = startCli(['agent', '--endpoint', ipc.endpoint, '--mode', 'router', '--timeout', '20', '--max-elements', '3', '--max-episodes', '1']);
      await agent.listening;
      expect(await rawRequest(ipc.endpoint, [simInit], 10_000)).toEqual(['1001']);
      // A simulator within the limits is still served.
      const small = encodeSimInitMsg({ simProcessId: 778, obsSpace: { type: 'Discrete', n: 4 }, actSpace: { type: 'Discrete', n: 3 } });
      const over = encodeEnvStateMsg({ obsData: { type: 'Discrete', value: 1 }, isGameOver: true, reason: 'GameOver' });
      expect(await rawRequest(ipc.endpoint, [small, over], 10_000)).toEqual(['0801', '1001']);
      const result = await agent.exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^ns3ts agent: refused: frame from a new simulator \(connection [0-9a-f]+\) is not a valid SimInitMsg: SimInitMsg\.obsSpace\.shape: got \[4\] \(4 elements\), expected at most 3 elements \(maxElements\)$/m);
    } finally {
      ipc.cleanup();
    }
  });

  it('limit flags are validated', async () => {
    const agent = startCli(['agent', '--max-depth', '0']);
    const result = await agent.exited;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--max-depth: got "0", expected a positive integer');
  });
});

describe('ns3ts agent bind address', () => {
  it('tcp://*:P prints the real bind address and warns once that it is not loopback', async () => {
    const agent = startCli(['agent', '--endpoint', 'tcp://*:0', '--timeout', '0.5']);
    const result = await agent.exited;
    expect(result.stdout).toMatch(/^listening on tcp:\/\/0\.0\.0\.0:\d+ \(REP\)/m);
    expect(result.stdout).not.toContain('127.0.0.1');
    const warnings = result.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toEqual([expect.stringMatching(/^ns3ts agent: warning: tcp:\/\/0\.0\.0\.0:\d+ listens on every interface/)]);
  });

  it('a loopback endpoint gives no warning', async () => {
    const result = await startCli(['agent', '--endpoint', 'tcp://127.0.0.1:0', '--timeout', '0.5']).exited;
    expect(result.stdout).toMatch(/^listening on tcp:\/\/127\.0\.0\.1:\d+ \(REP\)/m);
    expect(result.stderr).not.toContain('warning');
  });
});
