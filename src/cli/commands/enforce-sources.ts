/**
 * Where `ns3ts enforce` gets its allocation each period: fixed shares, a baseline, a trained
 * checkpoint, or a running policy service. Baselines and checkpoints see the slicing observation
 * measured from the kernel and play the layout of the mapping (one cell, its slices in order).
 */
import { createBaseline, BASELINE_NAMES, type BaselineName } from '../../families/index.js';
import { checkShares, ServeAllocator, type EnforceMapping } from '../../enforce/index.js';
import { projectSimplex } from '../../constraints/index.js';
import { FEATURES_PER_SLICE, parseScenario, scenarioLayout, type Scenario, type SlicingLayout } from '../../scenario/index.js';
import { InputError } from '../../util/index.js';

export const ALLOCATION_SOURCE_HELP = 'fixed:<a,b,...> (one share per slice), baseline:<static|proportional|demand>, checkpoint:<run-dir>, serve:<url> (POST <url>/v1/allocate)';

export interface AllocationSource {
  readonly id: string;
  /** The shares in force before the first observation. */
  readonly initialShares?: number[];
  /** The next allocation from the observation of the period that just ended. */
  next(observation: Float32Array, step: number): Promise<number[]>;
}

/** The mapping as a one-cell slicing scenario: what baselines and checkpoints need to know of it. */
export function mappingScenario(mapping: EnforceMapping, periodSeconds: number): Scenario {
  return parseScenario({
    name: 'enforce',
    cells: 1,
    stepSeconds: periodSeconds,
    slices: mapping.slices.map((s) => ({ name: s.name, type: s.type, phiTarget: s.phiTarget, delayTarget: s.delayTarget })),
  });
}

function parseFixed(spec: string, slices: number): number[] {
  const parts = spec.split(',').map((p) => p.trim());
  const shares = parts.map(Number);
  if (parts.some((p) => p === '') || shares.some((s) => !Number.isFinite(s))) throw new InputError('--alloc', `fixed:${spec}`, `fixed:<a,b,...> with ${slices} numbers`);
  return checkShares('--alloc fixed', shares, slices);
}

/** A policy's or a service's shares, made feasible by the constraint layer's projection (sum <= 1, >= 0). */
function feasible(shares: ArrayLike<number>): number[] {
  return Array.from(projectSimplex(shares, 1, false), (x) => Math.min(1, Math.max(0, x)));
}

export async function resolveAllocationSource(spec: string, mapping: EnforceMapping, periodSeconds: number): Promise<AllocationSource> {
  const S = mapping.slices.length;
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  const shape = [1, S, FEATURES_PER_SLICE];
  switch (kind) {
    case 'fixed': {
      const shares = parseFixed(arg, S);
      return { id: spec, initialShares: shares, next: () => Promise.resolve(shares) };
    }
    case 'baseline': {
      if (!(BASELINE_NAMES as readonly string[]).includes(arg) || arg === 'oracle') throw new InputError('--alloc', spec, 'baseline:<static|proportional|demand> (the oracle needs the synthetic env model)');
      const scenario = mappingScenario(mapping, periodSeconds);
      const policy = createBaseline(arg as BaselineName, scenario, null);
      const layout = scenarioLayout(scenario);
      return { id: spec, next: async (observation, step) => feasible(await policy.act({ data: observation, shape }, { layout, step })) };
    }
    case 'checkpoint': {
      if (arg === '') throw new InputError('--alloc', spec, 'checkpoint:<run-dir>');
      const scenario = mappingScenario(mapping, periodSeconds);
      const layout: SlicingLayout = scenarioLayout(scenario);
      // Loaded on demand: the agents (and TensorFlow.js) are only needed for this source.
      const { loadPolicyFromRun } = await import('../../agents/index.js');
      const policy = await loadPolicyFromRun(arg, { scenario: 'the enforce mapping', layout });
      return { id: spec, next: async (observation, step) => feasible(await policy.act({ data: observation, shape }, { layout, step })) };
    }
    case 'serve': {
      const client = new ServeAllocator(arg, Math.max(100, periodSeconds * 1000));
      return { id: spec, next: async (observation, step) => feasible(await client.allocate({ observation, shape })) };
    }
    default:
      throw new InputError('--alloc', spec, ALLOCATION_SOURCE_HELP);
  }
}
