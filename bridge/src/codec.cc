#include "ns3ts-bridge/codec.h"

#include <limits>
#include <sstream>

#include "ns3gym.pb.h"
#include "ns3ts-bridge/error.h"

namespace bridge {

#ifndef NS3TS_VERSION
#define NS3TS_VERSION "0.1.0"
#endif
const char* const kBridgeVersion = "ns3ts/" NS3TS_VERSION;

namespace pb = ns3opengym;

namespace {

template <typename Msg>
void unpackAny(const google::protobuf::Any& any, Msg* out, const char* where) {
  if (!any.Is<Msg>() || !any.UnpackTo(out))
    throw ProtocolError(std::string(where) + ": got Any type_url \"" + any.type_url() +
                        "\", expected type.googleapis.com/" + Msg::descriptor()->full_name());
}

template <typename Msg>
void parseOrThrow(const std::string& bytes, Msg* out) {
  if (!out->ParseFromString(bytes))
    throw ProtocolError("malformed " + std::string(Msg::descriptor()->full_name()) + " (" +
                        std::to_string(bytes.size()) + " bytes did not decode)");
}

uint32_t defaultBits(Dtype dtype) { return dtype == Dtype::Double ? 64 : 32; }

Dtype fromPbDtype(pb::Dtype d) {
  switch (d) {
    case pb::INT: return Dtype::Int;
    case pb::UINT: return Dtype::UInt;
    case pb::FLOAT: return Dtype::Float;
    case pb::DOUBLE: return Dtype::Double;
    default: return Dtype::None;
  }
}

pb::Dtype toPbDtype(Dtype d) { return static_cast<pb::Dtype>(static_cast<int>(d)); }

void writeSpace(const Space& space, pb::SpaceDescription* out) {
  out->set_type(static_cast<pb::SpaceType>(static_cast<int>(space.type())));
  switch (space.type()) {
    case SpaceType::Discrete: {
      pb::DiscreteSpace msg;
      msg.set_n(static_cast<const DiscreteSpace&>(space).n());
      out->mutable_space()->PackFrom(msg);
      break;
    }
    case SpaceType::Box: {
      const auto& box = static_cast<const BoxSpace&>(space);
      pb::BoxSpace msg;
      msg.set_low(static_cast<float>(box.low()));
      msg.set_high(static_cast<float>(box.high()));
      msg.set_dtype(toPbDtype(box.dtype()));
      for (uint32_t d : box.shape()) msg.add_shape(d);
      for (double v : box.lows()) msg.add_lows(v);
      for (double v : box.highs()) msg.add_highs(v);
      // Only integer widths other than 32 are sent (float/double are implied by the dtype), so
      // the bytes of every type ns3-gym knows equal ns3-gym's.
      const bool integer = box.dtype() == Dtype::Int || box.dtype() == Dtype::UInt;
      if (integer && box.bits() != 32) msg.set_bits(box.bits());
      out->mutable_space()->PackFrom(msg);
      break;
    }
    case SpaceType::Tuple: {
      pb::TupleSpace msg;
      for (const SpacePtr& e : static_cast<const TupleSpace&>(space).elements()) writeSpace(*e, msg.add_element());
      out->mutable_space()->PackFrom(msg);
      break;
    }
    case SpaceType::Dict: {
      pb::DictSpace msg;
      for (const auto& [key, e] : static_cast<const DictSpace&>(space).elements()) {
        pb::SpaceDescription* d = msg.add_element();
        writeSpace(*e, d);
        d->set_name(key);
      }
      out->mutable_space()->PackFrom(msg);
      break;
    }
    default:
      throw Error("space type: got NoSpaceType, expected Discrete, Box, Tuple or Dict");
  }
}

SpacePtr readSpace(const pb::SpaceDescription& in) {
  switch (in.type()) {
    case pb::Discrete: {
      pb::DiscreteSpace msg;
      unpackAny(in.space(), &msg, "DiscreteSpace");
      return std::make_shared<DiscreteSpace>(msg.n());
    }
    case pb::Box: {
      pb::BoxSpace msg;
      unpackAny(in.space(), &msg, "BoxSpace");
      ElementType element{fromPbDtype(msg.dtype()), msg.bits()};
      if (element.bits == 0) element.bits = defaultBits(element.dtype);
      std::vector<uint32_t> shape(msg.shape().begin(), msg.shape().end());
      if (msg.lows_size() > 0 || msg.highs_size() > 0)
        return std::make_shared<BoxSpace>(std::vector<double>(msg.lows().begin(), msg.lows().end()),
                                          std::vector<double>(msg.highs().begin(), msg.highs().end()),
                                          shape, element);
      return std::make_shared<BoxSpace>(msg.low(), msg.high(), shape, element);
    }
    case pb::Tuple: {
      pb::TupleSpace msg;
      unpackAny(in.space(), &msg, "TupleSpace");
      auto tuple = std::make_shared<TupleSpace>();
      for (const auto& e : msg.element()) tuple->add(readSpace(e));
      return tuple;
    }
    case pb::Dict: {
      pb::DictSpace msg;
      unpackAny(in.space(), &msg, "DictSpace");
      auto dict = std::make_shared<DictSpace>();
      for (const auto& e : msg.element()) dict->add(e.name(), readSpace(e));
      return dict;
    }
    default:
      throw ProtocolError("SpaceDescription.type: got " + std::to_string(in.type()) +
                          ", expected Discrete(1), Box(2), Tuple(3) or Dict(4)");
  }
}

void writeContainer(const Container& c, pb::DataContainer* out) {
  out->set_type(static_cast<pb::SpaceType>(static_cast<int>(c.type())));
  switch (c.type()) {
    case SpaceType::Discrete: {
      pb::DiscreteDataContainer msg;
      msg.set_data(static_cast<const DiscreteContainer&>(c).value());
      out->mutable_data()->PackFrom(msg);
      break;
    }
    case SpaceType::Box: {
      const auto& box = static_cast<const BoxContainer&>(c);
      pb::BoxDataContainer msg;
      msg.set_dtype(toPbDtype(box.dtype()));
      for (uint32_t d : box.shape()) msg.add_shape(d);
      const bool wide = box.bits() == 64;
      switch (box.dtype()) {
        case Dtype::Int:
          for (int64_t v : box.ints()) {
            msg.add_intdata(static_cast<int32_t>(v));  // the 32-bit truncation ns3-gym sends
            if (wide) msg.add_int64data(v);
          }
          break;
        case Dtype::UInt:
          for (uint64_t v : box.uints()) {
            msg.add_uintdata(static_cast<uint32_t>(v));
            if (wide) msg.add_uint64data(v);
          }
          break;
        case Dtype::Float:
          for (float v : box.floats()) msg.add_floatdata(v);
          break;
        case Dtype::Double:
          for (double v : box.doubles()) msg.add_doubledata(v);
          break;
        default:
          throw Error("Box container dtype: got NoDType, expected INT, UINT, FLOAT or DOUBLE");
      }
      out->mutable_data()->PackFrom(msg);
      break;
    }
    case SpaceType::Tuple: {
      pb::TupleDataContainer msg;
      for (const ContainerPtr& e : static_cast<const TupleContainer&>(c).elements()) {
        if (!e) throw Error("Tuple container element: got null, expected a value");
        writeContainer(*e, msg.add_element());
      }
      out->mutable_data()->PackFrom(msg);
      break;
    }
    case SpaceType::Dict: {
      pb::DictDataContainer msg;
      for (const auto& [key, e] : static_cast<const DictContainer&>(c).elements()) {
        if (!e) throw Error("Dict container element \"" + key + "\": got null, expected a value");
        pb::DataContainer* d = msg.add_element();
        writeContainer(*e, d);
        d->set_name(key);
      }
      out->mutable_data()->PackFrom(msg);
      break;
    }
    default:
      throw Error("container type: got NoSpaceType, expected Discrete, Box, Tuple or Dict");
  }
}

ContainerPtr readContainer(const pb::DataContainer& in) {
  switch (in.type()) {
    case pb::Discrete: {
      pb::DiscreteDataContainer msg;
      unpackAny(in.data(), &msg, "DiscreteDataContainer");
      return std::make_shared<DiscreteContainer>(msg.data());
    }
    case pb::Box: {
      pb::BoxDataContainer msg;
      unpackAny(in.data(), &msg, "BoxDataContainer");
      const Dtype dtype = fromPbDtype(msg.dtype());
      std::vector<uint32_t> shape(msg.shape().begin(), msg.shape().end());
      ElementType element{dtype, defaultBits(dtype)};
      if (dtype == Dtype::Int && msg.int64data_size() > 0) element.bits = 64;
      if (dtype == Dtype::UInt && msg.uint64data_size() > 0) element.bits = 64;
      auto box = std::make_shared<BoxContainer>(element, shape);
      switch (dtype) {
        case Dtype::Int:
          if (element.bits == 64) box->ints().assign(msg.int64data().begin(), msg.int64data().end());
          else box->ints().assign(msg.intdata().begin(), msg.intdata().end());
          break;
        case Dtype::UInt:
          if (element.bits == 64) box->uints().assign(msg.uint64data().begin(), msg.uint64data().end());
          else box->uints().assign(msg.uintdata().begin(), msg.uintdata().end());
          break;
        case Dtype::Float: box->floats().assign(msg.floatdata().begin(), msg.floatdata().end()); break;
        case Dtype::Double: box->doubles().assign(msg.doubledata().begin(), msg.doubledata().end()); break;
        default:
          throw ProtocolError("BoxDataContainer.dtype: got " + std::to_string(msg.dtype()) +
                              ", expected INT(1), UINT(2), FLOAT(3) or DOUBLE(4)");
      }
      return box;
    }
    case pb::Tuple: {
      pb::TupleDataContainer msg;
      unpackAny(in.data(), &msg, "TupleDataContainer");
      auto tuple = std::make_shared<TupleContainer>();
      for (const auto& e : msg.element()) tuple->add(readContainer(e));
      return tuple;
    }
    case pb::Dict: {
      pb::DictDataContainer msg;
      unpackAny(in.data(), &msg, "DictDataContainer");
      auto dict = std::make_shared<DictContainer>();
      for (const auto& e : msg.element()) dict->add(e.name(), readContainer(e));
      return dict;
    }
    default:
      throw ProtocolError("DataContainer.type: got " + std::to_string(in.type()) +
                          ", expected Discrete(1), Box(2), Tuple(3) or Dict(4)");
  }
}

std::string serialize(const google::protobuf::MessageLite& msg) {
  std::string out;
  if (!msg.SerializeToString(&out)) throw Error("protobuf serialization failed");
  return out;
}

}  // namespace

std::string encodeSimInit(const SimInit& msg) {
  if (!msg.obsSpace || !msg.actSpace) throw Error("SimInitMsg: observation and action spaces are required");
  pb::SimInitMsg out;
  out.set_simprocessid(msg.simProcessId);
  out.set_wafshellprocessid(msg.wafShellProcessId);
  writeSpace(*msg.obsSpace, out.mutable_obsspace());
  writeSpace(*msg.actSpace, out.mutable_actspace());
  out.set_capabilities(msg.capabilities);
  out.set_seed(msg.seed);
  return serialize(out);
}

std::string encodeSimInitAck(const SimInitAck& msg) {
  pb::SimInitAck out;
  out.set_done(msg.done);
  out.set_stopsimreq(msg.stopSimReq);
  out.set_capabilities(msg.capabilities);
  return serialize(out);
}

std::string encodeEnvState(const EnvState& msg) {
  pb::EnvStateMsg out;
  if (msg.obs) writeContainer(*msg.obs, out.mutable_obsdata());
  out.set_reward(msg.reward);
  if (msg.isGameOver) {
    out.set_isgameover(true);
    out.set_reason(msg.reason == EndReason::GameOver ? pb::EnvStateMsg::GameOver
                                                     : pb::EnvStateMsg::SimulationEnd);
  }
  out.set_info(msg.info);
  out.set_simtime(msg.simTime);
  return serialize(out);
}

std::string encodeEnvAct(const EnvAct& msg) {
  pb::EnvActMsg out;
  if (msg.action) writeContainer(*msg.action, out.mutable_actdata());
  out.set_stopsimreq(msg.stopSimReq);
  out.set_resetreq(msg.resetReq);
  out.set_resetseed(msg.resetSeed);
  return serialize(out);
}

SimInit decodeSimInit(const std::string& bytes) {
  pb::SimInitMsg in;
  parseOrThrow(bytes, &in);
  SimInit out;
  out.simProcessId = in.simprocessid();
  out.wafShellProcessId = in.wafshellprocessid();
  if (in.has_obsspace()) out.obsSpace = readSpace(in.obsspace());
  if (in.has_actspace()) out.actSpace = readSpace(in.actspace());
  out.capabilities = in.capabilities();
  out.seed = in.seed();
  return out;
}

SimInitAck decodeSimInitAck(const std::string& bytes) {
  pb::SimInitAck in;
  parseOrThrow(bytes, &in);
  return SimInitAck{in.done(), in.stopsimreq(), in.capabilities()};
}

EnvState decodeEnvState(const std::string& bytes) {
  pb::EnvStateMsg in;
  parseOrThrow(bytes, &in);
  EnvState out;
  if (in.has_obsdata()) out.obs = readContainer(in.obsdata());
  out.reward = in.reward();
  out.isGameOver = in.isgameover();
  out.reason = in.reason() == pb::EnvStateMsg::GameOver ? EndReason::GameOver : EndReason::SimulationEnd;
  out.info = in.info();
  out.simTime = in.simtime();
  return out;
}

EnvAct decodeEnvAct(const std::string& bytes) {
  pb::EnvActMsg in;
  parseOrThrow(bytes, &in);
  EnvAct out;
  if (in.has_actdata()) out.action = readContainer(in.actdata());
  out.stopSimReq = in.stopsimreq();
  out.resetReq = in.resetreq();
  out.resetSeed = in.resetseed();
  return out;
}

bool hasCapability(const std::string& capabilities, const std::string& cap) {
  // "ns3ts/x.y.z a,b,c": the list follows the first space.
  const auto space = capabilities.find(' ');
  if (space == std::string::npos || cap.empty()) return false;
  std::istringstream list(capabilities.substr(space + 1));
  std::string item;
  while (std::getline(list, item, ','))
    if (item == cap) return true;
  return false;
}

}  // namespace bridge
