import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, selectBackend } from '../../src/agents/index.js';
import { scenarioToYaml } from '../../src/scenario/index.js';
import { train } from '../../src/train/index.js';
import { selfCommand } from '../../src/util/index.js';
import { tinyScenario } from '../agents/helpers.js';

const children = new Set<ChildProcess>();
let dir: string;
let scenarioFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns3ts-cli-train-'));
  scenarioFile = join(dir, 'tiny.yaml');
  writeFileSync(scenarioFile, scenarioToYaml(tinyScenario({ training: { episodes: 12, evalEvery: 4, evalEpisodes: 1 } })));
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const self = selfCommand();
  const child = spawn(self.command, [...self.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

function trainLines(runDir: string): number {
  if (!existsSync(join(runDir, 'metrics.jsonl'))) return 0;
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"train"')).length;
}

describe('ns3ts train', () => {
  it('--help lists the agent ids with descriptions', async () => {
    const { done } = start(['train', '--help']);
    const { code, stdout } = await done;
    expect(code).toBe(0);
    for (const id of ['maddpg-admm', 'maddpg-lagrangian', 'maddpg-rcpo', 'ddpg', 'td3']) expect(stdout).toMatch(new RegExp(`^  ${id} +\\S`, 'm'));
    expect(stdout).toContain('--resume <run-dir>');
  }, 30_000);

  it('--help into a reader that stops early (| head -1) ends quietly, exit code 0', async () => {
    const self = selfCommand();
    const command = [self.command, ...self.args, 'train', '--help'].map((a) => `'${a}'`).join(' ');
    const child = spawn('bash', ['-c', `set -o pipefail; ${command} | head -1`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stdout).toBe('Usage: ns3ts train [options]\n');
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 30_000);

  it('rejects an unknown agent in one line', async () => {
    const { done } = start(['train', '--agent', 'nope', '--scenario', scenarioFile, '--out', dir]);
    const { code, stderr } = await done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/--agent: got "nope", expected one of maddpg-admm/);
  }, 30_000);

  it('a run killed with SIGKILL mid-training resumes from an intact checkpoint and ends as if never killed', async () => {
    const runDir = join(dir, 'killed');
    // A checkpoint after every episode (no time floor), so that the kill finds one past episode 1.
    const args = ['train', '--scenario', scenarioFile, '--out', dir, '--run-id', 'killed', '--seed', '5', '--backend', 'wasm', '--no-progress', '--checkpoint-seconds', '0'];
    const { child, done } = start(args);
    // Kill once at least two episodes are checkpointed, and before the run is over.
    const deadline = Date.now() + 60_000;
    while (trainLines(runDir) < 3 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
    // The checkpoint on disk is always complete (written to a temp file, then renamed).
    const ckpt = decodeCheckpoint(readFileSync(join(runDir, 'checkpoint.bin')));
    const episode = (ckpt.meta.trainer as { episode: number }).episode;
    expect(episode).toBeGreaterThanOrEqual(2);
    expect(episode).toBeLessThan(12);

    const resumed = start(['train', '--resume', runDir, '--no-progress', '--json']);
    const result = await resumed.done;
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ finished: true, completedEpisodes: 12, resumedFrom: episode });
    expect(result.stderr).toContain(`resuming at episode ${episode + 1}`);

    // Same seed and backend, never interrupted (in this process): identical metrics.
    await selectBackend('wasm');
    await train({ scenario: scenarioFile, outDir: dir, runId: 'straight', seed: 5, backend: 'wasm', progress: false });
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'straight', 'metrics.jsonl'), 'utf8'));
  }, 120_000);
});
