#!/usr/bin/env node
// Builds the N-API addon in native/ with cmake-js into build/native/Release/ns3ts_native.node.
// Offline: the Node-API headers come from the node-api-headers package and node-addon-api from
// node_modules (cmake-js never downloads Node headers here). With --optional (the npm install
// hook) a failed build only warns: ns3ts then uses its pure-TypeScript fallback (same results).
// With --sanitize it builds an AddressSanitizer copy into build/native-asan/Release/ instead, for
// tests: load it with NS3TS_NATIVE_ADDON=<that path> and LD_PRELOAD=$(g++ -print-file-name=libasan.so).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const optional = process.argv.includes('--optional');
const verbose = process.argv.includes('--verbose');
const sanitize = process.argv.includes('--sanitize');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', sanitize ? 'native-asan' : 'native');

function giveUp(reason) {
  if (!optional) {
    process.stderr.write(`ns3ts: building the native addon failed: ${reason}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `\nns3ts: WARNING: the native addon was not built (${reason}).\n` +
      'ns3ts works without it (pure-TypeScript fallback, same results, slower inference).\n' +
      'To get it: install cmake and g++ (e.g. `apt-get install cmake g++`), then run `npm run build:native`.\n\n',
  );
  process.exit(0);
}

if (process.env.NS3TS_NATIVE === 'off' && optional) {
  process.stderr.write('ns3ts: NS3TS_NATIVE=off: skipping the native addon build\n');
  process.exit(0);
}
if (!existsSync(join(root, 'native', 'CMakeLists.txt'))) giveUp('native/CMakeLists.txt not found');

let cmakeJs;
try {
  cmakeJs = createRequire(import.meta.url)('cmake-js');
} catch (error) {
  giveUp(`cmake-js is not installed (${error.message.split('\n')[0]})`);
}

const options = {
  directory: root,
  out,
  config: 'Release',
  // Keep to the machine's cores (2 at most when the build shares the machine with others).
  parallel: Math.max(1, Math.min(availableParallelism(), Number(process.env.NS3TS_BUILD_JOBS) || 2)),
  logLevel: verbose ? 'verbose' : 'warn',
  ...(sanitize ? { cMakeOptions: { CMAKE_CXX_FLAGS: '-fsanitize=address -fno-omit-frame-pointer -g' } } : {}),
};
const buildSystem = new cmakeJs.BuildSystem(options);
// Node-API build: headers from node-api-headers (a cmake-js dependency), never a download. The
// package.json has no binary.napi_versions field, which is what cmake-js checks for this.
buildSystem.options.isNodeApi = true;
try {
  // rebuild = clean + configure + build: a stale cache from another checkout never leaks in.
  await buildSystem.rebuild();
} catch (error) {
  giveUp(error instanceof Error ? error.message.split('\n')[0] : String(error));
}
const built = join(out, 'Release', 'ns3ts_native.node');
if (!existsSync(built)) giveUp(`the build finished but ${built} is missing`);
process.stderr.write(`ns3ts: native addon built: ${built}\n`);
