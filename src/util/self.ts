import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The repository (package) root: the folder holding package.json, proto/ and scenarios/. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
})();

/**
 * How to start this CLI again as a child process (simulators, sweep workers, Slurm tasks).
 * From the compiled package that is `node dist/cli/main.js`; when running from sources (tests,
 * `tsx`), `node --import tsx src/cli/main.ts`, so children run the same code as their parent.
 */
export function selfCommand(): { command: string; args: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  if (fromSources) {
    return { command: process.execPath, args: ['--import', 'tsx', join(packageRoot, 'src', 'cli', 'main.ts')] };
  }
  return { command: process.execPath, args: [join(packageRoot, 'dist', 'cli', 'main.js')] };
}
