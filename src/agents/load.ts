import type { SlicingLayout } from '../scenario/index.js';
import { InputError } from '../util/index.js';
import { readCheckpoint } from './checkpoint.js';
import type { SlicingPolicy } from './policy.js';
import { getAgentEntry } from './registry.js';

/**
 * The trained policy of a run directory (`ns3ts train` output): reads the agent id from the
 * run's checkpoint and dispatches to that agent's registry `load`.
 */
export async function loadPolicyFromRun(runDir: string, target?: PolicyTarget): Promise<SlicingPolicy> {
  const ckpt = readCheckpoint(runDir);
  const id = ckpt.meta.agentId;
  if (typeof id !== 'string') throw new Error(`${runDir}: the checkpoint does not name its agent`);
  if (target) checkLayout(runDir, ckpt.meta, target);
  return getAgentEntry(id, `${runDir} agent`).load(runDir);
}

/** The scenario a loaded policy is going to play (its layout must be the one it was trained on). */
export interface PolicyTarget {
  scenario: string;
  layout: SlicingLayout;
}

/** "2 cells × 3 slices (embb, urllc, mmtc)" */
export function describeLayout(layout: Pick<SlicingLayout, 'cells' | 'slices'>): string {
  return `${layout.cells} cells × ${layout.slices.length} slices (${layout.slices.map((s) => s.name).join(', ')})`;
}

/** Refuses a checkpoint trained on another layout, naming both layouts and the training scenario. */
function checkLayout(runDir: string, meta: Record<string, unknown>, target: PolicyTarget): void {
  const trained = meta.layout as SlicingLayout | undefined;
  if (!trained || !Array.isArray(trained.slices)) return; // older checkpoints: the policy's own checks apply
  const same = trained.cells === target.layout.cells && trained.slices.map((s) => s.name).join() === target.layout.slices.map((s) => s.name).join();
  if (same) return;
  const trainedOn = (meta.scenario as { name?: unknown } | undefined)?.name;
  throw new InputError(
    `checkpoint:${runDir}`,
    `trained on ${typeof trainedOn === 'string' ? `scenario ${trainedOn}` : 'another scenario'} with ${describeLayout(trained)}`,
    `a checkpoint for scenario ${target.scenario}'s layout, ${describeLayout(target.layout)} (evaluate it on ${typeof trainedOn === 'string' ? trainedOn : 'its training scenario'})`,
  );
}
