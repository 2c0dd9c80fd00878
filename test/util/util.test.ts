import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, ProgressBar, Rng, deriveSeed, estimateCell, fixedCell, recordTableLines, significantCell, textTableLines, writeJsonAtomic } from '../../src/util/index.js';

describe('Rng', () => {
  it('repeats its stream for a seed, differs across seeds, and restores its state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
    const state = a.getState();
    const ahead = [a.normal(), a.next(), a.int(10)];
    a.setState(state);
    expect([a.normal(), a.next(), a.int(10)]).toEqual(ahead);
  });

  it('draws uniforms in [0, 1) and normals with mean 0 and variance 1', () => {
    const rng = new Rng(1);
    let sum = 0;
    let sumSq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
  });

  it('rejects a non-finite seed, naming it', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/seed: got NaN/);
  });

  it('derives distinct, stable child seeds', () => {
    expect(deriveSeed(1, 'sim', 0)).toBe(deriveSeed(1, 'sim', 0));
    expect(deriveSeed(1, 'sim', 0)).not.toBe(deriveSeed(1, 'sim', 1));
    expect(deriveSeed(1, 'sim', 0)).not.toBe(deriveSeed(2, 'sim', 0));
  });
});

describe('InputError', () => {
  it('names the field, the value and what was expected', () => {
    expect(new InputError('slices.0.phiTarget', -1, 'a number >= 0').message).toBe(
      'slices.0.phiTarget: got -1, expected a number >= 0',
    );
  });
});

describe('writeJsonAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns3ts-atomic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temporary file behind', () => {
    const path = join(dir, 'nested', 'state.json');
    writeJsonAtomic(path, { step: 1 });
    writeJsonAtomic(path, { step: 2 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ step: 2 });
    expect(readdirSync(join(dir, 'nested'))).toEqual(['state.json']);
  });
});

describe('ProgressBar off a terminal', () => {
  it('prints plain lines and never the same line twice', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar({ total: 3, label: 'work', stream, plainEverySeconds: 0 });
    bar.update(1, 'a');
    bar.update(3, 'b');
    bar.done();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^work \[#+\] 3\/3 .* b$/);
  });
});

describe('textTableLines', () => {
  const rows = [
    ['policy', 'threads', 'ms'],
    ['td3', '1', '1.34'],
    ['maddpg-admm', '2', '12.5'],
  ];

  it('aligns the label columns left and the figures right, two spaces apart, with no trailing spaces', () => {
    expect(textTableLines(rows)).toEqual(['policy       threads    ms', 'td3                1  1.34', 'maddpg-admm        2  12.5']);
    expect(textTableLines(rows, { leftColumns: 3 })).toEqual(['policy       threads  ms', 'td3          1        1.34', 'maddpg-admm  2        12.5']);
    expect(textTableLines(rows, { leftColumns: 0 })[1]).toBe('        td3        1  1.34');
  });

  it('puts a rule under the header and takes its widths from other rows when asked', () => {
    expect(textTableLines(rows.slice(0, 2), { rule: true, leftColumns: 3 })).toEqual(['policy  threads  ms', '------  -------  ----', 'td3     1        1.34']);
    expect(textTableLines(rows.slice(0, 2), { widthsOf: rows })).toEqual(['policy       threads    ms', 'td3                1  1.34']);
  });

  it('lays out records under their columns (recordTableLines)', () => {
    const records = [
      { policy: 'td3', threads: 1, ms: 1.34 },
      { policy: 'maddpg-admm', threads: 2, ms: 12.5 },
    ];
    const lines = recordTableLines<(typeof records)[number]>(
      [
        ['policy', (r) => r.policy],
        ['threads', (r) => String(r.threads)],
        ['ms', (r) => String(r.ms)],
      ],
      records,
    );
    expect(lines).toEqual(textTableLines(rows));
  });
});

describe('table cells', () => {
  it('fixedCell: fixed decimals, non-finite values by name, null as a dash', () => {
    expect(fixedCell(0.12345)).toBe('0.123');
    expect(fixedCell(2.5, 1)).toBe('2.5');
    expect(fixedCell(Number.NaN)).toBe('NaN');
    expect(fixedCell(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
    expect(fixedCell(null)).toBe('-');
  });

  it('significantCell: about three significant digits at any size', () => {
    expect(significantCell(0.012345)).toBe('0.012');
    expect(significantCell(12.345)).toBe('12.35');
    expect(significantCell(123.45)).toBe('123.5');
    expect(significantCell(123456)).toBe('1.23e+5');
    expect(significantCell(0.0001234)).toBe('1.23e-4');
    expect(significantCell(0)).toBe('0.000');
    expect(significantCell(Number.NaN)).toBe('NaN');
  });

  it('estimateCell: the mean, and the half-width of its interval when there is one', () => {
    expect(estimateCell(0.9123, null)).toBe('0.912');
    expect(estimateCell(0.9123, 0.0141)).toBe('0.912 ± 0.014');
  });
});
