#!/usr/bin/env node
// Builds the N-API addon in native/ with cmake-js. With --optional (the npm install hook) a failed
// build only warns: ns3ts then uses its pure-TypeScript fallback with identical results.
import { existsSync } from 'node:fs';

const optional = process.argv.includes('--optional');
if (!existsSync(new URL('../native/CMakeLists.txt', import.meta.url))) {
  if (!optional) {
    process.stderr.write('ns3ts: native/CMakeLists.txt not found; nothing to build\n');
    process.exit(1);
  }
  process.exit(0);
}
