// Runs to serve, trained once per test file (1 episode each: the checkpoint is the untrained
// policy, which is all serving needs), and observations to send. The agents read the time of day
// by default (agent setting timeOfDay): tests whose requests must agree with each other send a
// `secondsOfDay`, since without one the server reads its own clock.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURE, FEATURES_PER_SLICE } from '../../src/families/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { Rng } from '../../src/util/index.js';

export const SLICES = 3;

/**
 * Trains `agent` for one episode on slicing-synthetic (with optional share floors/caps and agent
 * settings, e.g. `{ timeOfDay: false }`); returns the run dir.
 */
export async function trainRun(
  agent: string,
  bounds?: { minShare: number[]; maxShare: number[] },
  outDir = mkdtempSync(join(tmpdir(), 'ns3ts-serve-')),
  agentSettings: Record<string, unknown> = {},
): Promise<string> {
  const scenario = structuredClone(loadScenario('slicing-synthetic')) as Scenario;
  if (bounds) {
    scenario.slices.forEach((slice, s) => {
      (slice as { minShare?: number }).minShare = bounds.minShare[s];
      (slice as { maxShare?: number }).maxShare = bounds.maxShare[s];
    });
  }
  await train({ scenario, agent, episodes: 1, evalEvery: 0, outDir, runId: agent, progress: false, backend: 'cpu', agentSettings });
  return join(outDir, agent);
}

/** One plausible observation row of a slice: [share, throughput, ..., active]. */
export function sliceRow(rng: Rng, active = 1): number[] {
  const row = new Array<number>(FEATURES_PER_SLICE).fill(0);
  row[FEATURE.share] = rng.uniform();
  row[FEATURE.throughput] = rng.uniform() * 20;
  row[FEATURE.meanDelay] = rng.uniform() * 200;
  row[FEATURE.p95Delay] = row[FEATURE.meanDelay]! * 2;
  row[FEATURE.prbUtilization] = rng.uniform();
  row[FEATURE.activeUsers] = Math.floor(rng.uniform() * 50);
  row[FEATURE.meanCqi] = Math.floor(rng.uniform() * 16);
  row[FEATURE.offeredLoad] = rng.uniform() * 100;
  row[FEATURE.backlog] = rng.uniform() * 1000;
  row[FEATURE.phiTarget] = 2;
  row[FEATURE.delayTarget] = 100;
  row[FEATURE.active] = active;
  return row;
}

/** `cells` cells of SLICES random active slices. */
export function randomCells(rng: Rng, cells: number): number[][][] {
  return Array.from({ length: cells }, () => Array.from({ length: SLICES }, () => sliceRow(rng)));
}
