// The ns3ts C++ bridge: the simulator side of the ns3-gym wire, without ns-3.
#pragma once

#include "ns3ts-bridge/codec.h"
#include "ns3ts-bridge/containers.h"
#include "ns3ts-bridge/error.h"
#include "ns3ts-bridge/projection.h"
#include "ns3ts-bridge/session.h"
#include "ns3ts-bridge/spaces.h"
