// The suite runs in one temporary folder of its own (test/global-setup.ts), removed after the run,
// so that what the tests write under os.tmpdir() is not left in the system's temporary folder.
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';

describe("the suite's temporary folder", () => {
  test('os.tmpdir() is the run folder the global setup made, in the test workers and the processes they start', () => {
    expect(basename(tmpdir())).toMatch(/^ns3ts-test-/);
    const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())'], { encoding: 'utf8' });
    expect(child).toBe(tmpdir());
  });
});
