// `npm run fuzz [-- --frames N --seed S]`: the fuzz campaign of test/server/fuzz-campaign.ts at full
// size (default 100,000 frames over the four targets); prints frames/s, the replies, rejections by
// reason and each target's peak RSS. Exit code 1 when a frame went unanswered or the well-behaved
// simulator was not served to its end.
import { FRAME_KINDS, TARGETS, formatResults, runCampaign } from './fuzz-campaign.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`${name}: got ${JSON.stringify(process.argv[i + 1])}, expected a positive integer\n`);
    process.exit(2);
  }
  return n;
}

const frames = flag('--frames', 100_000);
const seed = flag('--seed', 1);
const framesPerKind = Math.ceil(frames / (TARGETS.length * FRAME_KINDS.length));
process.stdout.write(`fuzz: seed ${seed}, ${framesPerKind * TARGETS.length * FRAME_KINDS.length} frames (${framesPerKind} of each kind per target: ${FRAME_KINDS.join(', ')})\n`);
const results = await runCampaign({ seed, framesPerKind, onProgress: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(`${formatResults(results)}\n`);
const failed = results.filter((r) => r.replies.none > 0 || !r.goodOk);
process.exit(failed.length > 0 ? 1 : 0);
