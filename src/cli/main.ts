// Entry point when run as a script (node dist/cli/main.js, or tsx src/cli/main.ts).
import { main } from './program.js';

process.exitCode = await main(process.argv);
