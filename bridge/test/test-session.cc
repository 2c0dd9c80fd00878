// The REQ session against an in-process REP peer (a thread playing the agent).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <zmq.hpp>

#include "harness.h"
#include "ns3ts-bridge/bridge.h"

using namespace bridge;

namespace {

std::string tempIpcEndpoint(const char* tag) {
  const char* dir = std::getenv("TMPDIR");
  return std::string("ipc://") + (dir ? dir : "/tmp") + "/ns3ts-bridge-test-" + tag + "-" +
         std::to_string(::getpid()) + ".sock";
}

SpacePtr obsSpace() {
  return std::make_shared<BoxSpace>(0, 10, std::vector<uint32_t>{3}, elementTypeFromName("uint32_t"));
}

EnvState stateWith(uint64_t v, bool gameOver = false) {
  auto box = std::make_shared<BoxContainer>(ElementType{Dtype::UInt, 32}, std::vector<uint32_t>{3});
  box->uints() = {v, v + 1, v + 2};
  EnvState s;
  s.obs = box;
  s.reward = static_cast<float>(v);
  s.isGameOver = gameOver;
  s.reason = EndReason::GameOver;
  s.simTime = 0.1 * static_cast<double>(v);
  return s;
}

// The agent: acks the handshake, answers `actions` states with Discrete(step % 4), answers a
// game-over state with stop. Records what it saw.
struct Agent {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::rep};
  std::string endpoint;
  SimInit init;
  std::vector<EnvState> states;
  std::string error;

  explicit Agent(const std::string& bindTo, const std::string& curveSecret = "") {
    socket.set(zmq::sockopt::linger, 0);
    if (!curveSecret.empty()) {
      socket.set(zmq::sockopt::curve_server, 1);
      socket.set(zmq::sockopt::curve_secretkey, curveSecret);
    }
    socket.set(zmq::sockopt::rcvtimeo, 10000);
    socket.bind(bindTo);
    endpoint = socket.get(zmq::sockopt::last_endpoint);
  }

  std::string recv() {
    zmq::message_t msg;
    if (!socket.recv(msg)) throw Error("agent: no message within 10 s");
    return msg.to_string();
  }
  void send(const std::string& bytes) { socket.send(zmq::buffer(bytes), zmq::send_flags::none); }

  void play(const std::string& ackCapabilities = "") {
    try {
      init = decodeSimInit(recv());
      send(encodeSimInitAck(SimInitAck{true, false, ackCapabilities}));
      for (int step = 0;; ++step) {
        EnvState s = decodeEnvState(recv());
        states.push_back(s);
        EnvAct act;
        if (s.isGameOver) {
          act.stopSimReq = true;
          send(encodeEnvAct(act));
          return;
        }
        act.action = std::make_shared<DiscreteContainer>(step % 4);
        send(encodeEnvAct(act));
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
};

struct KeyPair {
  std::string publicKey, secretKey;
};

KeyPair curveKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) throw Error("zmq_curve_keypair failed (libzmq without CURVE?)");
  return {pub, sec};
}

std::string writeKeyFile(const char* tag, const std::string& text) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/ns3ts-bridge-test-" + tag + "-" + std::to_string(::getpid()) + ".keys";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw Error("cannot write " + path);
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return path;
}

void playEpisode(Agent& agent, const std::string& endpoint, const CurveKeys& curve = {}) {
  std::thread peer([&] { agent.play("ns3ts/0.1.0 soft-reset"); });
  SessionOptions options;
  options.curve = curve;
  options.endpoint = endpoint;
  options.timeoutMs = 5000;
  options.seed = 42;
  Session session(options);
  SimInitAck ack = session.handshake(obsSpace(), std::make_shared<DiscreteSpace>(4));
  CHECK(ack.done);
  CHECK(!ack.stopSimReq);
  CHECK(hasCapability(session.agentCapabilities(), "soft-reset"));
  for (uint64_t step = 0; step < 5; ++step) {
    EnvAct act = session.step(stateWith(step));
    CHECK(!act.stopSimReq);
    CHECK(act.action && act.action->type() == SpaceType::Discrete);
    CHECK_EQ(static_cast<DiscreteContainer&>(*act.action).value(), static_cast<int32_t>(step % 4));
  }
  EnvAct last = session.step(stateWith(5, true));
  CHECK(last.stopSimReq);
  session.close();
  peer.join();
  CHECK_EQ(agent.error, std::string());
  CHECK_EQ(agent.init.seed, 42u);
  CHECK_EQ(agent.init.simProcessId, static_cast<uint64_t>(::getpid()));
  CHECK(hasCapability(agent.init.capabilities, "seed"));
  CHECK_EQ(agent.states.size(), 6u);
  CHECK(agent.states.back().isGameOver);
  CHECK(agent.states.back().reason == EndReason::GameOver);
  CHECK_EQ(agent.states[3].simTime, 0.1 * 3);
  CHECK_EQ(static_cast<BoxContainer&>(*agent.states[2].obs).uints()[2], 4u);
}

}  // namespace

TEST_CASE("a full episode over ipc") {
  const std::string endpoint = tempIpcEndpoint("episode");
  Agent agent(endpoint);
  playEpisode(agent, endpoint);
  ::unlink(endpoint.substr(6).c_str());
}

TEST_CASE("a full episode over tcp with a configurable host") {
  Agent agent("tcp://127.0.0.1:*");
  playEpisode(agent, agent.endpoint);  // tcp://127.0.0.1:<ephemeral port>
}

TEST_CASE("an agent that never answers gives a TimeoutError naming the endpoint and the wait") {
  const std::string endpoint = tempIpcEndpoint("silent");
  zmq::context_t context{1};
  zmq::socket_t silent(context, zmq::socket_type::rep);
  silent.set(zmq::sockopt::linger, 0);
  silent.bind(endpoint);
  SessionOptions options;
  options.endpoint = endpoint;
  options.timeoutMs = 200;
  Session session(options);
  const auto start = std::chrono::steady_clock::now();
  bool thrown = false;
  try {
    session.handshake(obsSpace(), std::make_shared<DiscreteSpace>(2));
  } catch (const TimeoutError& e) {
    thrown = true;
    CHECK_EQ(e.endpoint(), endpoint);
    CHECK_EQ(e.waitMs(), 200);
    const std::string message = e.what();
    CHECK(message.find(endpoint) != std::string::npos);
    CHECK(message.find("200 ms") != std::string::npos);
    CHECK(message.find("SimInitAck") != std::string::npos);
  }
  CHECK(thrown);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(waited >= 190);
  CHECK(waited < 5000);
  session.close();  // never blocks (linger 0)
  ::unlink(endpoint.substr(6).c_str());
}

TEST_CASE("no agent at all: the handshake times out instead of hanging") {
  SessionOptions options;
  options.endpoint = "tcp://127.0.0.1:1";  // nothing listens on port 1
  options.timeoutMs = 150;
  Session session(options);
  CHECK_THROWS(session.handshake(obsSpace(), std::make_shared<DiscreteSpace>(2)), TimeoutError, "tcp://127.0.0.1:1");
}

TEST_CASE("an agent that dies mid-episode gives a TimeoutError while waiting for the action") {
  const std::string endpoint = tempIpcEndpoint("dies");
  std::atomic<bool> ready{false};
  std::thread agent([&] {
    zmq::context_t context{1};
    zmq::socket_t rep(context, zmq::socket_type::rep);
    rep.set(zmq::sockopt::linger, 0);
    rep.set(zmq::sockopt::rcvtimeo, 5000);
    rep.bind(endpoint);
    ready = true;
    zmq::message_t msg;
    if (rep.recv(msg)) rep.send(zmq::buffer(encodeSimInitAck(SimInitAck{true, false, ""})), zmq::send_flags::none);
    // then it "dies": closes without answering the first state
  });
  while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  SessionOptions options;
  options.endpoint = endpoint;
  options.timeoutMs = 300;
  Session session(options);
  session.handshake(obsSpace(), std::make_shared<DiscreteSpace>(2));
  agent.join();
  CHECK_THROWS(session.step(stateWith(1)), TimeoutError, "the agent's action");
  ::unlink(endpoint.substr(6).c_str());
}

TEST_CASE("a full episode over tcp with CURVE keys read from the file NS3TS_CURVE_KEYS names") {
  const KeyPair server = curveKeyPair();
  const KeyPair client = curveKeyPair();
  const std::string path = writeKeyFile("curve", "server-public " + server.publicKey + "\npublic " + client.publicKey +
                                                     "\nsecret " + client.secretKey + "\n");
  ::setenv(kCurveKeysVariable, path.c_str(), 1);
  const CurveKeys keys = curveKeysFromEnvironment();
  ::unsetenv(kCurveKeysVariable);
  CHECK(keys.enabled());
  CHECK_EQ(keys.publicKey, client.publicKey);
  Agent agent("tcp://127.0.0.1:*", server.secretKey);
  playEpisode(agent, agent.endpoint, keys);
  ::unlink(path.c_str());
  CHECK(!curveKeysFromEnvironment().enabled());  // unset: plain
}

TEST_CASE("a plain client cannot talk to a CURVE agent: the handshake times out") {
  const KeyPair server = curveKeyPair();
  Agent agent("tcp://127.0.0.1:*", server.secretKey);
  SessionOptions options;
  options.endpoint = agent.endpoint;
  options.timeoutMs = 300;
  Session session(options);
  CHECK_THROWS(session.handshake(obsSpace(), obsSpace()), TimeoutError, "SimInitAck");
}

TEST_CASE("a CURVE key file with a missing or malformed key is refused with the line's name") {
  const KeyPair k = curveKeyPair();
  const std::string shortKey = writeKeyFile("short", "server-public " + k.publicKey + "\npublic abc\nsecret " + k.secretKey + "\n");
  CHECK_THROWS(readCurveKeys(shortKey), Error, "public: got a 3-character value");
  ::unlink(shortKey.c_str());
  const std::string missing = writeKeyFile("missing", "public " + k.publicKey + "\nsecret " + k.secretKey + "\n");
  CHECK_THROWS(readCurveKeys(missing), Error, "server-public");
  ::unlink(missing.c_str());
  CHECK_THROWS(readCurveKeys("/nonexistent/ns3ts.keys"), Error, "NS3TS_CURVE_KEYS");
}

TEST_CASE("misuse is reported: bad endpoint, step before handshake, use after close") {
  SessionOptions bad;
  bad.endpoint = "localhost:5555";
  CHECK_THROWS(Session{bad}, Error, "localhost:5555");
  SessionOptions negative;
  negative.timeoutMs = -1;
  CHECK_THROWS(Session{negative}, Error, "timeoutMs");
  SessionOptions options;
  options.endpoint = "tcp://127.0.0.1:1";
  options.timeoutMs = 100;
  Session session(options);
  CHECK_THROWS(session.step(stateWith(0)), Error, "handshake");
  session.close();
  session.close();
  CHECK_THROWS(session.handshake(obsSpace(), obsSpace()), Error, "closed");
}

TEST_MAIN()
