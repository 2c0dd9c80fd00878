#include "ns3ts-bridge/error.h"

namespace bridge {

namespace {
std::string timeoutMessage(const std::string& endpoint, int64_t waitMs, const std::string& waitingFor) {
  return "no reply from the agent at " + endpoint + " within " + std::to_string(waitMs) +
         " ms while waiting for " + waitingFor +
         " (is the agent running and bound to that endpoint? raise the timeout, or 0 waits forever)";
}
}  // namespace

TimeoutError::TimeoutError(std::string endpoint, int64_t waitMs, std::string waitingFor)
    : Error(timeoutMessage(endpoint, waitMs, waitingFor)),
      endpoint_(std::move(endpoint)),
      waitMs_(waitMs),
      waitingFor_(std::move(waitingFor)) {}

}  // namespace bridge
