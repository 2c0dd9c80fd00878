import { execFile, execFileSync } from 'node:child_process';
import { Ns3tsError } from './errors.js';

/**
 * The Slurm client commands (sbatch, squeue, scancel, scontrol) as every Slurm user here calls
 * them: the sweep's job arrays and the simulators of a cluster vector env. A missing command and
 * a failing one are one-line errors naming the command.
 */

function slurmError(command: string, args: readonly string[], err: unknown, stderr?: string): Ns3tsError {
  const e = err as NodeJS.ErrnoException & { stderr?: string };
  if (e.code === 'ENOENT') return new Ns3tsError(`${command} not found: Slurm execution needs the Slurm client commands (sbatch, squeue, scancel) on PATH`);
  return new Ns3tsError(`${command} ${args.join(' ')} failed: ${(stderr ?? e.stderr ?? e.message).trim().split('\n')[0]}`);
}

/** Runs a Slurm command and returns its stdout (blocks; for one-off calls). */
export function runSlurm(command: string, args: string[], timeoutMs = 30_000): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw slurmError(command, args, err);
  }
}

/** runSlurm without blocking the event loop (polls while envs step). */
export function runSlurmAsync(command: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(slurmError(command, args, err, stderr));
      else resolve(stdout);
    });
  });
}

/** An argument as a POSIX shell word (batch scripts). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface QueueEntry {
  jobId: string;
  state: string;
  reason: string;
}

const SQUEUE_ARGS = (jobIds: readonly string[]): string[] => ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T|%R'];

function parseQueue(out: string): QueueEntry[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [jobId = '', state = '', reason = ''] = l.split('|');
      return { jobId: jobId.trim(), state: state.trim(), reason: reason.trim() };
    });
}

/** squeue fails for job ids it no longer knows: then nothing of them is queued. */
function unknownJobs(err: unknown): boolean {
  return err instanceof Ns3tsError && /Invalid job id/i.test(err.message);
}

/** The tasks of these jobs still in the queue (pending or running), one entry per array task or task range. */
export function squeueJobs(jobIds: readonly string[]): QueueEntry[] {
  if (jobIds.length === 0) return [];
  try {
    return parseQueue(runSlurm('squeue', SQUEUE_ARGS(jobIds)));
  } catch (err) {
    if (unknownJobs(err)) return [];
    throw err;
  }
}

/** squeueJobs without blocking the event loop. */
export async function squeueJobsAsync(jobIds: readonly string[]): Promise<QueueEntry[]> {
  if (jobIds.length === 0) return [];
  try {
    return parseQueue(await runSlurmAsync('squeue', SQUEUE_ARGS(jobIds)));
  } catch (err) {
    if (unknownJobs(err)) return [];
    throw err;
  }
}

/** Cancels jobs or array tasks ("123", "123_4"); ids Slurm no longer knows are not an error. */
export function scancelJobs(jobIds: readonly string[]): void {
  if (jobIds.length === 0) return;
  try {
    runSlurm('scancel', [...jobIds]);
  } catch (err) {
    if (!unknownJobs(err)) throw err;
  }
}
