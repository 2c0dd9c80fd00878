/**
 * The baselines of SFC provisioning (docs/sfc.md#baselines). Each reads only the observation (the
 * VNF-type tokens of part 1), so it plays the synthetic and the ns-3 env alike.
 *
 *   threshold   the classic autoscaler: scale out the most loaded type above 80% utilisation,
 *               scale in the least loaded one below 30% (keeping one instance per type)
 *   greedy      latency-first: scale out the type with the longest queueing delay whenever its
 *               load passes 50%; never scales in
 *   static      provisions a fixed number of instances per type, sized for the mean demand, in
 *               the first steps and then waits
 */
import { SFC_NORMALISATION, VNF_TYPES, encodeSfcAction } from '../../scenario/index.js';
import type { FamilyBaseline, FamilyPolicy } from '../family.js';
import { sfcObservationLayout, type SfcObservationLayout } from './observation.js';
import type { SfcScenario, SfcSection } from './scenario.js';
import { processingDelayMs, typeWeights, type SfcObservation } from './synthetic/index.js';

/** What the baselines read of one VNF type from an observation. */
export interface TypeView {
  instances: number;
  idle: number;
  load: number;
  pendingDemand: number;
}

/** The VNF-type tokens of an observation. */
export function typeViews(layout: SfcObservationLayout, obs: Float32Array): TypeView[] {
  return VNF_TYPES.map((_, t) => {
    const o = layout.resources.offset + (layout.dataCentres + t) * layout.tokenWidth;
    return {
      instances: Math.round(obs[o]! * SFC_NORMALISATION.instances),
      idle: Math.round(obs[o + 1]! * SFC_NORMALISATION.instances),
      load: obs[o + 2]!,
      pendingDemand: obs[o + 3]!,
    };
  });
}

const WAIT = encodeSfcAction(0, 'wait');

function layoutOf(scenario: SfcScenario): SfcObservationLayout {
  return sfcObservationLayout(scenario.sfc.dataCentres.length, scenario.sfc.maxActive, scenario.sfc.maxPending);
}

/** The threshold autoscaler: out above `high` utilisation, in below `low`. */
export function thresholdPolicy(scenario: SfcScenario, high = 0.8, low = 0.3): FamilyPolicy<SfcObservation, number> {
  const layout = layoutOf(scenario);
  return {
    id: 'baseline:threshold',
    act: (obs) => {
      const views = typeViews(layout, obs.data);
      let hot = -1;
      for (let t = 0; t < views.length; t++) if (views[t]!.load > high && (hot < 0 || views[t]!.load > views[hot]!.load)) hot = t;
      if (hot >= 0) return encodeSfcAction(hot, 'allocate');
      let cold = -1;
      for (let t = 0; t < views.length; t++) {
        const v = views[t]!;
        if (v.load < low && v.idle > 0 && v.instances > 1 && (cold < 0 || v.load < views[cold]!.load)) cold = t;
      }
      return cold >= 0 ? encodeSfcAction(cold, 'uninstall') : WAIT;
    },
  };
}

/** Greedy latency-first: scale out the type whose instances queue longest once it passes `minLoad`. */
export function greedyLatencyPolicy(scenario: SfcScenario, minLoad = 0.5): FamilyPolicy<SfcObservation, number> {
  const layout = layoutOf(scenario);
  return {
    id: 'baseline:greedy',
    act: (obs) => {
      const views = typeViews(layout, obs.data);
      let worst = -1;
      let worstDelay = -Infinity;
      views.forEach((v, t) => {
        if (v.load <= minLoad && v.instances > 0) return;
        const delay = v.instances === 0 ? Infinity : processingDelayMs(scenario.sfc.vnfs[t]!.processingMs, v.load);
        if (delay > worstDelay) {
          worst = t;
          worstDelay = delay;
        }
      });
      return worst >= 0 ? encodeSfcAction(worst, 'allocate') : WAIT;
    },
  };
}

/**
 * Instances per type a static provisioning installs: the type's mean offered traffic (arrival
 * rate × mean lifetime × mean bandwidth × the type's share of chain links over the day) over 70%
 * of one instance's capacity, at least one.
 */
export function staticInstanceTargets(section: SfcSection): number[] {
  const r = section.requests;
  const mean = ([lo, hi]: [number, number]): number => (lo + hi) / 2;
  const hours = Array.from({ length: 24 }, (_, h) => typeWeights(h));
  const weights = VNF_TYPES.map((_, t) => hours.reduce((s, w) => s + w[t]! / w.reduce((a, b) => a + b, 0), 0) / 24);
  const links = mean(r.chainLength);
  return section.vnfs.map((vnf, t) => {
    const offered = section.arrivals.meanPerStep * mean(r.lifetimeSteps) * mean(r.bandwidthMbps) * Math.min(1, links * weights[t]!);
    return Math.max(1, Math.ceil(offered / (0.7 * vnf.capacityMbps)));
  });
}

/** Static provisioning: scale out to the static targets (a bounded number of tries per type), then wait. */
export function staticPolicy(scenario: SfcScenario): FamilyPolicy<SfcObservation, number> {
  const layout = layoutOf(scenario);
  const targets = staticInstanceTargets(scenario.sfc);
  const tries = targets.map(() => 0);
  return {
    id: 'baseline:static',
    reset: () => tries.fill(0),
    act: (obs) => {
      const views = typeViews(layout, obs.data);
      for (let t = 0; t < views.length; t++) {
        // A type that cannot grow (no room left) is not tried for ever.
        if (views[t]!.instances < targets[t]! && tries[t]! < targets[t]!) {
          tries[t]! += 1;
          return encodeSfcAction(t, 'allocate');
        }
      }
      return WAIT;
    },
  };
}

export const SFC_BASELINES: Readonly<Record<string, FamilyBaseline<SfcScenario, SfcObservation, number>>> = {
  threshold: { description: 'autoscaler: scale out above 80% utilisation, in below 30%', create: (_env, scenario) => thresholdPolicy(scenario) },
  greedy: { description: 'latency-first: scale out the type with the longest queueing delay, never in', create: (_env, scenario) => greedyLatencyPolicy(scenario) },
  static: { description: 'a fixed provisioning sized for the mean demand', create: (_env, scenario) => staticPolicy(scenario) },
};
