import { describe, expect, it } from 'vitest';
import { subcommandOf } from '../../src/cli/relaunch.js';

describe('which command line relaunches (ns3ts agent)', () => {
  it('finds the subcommand after global options, the value of --log-level skipped', () => {
    expect(subcommandOf(['node', 'ns3ts', 'agent', '--endpoint', 'tcp://127.0.0.1:5555'])).toBe('agent');
    expect(subcommandOf(['node', 'ns3ts', '-v', 'agent'])).toBe('agent');
    expect(subcommandOf(['node', 'ns3ts', '--log-level', 'debug', 'agent'])).toBe('agent');
    expect(subcommandOf(['node', 'ns3ts', '--log-level', 'agent', 'train'])).toBe('train');
    expect(subcommandOf(['node', 'ns3ts', 'train', '--', 'agent'])).toBe('train');
    expect(subcommandOf(['node', 'ns3ts', '--help'])).toBeUndefined();
  });
});
