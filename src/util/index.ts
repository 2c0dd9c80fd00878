export { Rng, deriveSeed } from './rng.js';
export { Ns3tsError, InputError, describeValue } from './errors.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { ProgressBar, formatSeconds, type ProgressOptions } from './progress.js';
export { packageRoot, selfCommand } from './self.js';
export { signalProcessGroup } from './process.js';
export { checkRunId, checkOutputDir, NAME_PATTERN, VIRTUAL_FILESYSTEMS } from './paths.js';
export { readInputFile, maxInputBytes, DEFAULT_MAX_INPUT_BYTES } from './input-file.js';
export { checkSeed, MAX_SEED } from './seed.js';
