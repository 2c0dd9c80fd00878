// The four ns3-gym messages of a session, encoded to and decoded from wire bytes
// (one serialized protobuf message per ZeroMQ frame; protobuf types stay inside the library).
#pragma once

#include <cstdint>
#include <string>

#include "ns3ts-bridge/containers.h"
#include "ns3ts-bridge/spaces.h"

namespace bridge {

/// "ns3ts/<version>"; capability strings start with it.
extern const char* const kBridgeVersion;

struct SimInit {
  uint64_t simProcessId = 0;
  uint64_t wafShellProcessId = 0;
  SpacePtr obsSpace;
  SpacePtr actSpace;
  /// ns3ts extension: "ns3ts/<version> <cap>,<cap>,..." (empty from ns3-gym peers).
  std::string capabilities;
  /// ns3ts extension: the seed (RngRun) the simulator uses.
  uint64_t seed = 0;
};

struct SimInitAck {
  bool done = false;
  bool stopSimReq = false;
  /// ns3ts extension: what the agent supports (e.g. "soft-reset").
  std::string capabilities;
};

enum class EndReason : int { SimulationEnd = 0, GameOver = 1 };

struct EnvState {
  ContainerPtr obs;
  float reward = 0.0f;
  bool isGameOver = false;
  EndReason reason = EndReason::SimulationEnd;
  std::string info;
  /// ns3ts extension: simulation time of this state, seconds.
  double simTime = 0.0;
};

struct EnvAct {
  ContainerPtr action;
  bool stopSimReq = false;
  /// ns3ts extension: soft reset (only sent to simulators that advertise "soft-reset").
  bool resetReq = false;
  uint64_t resetSeed = 0;
};

std::string encodeSimInit(const SimInit& msg);
std::string encodeSimInitAck(const SimInitAck& msg);
std::string encodeEnvState(const EnvState& msg);
std::string encodeEnvAct(const EnvAct& msg);

/// Decoders throw bridge::ProtocolError on malformed bytes or unknown Any type URLs.
SimInit decodeSimInit(const std::string& bytes);
SimInitAck decodeSimInitAck(const std::string& bytes);
EnvState decodeEnvState(const std::string& bytes);
EnvAct decodeEnvAct(const std::string& bytes);

/// True when `capabilities` ("ns3ts/x.y.z a,b,c") lists `cap`.
bool hasCapability(const std::string& capabilities, const std::string& cap);

}  // namespace bridge
