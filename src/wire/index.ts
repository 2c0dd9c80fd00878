// The wire face: the ns3-gym protobuf codec (generated from proto/ns3gym.proto) with Any packing,
// and the wire form of the env's spaces.
export {
  WireError,
  TYPE_URL_PREFIX,
  encodeSimInitMsg,
  decodeSimInitMsg,
  encodeSimInitAck,
  decodeSimInitAck,
  encodeEnvStateMsg,
  decodeEnvStateMsg,
  encodeEnvActMsg,
  decodeEnvActMsg,
  toHex,
  fromHex,
  type WireDtype,
  type WireSpaceType,
  type WireSpace,
  type WireData,
  type NumberList,
  type SimInitMsg,
  type SimInitAck,
  type EnvStateMsg,
  type EnvActMsg,
  type GameOverReason,
} from './codec.js';
export { spaceToWire, spaceFromWire, toWireData, fromWireData, dtypeFromWire } from './spaces.js';
export { DEFAULT_WIRE_LIMITS, MAX_RANK, resolveWireLimits, type WireLimits } from './limits.js';
export { readEnvStateMsg, readCanonicalEnvStateMsg, writeEnvActMsg, readEnvActMsg, readCanonicalEnvActMsg, writeEnvStateMsg } from './fast-codec.js';
