#include "ns3ts-bridge/session.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <zmq.hpp>

#include "ns3ts-bridge/error.h"

namespace bridge {

std::string tcpEndpoint(const std::string& host, uint32_t port) {
  if (host.empty()) throw Error("host: got \"\", expected a host name or address");
  if (port == 0 || port > 65535)
    throw Error("port: got " + std::to_string(port) + ", expected 1..65535");
  return "tcp://" + host + ":" + std::to_string(port);
}

void validateEndpoint(const std::string& endpoint) {
  const std::string expected = "expected tcp://host:port or ipc://path";
  if (endpoint.rfind("ipc://", 0) == 0) {
    if (endpoint.size() == 6) throw Error("endpoint: got \"" + endpoint + "\" (empty path), " + expected);
    return;
  }
  if (endpoint.rfind("tcp://", 0) == 0) {
    const std::string rest = endpoint.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
      throw Error("endpoint: got \"" + endpoint + "\", " + expected);
    const std::string port = rest.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoul(port) == 0 || std::stoul(port) > 65535)
      throw Error("endpoint: got \"" + endpoint + "\" (port " + port + "), " + expected);
    return;
  }
  throw Error("endpoint: got \"" + endpoint + "\", " + expected);
}

std::string defaultCapabilities(const std::string& extra) {
  std::string caps = std::string(kBridgeVersion) + " box-bounds,int64,seed,sim-time";
  if (!extra.empty()) caps += "," + extra;
  return caps;
}

namespace {

void checkZ85Key(const std::string& path, const std::string& name, const std::string& key) {
  static const std::string kZ85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  if (key.size() != 40 || key.find_first_not_of(kZ85) != std::string::npos)
    throw Error(path + ": " + name + ": got a " + std::to_string(key.size()) +
                "-character value, expected a Z85-encoded CURVE key (40 characters)");
}

}  // namespace

CurveKeys readCurveKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(std::string(kCurveKeysVariable) + ": got \"" + path + "\", expected a readable CURVE key file");
  CurveKeys keys;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name, value;
    if (!(words >> name >> value)) continue;
    if (name == "server-public") keys.serverPublic = value;
    else if (name == "public") keys.publicKey = value;
    else if (name == "secret") keys.secretKey = value;
  }
  checkZ85Key(path, "server-public", keys.serverPublic);
  checkZ85Key(path, "public", keys.publicKey);
  checkZ85Key(path, "secret", keys.secretKey);
  return keys;
}

CurveKeys curveKeysFromEnvironment() {
  const char* path = std::getenv(kCurveKeysVariable);
  if (path == nullptr || *path == '\0') return {};
  return readCurveKeys(path);
}

struct Session::Impl {
  SessionOptions options;
  zmq::context_t context{1};
  zmq::socket_t socket;
  bool open = false;
  bool handshakeDone = false;
  std::string agentCapabilities;

  explicit Impl(SessionOptions opts) : options(std::move(opts)) {}

  void requireOpen(const char* what) const {
    if (!open) throw Error(std::string(what) + ": the session to " + options.endpoint + " is closed");
  }

  void send(const std::string& bytes, const char* what) {
    // A REQ socket queues the frame until the agent is there; the send timeout only bounds a
    // full queue, which cannot happen with one outstanding request.
    auto sent = socket.send(zmq::const_buffer(bytes.data(), bytes.size()), zmq::send_flags::none);
    if (!sent) throw TimeoutError(options.endpoint, options.timeoutMs, std::string("sending ") + what);
  }

  std::string receive(const char* what) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::milliseconds(options.timeoutMs);
    for (;;) {
      long waitMs = -1;
      if (options.timeoutMs > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) throw TimeoutError(options.endpoint, options.timeoutMs, what);
        waitMs = static_cast<long>(left);
      }
      zmq::pollitem_t item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
      int ready = 0;
      try {
        ready = zmq::poll(&item, 1, std::chrono::milliseconds(waitMs));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;  // a signal; the deadline still holds
        throw Error(std::string("waiting for ") + what + " from " + options.endpoint + ": " + e.what());
      }
      if (ready == 0) continue;  // the deadline check above throws when the wait is over
      zmq::message_t reply;
      auto got = socket.recv(reply, zmq::recv_flags::dontwait);
      if (!got) continue;
      return std::string(static_cast<const char*>(reply.data()), reply.size());
    }
  }
};

Session::Session(SessionOptions options) {
  validateEndpoint(options.endpoint);
  if (options.timeoutMs < 0)
    throw Error("timeoutMs: got " + std::to_string(options.timeoutMs) + ", expected >= 0 (0 waits forever)");
  if (options.capabilities.empty()) options.capabilities = defaultCapabilities();
  if (options.simProcessId == 0) options.simProcessId = static_cast<uint64_t>(::getpid());
  if (options.wafShellProcessId == 0) options.wafShellProcessId = static_cast<uint64_t>(::getppid());
  impl_ = std::make_unique<Impl>(std::move(options));
  try {
    impl_->socket = zmq::socket_t(impl_->context, zmq::socket_type::req);
    impl_->socket.set(zmq::sockopt::linger, 0);  // close() never blocks on unsent frames
    const CurveKeys& curve = impl_->options.curve;
    if (curve.enabled()) {
      // Set before connect: the handshake authenticates the agent by its public key, and the
      // agent admits only the client keys it generated for this run.
      impl_->socket.set(zmq::sockopt::curve_serverkey, curve.serverPublic);
      impl_->socket.set(zmq::sockopt::curve_publickey, curve.publicKey);
      impl_->socket.set(zmq::sockopt::curve_secretkey, curve.secretKey);
    }
    if (impl_->options.timeoutMs > 0)
      impl_->socket.set(zmq::sockopt::sndtimeo, static_cast<int>(std::min<int64_t>(impl_->options.timeoutMs, INT32_MAX)));
    impl_->socket.connect(impl_->options.endpoint);
  } catch (const zmq::error_t& e) {
    throw Error("connecting to " + impl_->options.endpoint + ": " + e.what());
  }
  impl_->open = true;
}

Session::~Session() { close(); }

SimInitAck Session::handshake(SpacePtr obsSpace, SpacePtr actSpace) {
  impl_->requireOpen("handshake");
  if (impl_->handshakeDone) throw Error("handshake: already done for " + impl_->options.endpoint);
  SimInit init;
  init.simProcessId = impl_->options.simProcessId;
  init.wafShellProcessId = impl_->options.wafShellProcessId;
  init.obsSpace = std::move(obsSpace);
  init.actSpace = std::move(actSpace);
  init.capabilities = impl_->options.capabilities;
  init.seed = impl_->options.seed;
  impl_->send(encodeSimInit(init), "SimInitMsg");
  SimInitAck ack = decodeSimInitAck(impl_->receive("SimInitAck (the reply to the handshake)"));
  impl_->handshakeDone = true;
  impl_->agentCapabilities = ack.capabilities;
  return ack;
}

EnvAct Session::step(const EnvState& state) {
  impl_->requireOpen("step");
  if (!impl_->handshakeDone) throw Error("step: handshake() must come first");
  impl_->send(encodeEnvState(state), "EnvStateMsg");
  return decodeEnvAct(impl_->receive(state.isGameOver ? "EnvActMsg (the reply to the final state)"
                                                      : "EnvActMsg (the agent's action)"));
}

void Session::close() {
  if (!impl_ || !impl_->open) return;
  impl_->open = false;
  impl_->socket.close();
  impl_->context.close();
}

const std::string& Session::endpoint() const { return impl_->options.endpoint; }
int64_t Session::timeoutMs() const { return impl_->options.timeoutMs; }
const std::string& Session::agentCapabilities() const { return impl_->agentCapabilities; }
bool Session::handshakeDone() const { return impl_->handshakeDone; }

}  // namespace bridge
