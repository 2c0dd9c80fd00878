// The bounded, seeded fuzz campaign (test/server/fuzz-campaign.ts) in CI: a few thousand hostile
// frames of each kind against `ns3ts agent` (REP and ROUTER, child processes over ipc://) and the
// library GymServer, each serving a well-behaved simulator throughout, with its memory bounded.
// `npm run fuzz` runs the same code with 100,000+ frames.
import { describe, expect, it } from 'vitest';
import { TARGETS, formatResults, fuzzTarget, type TargetResult } from './fuzz-campaign.js';

const FRAMES_PER_KIND = 1500;
/** Peak RSS of an agent child (a Node process with tsx); an in-process server adds to the test worker's. */
const AGENT_RSS_CEILING = 400 * 2 ** 20;
const WORKER_RSS_CEILING = 1024 * 2 ** 20;

describe('fuzz', () => {
  const results: TargetResult[] = [];

  for (const target of TARGETS) {
    it(`${target}: ${4 * FRAMES_PER_KIND} hostile frames, every one answered, the good simulator served, memory bounded`, { timeout: 60_000 }, async () => {
      const r = await fuzzTarget(target, { seed: 1, framesPerKind: FRAMES_PER_KIND });
      results.push(r);
      expect(r.replies.none, formatResults([r])).toBe(0);
      expect(r.goodOk, formatResults([r])).toBe(true);
      expect(r.replies.stop).toBeGreaterThan(r.frames / 2);
      expect(r.rssPeakBytes).toBeLessThan(target.startsWith('agent') ? AGENT_RSS_CEILING : WORKER_RSS_CEILING);
      if (target === 'agent-rep') expect(r.exitCode).toBe(0);
    });
  }

  // Which target reports a given refusal depends on timing (a frame that reaches a session just
  // ended is answered with a stop but not reported), so every limit is required of the campaign
  // as a whole rather than of each target.
  it('the campaign as a whole was refused by every limit', () => {
    expect(results.length).toBe(TARGETS.length);
    for (const reason of ['space too large (maxElements)', 'nesting too deep (maxDepth)', 'frame too large (maxFrameBytes)']) {
      const seen = results.reduce((n, r) => n + (r.rejections[reason] ?? 0), 0);
      expect(seen, `${reason}\n${formatResults(results)}`).toBeGreaterThan(0);
    }
  });
});
