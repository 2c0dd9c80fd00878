/**
 * Calibration data for int8 quantization: the inputs each actor sees when the trained policy
 * plays evaluation episodes of its scenario (every ADMM iteration's rows for the admm actors,
 * every cell's row for a cell actor). Ranges taken from these rows set the activation scales.
 */
import type { ActorForward, RunActors } from '../agents/index.js';
import { evaluatePolicy } from '../eval/index.js';
import type { Scenario } from '../scenario/index.js';

export interface CalibrationData {
  /** Per actor, in RunActors.actors order: [rows, inputSize] row-major. */
  inputs: Float32Array[];
  rows: number[];
  episodes: number;
  /** Mean utility of the float policy over those episodes (the reference quantization is measured against). */
  meanUtility: number;
}

/** Wraps a forward pass so every input row it receives is also appended to `chunks`. */
function recording(forward: ActorForward, chunks: Float32Array[]): ActorForward {
  return {
    get inputSize() {
      return forward.inputSize;
    },
    get outputSize() {
      return forward.outputSize;
    },
    forward(input, batch, out) {
      chunks.push(input.slice(0, batch * forward.inputSize));
      return forward.forward(input, batch, out);
    },
    setWeights: (spec) => forward.setWeights(spec),
  };
}

function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Plays `episodes` evaluation episodes of `scenario` with the run's policy and keeps the actors' inputs. */
export async function collectCalibration(run: RunActors, scenario: Scenario, episodes: number, seed: number): Promise<CalibrationData> {
  const chunks: Float32Array[][] = run.actors.map(() => []);
  const recorded = run.policy.withActors((forward, t) => recording(forward, chunks[t]!));
  const result = await evaluatePolicy(scenario, recorded, { episodes, seed });
  const inputs = chunks.map(concat);
  return { inputs, rows: inputs.map((x, t) => x.length / run.actors[t]!.spec.layers[0]!.inSize), episodes, meanUtility: result.kpis.meanUtility };
}

/**
 * The columns of an actor input that hold the clock pair (sin, cos of the time of day), for a run
 * whose actors read it: the last two of each slice row's features (one row for the admm actors,
 * the cell's S rows for a cell actor); none without a clock.
 */
export function clockColumns(run: RunActors): number[] {
  if (!run.clock) return [];
  const rows = run.arrangement === 'admm' ? 1 : run.layout.slices.length;
  return Array.from({ length: rows }, (_, r) => [(r + 1) * run.normFeatures - 2, (r + 1) * run.normFeatures - 1]).flat();
}

/** sin and cos at the four quarter days: each reaches -1 and 1. */
const QUARTER_DAYS = [
  [0, 1],
  [1, 0],
  [0, -1],
  [-1, 0],
] as const;

/**
 * Calibration rows [rows, width] whose clock columns (pairs sin, cos at `columns`) span the day.
 * Episodes shorter than a day (slicing-lte: 10 steps of 0.1 s) show the actors one time of day, and
 * ranges taken from them would saturate the sin and cos of every other time a server feeds. So when
 * a clock column stays short of +-1, every row comes once more with its pairs at one of the four
 * quarter days in turn (the same traffic at other times). Rows of a whole day are kept as they are.
 */
export function spanTheDay(inputs: Float32Array, width: number, columns: readonly number[]): Float32Array {
  const rows = inputs.length / width;
  const reach = (c: number): number => {
    let most = 0;
    for (let r = 0; r < rows; r++) most = Math.max(most, Math.abs(inputs[r * width + c]!));
    return most;
  };
  if (rows === 0 || columns.every((c) => reach(c) >= 0.999)) return inputs;
  const out = new Float32Array(2 * inputs.length);
  out.set(inputs);
  for (let r = 0; r < rows; r++) {
    const at = (rows + r) * width;
    out.set(inputs.subarray(r * width, (r + 1) * width), at);
    const [sin, cos] = QUARTER_DAYS[r % 4]!;
    for (let k = 0; k < columns.length; k += 2) {
      out[at + columns[k]!] = sin;
      out[at + columns[k + 1]!] = cos;
    }
  }
  return out;
}
