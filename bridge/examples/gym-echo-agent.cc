// gym-echo-agent: the fastest agent a simulator can have, the ceiling of the bridge benchmark.
// A bare ZeroMQ REP socket that answers the SimInitMsg with SimInitAck{done} and every state with
// the same EnvActMsg bytes (a valid action, encoded by the caller), without decoding anything. A
// simulator that sees game over stops on its own whatever the answer, so the agent needs no
// protocol knowledge beyond the first frame being the handshake.
//
//   gym-echo-agent --endpoint ipc:///tmp/gym.sock --action-hex 0a050801120101 [--spin-us 200]
//
// --spin-us N (default 0) polls for the next state for up to N microseconds after each answer,
// yielding the core between polls, before blocking in recv: the same wait as the ns3ts agent's
// native socket, so the benchmark can show the ceiling with and without it.
//
// It prints {"states":..,"seconds":..,"stepsPerSec":..} on stdout once the simulator has gone
// quiet for --idle-ms (default 1000) after its first state; seconds run from the first state to
// the last one, stepsPerSec counts the answered steps between them. Exit status 3 when no
// simulator comes within --timeout-ms (default 60000), 2 on bad arguments, 4 when it cannot bind.
#include <sched.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <zmq.hpp>

#include "example-options.h"

namespace {
[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "gym-echo-agent: " << problem << "\n"
            << "usage: gym-echo-agent --endpoint <tcp://host:port|ipc://path> --action-hex <EnvActMsg bytes in hex>"
               " [--idle-ms N] [--timeout-ms N] [--spin-us N]\n";
  std::exit(2);
}

std::string fromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) usage("--action-hex: got \"" + hex + "\", expected an even number of hex digits");
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const std::string byte = hex.substr(i, 2);
    char* end = nullptr;
    const long value = std::strtol(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) usage("--action-hex: got \"" + hex + "\", expected hex digits only");
    out.push_back(static_cast<char>(value));
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  std::string endpoint, action;
  bool haveAction = false;
  long long idleMs = 1000, timeoutMs = 60000, spinUs = 0;
  ns3ts_examples::ForEachOption(
      argc, argv, {},
      [&](const std::string& name, const std::string& value) {
        if (name == "--endpoint") endpoint = value;
        else if (name == "--action-hex") action = fromHex(value), haveAction = true;
        else if (name == "--idle-ms") idleMs = std::stoll(value);
        else if (name == "--timeout-ms") timeoutMs = std::stoll(value);
        else if (name == "--spin-us") spinUs = std::stoll(value);
        else usage("unknown option " + name);
      },
      usage);
  if (endpoint.empty()) usage("--endpoint is required");
  if (!haveAction) usage("--action-hex is required");
  if (idleMs < 1 || timeoutMs < 1) usage("--idle-ms and --timeout-ms must be >= 1");
  if (spinUs < 0 || spinUs > 1000000) usage("--spin-us: got " + std::to_string(spinUs) + ", expected 0 to 1000000");

  zmq::context_t context{1};
  zmq::socket_t socket(context, zmq::socket_type::rep);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeoutMs));
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    std::cerr << "gym-echo-agent: " << endpoint << ": " << e.what() << std::endl;
    return 4;
  }
  // SimInitAck{done: true}: field 1, varint 1.
  static const char kInitAck[] = {0x08, 0x01};
  zmq::message_t msg;
  if (!socket.recv(msg)) {
    std::cerr << "gym-echo-agent: no simulator at " << endpoint << " within " << timeoutMs << " ms" << std::endl;
    return 3;
  }
  socket.send(zmq::buffer(kInitAck, sizeof kInitAck), zmq::send_flags::none);

  long long states = 0;
  std::chrono::steady_clock::time_point first, last;
  for (;;) {
    bool received = false;
    if (spinUs > 0 && states > 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spinUs);
      do {
        if (socket.recv(msg, zmq::recv_flags::dontwait)) {
          received = true;
          break;
        }
        sched_yield();
      } while (std::chrono::steady_clock::now() < until);
    }
    if (!received && !socket.recv(msg)) {
      if (states > 0) break;  // the simulator finished (or died): the run is over
      std::cerr << "gym-echo-agent: no state at " << endpoint << " within " << timeoutMs << " ms" << std::endl;
      return 3;
    }
    last = std::chrono::steady_clock::now();
    if (states++ == 0) {
      first = last;
      socket.set(zmq::sockopt::rcvtimeo, static_cast<int>(idleMs));
    }
    socket.send(zmq::buffer(action), zmq::send_flags::none);
  }
  const double seconds = std::chrono::duration<double>(last - first).count();
  std::printf("{\"states\":%lld,\"seconds\":%.6f,\"stepsPerSec\":%.1f}\n", states, seconds,
              seconds > 0 ? (states - 1) / seconds : 0.0);
  return 0;
}
