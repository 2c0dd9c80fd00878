// The simulator side of an ns3-gym session: a ZeroMQ REQ socket that connects to the agent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ns3ts-bridge/codec.h"

namespace bridge {

/// Default wait for any reply from the agent (ns3-gym waits forever).
constexpr int64_t kDefaultTimeoutMs = 120000;

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
