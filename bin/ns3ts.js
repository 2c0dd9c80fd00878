#!/usr/bin/env node
// The installed CLI entry point: runs the compiled CLI from dist/ (built by `npm run build`,
// which `npm ci` runs through the `prepare` script).
import '../dist/cli/main.js';
