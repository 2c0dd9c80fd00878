import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { integerOption, numberOption, parseInteger, parseNumber } from '../../src/cli/options.js';
import { InputError, selfCommand } from '../../src/util/index.js';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).message;
  }
  throw new Error('expected an InputError');
}

describe('integer options', () => {
  it('reads integers within the range', () => {
    expect(parseInteger('--seed', '0')).toBe(0);
    expect(parseInteger('--seed', ' 42 ')).toBe(42);
    expect(parseInteger('--jobs', '1', { min: 1 })).toBe(1);
    expect(parseInteger('--port', '65535', { min: 1, max: 65535 })).toBe(65535);
    expect(integerOption('--episodes', { min: 1 })('3')).toBe(3);
  });

  it('refuses blanks, fractions, words and values out of range, naming the option and the value', () => {
    expect(messageOf(() => parseInteger('--seed', ''))).toBe('--seed: got "", expected a non-negative integer');
    expect(messageOf(() => parseInteger('--seed', '  '))).toBe('--seed: got "  ", expected a non-negative integer');
    expect(messageOf(() => parseInteger('--seed', '-1'))).toBe('--seed: got "-1", expected a non-negative integer');
    expect(messageOf(() => parseInteger('--seed', '1.5'))).toBe('--seed: got "1.5", expected a non-negative integer');
    expect(messageOf(() => parseInteger('--seed', 'ten'))).toBe('--seed: got "ten", expected a non-negative integer');
    expect(messageOf(() => integerOption('--jobs', { min: 1 })('0'))).toBe('--jobs: got "0", expected a positive integer');
    expect(messageOf(() => parseInteger('--width', '1', { min: 2 }))).toBe('--width: got "1", expected an integer >= 2');
    expect(messageOf(() => parseInteger('--port', '70000', { min: 1, max: 65535 }))).toBe('--port: got "70000", expected an integer in [1, 65535]');
  });
});

describe('number options', () => {
  it('reads finite numbers within the range', () => {
    expect(parseNumber('--timeout', '0.5', { above: 0 })).toBe(0.5);
    expect(parseNumber('--rate', '0', { min: 0 })).toBe(0);
    expect(parseNumber('--fraction', '1', { min: 0, max: 1 })).toBe(1);
    expect(numberOption('--offset')('-2.5')).toBe(-2.5);
  });

  it('refuses blanks, non-finite values and values out of range', () => {
    expect(messageOf(() => numberOption('--timeout', { above: 0 })('0'))).toBe('--timeout: got "0", expected a positive number');
    expect(messageOf(() => parseNumber('--timeout', '', { above: 0 }))).toBe('--timeout: got "", expected a positive number');
    expect(messageOf(() => parseNumber('--timeout', 'Infinity', { above: 0 }))).toBe('--timeout: got "Infinity", expected a positive number');
    expect(messageOf(() => parseNumber('--rate', '-0.1', { min: 0 }))).toBe('--rate: got "-0.1", expected a non-negative number');
    expect(messageOf(() => parseNumber('--fraction', '1.5', { min: 0, max: 1 }))).toBe('--fraction: got "1.5", expected a number in [0, 1]');
    expect(messageOf(() => parseNumber('--step', '0', { above: 0, max: 1 }))).toBe('--step: got "0", expected a number in (0, 1]');
    expect(messageOf(() => parseNumber('--offset', 'NaN'))).toBe('--offset: got "NaN", expected a finite number');
  });
});

describe('the commands use the shared parsers', () => {
  it('a bad integer option fails in one line naming the option, the value and what was expected', () => {
    const self = selfCommand();
    const cases: Array<[string[], string]> = [
      [['train', '--episodes', '0'], 'ns3ts: --episodes: got "0", expected a positive integer'],
      [['sweep', '--workers', 'x'], 'ns3ts: --workers: got "x", expected a non-negative integer'],
      [['build-ns3', '--jobs', '1.5'], 'ns3ts: --jobs: got "1.5", expected a positive integer'],
    ];
    for (const [args, line] of cases) {
      const result = spawnSync(self.command, [...self.args, ...args], { encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr.split('\n')[0]).toBe(line);
    }
  }, 60_000);
});
