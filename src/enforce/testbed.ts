/**
 * A two-host network on one machine for the demo, the tests and the `linux-tc` env: two network
 * namespaces joined by a veth pair, the sender's egress shaped by the enforcer, and iperf3 flows
 * from the sender to the receiver, one per slice, told apart by port and DSCP. Everything it
 * creates (namespaces, processes) is removed by `destroy()`, which the callers run in `finally`.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { log, Ns3tsError } from '../util/index.js';
import type { TcTarget } from './tc.js';

const execFileAsync = promisify(execFile);

export const SENDER_DEV = 'ns3ts-tx';
const RECEIVER_DEV = 'ns3ts-rx';
const SENDER_ADDR = '10.213.0.1';
export const RECEIVER_ADDR = '10.213.0.2';

/** One iperf3 flow: its destination port (also iperf3's control port) and optional DSCP. */
export interface TrafficFlow {
  port: number;
  dscp?: number;
  protocol: 'udp' | 'tcp';
  /** Offered rate, Mbit/s (UDP; TCP sends as fast as it is let through). */
  mbit: number;
}

async function ip(args: string[]): Promise<void> {
  try {
    await execFileAsync('ip', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? (err as Error).message;
    throw new Ns3tsError(`ip ${args.join(' ')}: ${stderr.trim().split('\n')[0]}`);
  }
}

export class Testbed {
  private readonly processes: ChildProcess[] = [];
  /** Namespaces this testbed created (only those are deleted). */
  private readonly namespaces: string[] = [];
  private destroyed = false;
  /** If the process exits without destroy() (an uncaught error, process.exit), the namespaces still go. */
  private readonly onExit = (): void => {
    for (const child of this.processes) child.kill('SIGKILL');
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
  };

  private constructor(
    readonly sender: string,
    readonly receiver: string,
  ) {}

  /** Where the enforcer shapes: the sender's end of the veth pair. */
  get target(): TcTarget {
    return { dev: SENDER_DEV, netns: this.sender };
  }

  /** Creates the namespaces `ns3ts-<tag>-tx` and `ns3ts-<tag>-rx` and the veth pair between them. */
  static async create(tag: string): Promise<Testbed> {
    const bed = new Testbed(`ns3ts-${tag}-tx`, `ns3ts-${tag}-rx`);
    process.once('exit', bed.onExit);
    try {
      for (const ns of [bed.sender, bed.receiver]) {
        await ip(['netns', 'add', ns]);
        bed.namespaces.push(ns);
      }
      await ip(['link', 'add', SENDER_DEV, 'netns', bed.sender, 'type', 'veth', 'peer', 'name', RECEIVER_DEV, 'netns', bed.receiver]);
      await ip(['-n', bed.sender, 'addr', 'add', `${SENDER_ADDR}/24`, 'dev', SENDER_DEV]);
      await ip(['-n', bed.receiver, 'addr', 'add', `${RECEIVER_ADDR}/24`, 'dev', RECEIVER_DEV]);
      for (const [ns, dev] of [[bed.sender, SENDER_DEV], [bed.receiver, RECEIVER_DEV]] as const) {
        await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        await ip(['-n', ns, 'link', 'set', dev, 'up']);
      }
    } catch (err) {
      await bed.destroy();
      throw err;
    }
    return bed;
  }

  private spawnIn(netns: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', netns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('exit', (code, signal) => {
      if (!this.destroyed && code !== 0 && signal === null) log.warn(`${args[0]} in ${netns} exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
    });
    this.processes.push(child);
    return child;
  }

  /** Starts one iperf3 server per flow on the receiver and waits until they listen. */
  private async startServers(flows: readonly TrafficFlow[]): Promise<void> {
    for (const flow of flows) this.spawnIn(this.receiver, ['iperf3', '-s', '-p', String(flow.port), '-1']);
    const deadline = Date.now() + 5000;
    for (;;) {
      const { stdout } = await execFileAsync('ip', ['netns', 'exec', this.receiver, 'ss', '-ltnH']);
      if (flows.every((f) => stdout.includes(`:${f.port} `))) return;
      if (Date.now() > deadline) throw new Ns3tsError(`iperf3 servers in ${this.receiver} did not listen within 5 s (is iperf3 installed?)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts the flows for `seconds` (servers first). */
  async startTraffic(flows: readonly TrafficFlow[], seconds: number): Promise<void> {
    await this.startServers(flows);
    for (const flow of flows) {
      const args = ['iperf3', '-c', RECEIVER_ADDR, '-p', String(flow.port), '-t', String(Math.ceil(seconds)), '-b', `${flow.mbit}M`];
      if (flow.protocol === 'udp') args.push('-u');
      if (flow.dscp !== undefined) args.push('--dscp', String(flow.dscp));
      this.spawnIn(this.sender, args);
    }
  }

  /** Stops every process it started and deletes both namespaces (the veth pair goes with them). Idempotent. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    process.off('exit', this.onExit);
    for (const child of this.processes.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    }
    for (const ns of this.namespaces.splice(0)) {
      await ip(['netns', 'del', ns]).catch(() => undefined);
    }
  }
}
