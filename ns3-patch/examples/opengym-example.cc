// An ns3-gym style scenario written against the ns3ts module's ns3-gym API.
//
// Observation: Box(0, 10, [obsSize], uint32_t) of random "queue lengths"; action: Discrete(n),
// the queue to serve (its length drops to 0). Reward: 1 when the served queue was the longest.
// The game is over after --maxSteps steps (0 = never; then the simulation ends at --simTime).
//
//   opengym-example --openGymPort=5555 --simSeed=1 --stepTime=0.1 --simTime=10 --maxSteps=20
// plus the options every ns3ts program accepts: --openGymEndpoint, --openGymHost,
// --openGymTimeoutMs.
#include "ns3/core-module.h"
#include "ns3/opengym-module.h"

#include <algorithm>
#include <iostream>
#include <sstream>

using namespace ns3;

NS_LOG_COMPONENT_DEFINE("OpenGymExample");

namespace
{
uint32_t g_obsSize = 5;
uint32_t g_maxSteps = 20;
uint32_t g_steps = 0;
float g_lastReward = 0.0f;
std::vector<uint32_t> g_queues;
Ptr<UniformRandomVariable> g_arrivals;
} // namespace

Ptr<OpenGymSpace>
MyGetObservationSpace()
{
    std::vector<uint32_t> shape = {g_obsSize};
    std::string dtype = TypeNameGet<uint32_t>();
    Ptr<OpenGymBoxSpace> space = CreateObject<OpenGymBoxSpace>(0.0f, 10.0f, shape, dtype);
    NS_LOG_INFO("observation space: " << space);
    return space;
}

Ptr<OpenGymSpace>
MyGetActionSpace()
{
    Ptr<OpenGymDiscreteSpace> space = CreateObject<OpenGymDiscreteSpace>(g_obsSize);
    NS_LOG_INFO("action space: " << space);
    return space;
}

bool
MyGetGameOver()
{
    return g_maxSteps > 0 && g_steps >= g_maxSteps;
}

Ptr<OpenGymDataContainer>
MyGetObservation()
{
    std::vector<uint32_t> shape = {g_obsSize};
    Ptr<OpenGymBoxContainer<uint32_t>> box = CreateObject<OpenGymBoxContainer<uint32_t>>(shape);
    for (uint32_t q : g_queues)
    {
        box->AddValue(q);
    }
    NS_LOG_INFO("observation: " << box);
    return box;
}

float
MyGetReward()
{
    return g_lastReward;
}

std::string
MyGetExtraInfo()
{
    std::ostringstream info;
    info << "step=" << g_steps << "|seed=" << RngSeedManager::GetRun();
    return info.str();
}

bool
MyExecuteActions(Ptr<OpenGymDataContainer> action)
{
    Ptr<OpenGymDiscreteContainer> discrete = DynamicCast<OpenGymDiscreteContainer>(action);
    if (!discrete)
    {
        NS_LOG_WARN("action is not a Discrete value; ignored");
        return false;
    }
    const uint32_t served = discrete->GetValue();
    if (served >= g_queues.size())
    {
        NS_LOG_WARN("action " << served << " out of range; ignored");
        return false;
    }
    const uint32_t longest = *std::max_element(g_queues.begin(), g_queues.end());
    g_lastReward = g_queues[served] == longest ? 1.0f : 0.0f;
    g_queues[served] = 0;
    return true;
}

void
ScheduleNextStateRead(double stepTime, Ptr<OpenGymInterface> openGym)
{
    // New arrivals, then the agent sees the state and acts.
    for (uint32_t& q : g_queues)
    {
        q = std::min<uint32_t>(10, q + g_arrivals->GetInteger(0, 3));
    }
    ++g_steps;
    Simulator::Schedule(Seconds(stepTime), &ScheduleNextStateRead, stepTime, openGym);
    openGym->NotifyCurrentState();
}

int
main(int argc, char* argv[])
{
    uint32_t simSeed = 1;
    double simTime = 10.0;
    double stepTime = 0.1;
    uint32_t openGymPort = 5555;

    CommandLine cmd(__FILE__);
    cmd.AddValue("openGymPort", "Port of the agent (tcp://<openGymHost>:<port>)", openGymPort);
    cmd.AddValue("simSeed", "Seed of the run (RngRun)", simSeed);
    cmd.AddValue("simTime", "Simulated time, s", simTime);
    cmd.AddValue("stepTime", "Time between two steps, s", stepTime);
    cmd.AddValue("obsSize", "Number of queues (observation length, action count)", g_obsSize);
    cmd.AddValue("maxSteps", "Steps until game over (0 = only the simulation end)", g_maxSteps);
    cmd.Parse(argc, argv);

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(simSeed);
    g_queues.assign(g_obsSize, 0);
    g_arrivals = CreateObject<UniformRandomVariable>();

    Ptr<OpenGymInterface> openGym = CreateObject<OpenGymInterface>(openGymPort);
    openGym->SetGetActionSpaceCb(MakeCallback(&MyGetActionSpace));
    openGym->SetGetObservationSpaceCb(MakeCallback(&MyGetObservationSpace));
    openGym->SetGetGameOverCb(MakeCallback(&MyGetGameOver));
    openGym->SetGetObservationCb(MakeCallback(&MyGetObservation));
    openGym->SetGetRewardCb(MakeCallback(&MyGetReward));
    openGym->SetGetExtraInfoCb(MakeCallback(&MyGetExtraInfo));
    openGym->SetExecuteActionsCb(MakeCallback(&MyExecuteActions));

    Simulator::Schedule(Seconds(0.0), &ScheduleNextStateRead, stepTime, openGym);
    Simulator::Stop(Seconds(simTime));
    // std::cout rather than NS_LOG_UNCOND: the latter is compiled out without NS3_LOG_ENABLE.
    std::cout << "opengym-example: simTime=" << simTime << " stepTime=" << stepTime
              << " seed=" << simSeed << " endpoint=" << openGym->GetEndpoint() << std::endl;
    Simulator::Run();
    std::cout << "opengym-example: done after " << g_steps << " steps at "
              << Simulator::Now().GetSeconds() << " s" << std::endl;
    openGym->NotifySimulationEnd();
    Simulator::Destroy();
    return 0;
}
