import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { InputError, Ns3tsError, packageRoot, writeFileAtomic } from '../../util/index.js';

/**
 * Builds the ns-3 programs (ns3-patch/ with bridge/ and proto/) with CMake into a build directory,
 * only when their sources changed: a SHA-256 over the paths and contents of every file under
 * ns3-patch/, bridge/, proto/ and the top-level CMakeLists.txt is stored in the build directory
 * after a successful build and compared on the next call. A lock file in the build directory
 * serializes concurrent builds (several envs, sweep workers); a lock left by a dead process is
 * taken over.
 */
export interface Ns3BuildOptions {
  /** Build directory (default: $NS3TS_BUILD_DIR, else <package>/build/cpp). */
  buildDir?: string;
  /** Build even if the sources did not change. */
  force?: boolean;
  /** Parallel build jobs (default: min(2, cores)). */
  jobs?: number;
  /** Called with one line per build phase (the CLI prints them; the env stays quiet). */
  log?: (line: string) => void;
  /** Longest wait for another process's build, ms (default 20 minutes). */
  lockTimeoutMs?: number;
}

export interface Ns3BuildResult {
  buildDir: string;
  /** Where the programs are (slicing-lte, slicing-null, ...). */
  binDir: string;
  /** Program names found in binDir. */
  programs: string[];
  /** False when the sources were unchanged and nothing was built. */
  rebuilt: boolean;
  /** The source hash the build corresponds to. */
  sourceHash: string;
}

const SOURCE_ROOTS = ['ns3-patch', 'bridge', 'proto'];
const HASH_FILE = 'ns3ts-sources.sha256';
const LOCK_FILE = '.ns3ts-build.lock';
const LOG_FILE = 'ns3ts-build.log';

export function defaultNs3BuildDir(): string {
  const fromEnv = process.env.NS3TS_BUILD_DIR;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(packageRoot, 'build', 'cpp');
}

/** Where the programs of a build directory are (ns3-patch's NS3TS_BIN_DIR). */
export function ns3BinDir(buildDir: string = defaultNs3BuildDir()): string {
  return join(buildDir, 'bin');
}

/**
 * The executable for `program`: a path (contains a slash) as it is, else the program of that
 * name in the build directory's bin/.
 */
export function resolveNs3Program(program: string, buildDir: string = defaultNs3BuildDir()): string {
  if (program.includes('/')) return isAbsolute(program) ? program : resolve(program);
  if (!/^[A-Za-z0-9_.-]+$/.test(program)) {
    throw new InputError('env.program', program, 'an ns-3 program name such as slicing-lte, or a path');
  }
  return join(ns3BinDir(buildDir), program);
}

/** SHA-256 over the relative paths and contents of the sources the ns-3 programs are built from. */
export function ns3SourceHash(root: string = packageRoot): string {
  const hash = createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  for (const sub of SOURCE_ROOTS) walk(join(root, sub));
  const top = join(root, 'CMakeLists.txt');
  if (existsSync(top)) files.push(top);
  for (const file of files) {
    hash.update(relative(root, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Builds the ns-3 programs if their sources changed since the last build (or if `force`). */
export async function ensureNs3Build(options: Ns3BuildOptions = {}): Promise<Ns3BuildResult> {
  const buildDir = resolve(options.buildDir ?? defaultNs3BuildDir());
  const jobs = options.jobs ?? Math.max(1, Math.min(2, availableParallelism()));
  if (!Number.isInteger(jobs) || jobs < 1) throw new InputError('jobs', options.jobs, 'a positive integer');
  const log = options.log ?? ((): void => {});
  mkdirSync(buildDir, { recursive: true });

  const release = await acquireLock(join(buildDir, LOCK_FILE), options.lockTimeoutMs ?? 20 * 60_000, log);
  try {
    const sourceHash = ns3SourceHash();
    const hashPath = join(buildDir, HASH_FILE);
    const previous = existsSync(hashPath) ? readFileSync(hashPath, 'utf8').trim() : '';
    const binDir = ns3BinDir(buildDir);
    if (!options.force && previous === sourceHash && existsSync(binDir)) {
      return { buildDir, binDir, programs: listPrograms(binDir), rebuilt: false, sourceHash };
    }
    const logPath = join(buildDir, LOG_FILE);
    const logFd = openSync(logPath, 'w');
    try {
      const script = join(packageRoot, 'scripts', 'build-cpp.sh');
      if (buildDir === join(packageRoot, 'build', 'cpp') && existsSync(script)) {
        // The repository's own build of build/cpp (it also serializes with CI's run of it).
        log(`building ${buildDir} with scripts/build-cpp.sh, ${jobs} job(s) (log: ${logPath})`);
        await run('bash', [script, '--no-asan'], logFd, logPath, { ...process.env, NS3TS_BUILD_JOBS: String(jobs) });
      } else {
        log(`configuring ${buildDir}`);
        await run(
          'cmake',
          ['-S', packageRoot, '-B', buildDir, '-DNS3TS_WITH_NS3=ON', '-DCMAKE_BUILD_TYPE=Release'],
          logFd,
          logPath,
        );
        log(`building with ${jobs} job(s) (log: ${logPath})`);
        await run('cmake', ['--build', buildDir, '--parallel', String(jobs)], logFd, logPath);
      }
    } finally {
      closeSync(logFd);
    }
    writeFileAtomic(hashPath, `${sourceHash}\n`);
    return { buildDir, binDir, programs: listPrograms(binDir), rebuilt: true, sourceHash };
  } finally {
    release();
  }
}

function listPrograms(binDir: string): string[] {
  if (!existsSync(binDir)) return [];
  return readdirSync(binDir)
    .filter((name) => {
      try {
        const st = statSync(join(binDir, name));
        return st.isFile() && (st.mode & 0o111) !== 0;
      } catch {
        return false;
      }
    })
    .sort();
}

function run(command: string, args: string[], logFd: number, logPath: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  writeSync(logFd, `$ ${command} ${args.join(' ')}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', logFd, logFd], env });
    child.on('error', (err) => reject(new Ns3tsError(`ns-3 build: cannot run ${command}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) {
        resolvePromise();
        return;
      }
      let tail = '';
      try {
        tail = readFileSync(logPath, 'utf8').split('\n').filter((l) => /error|Error|fatal/.test(l)).slice(-8).join('\n');
      } catch {
        // no log to quote
      }
      reject(
        new Ns3tsError(
          `ns-3 build: ${command} ${args.slice(0, 2).join(' ')} failed (${signal ?? `exit ${code}`}); see ${logPath}${
            tail ? `\n${tail}` : ''
          }`,
        ),
      );
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exclusive lock file holding the owner's pid; stale locks (dead owner) are removed. */
async function acquireLock(path: string, timeoutMs: number, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already removed
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // removed between open and read: retry at once
    }
    if (!Number.isFinite(owner) || !pidAlive(owner)) {
      try {
        unlinkSync(path);
      } catch {
        // another waiter took it over first
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Ns3tsError(`ns-3 build: ${path} is held by process ${owner} for too long; remove it if that build is gone`);
    }
    if (!told) {
      log(`waiting for the build of process ${owner}`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
