import { readCheckpoint } from './checkpoint.js';
import type { SlicingPolicy } from './policy.js';
import { getAgentEntry } from './registry.js';

/**
 * The trained policy of a run directory (`ns3ts train` output): reads the agent id from the
 * run's checkpoint and dispatches to that agent's registry `load`.
 */
export async function loadPolicyFromRun(runDir: string): Promise<SlicingPolicy> {
  const ckpt = readCheckpoint(runDir);
  const id = ckpt.meta.agentId;
  if (typeof id !== 'string') throw new Error(`${runDir}: the checkpoint does not name its agent`);
  return getAgentEntry(id, `${runDir} agent`).load(runDir);
}
