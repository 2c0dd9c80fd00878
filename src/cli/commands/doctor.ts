import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BACKEND_PACKAGES, currentBackend, selectBackend } from '../../agents/index.js';
import { listFamilies } from '../../families/index.js';
import { nativeStatus } from '../../native/index.js';
import { packageRoot } from '../../util/index.js';

/** One line of `ns3ts doctor`. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** Needed for anything to work (only Node.js); the rest enable parts. */
  required: boolean;
  detail: string;
  /** What to install when missing. */
  install?: string;
}

const MIN_NODE = [20, 17] as const;

function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

function firstLine(text: string | null): string {
  return (text ?? '').split('\n')[0]!.trim();
}

export function checkNode(version = process.versions.node): DoctorCheck {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    name: 'Node.js',
    ok,
    required: true,
    detail: `${version} (needs >= ${MIN_NODE.join('.')})`,
    ...(ok ? {} : { install: 'install Node.js 20.17 or newer (https://nodejs.org or your package manager)' }),
  };
}

/**
 * Which TensorFlow.js backend training would use, and why: `--backend tfjs` is selected here as a
 * run would select it, and each backend is reported as in use, not loaded (with the reason), or
 * not needed (a faster one loaded first).
 */
export async function probeTfBackend(): Promise<{ backend: 'tensorflow' | 'wasm' | 'cpu'; detail: string; backends: string[] }> {
  const info = await selectBackend('tfjs');
  const backends = BACKEND_PACKAGES.map(({ choice, name, package: pkg }) => {
    const failure = info.fallbacks.find((reason) => reason.startsWith(`${choice}:`));
    if (failure) return failure;
    return name === info.name ? `${choice}: in use (${pkg})` : `${choice}: not needed (a faster backend loaded)`;
  });
  const backend = info.name === 'tensorflow' || info.name === 'wasm' ? info.name : 'cpu';
  return { backend, detail: backends.join('; '), backends };
}

const TFJS_NODE_INSTALL = 'npm install @tensorflow/tfjs-node@^4.22.0 where libtensorflow can be downloaded (docs/backends.md)';

async function checkTf(): Promise<DoctorCheck> {
  const probe = await probeTfBackend();
  return {
    name: 'TensorFlow.js backend',
    ok: probe.backend !== 'cpu',
    required: false,
    detail:
      `${probe.backend} in use, TF.js ${currentBackend()?.tfjsVersion ?? 'unknown'} -- ${probe.detail}` +
      (probe.backend === 'tensorflow' ? '' : `; to get tfjs-node: ${TFJS_NODE_INSTALL}`),
    ...(probe.backend === 'cpu' ? { install: TFJS_NODE_INSTALL } : {}),
  };
}

function checkNative(): DoctorCheck {
  const status = nativeStatus();
  return {
    name: 'native addon',
    ok: status.active,
    required: false,
    detail: status.reason,
    ...(status.active ? {} : { install: 'apt-get install cmake g++, then npm run build:native' }),
  };
}

/** Finds ns3Config.cmake (Debian's ns3/libns3-dev, or a `ninja install` of a source tree). */
export function findNs3(): { configDir: string; version: string } | null {
  const roots = ['/usr/lib', '/usr/local/lib', '/usr/lib64', '/usr/local/lib64'];
  const candidates: string[] = [];
  for (const root of roots) {
    candidates.push(join(root, 'cmake', 'ns3'));
    try {
      for (const entry of readdirSync(root)) if (entry.includes('-linux-')) candidates.push(join(root, entry, 'cmake', 'ns3'));
    } catch {
      // no such root
    }
  }
  for (const dir of candidates) {
    if (!existsSync(join(dir, 'ns3Config.cmake'))) continue;
    let version = 'unknown version';
    try {
      const text = readFileSync(join(dir, 'ns3ConfigVersion.cmake'), 'utf8');
      const match = /set\(PACKAGE_VERSION "([^"]+)"\)/.exec(text);
      if (match) version = match[1]!;
    } catch {
      // keep unknown
    }
    return { configDir: dir, version };
  }
  const pc = run('pkg-config', ['--modversion', 'ns3-core']);
  return pc ? { configDir: 'pkg-config ns3-core', version: pc } : null;
}

function checkNs3(): DoctorCheck {
  const found = findNs3();
  return found
    ? { name: 'ns-3', ok: true, required: false, detail: `ns-3 ${found.version} (${found.configDir})` }
    : { name: 'ns-3', ok: false, required: false, detail: 'not found (needed for ns-3 scenarios; the synthetic env works without it)', install: 'apt-get install ns3 libns3-dev libgsl-dev' };
}

function checkCommand(name: string, command: string, args: string[], install: string, why: string): DoctorCheck {
  const out = run(command, args);
  return out !== null
    ? { name, ok: true, required: false, detail: firstLine(out) || 'present' }
    : { name, ok: false, required: false, detail: `not found (${why})`, install };
}

function checkPkgConfig(name: string, module: string, install: string, why: string): DoctorCheck {
  const version = run('pkg-config', ['--modversion', module]);
  return version !== null
    ? { name, ok: true, required: false, detail: `${module} ${version}` }
    : { name, ok: false, required: false, detail: `pkg-config ${module} not found (${why})`, install };
}

function checkProtobuf(): DoctorCheck {
  const protoc = run('protoc', ['--version']);
  const dev = run('pkg-config', ['--modversion', 'protobuf']);
  const ok = protoc !== null && dev !== null;
  return {
    name: 'protobuf compiler + headers',
    ok,
    required: false,
    detail: ok ? `${firstLine(protoc)}, headers ${dev}` : `${protoc ? firstLine(protoc) : 'protoc missing'}, ${dev ? `headers ${dev}` : 'headers missing'} (needed for the C++ bridge and ns-3 module)`,
    ...(ok ? {} : { install: 'apt-get install protobuf-compiler libprotobuf-dev' }),
  };
}

function checkSlurm(): DoctorCheck {
  const sbatch = run('sbatch', ['--version']);
  const squeue = run('squeue', ['--version']);
  const ok = sbatch !== null && squeue !== null;
  return {
    name: 'Slurm',
    ok,
    required: false,
    detail: ok ? `${firstLine(sbatch)} (sbatch, squeue)` : 'sbatch/squeue not found (needed for sweeps on a cluster; local sweeps work without)',
    ...(ok ? {} : { install: 'apt-get install slurm-wlm munge (or run on a cluster login node)' }),
  };
}

/** The registered env families with their env kinds (a listing, never missing: slicing is built in). */
export function checkFamilies(): DoctorCheck {
  const families = listFamilies().map((f) => `${f.id} (${f.envKinds.join(', ')})`);
  return { name: 'env families', ok: true, required: false, detail: families.join(', ') };
}

export async function runDoctor(): Promise<DoctorCheck[]> {
  return [
    checkNode(),
    await checkTf(),
    checkNative(),
    checkNs3(),
    checkCommand('CMake', 'cmake', ['--version'], 'apt-get install cmake', 'needed for the native addon, the C++ bridge and ns-3 builds'),
    checkPkgConfig('ZeroMQ dev', 'libzmq', 'apt-get install libzmq3-dev cppzmq-dev', 'needed for the C++ bridge and ns-3 module'),
    checkProtobuf(),
    checkSlurm(),
    checkFamilies(),
  ];
}

export function formatChecks(checks: readonly DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks
    .map((c) => `${c.ok ? 'ok     ' : c.required ? 'FAIL   ' : 'missing'} ${c.name.padEnd(width)}  ${c.detail}${c.ok || !c.install ? '' : ` -> ${c.install}`}`)
    .join('\n');
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the environment: Node.js, TensorFlow.js backend, native addon, ns-3, CMake, ZeroMQ, protobuf, Slurm; list the env families')
    .option('--json', 'print the checks as JSON', false)
    .addHelpText('after', '\nExit code 0 unless Node.js is too old; missing optional parts are reported with what to install.')
    .action(async (opts: { json: boolean }) => {
      const checks = await runDoctor();
      process.stdout.write(opts.json ? `${JSON.stringify({ checks }, null, 2)}\n` : `${formatChecks(checks)}\n`);
      if (checks.some((c) => c.required && !c.ok)) process.exitCode = 1;
    });
}
