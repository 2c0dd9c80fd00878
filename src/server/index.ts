// The server face: the agent side of the ns3-gym protocol (REP/ROUTER GymServer and its
// sessions) and the simulator side in TypeScript (SimulatorPeer).
export { GymServer, DEFAULT_TIMEOUTS, NATIVE_SPIN_US, type GymServerOptions, type ServerMode, type ServerTransport, type ServerError, type AcceptOptions } from './gym-server.js';
export {
  Session,
  ProtocolError,
  STOP_FRAME,
  type SessionEndReason,
  type SessionEvent,
  type SessionState,
  type StateHandler,
} from './session.js';
export {
  SimulatorPeer,
  DEFAULT_PEER_TIMEOUT_MS,
  type SimulatorPeerOptions,
  type InitAck,
  type PeerState,
  type PeerReply,
} from './simulator-peer.js';
export {
  normalizeEndpoint,
  connectEndpoint,
  isLoopbackEndpoint,
  parseCapabilities,
  formatCapabilities,
  ns3tsVersion,
  BASE_CAPABILITIES,
  type Capabilities,
} from './endpoint.js';
export {
  runAgent,
  parsePolicy,
  actionFromJson,
  type AgentOptions,
  type AgentSummary,
  type ActionPolicy,
  type ExternalPolicy,
  type SessionPolicy,
} from './agent.js';
export {
  curveAvailable,
  generateCurveRunKeys,
  curveServerKeys,
  writeCurveKeyFile,
  checkCurveKey,
  z85Encode,
  CURVE_KEYS_VARIABLE,
  type CurveKeyPair,
  type CurveServerKeys,
  type CurveRunKeys,
} from './curve.js';
