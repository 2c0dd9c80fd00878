// Codec, spaces and containers: golden vectors from docs/protocol.md and the ns3ts extensions.
#include <cstdint>
#include <string>

#include "harness.h"
#include "ns3ts-bridge/bridge.h"

using namespace bridge;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  return out;
}

// Verbatim from docs/protocol.md#golden-vectors (captured between ns3-gym's opengym example and its Python agent).
const std::string kGoldenSimInit =
    "08dda60110dca6011a39080212350a27747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e42"
    "6f785370616365120a150000204118022201052236080112320a2c747970652e676f6f676c65617069732e636f6d2f6e"
    "73336f70656e67796d2e4469736372657465537061636512020805";
const std::string kGoldenState =
    "0a430802123f0a2f747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e426f7844617461436f"
    "6e7461696e6572120c080212010522050806050404150000803f2a0c74657374496e666f7c313233";
const std::string kGoldenAct =
    "0a3e0801123a0a34747970652e676f6f676c65617069732e636f6d2f6e73336f70656e67796d2e446973637265746544"
    "617461436f6e7461696e657212020802";

std::shared_ptr<BoxContainer> uintBox(std::vector<uint64_t> values) {
  auto box = std::make_shared<BoxContainer>(ElementType{Dtype::UInt, 32}, std::vector<uint32_t>{static_cast<uint32_t>(values.size())});
  box->uints() = std::move(values);
  return box;
}

}  // namespace

TEST_CASE("SimInitMsg encodes to the ns3-gym golden bytes") {
  SimInit msg;
  msg.simProcessId = 21341;
  msg.wafShellProcessId = 21340;
  msg.obsSpace = std::make_shared<BoxSpace>(0.0, 10.0, std::vector<uint32_t>{5}, elementTypeFromName("uint32_t"));
  msg.actSpace = std::make_shared<DiscreteSpace>(5);
  CHECK_EQ(hex(encodeSimInit(msg)), kGoldenSimInit);
}

TEST_CASE("SimInitMsg golden bytes decode") {
  SimInit msg = decodeSimInit(unhex(kGoldenSimInit));
  CHECK_EQ(msg.simProcessId, 21341u);
  CHECK_EQ(msg.wafShellProcessId, 21340u);
  CHECK(msg.obsSpace->type() == SpaceType::Box);
  const auto& box = static_cast<const BoxSpace&>(*msg.obsSpace);
  CHECK_EQ(box.low(), 0.0);
  CHECK_EQ(box.high(), 10.0);
  CHECK(box.dtype() == Dtype::UInt);
  CHECK_EQ(box.bits(), 32u);
  CHECK_EQ(box.shape().size(), 1u);
  CHECK_EQ(box.shape()[0], 5u);
  CHECK(msg.actSpace->type() == SpaceType::Discrete);
  CHECK_EQ(static_cast<const DiscreteSpace&>(*msg.actSpace).n(), 5);
  CHECK_EQ(msg.capabilities, std::string());
  CHECK_EQ(msg.seed, 0u);
}

TEST_CASE("SimInitAck and stop EnvActMsg golden bytes") {
  CHECK_EQ(hex(encodeSimInitAck(SimInitAck{true, false, ""})), std::string("0801"));
  CHECK(decodeSimInitAck(unhex("0801")).done);
  EnvAct stop;
  stop.stopSimReq = true;
  CHECK_EQ(hex(encodeEnvAct(stop)), std::string("1001"));
  EnvAct decoded = decodeEnvAct(unhex("1001"));
  CHECK(decoded.stopSimReq);
  CHECK(!decoded.action);
}

TEST_CASE("EnvStateMsg encodes to and decodes from the golden bytes") {
  EnvState state;
  state.obs = uintBox({8, 6, 5, 4, 4});
  state.reward = 1.0f;
  state.info = "testInfo|123";
  CHECK_EQ(hex(encodeEnvState(state)), kGoldenState);
  EnvState back = decodeEnvState(unhex(kGoldenState));
  CHECK(!back.isGameOver);
  CHECK_EQ(back.reward, 1.0f);
  CHECK_EQ(back.info, std::string("testInfo|123"));
  auto& box = static_cast<BoxContainer&>(*back.obs);
  CHECK(box.dtype() == Dtype::UInt);
  CHECK_EQ(box.size(), 5u);
  CHECK_EQ(box.uints()[0], 8u);
  CHECK_EQ(box.uints()[4], 4u);
}

TEST_CASE("EnvActMsg with a Discrete action matches the golden bytes") {
  EnvAct act;
  act.action = std::make_shared<DiscreteContainer>(2);
  CHECK_EQ(hex(encodeEnvAct(act)), kGoldenAct);
  EnvAct back = decodeEnvAct(unhex(kGoldenAct));
  CHECK(back.action && back.action->type() == SpaceType::Discrete);
  CHECK_EQ(static_cast<DiscreteContainer&>(*back.action).value(), 2);
  CHECK(!back.stopSimReq);
}

TEST_CASE("extensions: capabilities, seed, simTime, game over reason round-trip") {
  SimInit init;
  init.obsSpace = std::make_shared<DiscreteSpace>(3);
  init.actSpace = std::make_shared<DiscreteSpace>(4);
  init.capabilities = defaultCapabilities("soft-reset");
  init.seed = 123456789012345ull;
  SimInit back = decodeSimInit(encodeSimInit(init));
  CHECK_EQ(back.seed, 123456789012345ull);
  CHECK(hasCapability(back.capabilities, "soft-reset"));
  CHECK(hasCapability(back.capabilities, "sim-time"));
  CHECK(!hasCapability(back.capabilities, "reset"));
  CHECK(!hasCapability("", "seed"));

  EnvState state;
  state.obs = std::make_shared<DiscreteContainer>(1);
  state.isGameOver = true;
  state.reason = EndReason::GameOver;
  state.simTime = 12.5;
  EnvState s2 = decodeEnvState(encodeEnvState(state));
  CHECK(s2.isGameOver);
  CHECK(s2.reason == EndReason::GameOver);
  CHECK_EQ(s2.simTime, 12.5);

  EnvAct act;
  act.resetReq = true;
  act.resetSeed = 77;
  EnvAct a2 = decodeEnvAct(encodeEnvAct(act));
  CHECK(a2.resetReq);
  CHECK_EQ(a2.resetSeed, 77u);
}

TEST_CASE("Box per-dimension bounds travel in lows/highs with the envelope in low/high") {
  auto box = std::make_shared<BoxSpace>(std::vector<double>{0, -1, 2}, std::vector<double>{1, 5, 3},
                                        std::vector<uint32_t>{3}, elementTypeFromName("double"));
  CHECK_EQ(box->low(), -1.0);
  CHECK_EQ(box->high(), 5.0);
  SimInit init;
  init.obsSpace = box;
  init.actSpace = std::make_shared<BoxSpace>(0, 1, std::vector<uint32_t>{2, 2}, elementTypeFromName("float"));
  SimInit back = decodeSimInit(encodeSimInit(init));
  const auto& b = static_cast<const BoxSpace&>(*back.obsSpace);
  CHECK_EQ(b.lows().size(), 3u);
  CHECK_EQ(b.lows()[1], -1.0);
  CHECK_EQ(b.highs()[2], 3.0);
  CHECK(b.dtype() == Dtype::Double);
  CHECK_EQ(b.bits(), 64u);
  const auto& a = static_cast<const BoxSpace&>(*back.actSpace);
  CHECK(a.lows().empty());
  CHECK_EQ(a.size(), 4u);
  CHECK_THROWS(BoxSpace(std::vector<double>{0, 1}, std::vector<double>{1}, std::vector<uint32_t>{2},
                        elementTypeFromName("float")),
               Error, "expected 2 of each");
  CHECK_THROWS(BoxSpace(2, 1, std::vector<uint32_t>{1}, elementTypeFromName("float")), Error, "low <= high");
}

TEST_CASE("64-bit integers travel exactly; the legacy fields carry the truncation") {
  auto box = std::make_shared<BoxContainer>(ElementType{Dtype::Int, 64}, std::vector<uint32_t>{2});
  box->ints() = {int64_t(1) << 40, -5};
  EnvState state;
  state.obs = box;
  EnvState back = decodeEnvState(encodeEnvState(state));
  auto& b = static_cast<BoxContainer&>(*back.obs);
  CHECK_EQ(b.bits(), 64u);
  CHECK_EQ(b.ints()[0], int64_t(1) << 40);
  CHECK_EQ(b.ints()[1], -5);

  auto ubox = std::make_shared<BoxContainer>(ElementType{Dtype::UInt, 64}, std::vector<uint32_t>{1});
  ubox->uints() = {(uint64_t(1) << 63) + 3};
  state.obs = ubox;
  EnvState wideBack = decodeEnvState(encodeEnvState(state));
  auto& u = static_cast<BoxContainer&>(*wideBack.obs);
  CHECK_EQ(u.uints()[0], (uint64_t(1) << 63) + 3);

  // A 32-bit box sends no extension field: the bytes are ns3-gym's.
  auto narrow = std::make_shared<BoxContainer>(ElementType{Dtype::Int, 32}, std::vector<uint32_t>{1});
  narrow->ints() = {7};
  state.obs = narrow;
  const std::string bytes = encodeEnvState(state);
  EnvState narrowBack = decodeEnvState(bytes);
  auto& n = static_cast<BoxContainer&>(*narrowBack.obs);
  CHECK_EQ(n.bits(), 32u);
  CHECK_EQ(n.ints()[0], 7);
}

TEST_CASE("Tuple and Dict round-trip; Dict is sorted by key") {
  auto dict = std::make_shared<DictSpace>();
  dict->add("zeta", std::make_shared<DiscreteSpace>(2));
  dict->add("alpha", std::make_shared<BoxSpace>(0, 1, std::vector<uint32_t>{2}, elementTypeFromName("float")));
  auto tuple = std::make_shared<TupleSpace>();
  tuple->add(dict);
  tuple->add(std::make_shared<DiscreteSpace>(9));
  CHECK_THROWS(dict->add("zeta", std::make_shared<DiscreteSpace>(2)), Error, "twice");
  SimInit init;
  init.obsSpace = tuple;
  init.actSpace = dict;
  SimInit back = decodeSimInit(encodeSimInit(init));
  CHECK_EQ(back.obsSpace->describe(), tuple->describe());
  const auto& d = static_cast<const DictSpace&>(*back.actSpace);
  CHECK_EQ(d.elements().begin()->first, std::string("alpha"));

  auto value = std::make_shared<DictContainer>();
  auto floats = std::make_shared<BoxContainer>(ElementType{Dtype::Float, 32}, std::vector<uint32_t>{2});
  floats->floats() = {0.25f, 0.5f};
  value->add("b", floats);
  value->add("a", std::make_shared<DiscreteContainer>(1));
  auto tv = std::make_shared<TupleContainer>();
  tv->add(value);
  tv->add(std::make_shared<DiscreteContainer>(3));
  EnvAct act;
  act.action = tv;
  EnvAct a2 = decodeEnvAct(encodeEnvAct(act));
  CHECK_EQ(a2.action->describe(), std::string("({a: 1, b: [0.25, 0.5]}, 3)"));
  auto& t = static_cast<TupleContainer&>(*a2.action);
  auto& dv = static_cast<DictContainer&>(*t.elements()[0]);
  CHECK(dv.get("b") != nullptr);
  CHECK(dv.get("missing") == nullptr);
}

TEST_CASE("malformed frames and wrong Any type URLs are protocol errors") {
  CHECK_THROWS(decodeEnvAct(std::string("\xff\xff\xff", 3)), ProtocolError, "did not decode");
  // Golden EnvActMsg with a Discrete action whose type URL names the wrong message.
  std::string wrong = unhex(kGoldenAct);
  const std::string from = "DiscreteDataContainer";
  const std::string to = "DiscreteDataContainex";
  wrong.replace(wrong.find(from), from.size(), to);
  CHECK_THROWS(decodeEnvAct(wrong), ProtocolError, "type_url");
}

TEST_CASE("dtype names, endpoints and bad input name the value") {
  CHECK(elementTypeFromName("int64_t").dtype == Dtype::Int);
  CHECK_EQ(elementTypeFromName("int64_t").bits, 64u);
  CHECK(elementTypeFromName("uint8_t").dtype == Dtype::UInt);
  CHECK(elementTypeFromName("float").dtype == Dtype::Float);
  CHECK(elementTypeFromName("double").dtype == Dtype::Double);
  CHECK_THROWS(elementTypeFromName("complex"), Error, "\"complex\"");
  CHECK_THROWS(DiscreteSpace(0), Error, "got 0");
  validateEndpoint("tcp://127.0.0.1:5555");
  validateEndpoint("ipc:///tmp/x.sock");
  CHECK_THROWS(validateEndpoint("udp://x:1"), Error, "udp://x:1");
  CHECK_THROWS(validateEndpoint("tcp://host"), Error, "tcp://host:port");
  CHECK_THROWS(validateEndpoint("tcp://host:0"), Error, "port 0");
  CHECK_EQ(tcpEndpoint("10.0.0.2", 7000), std::string("tcp://10.0.0.2:7000"));
  CHECK_THROWS(tcpEndpoint("", 7000), Error, "host");
}

TEST_MAIN()
