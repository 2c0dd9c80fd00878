/**
 * The reward of SFC provisioning (docs/sfc.md#reward): six rules over what happened in one step.
 * The envs (synthetic and ns-3) count the events; this is the one place their weights live.
 */

/** What happened in one decision step. */
export interface SfcStepEvents {
  /** SFC requests placed within their latency budget this step. */
  accepted: number;
  /** Requests dropped this step (patience exhausted, or the pending queue full). */
  dropped: number;
  /** 1 when the step's action could not be carried out (no room to scale out, nothing idle to scale in). */
  invalid: number;
  /** 1 when the step uninstalled an instance of a type that pending requests were waiting for. */
  unnecessaryUninstall: number;
  /** Active SFCs whose end-to-end delay exceeded their budget for the first time this step. */
  slaViolations: number;
  /** Traffic carried / processing capacity installed, over every instance (0 with none installed). */
  efficiency: number;
}

/** The design's reward weights. */
export const SFC_REWARD = {
  satisfied: 2.0,
  dropped: -1.5,
  invalid: -1.0,
  unnecessaryUninstall: -0.5,
  efficiencyBonus: 0.3,
  slaViolation: -0.8,
} as const;

/** The step's reward: the sum of the six rules. */
export function sfcReward(events: SfcStepEvents, efficiencyThreshold: number): number {
  return (
    SFC_REWARD.satisfied * events.accepted +
    SFC_REWARD.dropped * events.dropped +
    SFC_REWARD.invalid * events.invalid +
    SFC_REWARD.unnecessaryUninstall * events.unnecessaryUninstall +
    (events.efficiency > efficiencyThreshold ? SFC_REWARD.efficiencyBonus : 0) +
    SFC_REWARD.slaViolation * events.slaViolations
  );
}
