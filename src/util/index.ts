export { Rng, deriveSeed } from './rng.js';
export { Ns3tsError, InputError, describeValue } from './errors.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { ProgressBar, formatSeconds, type ProgressOptions } from './progress.js';
export { packageRoot, selfCommand } from './self.js';
export { signalProcessGroup } from './process.js';
