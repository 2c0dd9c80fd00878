// MADDPG + ADMM and its constrained variants: registry entries.
import { SLICING_SPACES, type AgentEntry, type AgentScenario } from '../agent.js';
import { arraysWithPrefix, readCheckpoint } from '../checkpoint.js';
import type { SlicingLayout } from '../../families/index.js';
import { MaddpgAgent, admmPolicyFromState, type MaddpgVariant } from './agent.js';

export { MaddpgAgent, MADDPG_DEFAULTS, MADDPG_VARIANT_DEFAULTS, admmPolicyFromState, type MaddpgSettings, type MaddpgVariant } from './agent.js';
export { AdmmPolicy, actorInputs } from './policy.js';

async function loadAdmmPolicy(runDir: string) {
  const ckpt = readCheckpoint(runDir);
  const meta = ckpt.meta as { layout: SlicingLayout; scenario: AgentScenario; agent: Record<string, unknown> };
  return admmPolicyFromState(meta.layout, meta.scenario, { meta: meta.agent, arrays: arraysWithPrefix(ckpt.arrays, 'agent') });
}

function entry(variant: MaddpgVariant, description: string): AgentEntry {
  return {
    description,
    accepts: SLICING_SPACES,
    create: (layout, scenario, options) => new MaddpgAgent(variant, layout, scenario, options),
    load: loadAdmmPolicy,
  };
}

export const maddpgAdmmEntry = entry(
  'admm',
  'MADDPG, one agent per slice type (shared across cells), ADMM-coordinated shares (feasible by construction) [default]',
);
export const maddpgLagrangianEntry = entry(
  'lagrangian',
  'MADDPG+ADMM with dual ascent on the scenario\'s statistical QoS constraints (reward and cost critics)',
);
export const maddpgRcpoEntry = entry('rcpo', 'MADDPG+ADMM, RCPO: penalized-reward critic, slowest-timescale multiplier');
