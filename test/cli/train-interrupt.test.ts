import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioToYaml } from '../../src/scenario/index.js';
import { selfCommand } from '../../src/util/index.js';
import { TINY_MADDPG, tinyScenario } from '../agents/helpers.js';

let dir: string;
let scenarioFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-interrupt-'));
  scenarioFile = join(dir, 'long.yaml');
  // Long enough that Ctrl-C lands mid-run; a checkpoint only every 1000 episodes, so the one
  // written on Ctrl-C is the stop's own.
  const scenario = tinyScenario({ episodeSteps: 48, agent: { id: 'maddpg-admm', ...TINY_MADDPG, updateEvery: 1000 }, training: { episodes: 2000, evalEvery: 0, evalEpisodes: 1 } });
  writeFileSync(scenarioFile, scenarioToYaml(scenario));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function trainLines(runDir: string): number {
  if (!existsSync(join(runDir, 'metrics.jsonl'))) return 0;
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"train"')).length;
}

describe('Ctrl-C during ns3ts train', () => {
  it('stops after the episode in progress, writes its checkpoint and prints how to resume', async () => {
    const self = selfCommand();
    const runDir = join(dir, 'run');
    const args = ['train', '--scenario', scenarioFile, '--out', dir, '--run-id', 'run', '--no-progress', '--checkpoint-every', '1000'];
    const child = spawn(self.command, [...self.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (trainLines(runDir) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('SIGINT: stopping after the current episode');
    expect(stderr).toMatch(/^warning: stopped after episode \d+\/2000; its checkpoint is written$/m);
    expect(stderr).toContain(`resume with: ns3ts train --resume ${runDir}`);
    expect(existsSync(join(runDir, 'checkpoint.bin'))).toBe(true);
    expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
    const stoppedAt = Number(/stopped after episode (\d+)/.exec(stderr)![1]);
    expect(trainLines(runDir)).toBe(stoppedAt);
  }, 90_000);
});
