// A ZeroMQ ROUTER socket driven synchronously from JavaScript (libzmq, no event-loop round trip per
// message): the agent side of the bridge when it has the process to itself. See zmq_router.cc.
#pragma once

#include <napi.h>

namespace ns3ts {
// The ZmqRouter class for the addon's exports (built only when libzmq is found: NS3TS_WITH_ZMQ).
Napi::Function DefineZmqRouter(Napi::Env env);
}  // namespace ns3ts
