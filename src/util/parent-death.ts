import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Child processes that die with their parent, however the parent ends. Exit hooks cover a clean
 * exit and SIGINT/SIGTERM, but not SIGKILL or an OOM kill: a simulator orphaned that way lived on
 * until its own timeout. On Linux the kernel can send a signal to a process when its parent dies
 * (prctl PR_SET_PDEATHSIG); util-linux's `setpriv --pdeathsig` sets it and then execs the program,
 * so the child keeps its pid, process group and arguments. Where setpriv (with --pdeathsig,
 * util-linux >= 2.33) is missing, commands run as they are and only the exit hooks apply.
 */
export const PARENT_DEATH_SIGNAL = 'SIGKILL';

let setprivPath: string | null | undefined;

/** setpriv's path if it supports --pdeathsig, else null (checked once per process). */
export function parentDeathHelper(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux' || process.env.NS3TS_NO_PDEATHSIG === '1') return setprivPath;
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
    try {
      const help = execFileSync(candidate, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      if (help.includes('--pdeathsig')) {
        setprivPath = candidate;
        break;
      }
    } catch {
      // not there
    }
  }
  return setprivPath;
}

/**
 * The command line that runs `command args` with a parent-death signal, or the command as it is
 * when that is not available. The signal is tied to the thread that spawns: Node spawns from its
 * main thread, so it fires when the whole process ends.
 */
export function withParentDeathSignal(command: string, args: readonly string[], cwd?: string): { command: string; args: string[] } {
  const setpriv = parentDeathHelper();
  // A program that cannot be run is spawned as it is, so that spawn reports it (ENOENT, EACCES)
  // instead of setpriv's exit code.
  if (!setpriv || !executable(command, cwd)) return { command, args: [...args] };
  return { command: setpriv, args: [`--pdeathsig=${PARENT_DEATH_SIGNAL}`, '--', command, ...args] };
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether spawn would find `command` as an executable file (a path, or a name on PATH). */
function executable(command: string, cwd?: string): boolean {
  if (command.includes('/')) return isExecutableFile(isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command));
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutableFile(join(dir, command)));
}
