import { InputError, Ns3tsError } from '../util/index.js';
import { GymServer, type GymServerOptions } from '../server/index.js';
import { RemoteEnv } from './remote-env.js';
import { stepWithAutoreset, vectorResetPlan, type AutoresetMode, type GymSpace, type Info, type SimulatorLauncher, type StepResult, type VectorEnv, type VectorResetResult, type VectorStepResult } from '../env/index.js';

export interface RemoteVectorEnvOptions<O = unknown, A = unknown> {
  /** A ROUTER-mode server: every simulator connects to its one endpoint. */
  server: GymServer;
  numEnvs: number;
  /** Starts simulator i for env i (the server matches it by pid). Without it, envs claim simulators as they connect. */
  launcher?: SimulatorLauncher;
  /** Gymnasium's autoreset mode (default 'next-step', Gymnasium's default). */
  autoresetMode?: AutoresetMode;
  /** Base seed when reset() gets none: env i uses seed + i (default 0). */
  seed?: number;
  maxEpisodeSteps?: number;
  initTimeoutMs?: number;
  stepTimeoutMs?: number;
  softReset?: boolean;
  observationSpace?: GymSpace<O>;
  actionSpace?: GymSpace<A>;
  ownsServer?: boolean;
}

/**
 * N simulators on one ROUTER endpoint served as one Gymnasium vector env. Each env is a RemoteEnv
 * over its own session; steps run concurrently, so one slow simulator does not serialise the
 * others. A protocol error or a dead simulator truncates only its env (info.reason says why).
 *
 * Autoreset: 'next-step' (default): the step after an episode ended resets that env and returns
 * its first obs with reward 0 and both flags false (its action is ignored). 'same-step': the
 * reset happens in the same step; the returned obs is the new episode's, the last one is in
 * info.final_obs / info.final_info. 'disabled': call reset({ options: { resetMask } }).
 */
export class RemoteVectorEnv<O = unknown, A = unknown> implements VectorEnv<O, A> {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly envs: readonly RemoteEnv<O, A>[];
  readonly server: GymServer;
  private readonly ownsServer: boolean;
  private readonly launcher: SimulatorLauncher | null;
  private readonly needsReset: boolean[];
  private closed = false;

  constructor(options: RemoteVectorEnvOptions<O, A>) {
    if (!Number.isInteger(options.numEnvs) || options.numEnvs < 1) throw new InputError('numEnvs', options.numEnvs, 'a positive integer');
    if (options.numEnvs > 1 && options.server.mode !== 'router') {
      throw new InputError('server.mode', options.server.mode, "'router' (a REP server serves one simulator at a time)");
    }
    const mode = options.autoresetMode ?? 'next-step';
    if (!['next-step', 'same-step', 'disabled'].includes(mode)) throw new InputError('autoresetMode', mode, "'next-step', 'same-step' or 'disabled'");
    this.numEnvs = options.numEnvs;
    this.autoresetMode = mode;
    this.server = options.server;
    this.ownsServer = options.ownsServer ?? false;
    this.launcher = options.launcher ?? null;
    const base = options.seed ?? 0;
    this.envs = Array.from(
      { length: this.numEnvs },
      (_, i) =>
        new RemoteEnv<O, A>({
          server: options.server,
          ...(options.launcher ? { launcher: options.launcher } : {}),
          index: i,
          seed: base + i,
          ...(options.maxEpisodeSteps !== undefined ? { maxEpisodeSteps: options.maxEpisodeSteps } : {}),
          ...(options.initTimeoutMs !== undefined ? { initTimeoutMs: options.initTimeoutMs } : {}),
          ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
          ...(options.softReset !== undefined ? { softReset: options.softReset } : {}),
          ...(options.observationSpace ? { observationSpace: options.observationSpace } : {}),
          ...(options.actionSpace ? { actionSpace: options.actionSpace } : {}),
          onProtocolError: 'truncate',
        }),
    );
    this.needsReset = new Array<boolean>(this.numEnvs).fill(false);
  }

  /** Creates a ROUTER server on `endpoint`, binds it, and returns a vector env that owns it. */
  static async listen<O = unknown, A = unknown>(
    options: Omit<RemoteVectorEnvOptions<O, A>, 'server' | 'ownsServer'> & Omit<GymServerOptions, 'mode'>,
  ): Promise<RemoteVectorEnv<O, A>> {
    const server = new GymServer({ ...options, mode: 'router' });
    await server.listen();
    return new RemoteVectorEnv<O, A>({ ...options, server, ownsServer: true });
  }

  get singleObservationSpace(): GymSpace<O> {
    return this.envs[0]!.observationSpace;
  }

  get singleActionSpace(): GymSpace<A> {
    return this.envs[0]!.actionSpace;
  }

  async reset(options: { seed?: number | number[]; options?: Record<string, unknown> } = {}): Promise<VectorResetResult<O>> {
    if (this.closed) throw new Ns3tsError('reset() on a closed vector env');
    const plan = vectorResetPlan(this.numEnvs, options);
    const results = await Promise.all(
      this.envs.map(async (env, i) => {
        const reset = plan[i];
        if (!reset) return null;
        this.needsReset[i] = false;
        return env.reset(reset);
      }),
    );
    return {
      obs: results.map((r) => (r ? r.obs : (undefined as O))),
      info: results.map((r) => (r ? r.info : {})),
    };
  }

  async step(actions: A[]): Promise<VectorStepResult<O>> {
    if (this.closed) throw new Ns3tsError('step() on a closed vector env');
    if (!Array.isArray(actions) || actions.length !== this.numEnvs) {
      throw new InputError('actions', actions, `an array of ${this.numEnvs} actions`);
    }
    const results = await Promise.all(this.envs.map((env, i) => this.stepOne(env, i, actions[i]!)));
    const reward = new Float64Array(this.numEnvs);
    results.forEach((r, i) => (reward[i] = r.reward));
    return {
      obs: results.map((r) => r.obs),
      reward,
      terminated: results.map((r) => r.terminated),
      truncated: results.map((r) => r.truncated),
      info: results.map((r) => r.info),
    };
  }

  private stepOne(env: RemoteEnv<O, A>, i: number, action: A): Promise<StepResult<O>> {
    return stepWithAutoreset(env, i, action, this.autoresetMode, this.needsReset);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.envs.map((e) => e.close()));
    if (this.launcher) await this.launcher.close();
    if (this.ownsServer) await this.server.close();
  }

}
