// The simulator side of an ns3-gym session: a ZeroMQ REQ socket that connects to the agent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ns3ts-bridge/codec.h"

namespace bridge {

/// Default wait for any reply from the agent (ns3-gym waits forever).
constexpr int64_t kDefaultTimeoutMs = 120000;

/// ZeroMQ CURVE keys of a session, Z85-encoded (40 characters each). All empty: plain ZeroMQ.
struct CurveKeys {
  /// The agent's (server's) public key.
  std::string serverPublic;
  /// This simulator's key pair; the agent admits only public keys it generated for the run.
  std::string publicKey;
  std::string secretKey;
  bool enabled() const { return !serverPublic.empty(); }
};

/// Environment variable naming the CURVE key file of a run (written by the agent, mode 0600).
constexpr const char* kCurveKeysVariable = "NS3TS_CURVE_KEYS";

/// The keys in the file named by NS3TS_CURVE_KEYS, or none (plain) when it is unset or empty.
/// The file holds three lines `server-public <z85>`, `public <z85>`, `secret <z85>`; a missing
/// file, a missing line or a key that is not 40 Z85 characters throws bridge::Error. Keys are
/// never taken from the command line, where other users of the node could read them.
CurveKeys curveKeysFromEnvironment();
/// Reads a CURVE key file (see curveKeysFromEnvironment).
CurveKeys readCurveKeys(const std::string& path);

struct SessionOptions {
  /// "tcp://host:port" or "ipc://path".
  std::string endpoint = "tcp://localhost:5555";
  /// Longest wait for each reply of the agent; 0 waits forever (ns3-gym behaviour).
  int64_t timeoutMs = kDefaultTimeoutMs;
  /// Sent in SimInitMsg.capabilities; defaultCapabilities() unless set.
  std::string capabilities;
  /// Sent in SimInitMsg.seed.
  uint64_t seed = 0;
  /// Sent as SimInitMsg.simProcessId / wafShellProcessId; 0 = getpid() / getppid().
  uint64_t simProcessId = 0;
  uint64_t wafShellProcessId = 0;
  /// CURVE encryption and authentication (ZMQ_CURVE_SERVERKEY/PUBLICKEY/SECRETKEY); plain when empty.
  CurveKeys curve;
};

/// "tcp://<host>:<port>"; throws bridge::Error on an empty host or port 0 / > 65535.
std::string tcpEndpoint(const std::string& host, uint32_t port);
/// Throws bridge::Error unless `endpoint` is tcp://host:port or ipc://path.
void validateEndpoint(const std::string& endpoint);
/// "ns3ts/<version> box-bounds,int64,seed,sim-time" plus `extra` (comma-separated) if given.
std::string defaultCapabilities(const std::string& extra = "");

/// One REQ session. Not thread-safe; one per simulator process (or per thread).
/// Every wait for the agent is bounded by SessionOptions::timeoutMs and throws
/// bridge::TimeoutError when it runs out; close() never blocks (ZMQ_LINGER = 0).
class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Sends SimInitMsg{pids, spaces, capabilities, seed} and returns the agent's SimInitAck.
  /// ack.stopSimReq == true means the agent wants the simulation to end now.
  SimInitAck handshake(SpacePtr obsSpace, SpacePtr actSpace);
  /// Sends one EnvStateMsg and returns the agent's EnvActMsg.
  EnvAct step(const EnvState& state);
  /// Closes the socket; further calls throw. Idempotent.
  void close();

  const std::string& endpoint() const;
  int64_t timeoutMs() const;
  /// The capabilities the agent listed in its SimInitAck (empty for ns3-gym agents).
  const std::string& agentCapabilities() const;
  bool handshakeDone() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
