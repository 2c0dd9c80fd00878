import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, selectBackend, writeCheckpoint } from '../../src/agents/index.js';
import { train } from '../../src/train/index.js';
import { tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-resume-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenario = tinyScenario({ training: { episodes: 3, evalEvery: 0, evalEpisodes: 1 } });

/** A run of 3 episodes stopped after 2 (checkpointed), or run to the end. */
async function run(runId: string, stopAfter?: number): Promise<string> {
  await train({ scenario, outDir: dir, runId, seed: 5, backend: 'wasm', progress: false, ...(stopAfter ? { stopAfter } : {}) });
  return join(dir, runId);
}

function setTrainer(runDir: string, patch: Record<string, unknown>): void {
  const ckpt = readCheckpoint(runDir);
  writeCheckpoint(runDir, { ...ckpt, meta: { ...ckpt.meta, trainer: { ...(ckpt.meta.trainer as object), ...patch } } });
}

async function resumeError(runDir: string, extra: Record<string, unknown> = {}): Promise<string> {
  try {
    await train({ resume: runDir, progress: false, ...extra });
  } catch (err) {
    return (err as Error).message;
  }
  return '(resumed without an error)';
}

describe('resume validates what the checkpoint claims against the run folder', () => {
  it('refuses a metrics.jsonl shorter than the checkpoint recorded, without padding it', async () => {
    const runDir = await run('short', 2);
    const metrics = join(runDir, 'metrics.jsonl');
    const size = statSync(metrics).size;
    truncateSync(metrics, Math.floor(size / 2));
    const message = await resumeError(runDir);
    expect(message).toContain(metrics);
    expect(message).toMatch(/metricsBytes/);
    expect(statSync(metrics).size).toBe(Math.floor(size / 2));
    expect(readFileSync(metrics).includes(0)).toBe(false);
  });

  it('refuses a metricsBytes of 1e12 without creating a sparse file', async () => {
    const runDir = await run('huge', 2);
    const metrics = join(runDir, 'metrics.jsonl');
    const size = statSync(metrics).size;
    setTrainer(runDir, { metricsBytes: 1e12 });
    expect(await resumeError(runDir)).toMatch(/metricsBytes.*1000000000000/);
    expect(statSync(metrics).size).toBe(size);
  });

  it('refuses to restart from episode 0 when the checkpoint is gone but episodes were recorded', async () => {
    const runDir = await run('no-ckpt', 2);
    const before = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
    unlinkSync(join(runDir, 'checkpoint.bin'));
    const message = await resumeError(runDir);
    expect(message).toMatch(/checkpoint\.bin.*missing/);
    expect(message).toMatch(/2 episode/);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe(before);
    // Killed between its first episode's line and its first checkpoint (checkpoints every episode):
    // a restart, and said so.
    const early = await run('early', 2);
    unlinkSync(join(early, 'checkpoint.bin'));
    writeFileSync(join(early, 'metrics.jsonl'), `${readFileSync(join(early, 'metrics.jsonl'), 'utf8').split('\n')[0]}\n`);
    const notices: string[] = [];
    const restarted = await train({ resume: early, progress: false, stopAfter: 1, announce: (line) => notices.push(line) });
    expect(restarted.resumedFrom).toBe(0);
    expect(notices.join('\n')).toMatch(/before its first checkpoint: starting again at episode 1/);
  });

  it('refuses a checkpoint episode beyond the run\'s episodes instead of resuming as finished', async () => {
    const runDir = await run('beyond', 2);
    setTrainer(runDir, { episode: 999 });
    expect(await resumeError(runDir)).toMatch(/episode.*999.*3/);
    expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
  });

  it('a --resume of a finished run leaves summary.json untouched and says so', async () => {
    const runDir = await run('finished');
    const summaryPath = join(runDir, 'summary.json');
    const before = readFileSync(summaryPath, 'utf8');
    const notices: string[] = [];
    const summary = await train({ resume: runDir, progress: false, announce: (line) => notices.push(line) });
    expect(summary.finished).toBe(true);
    expect(summary.completedEpisodes).toBe(3);
    expect(readFileSync(summaryPath, 'utf8')).toBe(before);
    expect(notices.join('\n')).toMatch(/already finished.*summary\.json left as it is/);
  });

  it('names config.json when it is not valid JSON', async () => {
    const runDir = await run('bad-config', 1);
    writeFileSync(join(runDir, 'config.json'), '{"runId": ');
    const message = await resumeError(runDir);
    expect(message).toContain(join(runDir, 'config.json'));
    expect(message).toMatch(/JSON/);
  });
});
