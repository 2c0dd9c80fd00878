// ns3ts-peer: a trivial simulator that speaks the ns3-gym protocol (no ns-3), for tests and
// benchmarks. Each episode connects, sends SimInitMsg, plays --steps steps, then a game-over
// state; the next episode is a new connection (ns3-gym's reset = restart), or, with --soft-reset,
// continues in the same session when the agent answers with a reset request.
//
//   ns3ts-peer --endpoint ipc:///tmp/x --obs-shape 5 --dtype uint32 --act discrete:5
//              --steps 100 --episodes 1 --seed 1 --timeout-ms 10000
// Prints one JSON summary line on stdout: {"episodes":..,"steps":..,"seconds":..,"stepsPerSec":..}.
// Exit status: 0 done, 2 bad arguments, 3 the agent did not answer in time, 4 other errors.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "ns3ts-bridge/bridge.h"
#include "example-options.h"

namespace {

struct Args {
  std::string endpoint = "tcp://localhost:5555";
  std::vector<uint32_t> obsShape{5};
  std::string dtype = "uint32";
  std::string act = "discrete:5";
  uint64_t steps = 100;
  uint64_t episodes = 1;
  uint64_t seed = 1;
  int64_t timeoutMs = bridge::kDefaultTimeoutMs;
  bool quiet = false;
  bool softReset = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "ns3ts-peer: " << problem << "\n"
            << "usage: ns3ts-peer [--endpoint tcp://host:port|ipc://path] [--obs-shape 5|4x3]\n"
            << "                  [--dtype uint32|int32|int64|uint64|float|double] [--act discrete:N|box:N]\n"
            << "                  [--steps N] [--episodes N] [--seed N] [--timeout-ms N (0 = forever)]\n"
            << "                  [--soft-reset (advertise it: the agent may answer a state with a reset)] [--quiet]\n";
  std::exit(2);
}

uint64_t parseCount(const std::string& name, const std::string& value) {
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
    usage(name + ": got \"" + value + "\", expected a non-negative integer");
  return std::stoull(value);
}

Args parseArgs(int argc, char** argv) {
  Args args;
  ns3ts_examples::ForEachOption(
      argc, argv, {"--quiet", "--help", "--soft-reset"},
      [&](const std::string& arg, const std::string& value) {
        if (arg == "--endpoint") args.endpoint = value;
        else if (arg == "--obs-shape") {
          args.obsShape.clear();
          std::stringstream in(value);
          std::string dim;
          while (std::getline(in, dim, 'x')) args.obsShape.push_back(static_cast<uint32_t>(parseCount("--obs-shape", dim)));
          if (args.obsShape.empty()) usage("--obs-shape: got \"" + value + "\", expected e.g. 5 or 4x3");
        } else if (arg == "--dtype") args.dtype = value;
        else if (arg == "--act") args.act = value;
        else if (arg == "--steps") args.steps = parseCount(arg, value);
        else if (arg == "--episodes") args.episodes = parseCount(arg, value);
        else if (arg == "--seed") args.seed = parseCount(arg, value);
        else if (arg == "--timeout-ms") args.timeoutMs = static_cast<int64_t>(parseCount(arg, value));
        else if (arg == "--quiet") args.quiet = true;
        else if (arg == "--soft-reset") args.softReset = true;
        else if (arg == "--help") usage("help");
        else usage("unknown option " + arg);
      },
      usage);
  return args;
}

// splitmix64: a small deterministic generator for the observations.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
};

struct ActionSpec {
  bool discrete = true;
  uint32_t n = 5;
};

ActionSpec parseAction(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) usage("--act: got \"" + text + "\", expected discrete:N or box:N");
  ActionSpec spec;
  const std::string kind = text.substr(0, colon);
  spec.n = static_cast<uint32_t>(parseCount("--act", text.substr(colon + 1)));
  if (spec.n == 0) usage("--act: got \"" + text + "\", expected N >= 1");
  if (kind == "discrete") spec.discrete = true;
  else if (kind == "box") spec.discrete = false;
  else usage("--act: got \"" + text + "\", expected discrete:N or box:N");
  return spec;
}

class TrivialEnv {
 public:
  TrivialEnv(const Args& args, const ActionSpec& act, bridge::ElementType element)
      : args_(args), act_(act), element_(element), rng_{args.seed} {
    size_ = 1;
    for (uint32_t d : args.obsShape) size_ *= d;
  }

  bridge::SpacePtr observationSpace() const {
    return std::make_shared<bridge::BoxSpace>(0.0, 10.0, args_.obsShape, element_);
  }
  bridge::SpacePtr actionSpace() const {
    if (act_.discrete) return std::make_shared<bridge::DiscreteSpace>(static_cast<int32_t>(act_.n));
    return std::make_shared<bridge::BoxSpace>(0.0, 1.0, std::vector<uint32_t>{act_.n}, bridge::elementTypeFromName("float"));
  }

  void reset(uint64_t seed) {
    rng_ = Rng{seed};
    step_ = 0;
    reward_ = 0;
  }

  bridge::EnvState state(bool gameOver) {
    auto box = std::make_shared<bridge::BoxContainer>(element_, args_.obsShape);
    for (uint64_t i = 0; i < size_; ++i) {
      const double v = std::floor(rng_.uniform() * 10.0);
      switch (element_.dtype) {
        case bridge::Dtype::Int: box->ints().push_back(static_cast<int64_t>(v)); break;
        case bridge::Dtype::UInt: box->uints().push_back(static_cast<uint64_t>(v)); break;
        case bridge::Dtype::Float: box->floats().push_back(static_cast<float>(v)); break;
        default: box->doubles().push_back(v); break;
      }
    }
    bridge::EnvState s;
    s.obs = box;
    s.reward = reward_;
    s.isGameOver = gameOver;
    s.reason = bridge::EndReason::GameOver;
    s.info = "step=" + std::to_string(step_);
    s.simTime = 0.1 * static_cast<double>(step_);
    return s;
  }

  // Checks the action against the declared space; the reward is the action's mean (Box) or value.
  void execute(const bridge::ContainerPtr& action) {
    if (!action) throw bridge::ProtocolError("action: got none, expected a value of " + actionSpace()->describe());
    if (act_.discrete) {
      if (action->type() != bridge::SpaceType::Discrete)
        throw bridge::ProtocolError(std::string("action: got a ") + bridge::spaceTypeName(action->type()) +
                                    " value, expected Discrete(" + std::to_string(act_.n) + ")");
      const int32_t v = static_cast<bridge::DiscreteContainer&>(*action).value();
      if (v < 0 || static_cast<uint32_t>(v) >= act_.n)
        throw bridge::ProtocolError("action: got " + std::to_string(v) + ", expected 0.." + std::to_string(act_.n - 1));
      reward_ = static_cast<float>(v);
    } else {
      if (action->type() != bridge::SpaceType::Box)
        throw bridge::ProtocolError(std::string("action: got a ") + bridge::spaceTypeName(action->type()) +
                                    " value, expected Box([" + std::to_string(act_.n) + "])");
      const auto& box = static_cast<bridge::BoxContainer&>(*action);
      if (box.size() != act_.n)
        throw bridge::ProtocolError("action: got " + std::to_string(box.size()) + " values, expected " + std::to_string(act_.n));
      double sum = 0;
      for (double v : box.valuesAsDouble()) sum += v;
      reward_ = static_cast<float>(sum / act_.n);
    }
    ++step_;
  }

 private:
  const Args& args_;
  ActionSpec act_;
  bridge::ElementType element_;
  Rng rng_;
  uint64_t size_ = 1;
  uint64_t step_ = 0;
  float reward_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);
  const ActionSpec act = parseAction(args.act);
  uint64_t totalSteps = 0;
  uint64_t episodesDone = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    bridge::validateEndpoint(args.endpoint);
    TrivialEnv env(args, act, bridge::elementTypeFromName(args.dtype));
    uint64_t episodeSeed = args.seed;
    while (episodesDone < args.episodes) {
      bridge::SessionOptions options;
      options.endpoint = args.endpoint;
      options.timeoutMs = args.timeoutMs;
      options.seed = episodeSeed;
      options.curve = bridge::curveKeysFromEnvironment();
      options.capabilities = bridge::defaultCapabilities(args.softReset ? "soft-reset" : "");
      bridge::Session session(options);
      env.reset(episodeSeed);
      bridge::SimInitAck ack = session.handshake(env.observationSpace(), env.actionSpace());
      if (ack.stopSimReq) break;
      bool sessionOpen = true;
      while (sessionOpen && episodesDone < args.episodes) {
        bool agentStopped = false;
        bool softReset = false;
        for (uint64_t step = 0; step < args.steps; ++step) {
          bridge::EnvAct reply = session.step(env.state(false));
          if (reply.stopSimReq) {
            agentStopped = true;
            break;
          }
          if (reply.resetReq) {
            softReset = true;
            episodeSeed = reply.resetSeed;
            break;
          }
          env.execute(reply.action);
          ++totalSteps;
        }
        if (softReset) {
          ++episodesDone;
          env.reset(episodeSeed);
          continue;
        }
        if (agentStopped) {
          ++episodesDone;
          sessionOpen = false;
          break;
        }
        bridge::EnvAct last = session.step(env.state(true));
        ++episodesDone;
        if (last.resetReq && episodesDone < args.episodes) {
          episodeSeed = last.resetSeed;
          env.reset(episodeSeed);
          continue;
        }
        sessionOpen = false;
      }
      session.close();
      ++episodeSeed;
    }
  } catch (const bridge::TimeoutError& e) {
    std::cerr << "ns3ts-peer: fatal: " << e.what() << std::endl;
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "ns3ts-peer: fatal: " << e.what() << std::endl;
    return 4;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"episodes\":%llu,\"steps\":%llu,\"seconds\":%.6f,\"stepsPerSec\":%.1f}\n",
              static_cast<unsigned long long>(episodesDone), static_cast<unsigned long long>(totalSteps), seconds,
              seconds > 0 ? static_cast<double>(totalSteps) / seconds : 0.0);
  return 0;
}
