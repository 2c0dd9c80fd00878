import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/util/index.js';

function capture(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

describe('progress within a long episode', () => {
  it('moves the bar by a fraction of an episode and shows it, whole episodes stay whole', () => {
    const { stream, lines } = capture();
    const bar = new ProgressBar({ total: 1, label: 'train', stream, plainEverySeconds: 0 });
    bar.update(0, 'ep 1/1');
    bar.update(0.25, 'ep 1/1 step 1000/4000');
    bar.update(0.5, 'ep 1/1 step 2000/4000');
    bar.update(1, 'done');
    expect(lines[0]).toMatch(/^train \[-{24}\] 0\/1 /);
    expect(lines[1]).toMatch(/^train \[#{6}-{18}\] 0\.25\/1 .* step 1000\/4000$/);
    expect(lines[2]).toMatch(/^train \[#{12}-{12}\] 0\.50\/1 .*step 2000\/4000$/);
    expect(lines[3]).toMatch(/^train \[#{24}\] 1\/1 /);
  });
});
