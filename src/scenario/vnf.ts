/**
 * The VNF-migration vocabulary as plain data: the tiers of an edge–fog–cloud network, the resolved
 * `vnf:` section of a scenario of family `vnf-migration` and its defaults. The rules over it (power
 * model, migrations, demand, masks, reward) live in src/families/vnf/; docs/vnf-migration.md has
 * the equations and where each default comes from.
 */
export const VNF_TIERS = ['edge', 'fog', 'cloud'] as const;
export type VnfTier = (typeof VNF_TIERS)[number];

/** One tier's nodes: how many, their CPU capacity and their power model (LEAF-style linear). */
export interface VnfTierSpec {
  count: number;
  /** CPU capacity of one node, in CPU units (cores). */
  capacity: number;
  /** Power at zero utilisation while switched on, W. */
  idleWatts: number;
  /** Power at full utilisation, W (P(u) = idle + (max − idle)·u). */
  maxWatts: number;
  /** Power of a node that hosts nothing when `sleepEmptyNodes` is on, W (= idleWatts: it never sleeps). */
  sleepWatts: number;
}

/** A link class of the tree topology (edge→fog, fog→cloud). */
export interface VnfLinkSpec {
  bandwidthMbps: number;
  latencyMs: number;
  /** Transfer energy, nJ per bit (LEAF's network energy model). */
  energyNjPerBit: number;
}

/** The seeded per-site demand model (used when `trace` is absent). */
export interface VnfDemandSpec {
  /** Mean CPU demand of a VNF, drawn uniformly in [min, max] per VNF. */
  baseMin: number;
  baseMax: number;
  /** Daily profile: demand × (1 + amplitude·sin(2π(t/stepsPerDay − phase))), phase drawn per site. */
  amplitude: number;
  /** Probability per step and site that a burst starts. */
  burstProbability: number;
  /** A burst multiplies the site's demand by (1 + burstScale) for burstSteps steps. */
  burstScale: number;
  burstSteps: number;
  /** Relative Gaussian noise per VNF and step. */
  noise: number;
}

/** The resolved `vnf:` section. */
export interface VnfSection {
  tiers: Record<VnfTier, VnfTierSpec>;
  links: { edgeFog: VnfLinkSpec; fogCloud: VnfLinkSpec };
  vnfs: number;
  /** State size of a VNF, MB, drawn uniformly in [min, max] per VNF. */
  stateMbMin: number;
  stateMbMax: number;
  /** Simulated seconds per step. */
  stepSeconds: number;
  /** Steps per simulated day (the daily profile's period, the seasonal forecast's lag). */
  stepsPerDay: number;
  /** Migrations the action may ask for per step (K of the factorisation). */
  migrationsPerStep: number;
  /** Weight of the variance of node utilisation in the cost (λ). */
  lambda: number;
  /** Cost of one migration, kWh-equivalent. */
  migrationCost: number;
  /** Cost of one second of VNF downtime, kWh-equivalent. */
  downtimeCost: number;
  /** Cost of one CPU unit of demand a node could not serve for one step, kWh-equivalent. */
  overloadCost: number;
  /** Whether an empty node drops to its sleepWatts. */
  sleepEmptyNodes: boolean;
  demand: VnfDemandSpec;
  /** A CSV of demand (one column per VNF, one row per step, CPU units) instead of the seeded model. */
  trace: string | null;
  /** Past steps the forecaster sees. */
  window: number;
  /** Days of demand before the episode (the predictor's training history and the seasonal lag). */
  historyDays: number;
  /** Seed offset of the physical instance against the twin's own demand draws. */
  physicalSeedOffset: number;
}

export const DEFAULT_VNF_TIERS: Record<VnfTier, VnfTierSpec> = {
  edge: { count: 6, capacity: 8, idleWatts: 30, maxWatts: 80, sleepWatts: 5 },
  fog: { count: 3, capacity: 24, idleWatts: 100, maxWatts: 250, sleepWatts: 15 },
  cloud: { count: 1, capacity: 64, idleWatts: 400, maxWatts: 1000, sleepWatts: 400 },
};

export const DEFAULT_VNF_LINKS: VnfSection['links'] = {
  edgeFog: { bandwidthMbps: 1000, latencyMs: 2, energyNjPerBit: 20 },
  fogCloud: { bandwidthMbps: 10000, latencyMs: 20, energyNjPerBit: 10 },
};

export const DEFAULT_VNF_DEMAND: VnfDemandSpec = {
  baseMin: 0.4,
  baseMax: 1.6,
  amplitude: 0.5,
  burstProbability: 0.02,
  burstScale: 0.8,
  burstSteps: 4,
  noise: 0.08,
};

export const DEFAULT_VNF_SECTION: VnfSection = {
  tiers: DEFAULT_VNF_TIERS,
  links: DEFAULT_VNF_LINKS,
  vnfs: 40,
  stateMbMin: 50,
  stateMbMax: 500,
  stepSeconds: 900,
  stepsPerDay: 96,
  migrationsPerStep: 2,
  lambda: 2,
  migrationCost: 0.002,
  downtimeCost: 0.0005,
  overloadCost: 0.05,
  sleepEmptyNodes: true,
  demand: DEFAULT_VNF_DEMAND,
  trace: null,
  window: 12,
  historyDays: 3,
  physicalSeedOffset: 1000,
};
