#!/usr/bin/env node
// `npm test`: runs the whole suite (vitest; the C++ ctest suites run inside it through
// test/cpp/*.test.ts) and ends with one plain summary line "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const resultsFile = '.vitest-results.json';
rmSync(resultsFile, { force: true });
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit' });
let summary = null;
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  summary = {
    passed: results.numPassedTests,
    failed: results.numFailedTests + (results.numFailedTestSuites ?? 0),
    skipped: results.numPendingTests + results.numTodoTests,
  };
} catch {
  // vitest died before writing results; the exit code below says so
}
if (summary) {
  process.stdout.write(`\ntests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
  if (summary.passed === 0 && summary.failed === 0) process.exit(1);
}
process.exit(run.status ?? 1);
