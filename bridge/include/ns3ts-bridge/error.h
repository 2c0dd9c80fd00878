// Errors thrown by the ns3ts C++ bridge.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace bridge {

/// Any failure of the bridge: bad input, a malformed frame, a ZeroMQ failure.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A message from the agent did not decode, or did not fit the protocol at this point.
class ProtocolError : public Error {
 public:
  explicit ProtocolError(const std::string& message) : Error(message) {}
};

/// The agent did not answer within the configured wait. Thrown instead of blocking forever
/// (ns3-gym blocks forever when its agent dies).
class TimeoutError : public Error {
 public:
  TimeoutError(std::string endpoint, int64_t waitMs, std::string waitingFor);
  const std::string& endpoint() const { return endpoint_; }
  int64_t waitMs() const { return waitMs_; }
  const std::string& waitingFor() const { return waitingFor_; }

 private:
  std::string endpoint_;
  int64_t waitMs_;
  std::string waitingFor_;
};

}  // namespace bridge
