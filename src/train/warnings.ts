/**
 * Runs that would train without learning anything: checked once the agent's settings are
 * resolved, printed as warnings at the start and kept in config.json and summary.json, so a run
 * that did 0 updates never reads as a success.
 */
import type { Scenario } from '../scenario/index.js';

/** Agents whose learning is driven by the scenario's `constraints` (multipliers, cost critics). */
const CONSTRAINED_AGENTS: ReadonlySet<string> = new Set(['maddpg-lagrangian', 'maddpg-rcpo']);

export interface RunPlan {
  agentId: string;
  /** The agent's resolved settings (TrainableAgent.settings()). */
  settings: Record<string, unknown>;
  scenario: Scenario;
  episodes: number;
}

/** The warnings of a planned run (empty when nothing is wrong). */
export function runWarnings(plan: RunPlan): string[] {
  const { agentId, settings, scenario, episodes } = plan;
  const budget = episodes * scenario.episodeSteps;
  const budgetText = `${episodes} episodes × ${scenario.episodeSteps} steps = ${budget} env steps`;
  const warnings: string[] = [];
  const warmup = settings.warmupSteps;
  if (typeof warmup === 'number' && budget < warmup) {
    warnings.push(
      `${agentId}: the budget (${budgetText}) ends inside the warm-up (warmupSteps ${warmup}): 0 updates, ` +
        `the checkpoint is the untrained policy; train for more than ${Math.ceil(warmup / scenario.episodeSteps)} episodes or lower agent.warmupSteps`,
    );
  }
  const collect = settings.collectSteps;
  if (typeof collect === 'number' && budget < collect) {
    warnings.push(
      `${agentId}: the budget (${budgetText}) ends before sample collection does (collectSteps ${collect}): ` +
        `the estimator is never fitted and the checkpoint cannot be evaluated; train for at least ${Math.ceil(collect / scenario.episodeSteps)} episodes or lower agent.collectSteps`,
    );
  }
  if (CONSTRAINED_AGENTS.has(agentId) && scenario.constraints.length === 0) {
    warnings.push(`${agentId}: scenario ${scenario.name} has no constraints, so the constrained agent has nothing to enforce; add constraints or use maddpg-admm`);
  }
  return warnings;
}
