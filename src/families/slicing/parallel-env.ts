import { InputError, Ns3tsError } from '../../util/index.js';
import { Box, type Env, type Info, type NdArray, type ParallelEnv, type ParallelStepResult, type ResetOptions, type Space } from '../../env/index.js';
import { FEATURES_PER_SLICE, qosFromObservation, sliceUtility, type SlicingLayout } from './slicing.js';

/**
 * The per-slice multi-agent view of a slicing env (layout in slicing.ts): one agent per slice.
 * Agent `s` observes its rows of every cell (Box float32 [cells, FEATURES_PER_SLICE]) and acts
 * with its share in every cell (Box float32 [cells], in [0, 1]); the joint action is assembled
 * into the env's [cells, slices] Box. Its reward is its own utility, sum over active cells of
 * log(r + 1); infos[agent].teamReward carries the env's reward.
 */
export class SlicingParallelEnv implements ParallelEnv<NdArray, NdArray> {
  private names: string[];
  private cells = 0;
  private slices = 0;
  private live: string[] = [];
  private readonly obsSpaces = new Map<string, Box>();
  private readonly actSpaces = new Map<string, Box>();

  constructor(
    private readonly env: Env<NdArray, NdArray>,
    /** Slice names (and cell count) when known up front; else info.slices of the first reset, else slice0.. */
    layout?: Pick<SlicingLayout, 'slices'> & Partial<SlicingLayout>,
  ) {
    this.names = layout ? layout.slices.map((s) => s.name) : [];
  }

  get possibleAgents(): readonly string[] {
    return this.names;
  }

  get agents(): readonly string[] {
    return this.live;
  }

  observationSpace(agent: string): Box {
    const space = this.obsSpaces.get(agent);
    if (!space) throw new InputError('agent', agent, `one of ${this.names.join(', ') || '(none before reset)'}`);
    return space;
  }

  actionSpace(agent: string): Box {
    const space = this.actSpaces.get(agent);
    if (!space) throw new InputError('agent', agent, `one of ${this.names.join(', ') || '(none before reset)'}`);
    return space;
  }

  async reset(options?: ResetOptions): Promise<{ obs: Record<string, NdArray>; infos: Record<string, Info> }> {
    const { obs, info } = await this.env.reset(options);
    this.learnLayout(info);
    this.live = [...this.names];
    return { obs: this.split(obs), infos: this.each(() => ({ ...info })) };
  }

  async step(actions: Record<string, NdArray>): Promise<ParallelStepResult<NdArray>> {
    if (this.live.length === 0) throw new Ns3tsError('step() needs an episode in progress: call reset() first');
    const joint = new Float32Array(this.cells * this.slices);
    this.names.forEach((name, s) => {
      const a = actions[name];
      if (!a || a.data.length !== this.cells) throw new InputError(`actions.${name}`, a, `an NdArray of ${this.cells} shares (one per cell)`);
      for (let c = 0; c < this.cells; c++) joint[c * this.slices + s] = Number(a.data[c]);
    });
    const result = await this.env.step({ data: joint, shape: [this.cells, this.slices] });
    const data = result.obs.data as Float32Array | Float64Array;
    const qos = qosFromObservation(data, this.cells, this.slices);
    const rewards: Record<string, number> = {};
    this.names.forEach((name, s) => {
      let total = 0;
      for (let c = 0; c < this.cells; c++) {
        const r = qos[c * this.slices + s]!;
        if (!Number.isNaN(r)) total += sliceUtility(r);
      }
      rewards[name] = total;
    });
    const done = result.terminated || result.truncated;
    const out: ParallelStepResult<NdArray> = {
      obs: this.split(result.obs),
      rewards,
      terminations: this.each(() => result.terminated),
      truncations: this.each(() => result.truncated),
      infos: this.each(() => ({ ...result.info, teamReward: result.reward })),
    };
    if (done) this.live = [];
    return out;
  }

  close(): Promise<void> {
    return this.env.close();
  }

  private learnLayout(info: Info): void {
    const space = this.env.observationSpace as unknown as Box;
    const shape = space.shape;
    if (!shape || shape.length !== 3 || shape[2] !== FEATURES_PER_SLICE) {
      throw new InputError('observationSpace.shape', shape, `[cells, slices, ${FEATURES_PER_SLICE}] (the slicing layout)`);
    }
    this.cells = shape[0]!;
    this.slices = shape[1]!;
    if (this.names.length === 0 && Array.isArray(info.slices) && info.slices.length === this.slices) {
      this.names = (info.slices as unknown[]).map(String);
    }
    if (this.names.length === 0) this.names = Array.from({ length: this.slices }, (_, s) => `slice${s}`);
    if (this.names.length !== this.slices) throw new InputError('layout.slices', this.names, `${this.slices} names (the observation has ${this.slices} slices)`);
    for (const name of this.names) {
      this.obsSpaces.set(name, new Box({ low: -Infinity, high: Infinity, shape: [this.cells, FEATURES_PER_SLICE], dtype: 'float32' }));
      this.actSpaces.set(name, new Box({ low: 0, high: 1, shape: [this.cells], dtype: 'float32' }));
    }
  }

  private split(obs: NdArray): Record<string, NdArray> {
    const F = FEATURES_PER_SLICE;
    const src = obs.data as Float32Array | Float64Array;
    const out: Record<string, NdArray> = {};
    this.names.forEach((name, s) => {
      const data = new Float32Array(this.cells * F);
      for (let c = 0; c < this.cells; c++) {
        const from = (c * this.slices + s) * F;
        for (let f = 0; f < F; f++) data[c * F + f] = src[from + f]!;
      }
      out[name] = { data, shape: [this.cells, F] };
    });
    return out;
  }

  private each<T>(make: () => T): Record<string, T> {
    const out: Record<string, T> = {};
    for (const name of this.names) out[name] = make();
    return out;
  }
}
