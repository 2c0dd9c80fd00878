import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/util/index.js';
import {
  decodeEnvActMsg,
  decodeEnvStateMsg,
  decodeSimInitAck,
  decodeSimInitMsg,
  encodeEnvActMsg,
  encodeEnvStateMsg,
  encodeSimInitAck,
  encodeSimInitMsg,
  fromHex,
  toHex,
  WireError,
} from '../../src/wire/index.js';

// Golden vectors of docs/protocol.md#golden-vectors: bytes captured between ns3-gym's opengym example and its Python agent.
const GOLDEN = {
  simInitMsg:
    '08dda60110dca6011a39080212350a27747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e426f785370616365120a150000204118022201052236080112320a2c747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e4469736372657465537061636512020805',
  simInitAck: '0801',
  envStateMsg:
    '0a430802123f0a2f747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e426f7844617461436f6e7461696e6572120c080212010522050806050404150000803f2a0c74657374496e666f7c313233',
  envActMsgDiscrete2:
    '0a3e0801123a0a34747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e446973637265746544617461436f6e7461696e657212020802',
  envActMsgStop: '1001',
};

describe('golden vectors (ns3-gym captures)', () => {
  it('SimInitMsg decodes and re-encodes byte for byte', () => {
    const msg = decodeSimInitMsg(fromHex(GOLDEN.simInitMsg));
    expect(msg.simProcessId).toBe(21341);
    expect(msg.wafShellProcessId).toBe(21340);
    expect(msg.obsSpace).toEqual({ type: 'Box', low: 0, high: 10, dtype: 'UINT', shape: [5] });
    expect(msg.actSpace).toEqual({ type: 'Discrete', n: 5 });
    expect(msg.capabilities).toBe('');
    expect(toHex(encodeSimInitMsg(msg))).toBe(GOLDEN.simInitMsg);
  });

  it('SimInitMsg encodes the same bytes for the same content with other pids', () => {
    const bytes = encodeSimInitMsg({
      simProcessId: 7,
      wafShellProcessId: 6,
      obsSpace: { type: 'Box', low: 0, high: 10, dtype: 'UINT', shape: [5] },
      actSpace: { type: 'Discrete', n: 5 },
    });
    // Only the two pid varints differ (08 07 10 06 instead of 08 dda601 10 dca601).
    expect(toHex(bytes)).toBe(`0807${'1006'}${GOLDEN.simInitMsg.slice(16)}`);
  });

  it('SimInitAck', () => {
    expect(toHex(encodeSimInitAck({ done: true }))).toBe(GOLDEN.simInitAck);
    expect(decodeSimInitAck(fromHex(GOLDEN.simInitAck))).toEqual({ done: true, stopSimReq: false, capabilities: '' });
  });

  it('EnvStateMsg', () => {
    const msg = decodeEnvStateMsg(fromHex(GOLDEN.envStateMsg));
    expect(msg.obsData).toEqual({ type: 'Box', dtype: 'UINT', shape: [5], uintData: [8, 6, 5, 4, 4] });
    expect(msg.reward).toBe(1);
    expect(msg.isGameOver).toBe(false);
    expect(msg.info).toBe('testInfo|123');
    const again = encodeEnvStateMsg({
      obsData: { type: 'Box', dtype: 'UINT', shape: [5], uintData: new Uint32Array([8, 6, 5, 4, 4]) },
      reward: 1,
      info: 'testInfo|123',
    });
    expect(toHex(again)).toBe(GOLDEN.envStateMsg);
  });

  it('EnvActMsg: action and stop', () => {
    expect(toHex(encodeEnvActMsg({ actData: { type: 'Discrete', value: 2 } }))).toBe(GOLDEN.envActMsgDiscrete2);
    expect(decodeEnvActMsg(fromHex(GOLDEN.envActMsgDiscrete2)).actData).toEqual({ type: 'Discrete', value: 2 });
    expect(toHex(encodeEnvActMsg({ stopSimReq: true }))).toBe(GOLDEN.envActMsgStop);
    expect(decodeEnvActMsg(fromHex(GOLDEN.envActMsgStop))).toEqual({ actData: null, stopSimReq: true, resetReq: false, resetSeed: 0 });
  });
});

describe('default values are omitted like proto3 does', () => {
  it('Discrete 0: the Any carries no value field', () => {
    const url = Buffer.from('type.googleapis.com/ns3opengym.DiscreteDataContainer').toString('hex');
    expect(toHex(encodeEnvActMsg({ actData: { type: 'Discrete', value: 0 } }))).toBe(`0a3a080112360a34${url}`);
    expect(decodeEnvActMsg(fromHex(`0a3a080112360a34${url}`)).actData).toEqual({ type: 'Discrete', value: 0 });
  });

  it('false flags, zero reward and empty info are not written', () => {
    expect(toHex(encodeEnvStateMsg({ reward: 0, isGameOver: false, info: '', simTime: 0 }))).toBe('');
    expect(toHex(encodeSimInitAck({ done: false, stopSimReq: false }))).toBe('');
  });
});

describe('ns3ts extensions', () => {
  it('64-bit data round-trips exactly, with the 32-bit truncation for old peers', () => {
    const values = [-(2n ** 63n), 2n ** 62n + 1n, -1n];
    const bytes = encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'INT', shape: [3], intData: [0, 1, -1], int64Data: values } });
    const back = decodeEnvStateMsg(bytes).obsData;
    expect(back).toMatchObject({ int64Data: values, intData: [0, 1, -1] });
    const u = decodeEnvStateMsg(encodeEnvStateMsg({ obsData: { type: 'Box', dtype: 'UINT', shape: [1], uint64Data: [2n ** 64n - 1n] } })).obsData;
    expect(u).toMatchObject({ uint64Data: [2n ** 64n - 1n] });
  });

  it('per-element bounds, bits, capabilities, seed, simTime, soft reset', () => {
    const init = decodeSimInitMsg(
      encodeSimInitMsg({
        simProcessId: 1,
        obsSpace: { type: 'Box', low: -1, high: 3, dtype: 'INT', shape: [2], lows: [-1, 0], highs: [1, 3], bits: 8 },
        actSpace: { type: 'Dict', elements: [{ type: 'Discrete', n: 3, name: 'a' }] },
        capabilities: 'ns3ts/0.1.0 soft-reset',
        seed: 2 ** 40,
      }),
    );
    expect(init.obsSpace).toEqual({ type: 'Box', low: -1, high: 3, dtype: 'INT', shape: [2], lows: [-1, 0], highs: [1, 3], bits: 8 });
    expect(init.actSpace).toEqual({ type: 'Dict', elements: [{ type: 'Discrete', n: 3, name: 'a' }] });
    expect(init.capabilities).toBe('ns3ts/0.1.0 soft-reset');
    expect(init.seed).toBe(2 ** 40);
    expect(decodeEnvStateMsg(encodeEnvStateMsg({ simTime: 1.25, isGameOver: true, reason: 'GameOver' }))).toMatchObject({
      simTime: 1.25,
      isGameOver: true,
      reason: 'GameOver',
    });
    expect(decodeEnvActMsg(encodeEnvActMsg({ resetReq: true, resetSeed: 42 }))).toMatchObject({ resetReq: true, resetSeed: 42 });
  });

  it('a game-over state without reason on the wire reads SimulationEnd', () => {
    expect(decodeEnvStateMsg(encodeEnvStateMsg({ isGameOver: true, reason: 'SimulationEnd' }))).toMatchObject({ reason: 'SimulationEnd' });
  });
});

describe('errors', () => {
  it('an unknown Any type URL is a clear error', () => {
    const good = GOLDEN.envActMsgDiscrete2;
    // Replace "DiscreteDataContainer" by "DiscreteDataContainex" in the type URL.
    const bad = good.replace(Buffer.from('DiscreteDataContainer').toString('hex'), Buffer.from('DiscreteDataContainex').toString('hex'));
    expect(() => decodeEnvActMsg(fromHex(bad))).toThrowError(WireError);
    expect(() => decodeEnvActMsg(fromHex(bad))).toThrowError(/unknown Any type URL "type\.googleapis\.com\/ns3opengym\.DiscreteDataContainex"/);
  });

  it('a Box space whose Any holds a Discrete is an error', () => {
    const bad = GOLDEN.simInitMsg.replace('1a39080212350a27', '1a39080112350a27');
    expect(() => decodeSimInitMsg(fromHex(bad))).toThrowError(/expected "type\.googleapis\.com\/ns3opengym\.DiscreteSpace"/);
  });

  it('garbage bytes are a malformed-frame error, not a crash', () => {
    expect(() => decodeEnvStateMsg(fromHex('0aff'))).toThrowError(/malformed EnvStateMsg/);
    expect(() => decodeSimInitMsg(fromHex('0801'))).toThrowError(/obsSpace/);
  });
});

describe('generated code', () => {
  it('regenerating from proto/ns3gym.proto changes nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'ns3ts-gen-'));
    try {
      execFileSync(process.execPath, [join(packageRoot, 'scripts', 'gen-proto.mjs'), '--out', out], { cwd: packageRoot, stdio: 'pipe' });
      for (const file of ['ns3gym.ts', 'ns3gym-types.d.ts']) {
        const fresh = readFileSync(join(out, file), 'utf8');
        const checkedIn = readFileSync(join(packageRoot, 'src', 'wire', 'generated', file), 'utf8');
        expect(fresh === checkedIn, `${file} is stale: run npm run proto:gen`).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
