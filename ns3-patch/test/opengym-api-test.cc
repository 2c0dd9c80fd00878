// The ns3-gym API of the ns3ts module against an in-process agent (a REP thread using the bridge
// codec): spaces and containers on the wire, the seed echo, sim time, game over, and how the
// endpoint and timeout options resolve.
#include "ns3/core-module.h"
#include "ns3/opengym-module.h"

#include "harness.h"
#include "ns3ts-bridge/bridge.h"

#include <thread>
#include <unistd.h>
#include <zmq.hpp>

using namespace ns3;

namespace
{

class TestEnv : public OpenGymEnv
{
  public:
    uint32_t step = 0;
    std::vector<double> boxActions;
    std::vector<uint32_t> discreteActions;

    Ptr<OpenGymSpace> GetObservationSpace() override
    {
        Ptr<OpenGymDictSpace> dict = CreateObject<OpenGymDictSpace>();
        dict->Add("count", CreateObject<OpenGymDiscreteSpace>(3));
        dict->Add("box",
                  CreateObject<OpenGymBoxSpace>(std::vector<float>{0, -1},
                                                std::vector<float>{1, 2},
                                                std::vector<uint32_t>{2},
                                                TypeNameGet<float>()));
        dict->Add("wide",
                  CreateObject<OpenGymBoxSpace>(0.0f,
                                                1e12f,
                                                std::vector<uint32_t>{1},
                                                TypeNameGet<int64_t>()));
        return dict;
    }

    Ptr<OpenGymSpace> GetActionSpace() override
    {
        Ptr<OpenGymTupleSpace> tuple = CreateObject<OpenGymTupleSpace>();
        tuple->Add(CreateObject<OpenGymBoxSpace>(0.0f,
                                                 1.0f,
                                                 std::vector<uint32_t>{2},
                                                 TypeNameGet<double>()));
        tuple->Add(CreateObject<OpenGymDiscreteSpace>(4));
        return tuple;
    }

    bool GetGameOver() override
    {
        return step >= 3;
    }

    Ptr<OpenGymDataContainer> GetObservation() override
    {
        Ptr<OpenGymDictContainer> dict = CreateObject<OpenGymDictContainer>();
        Ptr<OpenGymBoxContainer<float>> box =
            CreateObject<OpenGymBoxContainer<float>>(std::vector<uint32_t>{2});
        box->AddValue(0.5f);
        box->AddValue(static_cast<float>(step));
        dict->Add("box", box);
        Ptr<OpenGymDiscreteContainer> count = CreateObject<OpenGymDiscreteContainer>(3);
        count->SetValue(step % 3);
        dict->Add("count", count);
        Ptr<OpenGymBoxContainer<int64_t>> wide =
            CreateObject<OpenGymBoxContainer<int64_t>>(std::vector<uint32_t>{1});
        wide->AddValue((int64_t(1) << 40) + step);
        dict->Add("wide", wide);
        return dict;
    }

    float GetReward() override
    {
        return static_cast<float>(step) * 0.5f;
    }

    std::string GetExtraInfo() override
    {
        return "step=" + std::to_string(step);
    }

    bool ExecuteActions(Ptr<OpenGymDataContainer> action) override
    {
        Ptr<OpenGymTupleContainer> tuple = DynamicCast<OpenGymTupleContainer>(action);
        CHECK(tuple);
        Ptr<OpenGymBoxContainer<double>> box = DynamicCast<OpenGymBoxContainer<double>>(tuple->Get(0));
        Ptr<OpenGymDiscreteContainer> discrete = DynamicCast<OpenGymDiscreteContainer>(tuple->Get(1));
        CHECK(box);
        CHECK(discrete);
        CHECK_EQ(box->GetShape().size(), 1u);
        boxActions.push_back(box->GetValue(1));
        discreteActions.push_back(discrete->GetValue());
        return true;
    }
};

void
NextStep(Ptr<TestEnv> env)
{
    env->Notify();
    env->step++;
    Simulator::Schedule(Seconds(0.5), &NextStep, env);
}

std::string
IpcEndpoint(const char* tag)
{
    const char* dir = std::getenv("TMPDIR");
    return std::string("ipc://") + (dir ? dir : "/tmp") + "/ns3ts-api-test-" + tag + "-" +
           std::to_string(::getpid()) + ".sock";
}

struct AgentLog
{
    bridge::SimInit init;
    std::vector<bridge::EnvState> states;
    std::string error;
};

// Acks the handshake, answers each state with Tuple(Box double [0.25, k], Discrete k % 4), and
// a game-over state with stop.
void
PlayAgent(zmq::socket_t* socket, AgentLog* log)
{
    try
    {
        zmq::message_t msg;
        if (!socket->recv(msg))
        {
            throw bridge::Error("agent: no SimInitMsg");
        }
        log->init = bridge::decodeSimInit(msg.to_string());
        socket->send(zmq::buffer(bridge::encodeSimInitAck({true, false, ""})), zmq::send_flags::none);
        for (int k = 0;; ++k)
        {
            if (!socket->recv(msg))
            {
                throw bridge::Error("agent: no state");
            }
            bridge::EnvState state = bridge::decodeEnvState(msg.to_string());
            log->states.push_back(state);
            bridge::EnvAct act;
            if (state.isGameOver)
            {
                act.stopSimReq = true;
                socket->send(zmq::buffer(bridge::encodeEnvAct(act)), zmq::send_flags::none);
                return;
            }
            auto tuple = std::make_shared<bridge::TupleContainer>();
            auto box = std::make_shared<bridge::BoxContainer>(bridge::ElementType{bridge::Dtype::Double, 64},
                                                              std::vector<uint32_t>{2});
            box->doubles() = {0.25, static_cast<double>(k)};
            tuple->add(box);
            tuple->add(std::make_shared<bridge::DiscreteContainer>(k % 4));
            act.action = tuple;
            socket->send(zmq::buffer(bridge::encodeEnvAct(act)), zmq::send_flags::none);
        }
    }
    catch (const std::exception& e)
    {
        log->error = e.what();
    }
}

void
ResetGlobals()
{
    Config::SetGlobal("openGymEndpoint", StringValue(""));
    Config::SetGlobal("openGymHost", StringValue("localhost"));
    Config::SetGlobal("openGymPort", UintegerValue(0));
    Config::SetGlobal("openGymTimeoutMs", IntegerValue(bridge::kDefaultTimeoutMs));
}

} // namespace

TEST_CASE("an OpenGymEnv plays an episode: Dict/Tuple spaces, typed actions, seed, sim time, game over")
{
    ResetGlobals();
    const std::string endpoint = IpcEndpoint("episode");
    zmq::context_t context{1};
    zmq::socket_t rep(context, zmq::socket_type::rep);
    rep.set(zmq::sockopt::linger, 0);
    rep.set(zmq::sockopt::rcvtimeo, 10000);
    rep.bind(endpoint);
    AgentLog log;
    std::thread agent(&PlayAgent, &rep, &log);

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(17);
    Config::SetGlobal("openGymEndpoint", StringValue(endpoint));
    Config::SetGlobal("openGymTimeoutMs", IntegerValue(10000));
    Ptr<OpenGymInterface> gym = CreateObject<OpenGymInterface>();
    Ptr<TestEnv> env = CreateObject<TestEnv>();
    env->SetOpenGymInterface(gym);
    Simulator::Schedule(Seconds(0), &NextStep, env);
    Simulator::Stop(Seconds(100));
    Simulator::Run();
    const double stoppedAt = Simulator::Now().GetSeconds();
    env->NotifySimulationEnd(); // no-op after the game over
    Simulator::Destroy();
    agent.join();
    ::unlink(endpoint.substr(6).c_str());

    CHECK_EQ(log.error, std::string());
    CHECK_EQ(log.init.seed, 17u);
    CHECK(bridge::hasCapability(log.init.capabilities, "seed"));
    CHECK_EQ(log.init.obsSpace->describe(),
             std::string("Dict(box: Box(low=-1, high=2, shape=[2], dtype=FLOAT32, per-dimension bounds), "
                         "count: Discrete(3), wide: Box(low=0, high=1e+12, shape=[1], dtype=INT64))"));
    CHECK_EQ(log.init.actSpace->describe(),
             std::string("Tuple(Box(low=0, high=1, shape=[2], dtype=DOUBLE64), Discrete(4))"));
    CHECK_EQ(log.states.size(), 4u);
    CHECK(log.states[3].isGameOver);
    CHECK(log.states[3].reason == bridge::EndReason::GameOver);
    CHECK_EQ(log.states[3].simTime, 1.5);
    CHECK_EQ(log.states[2].reward, 1.0f);
    CHECK_EQ(log.states[1].info, std::string("step=1"));
    CHECK_EQ(log.states[2].obs->describe(), std::string("{box: [0.5, 2], count: 2, wide: [1099511627778]}"));
    CHECK_EQ(env->boxActions.size(), 3u);
    CHECK_EQ(env->boxActions[2], 2.0);
    CHECK_EQ(env->discreteActions[1], 1u);
    CHECK(gym->IsStopped());
    CHECK_EQ(stoppedAt, 1.5);
}

TEST_CASE("endpoint and timeout: attribute, then global value, then tcp://<host>:<port>")
{
    ResetGlobals();
    Ptr<OpenGymInterface> plain = CreateObject<OpenGymInterface>(6000);
    CHECK_EQ(plain->GetEndpoint(), std::string("tcp://localhost:6000"));
    CHECK_EQ(plain->GetTimeoutMs(), bridge::kDefaultTimeoutMs);
    Config::SetGlobal("openGymHost", StringValue("10.1.2.3"));
    CHECK_EQ(plain->GetEndpoint(), std::string("tcp://10.1.2.3:6000"));
    Config::SetGlobal("openGymPort", UintegerValue(7000));
    CHECK_EQ(plain->GetEndpoint(), std::string("tcp://10.1.2.3:7000"));
    Config::SetGlobal("openGymEndpoint", StringValue("ipc:///tmp/x.sock"));
    CHECK_EQ(plain->GetEndpoint(), std::string("ipc:///tmp/x.sock"));
    Config::SetGlobal("openGymTimeoutMs", IntegerValue(250));
    CHECK_EQ(plain->GetTimeoutMs(), 250);

    Ptr<OpenGymInterface> configured = CreateObjectWithAttributes<OpenGymInterface>(
        "Endpoint", StringValue("tcp://example.org:1234"), "TimeoutMs", IntegerValue(0));
    CHECK_EQ(configured->GetEndpoint(), std::string("tcp://example.org:1234"));
    CHECK_EQ(configured->GetTimeoutMs(), 0);
    Config::SetGlobal("openGymEndpoint", StringValue(""));
    Ptr<OpenGymInterface> hosted =
        CreateObjectWithAttributes<OpenGymInterface>("Host", StringValue("192.168.0.9"));
    CHECK_EQ(hosted->GetEndpoint(), std::string("tcp://192.168.0.9:7000"));
    ResetGlobals();
    CHECK(OpenGymInterface::Get(5555) == OpenGymInterface::Get(5555));
    Simulator::Destroy();
}

TEST_CASE("containers and spaces keep the ns3-gym behaviour")
{
    Ptr<OpenGymBoxContainer<uint32_t>> box = CreateObject<OpenGymBoxContainer<uint32_t>>(std::vector<uint32_t>{3});
    box->SetData({1, 2, 3});
    CHECK_EQ(box->GetValue(2), 3u);
    CHECK_EQ(box->GetValue(9), 0u);
    CHECK_EQ(box->ToBridge()->describe(), std::string("[1, 2, 3]"));
    Ptr<OpenGymDiscreteContainer> discrete = CreateObject<OpenGymDiscreteContainer>(2);
    CHECK(!discrete->SetValue(2));
    CHECK(discrete->SetValue(1));
    Ptr<OpenGymDictContainer> dict = CreateObject<OpenGymDictContainer>();
    CHECK(dict->Add("a", discrete));
    CHECK(!dict->Add("a", discrete));
    CHECK(dict->Get("missing") == nullptr);
    Ptr<OpenGymDataContainer> back = OpenGymDataContainer::FromBridge(box->ToBridge());
    CHECK(DynamicCast<OpenGymBoxContainer<uint32_t>>(back));
    std::ostringstream printed;
    printed << box;
    CHECK_EQ(printed.str(), std::string("[1, 2, 3]"));
    Ptr<OpenGymBoxSpace> badType = CreateObject<OpenGymBoxSpace>(0.0f, 1.0f, std::vector<uint32_t>{1}, std::string("complex"));
    CHECK_THROWS(badType->ToBridge(), bridge::Error, "complex");
}

TEST_MAIN()
