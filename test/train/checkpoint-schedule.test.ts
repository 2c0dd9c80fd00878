import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readCheckpoint, selectBackend } from '../../src/agents/index.js';
import { CheckpointSchedule, train } from '../../src/train/index.js';
import { tinyScenario } from '../agents/helpers.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-checkpoint-schedule-'));
  await selectBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CheckpointSchedule', () => {
  it('writes the first due checkpoint, then one per checkpointSeconds, and always when the run stops', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const schedule = new CheckpointSchedule({ checkpointEvery: 2, checkpointSeconds: 10 });
      expect(schedule.due(0, 1, false)).toBe(false); // not a multiple of 2 yet
      expect(schedule.due(1, 2, false)).toBe(true); // the first due one
      schedule.written();
      vi.advanceTimersByTime(4_000);
      expect(schedule.due(3, 4, false)).toBe(false); // due by count, but 4 s after the last
      expect(schedule.due(4, 5, true)).toBe(true); // stopping: always
      vi.advanceTimersByTime(6_000);
      expect(schedule.due(5, 6, false)).toBe(true); // 10 s after the last
      expect(schedule.due(6, 7, false)).toBe(false); // 10 s, but not a multiple of 2
      const everyOne = new CheckpointSchedule({ checkpointEvery: 1, checkpointSeconds: 0 });
      everyOne.written();
      expect(everyOne.due(1, 2, false)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a run with a long floor checkpoints after its first episode and its last one only, and resumes from what it wrote', async () => {
    const scenario = tinyScenario();
    const episodes: number[] = [];
    const runDir = join(dir, 'floor');
    const common = { scenario, outDir: dir, seed: 4, backend: 'wasm' as const, progress: false, checkpointSeconds: 3600 };
    const stopped = await train({
      ...common,
      runId: 'floor',
      stopAfter: 3,
      onEpisode: (line) => {
        if (line.type === 'train') episodes.push(existsSync(join(runDir, 'checkpoint.bin')) ? (readCheckpoint(runDir).meta.trainer as { episode: number }).episode : 0);
      },
    });
    // onEpisode runs before its round's checkpoint: episode 1 sees none, 2 and 3 the one after episode 1.
    expect(episodes).toEqual([0, 1, 1]);
    // stopAfter stops the run: its checkpoint is written whatever the floor says.
    expect(stopped.finished).toBe(false);
    expect((readCheckpoint(runDir).meta.trainer as { episode: number }).episode).toBe(3);
    const resumed = await train({ resume: runDir, progress: false });
    expect(resumed).toMatchObject({ finished: true, resumedFrom: 3 });
  });
});
