/**
 * Cost signals of the statistical QoS constraints of a scenario (`constraints:` entries): for a
 * (cell, slice) row of an observation, 1 when the step violated the constraint's condition.
 * delay-violation-rate: mean delay > d*; throughput-violation-rate: throughput < phi*;
 * qos-violation-rate: r < 1. Their long-run rates must stay at or below each constraint's limit.
 */
import { rowViolates, type SlicingLayout } from '../../families/index.js';
import type { AgentScenario } from '../agent.js';

export interface SliceConstraint {
  /** Slice index in the layout. */
  slice: number;
  kind: string;
  limit: number;
}

export function sliceConstraints(layout: SlicingLayout, scenario: AgentScenario | null | undefined): SliceConstraint[] {
  const out: SliceConstraint[] = [];
  for (const c of scenario?.constraints ?? []) {
    const slice = layout.slices.findIndex((s) => s.name === c.slice);
    if (slice >= 0) out.push({ slice, kind: c.kind, limit: c.limit });
  }
  return out;
}

/** 1 if row `i` (cell * slices + slice) of obs violates the condition of `kind`, else 0. */
export function violation(obs: ArrayLike<number>, i: number, kind: string): number {
  return rowViolates(obs, i, kind) ? 1 : 0;
}

/** Per (cell, slice) cost [cells, slices]: the violation of the slice's constraint (0 without one). */
export function costsFromObservation(
  obs: ArrayLike<number>,
  cells: number,
  slices: number,
  constraints: readonly SliceConstraint[],
  out: Float32Array = new Float32Array(cells * slices),
): Float32Array {
  out.fill(0);
  for (const con of constraints) {
    for (let c = 0; c < cells; c++) {
      const i = c * slices + con.slice;
      out[i] = Math.max(out[i]!, violation(obs, i, con.kind));
    }
  }
  return out;
}
