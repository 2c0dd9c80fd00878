#include "opengym-interface.h"

#include "opengym-env.h"

#include "ns3/global-value.h"
#include "ns3/integer.h"
#include "ns3/log.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"

#include "ns3ts-bridge/error.h"
#include "ns3ts-bridge/session.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("OpenGymInterface");

NS_OBJECT_ENSURE_REGISTERED(OpenGymInterface);

namespace
{
// GlobalValues: every program accepts --openGymEndpoint=... etc. without declaring them.
GlobalValue g_openGymEndpoint("openGymEndpoint",
                              "Agent endpoint, tcp://host:port or ipc://path; overrides "
                              "openGymHost/openGymPort when set (default: unset)",
                              StringValue(""),
                              MakeStringChecker());
GlobalValue g_openGymHost("openGymHost",
                          "Agent host for tcp://<host>:<port> (ns3-gym hard-codes localhost)",
                          StringValue("localhost"),
                          MakeStringChecker());
GlobalValue g_openGymPort("openGymPort",
                          "Agent port when the program does not pass one itself (0 = the port "
                          "given to OpenGymInterface, default 5555)",
                          UintegerValue(0),
                          MakeUintegerChecker<uint32_t>(0, 65535));
GlobalValue g_openGymTimeoutMs("openGymTimeoutMs",
                               "Longest wait for each reply of the agent, ms; 0 waits forever",
                               IntegerValue(bridge::kDefaultTimeoutMs),
                               MakeIntegerChecker<int64_t>(0));

std::string
GlobalString(GlobalValue& value)
{
    StringValue v;
    value.GetValue(v);
    return v.Get();
}

Ptr<OpenGymInterface>&
Singleton()
{
    static Ptr<OpenGymInterface> instance;
    return instance;
}

void
ReleaseSingleton()
{
    Singleton() = nullptr;
}
} // namespace

TypeId
OpenGymInterface::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::OpenGymInterface")
            .SetParent<Object>()
            .SetGroupName("OpenGym")
            .AddConstructor<OpenGymInterface>()
            .AddAttribute("Endpoint",
                          "Agent endpoint, tcp://host:port or ipc://path (empty: the "
                          "openGymEndpoint global value, else tcp://<host>:<port>)",
                          StringValue(""),
                          MakeStringAccessor(&OpenGymInterface::m_endpointAttr),
                          MakeStringChecker())
            .AddAttribute("Host",
                          "Agent host for tcp endpoints (empty: the openGymHost global value)",
                          StringValue(""),
                          MakeStringAccessor(&OpenGymInterface::m_hostAttr),
                          MakeStringChecker())
            .AddAttribute("TimeoutMs",
                          "Longest wait for each reply of the agent, ms; 0 waits forever; "
                          "-1: the openGymTimeoutMs global value",
                          IntegerValue(-1),
                          MakeIntegerAccessor(&OpenGymInterface::m_timeoutAttr),
                          MakeIntegerChecker<int64_t>(-1));
    return tid;
}

Ptr<OpenGymInterface>
OpenGymInterface::Get(uint32_t port)
{
    Ptr<OpenGymInterface>& instance = Singleton();
    if (!instance)
    {
        instance = CreateObject<OpenGymInterface>(port);
        Simulator::ScheduleDestroy(&ReleaseSingleton);
    }
    return instance;
}

OpenGymInterface::OpenGymInterface(uint32_t port)
    : m_port(port),
      m_timeoutAttr(-1),
      m_initSimMsgSent(false),
      m_stopEnvRequested(false),
      m_gameOverNotified(false),
      m_simEndNotified(false)
{
}

OpenGymInterface::~OpenGymInterface()
{
    CloseSession();
}

void
OpenGymInterface::DoDispose()
{
    CloseSession();
    m_actionSpaceCb = MakeNullCallback<Ptr<OpenGymSpace>>();
    m_observationSpaceCb = MakeNullCallback<Ptr<OpenGymSpace>>();
    m_gameOverCb = MakeNullCallback<bool>();
    m_obsCb = MakeNullCallback<Ptr<OpenGymDataContainer>>();
    m_rewardCb = MakeNullCallback<float>();
    m_extraInfoCb = MakeNullCallback<std::string>();
    m_actionCb = MakeNullCallback<bool, Ptr<OpenGymDataContainer>>();
    Object::DoDispose();
}

std::string
OpenGymInterface::GetEndpoint() const
{
    if (!m_endpointAttr.empty())
    {
        return m_endpointAttr;
    }
    const std::string globalEndpoint = GlobalString(g_openGymEndpoint);
    if (!globalEndpoint.empty())
    {
        return globalEndpoint;
    }
    const std::string host = m_hostAttr.empty() ? GlobalString(g_openGymHost) : m_hostAttr;
    UintegerValue globalPort;
    g_openGymPort.GetValue(globalPort);
    const uint32_t port = globalPort.Get() != 0 ? static_cast<uint32_t>(globalPort.Get()) : m_port;
    return "tcp://" + host + ":" + std::to_string(port);
}

int64_t
OpenGymInterface::GetTimeoutMs() const
{
    if (m_timeoutAttr >= 0)
    {
        return m_timeoutAttr;
    }
    IntegerValue timeout;
    g_openGymTimeoutMs.GetValue(timeout);
    return timeout.Get();
}

bool
OpenGymInterface::IsStopped() const
{
    return m_stopEnvRequested || m_gameOverNotified || m_simEndNotified;
}

void
OpenGymInterface::Fail(const std::string& what, bool timeout) const
{
    std::cout.flush();
    std::cerr << "ns3ts: fatal: " << what << std::endl;
    std::fflush(nullptr);
    // _Exit: no static destructors of a half-run simulation; the exit status tells the launcher.
    std::_Exit(timeout ? kOpenGymTimeoutExitCode : kOpenGymErrorExitCode);
}

void
OpenGymInterface::CloseSession()
{
    if (m_session)
    {
        m_session->close();
        m_session.reset();
    }
}

void
OpenGymInterface::Init()
{
    if (m_initSimMsgSent)
    {
        return;
    }
    m_initSimMsgSent = true;
    Ptr<OpenGymSpace> obsSpace = GetObservationSpace();
    Ptr<OpenGymSpace> actSpace = GetActionSpace();
    if (!obsSpace || !actSpace)
    {
        Fail("OpenGymInterface::Init: the observation and action space callbacks must return a "
             "space (set them with SetGetObservationSpaceCb/SetGetActionSpaceCb)",
             false);
    }
    bridge::SessionOptions options;
    options.endpoint = GetEndpoint();
    options.timeoutMs = GetTimeoutMs();
    options.seed = RngSeedManager::GetRun();
    try
    {
        // A run on a cluster passes its CURVE keys in a file named by NS3TS_CURVE_KEYS.
        options.curve = bridge::curveKeysFromEnvironment();
        m_session = std::make_unique<bridge::Session>(options);
        NS_LOG_INFO("connecting to " << options.endpoint << " (timeout " << options.timeoutMs
                                     << " ms, seed " << options.seed << ", "
                                     << (options.curve.enabled() ? "CURVE" : "plain") << ")");
        bridge::SimInitAck ack = m_session->handshake(obsSpace->ToBridge(), actSpace->ToBridge());
        if (ack.stopSimReq)
        {
            NS_LOG_INFO("the agent asked to stop at the handshake");
            m_stopEnvRequested = true;
            CloseSession();
            Simulator::Stop();
        }
    }
    catch (const bridge::TimeoutError& e)
    {
        Fail(e.what(), true);
    }
    catch (const std::exception& e)
    {
        Fail(std::string("talking to the agent at ") + options.endpoint + ": " + e.what(), false);
    }
}

void
OpenGymInterface::NotifyCurrentState()
{
    if (!m_initSimMsgSent)
    {
        Init();
    }
    if (IsStopped() || !m_session)
    {
        return;
    }
    Ptr<OpenGymDataContainer> obs = GetObservation();
    bridge::EnvState state;
    const std::string endpoint = m_session->endpoint();
    try
    {
        state.obs = obs ? obs->ToBridge() : nullptr;
        state.reward = GetReward();
        state.isGameOver = IsGameOver();
        state.reason = bridge::EndReason::GameOver;
        state.info = GetExtraInfo();
        state.simTime = Simulator::Now().GetSeconds();
        bridge::EnvAct act = m_session->step(state);
        if (state.isGameOver)
        {
            NS_LOG_INFO("game over sent; stopping the simulation");
            m_gameOverNotified = true;
            CloseSession();
            Simulator::Stop();
            return;
        }
        if (act.stopSimReq)
        {
            NS_LOG_INFO("the agent asked to stop");
            m_stopEnvRequested = true;
            CloseSession();
            Simulator::Stop();
            return;
        }
        ExecuteActions(OpenGymDataContainer::FromBridge(act.action));
    }
    catch (const bridge::TimeoutError& e)
    {
        Fail(e.what(), true);
    }
    catch (const std::exception& e)
    {
        Fail(std::string("talking to the agent at ") + endpoint + ": " + e.what(), false);
    }
}

void
OpenGymInterface::NotifySimulationEnd()
{
    if (IsStopped())
    {
        CloseSession();
        return;
    }
    if (!m_initSimMsgSent)
    {
        Init(); // the agent still learns that the episode ended
        if (IsStopped() || !m_session)
        {
            return;
        }
    }
    m_simEndNotified = true;
    if (!m_session)
    {
        return;
    }
    const std::string endpoint = m_session->endpoint();
    try
    {
        bridge::EnvState state;
        Ptr<OpenGymDataContainer> obs = GetObservation();
        state.obs = obs ? obs->ToBridge() : nullptr;
        state.reward = GetReward();
        state.isGameOver = true;
        state.reason = bridge::EndReason::SimulationEnd;
        state.info = GetExtraInfo();
        state.simTime = Simulator::Now().GetSeconds();
        m_session->step(state); // the reply (a stop request) ends the session either way
    }
    catch (const bridge::TimeoutError& e)
    {
        Fail(e.what(), true);
    }
    catch (const std::exception& e)
    {
        Fail(std::string("talking to the agent at ") + endpoint + ": " + e.what(), false);
    }
    CloseSession();
}

void
OpenGymInterface::WaitForStop()
{
    NotifySimulationEnd();
}

void
OpenGymInterface::Notify(Ptr<OpenGymEnv> entity)
{
    // Raw pointer callbacks (as ns3-gym): the interface must not keep the env alive.
    OpenGymEnv* env = PeekPointer(entity);
    SetGetActionSpaceCb(MakeCallback(&OpenGymEnv::GetActionSpace, env));
    SetGetObservationSpaceCb(MakeCallback(&OpenGymEnv::GetObservationSpace, env));
    SetGetGameOverCb(MakeCallback(&OpenGymEnv::GetGameOver, env));
    SetGetObservationCb(MakeCallback(&OpenGymEnv::GetObservation, env));
    SetGetRewardCb(MakeCallback(&OpenGymEnv::GetReward, env));
    SetGetExtraInfoCb(MakeCallback(&OpenGymEnv::GetExtraInfo, env));
    SetExecuteActionsCb(MakeCallback(&OpenGymEnv::ExecuteActions, env));
    NotifyCurrentState();
}

Ptr<OpenGymSpace>
OpenGymInterface::GetActionSpace()
{
    return m_actionSpaceCb.IsNull() ? nullptr : m_actionSpaceCb();
}

Ptr<OpenGymSpace>
OpenGymInterface::GetObservationSpace()
{
    return m_observationSpaceCb.IsNull() ? nullptr : m_observationSpaceCb();
}

Ptr<OpenGymDataContainer>
OpenGymInterface::GetObservation()
{
    return m_obsCb.IsNull() ? nullptr : m_obsCb();
}

float
OpenGymInterface::GetReward()
{
    return m_rewardCb.IsNull() ? 0.0f : m_rewardCb();
}

bool
OpenGymInterface::IsGameOver()
{
    return m_gameOverCb.IsNull() ? false : m_gameOverCb();
}

std::string
OpenGymInterface::GetExtraInfo()
{
    return m_extraInfoCb.IsNull() ? std::string() : m_extraInfoCb();
}

bool
OpenGymInterface::ExecuteActions(Ptr<OpenGymDataContainer> action)
{
    return m_actionCb.IsNull() ? false : m_actionCb(action);
}

void
OpenGymInterface::SetGetActionSpaceCb(Callback<Ptr<OpenGymSpace>> cb)
{
    m_actionSpaceCb = cb;
}

void
OpenGymInterface::SetGetObservationSpaceCb(Callback<Ptr<OpenGymSpace>> cb)
{
    m_observationSpaceCb = cb;
}

void
OpenGymInterface::SetGetObservationCb(Callback<Ptr<OpenGymDataContainer>> cb)
{
    m_obsCb = cb;
}

void
OpenGymInterface::SetGetRewardCb(Callback<float> cb)
{
    m_rewardCb = cb;
}

void
OpenGymInterface::SetGetGameOverCb(Callback<bool> cb)
{
    m_gameOverCb = cb;
}

void
OpenGymInterface::SetGetExtraInfoCb(Callback<std::string> cb)
{
    m_extraInfoCb = cb;
}

void
OpenGymInterface::SetExecuteActionsCb(Callback<bool, Ptr<OpenGymDataContainer>> cb)
{
    m_actionCb = cb;
}

} // namespace ns3
