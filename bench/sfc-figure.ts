/**
 * The SFC DQN's learning curves against the baselines (docs/sfc.md#benchmark): for each training
 * run, the greedy policy's mean reward per step on the run's validation episodes at every
 * validation (the "validation" lines of its metrics.jsonl), and each baseline's held-out mean
 * reward as a horizontal line. bench/sfc.ts draws it after a run; on its own it draws kept runs:
 *
 *   npx tsx bench/sfc-figure.ts --runs runs/dqn-7,runs/dqn-8 --baselines bench-results/sfc.json
 *                               [--labels "seed 7,seed 8"] [--steps 100] [--out bench-results/sfc-validation.svg]
 *
 * The validation episodes are each run's own seed stream, the baselines' lines the benchmark's
 * held-out episodes: both are unseen draws from the scenario, so the lines are a reference level,
 * not the same episodes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readMetricsLines, renderSvg, type Figure } from '../src/report/index.js';

export interface ValidationPoint {
  episode: number;
  /** Mean reward per step of the greedy policy over the validation episodes. */
  meanReward: number;
}

/** The validation points of a run directory's metrics.jsonl (`stepsPerEpisode` turns returns into rewards per step). */
export function validationCurve(runDir: string, stepsPerEpisode: number): ValidationPoint[] {
  const points: ValidationPoint[] = [];
  for (const line of readMetricsLines(runDir)) {
    if (line.type === 'validation' && typeof line.episode === 'number' && typeof line.meanReturn === 'number') {
      points.push({ episode: line.episode, meanReward: line.meanReturn / stepsPerEpisode });
    }
  }
  return points;
}

/** The baselines' levels of a bench:sfc table: its `baseline:*` rows with a mean reward. */
export function baselineLevels(rows: ReadonlyArray<{ policy: string; meanReward: number | null }>): Array<{ label: string; meanReward: number }> {
  return rows.flatMap((r) => (r.policy.startsWith('baseline:') && r.meanReward !== null ? [{ label: r.policy.slice('baseline:'.length), meanReward: r.meanReward }] : []));
}

export function sfcValidationFigure(runs: ReadonlyArray<{ label: string; points: readonly ValidationPoint[] }>, baselines: ReadonlyArray<{ label: string; meanReward: number }>): Figure {
  const curves = runs.flatMap((r) => r.points.map((p) => ({ series: r.label, episode: p.episode, meanReward: p.meanReward })));
  return {
    id: 'sfc-validation',
    title: 'SFC DQN: validation mean reward against the baselines',
    caption: "Each line is one training seed's greedy policy on its validation episodes; the dashed lines are the baselines' held-out mean reward.",
    section: 'benchmark',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 520,
      height: 260,
      layer: [
        {
          data: { values: curves },
          mark: { type: 'line', strokeWidth: 1.5, clip: true },
          encoding: {
            x: { field: 'episode', type: 'quantitative', title: 'training episode' },
            y: { field: 'meanReward', type: 'quantitative', title: 'mean reward per step', scale: { domainMin: -1 } },
            color: { field: 'series', type: 'nominal', title: 'DQN', sort: null },
          },
        },
        {
          data: { values: baselines.map((b) => ({ ...b })) },
          mark: { type: 'rule', strokeDash: [5, 4], color: '#555' },
          encoding: { y: { field: 'meanReward', type: 'quantitative' } },
        },
        {
          data: { values: baselines.map((b) => ({ ...b })) },
          mark: { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 10, color: '#333' },
          encoding: { y: { field: 'meanReward', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
        },
      ],
    },
  };
}

export async function writeSfcValidationFigure(path: string, ...args: Parameters<typeof sfcValidationFigure>): Promise<void> {
  writeFileSync(path, await renderSvg(sfcValidationFigure(...args)));
}

async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const runs = arg('--runs');
  const bench = arg('--baselines');
  if (!runs || !bench) throw new Error('--runs dir,dir,... and --baselines <sfc.json> are required');
  const out = arg('--out') ?? join('bench-results', 'sfc-validation.svg');
  const steps = Number(arg('--steps') ?? 100);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: got ${arg('--steps')}, expected the scenario's steps per episode, an integer >= 1`);
  const dirs = runs.split(',');
  const labels = arg('--labels')?.split(',') ?? dirs.map((dir) => basename(dir));
  if (labels.length !== dirs.length) throw new Error(`--labels: got ${labels.length} labels for ${dirs.length} runs, expected one per run`);
  const rows = (JSON.parse(readFileSync(bench, 'utf8')) as { rows: Array<{ policy: string; meanReward: number | null }> }).rows;
  await writeSfcValidationFigure(
    out,
    dirs.map((dir, i) => ({ label: labels[i]!, points: validationCurve(dir, steps) })),
    baselineLevels(rows),
  );
  console.log(`wrote ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
