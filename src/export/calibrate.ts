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
