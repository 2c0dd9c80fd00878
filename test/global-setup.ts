// Runs once before any test file.
//
// It gives the run one temporary folder: TMPDIR points into it for every test worker and every
// process a test starts (os.tmpdir() reads it), and the teardown removes it. The tests' run
// folders, checkpoints, ipc sockets and simulator logs then leave nothing behind in the system's
// temporary folder, whatever each test cleans up itself.
//
// It builds the C++ programs the tests drive (bridge/, its ASan build and, when an installed ns-3
// is found, the ns-3 module and its programs). Building here, under the build lock and before the
// first test starts, means no test ever races a build that another test started, so the suite
// passes the first time on a fresh clone. Where the toolchain is missing nothing is built: the
// tests that need it skip loudly (and fail in CI).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureNs3Build, ns3SourceHash } from '../src/remote/index.js';
import { cppBridgeRequirement, ns3Requirement } from './helpers/requirements.js';

const repoRoot = resolve(import.meta.dirname, '..');

export default async function setup(): Promise<() => void> {
  const runTmp = mkdtempSync(join(tmpdir(), 'ns3ts-test-'));
  process.env.TMPDIR = runTmp;
  const teardown = (): void => rmSync(runTmp, { recursive: true, force: true });
  try {
    await buildCppPrograms();
  } catch (error) {
    teardown();
    throw error;
  }
  return teardown;
}

async function buildCppPrograms(): Promise<void> {
  if (process.env.NS3TS_TEST_NO_BUILD === '1') return;
  const bridge = cppBridgeRequirement();
  if (!bridge.available) {
    process.stderr.write(`\n*** not building the C++ programs: ${bridge.name} is missing (${bridge.install}) ***\n\n`);
    return;
  }
  const ns3 = ns3Requirement().available;
  // The C++ sources and the kind of build, as last built here: unchanged means nothing to do, so a
  // run of one test file does not pay for two no-op CMake builds.
  const stamp = `${ns3SourceHash()} ns3=${ns3}`;
  const stampPath = join(repoRoot, 'build', '.test-setup-stamp');
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return;
  process.stderr.write(`test setup: building the C++ programs${ns3 ? ' and the ns-3 module' : ''} (scripts/build-cpp.sh) ...\n`);
  const started = Date.now();
  const build = spawnSync('bash', [join(repoRoot, 'scripts', 'build-cpp.sh'), ...(ns3 ? [] : ['--no-ns3'])], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (build.status !== 0) {
    throw new Error(`scripts/build-cpp.sh failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
  }
  // Record the source hash the ns-3 programs were built from, so that no test rebuilds them.
  if (ns3) await ensureNs3Build();
  mkdirSync(join(repoRoot, 'build'), { recursive: true });
  writeFileSync(stampPath, stamp);
  process.stderr.write(`test setup: C++ programs ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
