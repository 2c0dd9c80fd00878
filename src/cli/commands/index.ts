import type { Command } from 'commander';
import { register as registerTrain } from './train.js';
import { register as registerEval } from './eval.js';
import { register as registerScenarios } from './scenarios.js';
import { register as registerSweep } from './sweep.js';
import { register as registerResults } from './results.js';
import { register as registerReport } from './report.js';
import { register as registerTune } from './tune.js';
import { register as registerExport } from './export.js';
import { register as registerSim } from './sim.js';
import { register as registerAgent } from './agent.js';
import { register as registerBuildNs3 } from './build-ns3.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerEnforce } from './enforce.js';
import { register as registerServe } from './serve.js';

/**
 * Every CLI command lives in its own file in this folder and exports `register(program)`.
 * The order here is the order `ns3ts --help` lists them: the everyday commands first (train,
 * evaluate, look at scenarios, sweep, tune), then the simulator-facing ones, then setup.
 */
export type RegisterCommand = (program: Command) => void;

export const commandRegistrations: RegisterCommand[] = [
  registerTrain,
  registerEval,
  registerScenarios,
  registerSweep,
  registerResults,
  registerReport,
  registerTune,
  registerServe,
  registerExport,
  registerSim,
  registerAgent,
  registerEnforce,
  registerBuildNs3,
  registerDoctor,
];
