/**
 * The ns-3 env of SFC scenarios (`env.kind: ns3`, docs/sfc.md#sfc-ns3). Loaded with a dynamic
 * import by the family so the synthetic path never loads the transport.
 *
 * The split: the orchestrator's bookkeeping (requests, arrivals, placements, patience, lifetimes,
 * the instances' CPU and memory) is the seeded model of synthetic/model.ts; the data plane is the
 * ns-3 program `sfc-ns3`. Every step the model plays the action and its bookkeeping
 * (SfcModel.beginStep), the deployment in force (instances on data centres, one flow per active
 * SFC through its instances at this step's rate) goes to ns-3 as the action, ns-3 simulates a
 * window of that traffic, and its measured delays and loads finish the step (SfcModel.endStep):
 * they set the SFCs' delays, the SLA violations, the efficiency and the observation.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Box, Discrete, FailFastOnExit, type Env, type GymSpace, type NdArray, type ResetOptions, type ResetResult, type Space, type StepResult } from '../../env/index.js';
import { SFC_ACTIONS } from '../../scenario/index.js';
import { InputError, Ns3tsError } from '../../util/index.js';
import type { SfcScenario } from './scenario.js';
import { SfcModel, sfcObservationSpace, type ActiveSfc, type SfcObservation, type VnfInstance } from './synthetic/index.js';

/** The ns-3 program of the family (ns3-patch/examples/sfc-ns3.cc). */
export const SFC_NS3_PROGRAM = 'sfc-ns3';
/** Flow slots of a deployment: active SFCs beyond them keep the model's delay (info.unsimulated). */
export const SFC_NS3_MAX_FLOWS = 128;
/** Simulated seconds of traffic per decision step (a sample of the 15-minute step). */
export const SFC_NS3_WINDOW_S = 0.05;
/** Links of a chain the program routes (SfcChainTag::kMaxHops). */
const MAX_HOPS = 4;

type Box1 = NdArray<Float32Array>;

/** Instance slots the program needs: every data centre full of the cheapest VNF (at most 255). */
export function sfcNs3MaxInstances(scenario: SfcScenario): number {
  const cheapest = Math.min(...scenario.sfc.vnfs.map((v) => v.cpuCores));
  const slots = scenario.sfc.dataCentres.reduce((s, dc) => s + Math.floor(dc.cpuCores / cheapest), 0);
  return Math.max(1, Math.min(255, slots));
}

/** The program's arguments for a scenario (names as in SfcNs3Config::AddToCommandLine). */
export function sfcNs3Args(scenario: SfcScenario): string[] {
  const s = scenario.sfc;
  return [
    `--dcBandwidth=${s.dataCentres.map((d) => d.bandwidthMbps).join(',')}`,
    `--interDcDelay=${s.interDcDelayMs}`,
    `--capacities=${s.vnfs.map((v) => v.capacityMbps).join(',')}`,
    `--processing=${s.vnfs.map((v) => v.processingMs).join(',')}`,
    `--maxInstances=${sfcNs3MaxInstances(scenario)}`,
    `--maxFlows=${SFC_NS3_MAX_FLOWS}`,
    `--window=${SFC_NS3_WINDOW_S}`,
    `--steps=${scenario.episodeSteps}`,
  ];
}

/** Opens a RemoteEnv on the sfc-ns3 program (remote/ is loaded here, on demand). */
async function openRemote(scenario: SfcScenario, seed: number, runDir: string | undefined, maxInstances: number): Promise<Env<Box1, Box1>> {
  const remote = await import('../../remote/index.js');
  const buildDir = remote.defaultNs3BuildDir();
  await remote.ensureNs3Build({ buildDir });
  const command = remote.resolveNs3Program(SFC_NS3_PROGRAM, buildDir);
  if (!existsSync(command)) throw new InputError('env.kind', 'ns3', `the program ${SFC_NS3_PROGRAM} built in ${join(buildDir, 'bin')} (run \`ns3ts build-ns3\`)`);
  const launcher = new remote.ProcessLauncher({
    command,
    name: SFC_NS3_PROGRAM,
    extraArgs: sfcNs3Args(scenario),
    ...(runDir === undefined ? {} : { logDir: runDir }),
  });
  const endpoint = remote.temporaryIpcEndpoint();
  const cleanup = (): void => rmSync(dirname(endpoint.slice('ipc://'.length)), { recursive: true, force: true });
  const observationSize = SFC_NS3_MAX_FLOWS * 2 + maxInstances * 2;
  const actionSize = maxInstances * 2 + SFC_NS3_MAX_FLOWS * (1 + MAX_HOPS);
  try {
    const env = await remote.RemoteEnv.listen<Box1, Box1>({
      endpoint,
      // The simulator is a child process: the addon's socket (when built) serves it fastest.
      transport: 'auto',
      launcher,
      seed,
      // Known before the first reset; a simulator declaring other spaces is refused.
      observationSpace: new Box({ dtype: 'float32', shape: [observationSize], low: 0, high: Number.POSITIVE_INFINITY }) as unknown as GymSpace<Box1>,
      actionSpace: new Box({ dtype: 'float32', shape: [actionSize], low: 0, high: Number.POSITIVE_INFINITY }) as unknown as GymSpace<Box1>,
    });
    return new FailFastOnExit(env, remote.launcherExitSignal(launcher), env.index, { afterClose: cleanup });
  } catch (err) {
    await launcher.close();
    cleanup();
    throw new Ns3tsError(`scenario ${scenario.name}: cannot start the ns-3 env: ${(err as Error).message}`);
  }
}

export class Ns3SfcEnv implements Env<SfcObservation, number> {
  readonly observationSpace: Space<SfcObservation>;
  readonly actionSpace = new Discrete(SFC_ACTIONS);
  readonly model: SfcModel;
  readonly maxInstances: number;
  /** Instance slot of every installed instance (stable while it lives: its application persists in ns-3). */
  private slots = new Map<VnfInstance, number>();
  private seed: number;
  private episodes = 0;
  private needsReset = true;

  private constructor(
    readonly scenario: SfcScenario,
    seed: number,
    private readonly remote: Env<Box1, Box1>,
    maxInstances: number,
  ) {
    this.seed = seed;
    this.maxInstances = maxInstances;
    this.model = new SfcModel(scenario.sfc, seed);
    this.observationSpace = sfcObservationSpace(this.model.layout.size) as unknown as Space<SfcObservation>;
  }

  static async create(scenario: SfcScenario, options: { seed: number; runDir?: string }): Promise<Ns3SfcEnv> {
    const maxInstances = sfcNs3MaxInstances(scenario);
    const remote = await openRemote(scenario, options.seed, options.runDir, maxInstances);
    return new Ns3SfcEnv(scenario, options.seed, remote, maxInstances);
  }

  private obs(): SfcObservation {
    return { data: this.model.observe(), shape: [this.model.layout.size] };
  }

  /** Resets with `seed` (model and simulator); without one, the next of the env's sequence. */
  async reset(options: ResetOptions = {}): Promise<ResetResult<SfcObservation>> {
    const seed = options.seed ?? this.seed + this.episodes;
    if (options.seed !== undefined) this.seed = options.seed;
    this.episodes = options.seed !== undefined ? 1 : this.episodes + 1;
    this.model.reset(seed);
    this.slots.clear();
    const simulator = await this.remote.reset({ seed });
    this.needsReset = false;
    return { obs: this.obs(), info: { seed, simProcessId: simulator.info.simProcessId } };
  }

  /** The deployment in force as the program's action (layout in ns3-patch/model/sfc-gym-env.h). */
  private deployment(): { action: Box1; flows: ActiveSfc[] } {
    const I = this.maxInstances;
    const data = new Float32Array(I * 2 + SFC_NS3_MAX_FLOWS * (1 + MAX_HOPS));
    const live = new Set(this.model.instances);
    for (const instance of [...this.slots.keys()]) if (!live.has(instance)) this.slots.delete(instance);
    const used = new Set(this.slots.values());
    let free = 0;
    for (const instance of this.model.instances) {
      if (this.slots.has(instance)) continue;
      while (used.has(free)) free++;
      if (free >= I) throw new Ns3tsError(`scenario ${this.scenario.name}: more than ${I} VNF instances for the ns-3 deployment`);
      this.slots.set(instance, free);
      used.add(free);
    }
    for (const [instance, slot] of this.slots) {
      data[slot * 2] = instance.type + 1;
      data[slot * 2 + 1] = instance.dc;
    }
    const flows = this.model.active.slice(0, SFC_NS3_MAX_FLOWS);
    flows.forEach((sfc, f) => {
      const o = I * 2 + f * (1 + MAX_HOPS);
      data[o] = sfc.currentMbps;
      sfc.instances.forEach((instance, k) => (data[o + 1 + k] = this.slots.get(instance)! + 1));
    });
    return { action: { data, shape: [data.length] }, flows };
  }

  async step(action: number): Promise<StepResult<SfcObservation>> {
    if (this.needsReset) throw new InputError('step', 'before reset', 'reset() first (and after every episode end)');
    if (!this.actionSpace.contains(action)) throw new InputError('action', action, `an integer in [0, ${SFC_ACTIONS - 1}] (VNF type × 3 + operation)`);
    const events = this.model.beginStep(action);
    const { action: deployment, flows } = this.deployment();
    const result = await this.remote.step(deployment);
    const measured = result.obs.data;
    const F = SFC_NS3_MAX_FLOWS;
    const delaysMs = new Map<ActiveSfc, number>();
    let unmeasured = 0;
    flows.forEach((sfc, f) => {
      // A flow with no packet delivered in the window (a very low rate) keeps the model's delay.
      if (measured[f * 2 + 1]! > 0) delaysMs.set(sfc, measured[f * 2]!);
      else unmeasured++;
    });
    const loads = new Map<VnfInstance, number>();
    for (const [instance, slot] of this.slots) loads.set(instance, measured[F * 2 + slot * 2]!);
    const info = this.model.endStep(events, { loads, delaysMs });
    const simulatorEnded = result.truncated && result.info.reason !== 'SimulationEnd';
    const truncated = this.model.step >= this.scenario.episodeSteps || result.terminated || result.truncated;
    if (truncated) this.needsReset = true;
    return {
      obs: this.obs(),
      reward: info.reward,
      terminated: false,
      truncated,
      info: {
        ...info,
        measuredDelays: delaysMs.size,
        unmeasured,
        unsimulated: this.model.active.length - flows.length,
        ns3: result.info,
        ...(simulatorEnded ? { reason: result.info.reason } : {}),
      },
    };
  }

  close(): Promise<void> {
    return this.remote.close();
  }
}

export function createSfcNs3Env(scenario: SfcScenario, options: { seed: number; runDir?: string }): Promise<Env<SfcObservation, number>> {
  return Ns3SfcEnv.create(scenario, options);
}
