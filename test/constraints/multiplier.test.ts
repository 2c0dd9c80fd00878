import { describe, expect, it } from 'vitest';
import { LagrangeMultipliers } from '../../src/constraints/index.js';
import { MADDPG_VARIANT_DEFAULTS, MaddpgAgent } from '../../src/agents/index.js';
import { TINY_MADDPG, fillAgent, tinyLayout, tinyScenario } from '../agents/helpers.js';

// Two cells, three slices; slice 1 has a limit of 0.1, slices 0 and 2 none.
const LIMIT = Float64Array.from([Number.NaN, 0.1, Number.NaN]);
const ALL = [1, 1, 1, 1, 1, 1];

/** One env step's costs [cells, slices]: slice 1 violated in `violated` of the two cells. */
function costs(violated: number): number[] {
  return [1, violated >= 1 ? 1 : 0, 1, 1, violated >= 2 ? 1 : 0, 1];
}

describe('Lagrange multipliers: one ascent step per window of lambdaEvery env steps', () => {
  it('steps once per full window, from the window cost rate over the active entries', () => {
    const m = new LagrangeMultipliers(LIMIT, { lambdaLr: 2, lambdaMax: 20, lambdaEvery: 3 });
    // Window 1: 1 + 0 + 2 violations over 6 active entries: rate 0.5.
    expect(m.addStep(costs(1), ALL, 2)).toBe(false);
    expect(m.addStep(costs(0), ALL, 2)).toBe(false);
    expect(m.addStep(costs(2), ALL, 2)).toBe(true);
    expect(m.lambda[1]).toBe(0);
    m.closeWindow();
    expect(m.lambda[1]).toBeCloseTo(2 * (0.5 - 0.1), 12);
    // Unconstrained slices keep 0 whatever their costs.
    expect(m.lambda[0]).toBe(0);
    expect(m.lambda[2]).toBe(0);
    // Window 2: slice 1 inactive in cell 1, so only cell 0's 3 entries count, all violated: rate 1.
    const cell1Inactive = [1, 1, 1, 1, 0, 1];
    for (let k = 0; k < 3; k++) m.addStep(costs(2), cell1Inactive, 2);
    m.closeWindow();
    expect(m.lambda[1]).toBeCloseTo(0.8 + 2 * (1 - 0.1), 12);
  });

  it('a window closed early (an episode end) steps from what it holds; an empty one changes nothing', () => {
    const m = new LagrangeMultipliers(LIMIT, { lambdaLr: 1, lambdaMax: 20, lambdaEvery: 96 });
    m.closeWindow();
    expect(m.lambda[1]).toBe(0);
    m.addStep(costs(2), ALL, 2);
    m.addStep(costs(0), ALL, 2);
    m.closeWindow();
    expect(m.lambda[1]).toBeCloseTo(0.5 - 0.1, 12);
    m.closeWindow();
    expect(m.lambda[1]).toBeCloseTo(0.5 - 0.1, 12);
  });

  it('with a margin, aims at (1 - margin) x limit: a rate at the limit still raises lambda', () => {
    const plain = new LagrangeMultipliers(LIMIT, { lambdaLr: 2, lambdaMax: 20, lambdaEvery: 96 });
    const tightened = new LagrangeMultipliers(LIMIT, { lambdaLr: 2, lambdaMax: 20, lambdaEvery: 96, constraintMargin: 0.2 });
    // Rate 0.1, the limit itself: no step without the margin, 2 x (0.1 - 0.08) with it.
    for (const m of [plain, tightened]) {
      for (let k = 0; k < 5; k++) m.addStep(costs(k === 0 ? 1 : 0), ALL, 2);
      m.closeWindow();
    }
    expect(plain.lambda[1]).toBe(0);
    expect(tightened.lambda[1]).toBeCloseTo(2 * (0.1 - 0.08), 12);
  });

  it('projects onto [0, lambdaMax]; a slice with nothing counted has rate 0', () => {
    const m = new LagrangeMultipliers(LIMIT, { lambdaLr: 10, lambdaMax: 3, lambdaEvery: 1 });
    m.addStep(costs(2), ALL, 2);
    m.closeWindow();
    expect(m.lambda[1]).toBe(3);
    // Slice 1 inactive everywhere: rate 0, so lambda falls by lambdaLr * limit = 1 per window.
    const none = [1, 0, 1, 1, 0, 1];
    m.addStep(costs(2), none, 2);
    m.closeWindow();
    expect(m.lambda[1]).toBeCloseTo(2, 12);
    for (let k = 0; k < 5; k++) {
      m.addStep(costs(0), ALL, 2);
      m.closeWindow();
    }
    expect(m.lambda[1]).toBe(0);
  });

  it('a state saved mid-window continues as the original does', () => {
    const settings = { lambdaLr: 1.5, lambdaMax: 20, lambdaEvery: 4 };
    const a = new LagrangeMultipliers(LIMIT, settings);
    const seq = [2, 1, 0, 2, 2, 1, 1, 0, 2, 2];
    for (let k = 0; k < 6; k++) if (a.addStep(costs(seq[k]!), ALL, 2)) a.closeWindow();
    const b = new LagrangeMultipliers(LIMIT, settings);
    b.setState(a.getState());
    for (let k = 6; k < seq.length; k++) {
      if (a.addStep(costs(seq[k]!), ALL, 2)) a.closeWindow();
      if (b.addStep(costs(seq[k]!), ALL, 2)) b.closeWindow();
    }
    a.closeWindow();
    b.closeWindow();
    expect(Array.from(b.lambda)).toEqual(Array.from(a.lambda));
    expect(a.lambda[1]).toBeGreaterThan(0);
  });

  it('maddpg-lagrangian and maddpg-rcpo step every lambdaEvery env steps within an episode, and the checkpoint keeps the window', async () => {
    // A URLLC delay target no share can meet: every active step violates the constraint.
    const base = tinyScenario();
    const strict = tinyScenario({ slices: base.slices.map((s) => (s.name === 'urllc' ? { ...s, delayTarget: 0.01 } : s)) });
    for (const variant of ['lagrangian', 'rcpo'] as const) {
      const settings = { ...TINY_MADDPG, warmupSteps: 1000, lambdaLr: 0.5, lambdaEvery: 4 };
      // The rate the ascent aims at: the limit less the variant's default margin (rcpo 0.2).
      const aimed = (1 - (MADDPG_VARIANT_DEFAULTS[variant].constraintMargin ?? 0)) * 0.01;
      const agent = new MaddpgAgent(variant, tinyLayout(strict), strict, { seed: 1, settings });
      await fillAgent(agent, strict, 10);
      // Two full windows of rate 1; two steps wait in the third.
      expect(agent.lambda[1]).toBeCloseTo(2 * 0.5 * (1 - aimed), 6);
      const resumed = new MaddpgAgent(variant, tinyLayout(strict), strict, { seed: 1, settings });
      resumed.setState(agent.getState());
      for (const a of [agent, resumed]) await fillAgent(a, strict, 2, 20);
      // The third window filled in both: the saved window's two steps counted in the resumed agent too.
      expect(agent.lambda[1]).toBeCloseTo(3 * 0.5 * (1 - aimed), 6);
      expect(resumed.lambda[1]).toBe(agent.lambda[1]);
      // maddpg-admm reports the rate but keeps no multiplier.
      const end = agent.endEpisode({ episode: 0, steps: 12, return: 0, constraintRates: [] });
      expect(end['violationRate.urllc']).toBe(1);
      expect(end['lambda.urllc']).toBe(agent.lambda[1]);
      for (const a of [agent, resumed]) a.dispose();
    }
    const admm = new MaddpgAgent('admm', tinyLayout(strict), strict, { seed: 1, settings: { ...TINY_MADDPG, warmupSteps: 1000, lambdaEvery: 4 } });
    await fillAgent(admm, strict, 8);
    expect(admm.lambda[1]).toBe(0);
    expect(admm.endEpisode({ episode: 0, steps: 8, return: 0, constraintRates: [] })['lambda.urllc']).toBeUndefined();
    admm.dispose();
  });
});
