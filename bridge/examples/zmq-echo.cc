// zmq-echo: a plain ZeroMQ REQ/REP echo, the floor the bridge is measured against.
//
//   zmq-echo --role rep --endpoint ipc:///tmp/e --count 10000        (binds, echoes, exits)
//   zmq-echo --role req --endpoint ipc:///tmp/e --bytes 64 --count 10000
// The req side prints {"count":..,"bytes":..,"seconds":..,"roundTripsPerSec":..} on stdout.
// Both sides give up after --timeout-ms (default 10000) without a message: exit status 3.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <zmq.hpp>

#include "example-options.h"

namespace {
[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "zmq-echo: " << problem << "\n"
            << "usage: zmq-echo --role req|rep --endpoint <tcp://host:port|ipc://path> [--bytes N] [--count N]"
               " [--timeout-ms N]\n";
  std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
  std::string role, endpoint;
  long long bytes = 64, count = 1000, timeoutMs = 10000;
  ns3ts_examples::ForEachOption(
      argc, argv, {},
      [&](const std::string& name, const std::string& value) {
        if (name == "--role") role = value;
        else if (name == "--endpoint") endpoint = value;
        else if (name == "--bytes") bytes = std::stoll(value);
        else if (name == "--count") count = std::stoll(value);
        else if (name == "--timeout-ms") timeoutMs = std::stoll(value);
        else usage("unknown option " + name);
      },
      usage);
  if (role != "req" && role != "rep") usage("--role: got \"" + role + "\", expected req or rep");
  if (endpoint.empty()) usage("--endpoint is required");
  if (bytes < 0 || count < 1) usage("--bytes must be >= 0 and --count >= 1");

  zmq::context_t context{1};
  zmq::socket_t socket(context, role == "req" ? zmq::socket_type::req : zmq::socket_type::rep);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeoutMs));
  try {
    if (role == "rep") socket.bind(endpoint);
    else socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    std::cerr << "zmq-echo: " << endpoint << ": " << e.what() << std::endl;
    return 4;
  }
  const std::string payload(static_cast<std::size_t>(bytes), 'x');
  const auto start = std::chrono::steady_clock::now();
  for (long long i = 0; i < count; ++i) {
    zmq::message_t msg;
    if (role == "req") {
      socket.send(zmq::buffer(payload), zmq::send_flags::none);
      if (!socket.recv(msg)) {
        std::cerr << "zmq-echo: no reply from " << endpoint << " within " << timeoutMs << " ms" << std::endl;
        return 3;
      }
    } else {
      if (!socket.recv(msg)) {
        std::cerr << "zmq-echo: no request at " << endpoint << " within " << timeoutMs << " ms" << std::endl;
        return 3;
      }
      socket.send(msg, zmq::send_flags::none);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (role == "req")
    std::printf("{\"count\":%lld,\"bytes\":%lld,\"seconds\":%.6f,\"roundTripsPerSec\":%.1f}\n", count, bytes, seconds,
                seconds > 0 ? count / seconds : 0.0);
  return 0;
}
