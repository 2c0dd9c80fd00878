// DDPG and TD3 (per-cell agents with a projection output): registry entries.
import type { SlicingLayout } from '../../families/index.js';
import { SLICING_SPACES, type AgentEntry, type AgentScenario } from '../agent.js';
import { arraysWithPrefix, readCheckpoint } from '../checkpoint.js';
import { CellAgent, cellPolicyFromState, type CellAgentKind } from './agent.js';

export { CellAgent, CellActorPolicy, cellPolicyFromState, TD3_DEFAULTS, DDPG_DEFAULTS, type Td3Settings, type CellAgentKind } from './agent.js';

async function loadCellPolicy(runDir: string) {
  const ckpt = readCheckpoint(runDir);
  const meta = ckpt.meta as { layout: SlicingLayout; scenario: AgentScenario; agent: Record<string, unknown> };
  return cellPolicyFromState(meta.layout, meta.scenario, { meta: meta.agent, arrays: arraysWithPrefix(ckpt.arrays, 'agent') });
}

function entry(kind: CellAgentKind, description: string): AgentEntry {
  return { description, accepts: SLICING_SPACES, create: (layout, scenario, options) => new CellAgent(kind, layout, scenario, options), load: loadCellPolicy };
}

export const td3Entry = entry('td3', 'TD3, one agent per cell over all its slices, projection output, reward = min QoS over the cell (IDLA baseline)');
export const ddpgEntry = entry('ddpg', 'DDPG, one agent per cell over all its slices, projection output, reward = the cell\'s utility');
