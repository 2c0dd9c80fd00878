/**
 * The agent registry: agent id -> { description, create, load }. `ns3ts train --agent <id>`,
 * `ns3ts eval --policy checkpoint:<run-dir>` (through loadPolicyFromRun) and `ns3ts train --help`
 * read it.
 *
 * To add an agent: implement TrainableAgent and export an AgentEntry (both in
 * src/agents/agent.ts) from the agent's module, then add one line to the map below:
 *   'my-agent': myAgentEntry,   // import { myAgentEntry } from './my-agent/index.js';
 * `create(layout, scenario, options)` builds it for training; `load(runDir)` returns the trained
 * SlicingPolicy from the run's last checkpoint (see src/agents/checkpoint.ts and src/train/run.ts for the layout).
 * `accepts` declares the observation and action spaces it works in (docs/families.md):
 * checkAgentFits refuses a scenario outside them.
 */
import { checkAgentSpaces } from '../families/index.js';
import type { ScenarioBase } from '../scenario/index.js';
import { InputError } from '../util/index.js';
import type { AgentEntry } from './agent.js';
import { dqnEntry } from './dqn/index.js';
import { idlaAgentEntry } from './idla/index.js';
import { maddpgAdmmEntry, maddpgLagrangianEntry, maddpgRcpoEntry } from './maddpg/index.js';
import { ddpgEntry, td3Entry } from './td3/index.js';
import { ppoEntry } from './ppo/index.js';

export const agentRegistry: Readonly<Record<string, AgentEntry>> = {
  'maddpg-admm': maddpgAdmmEntry,
  'maddpg-lagrangian': maddpgLagrangianEntry,
  'maddpg-rcpo': maddpgRcpoEntry,
  ddpg: ddpgEntry,
  td3: td3Entry,
  idla: idlaAgentEntry,
  dqn: dqnEntry,
  ppo: ppoEntry,
};

/** Registered ids, in the order of the map (the default agent first). */
export function agentIds(): string[] {
  return Object.keys(agentRegistry);
}

export function getAgentEntry(id: string, field = '--agent'): AgentEntry {
  const entry = Object.prototype.hasOwnProperty.call(agentRegistry, id) ? agentRegistry[id] : undefined;
  if (!entry) throw new InputError(field, id, `one of ${agentIds().join(', ')}`);
  return entry;
}

/**
 * The entry of agent `id` if it accepts the spaces of the scenario's family; else one line naming
 * both (families/ SpaceMismatchError), e.g. "agent td3 acts in Box action spaces; scenario sfc-x
 * (family sfc) has a Discrete(15) action space". Train calls it before it writes or builds anything.
 */
export function checkAgentFits(id: string, scenario: ScenarioBase, field = '--agent'): AgentEntry {
  const entry = getAgentEntry(id, field);
  checkAgentSpaces(id, entry.accepts, scenario);
  return entry;
}
