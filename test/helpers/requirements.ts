import { execFileSync } from 'node:child_process';

/**
 * External requirements of integration tests (ns-3, Slurm, C++ toolchain). Outside CI a missing
 * requirement skips the test with a loud message saying what to install; in CI (CI=true) it is a
 * failure, because CI installs everything in .ci/run.
 */
export interface Requirement {
  name: string;
  available: boolean;
  install: string;
}

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** True when `command args` runs and exits 0 within 10 s. */
export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function hasPkgConfig(name: string): boolean {
  return hasCommand('pkg-config', ['--exists', name]);
}

export function ns3Requirement(): Requirement {
  let available = false;
  try {
    execFileSync('sh', ['-c', 'ls /usr/lib/*/cmake/ns3/ns3Config.cmake /usr/local/lib/cmake/ns3/ns3Config.cmake 2>/dev/null | head -1 | grep -q .'], {
      stdio: 'ignore',
    });
    available = hasCommand('cmake');
  } catch {
    available = false;
  }
  return { name: 'ns-3', available, install: 'apt-get install ns3 libns3-dev libgsl-dev cmake g++' };
}

export function cppBridgeRequirement(): Requirement {
  const available = hasCommand('cmake') && hasCommand('protoc') && hasPkgConfig('libzmq');
  return {
    name: 'C++ bridge toolchain',
    available,
    install: 'apt-get install cmake g++ pkg-config libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler',
  };
}

export function cppToolchainRequirement(): Requirement {
  return { name: 'C++ toolchain (cmake, g++)', available: hasCommand('cmake') && hasCommand('g++'), install: 'apt-get install cmake g++' };
}

export function slurmRequirement(): Requirement {
  const available = hasCommand('sbatch') && hasCommand('squeue') && hasCommand('sinfo', ['-h']);
  return { name: 'Slurm', available, install: 'apt-get install slurm-wlm munge (see scripts/slurm-local.sh)' };
}

/** Debian's chromium, for the browser tests of the report (driven by puppeteer-core, no browser download). */
export const CHROMIUM_PATH = process.env.NS3TS_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumRequirement(): Requirement {
  return { name: 'Chromium', available: hasCommand(CHROMIUM_PATH), install: 'apt-get install chromium' };
}

/**
 * Returns true when the requirement is met. Outside CI, prints a loud skip notice and returns false;
 * in CI, throws so that the suite fails.
 */
export function checkRequirement(req: Requirement): boolean {
  if (req.available) return true;
  const message = `${req.name} is not available: install it with \`${req.install}\``;
  if (inCi) throw new Error(`CI requires ${message}`);
  process.stderr.write(`\n*** SKIPPING ${req.name} tests: ${message} ***\n\n`);
  return false;
}
