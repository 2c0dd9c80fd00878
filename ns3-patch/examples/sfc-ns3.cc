/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * sfc-ns3: the ns-3 co-simulation of the SFC provisioning family (docs/sfc.md#sfc-ns3). Data
 * centres on point-to-point links, one SfcVnfApplication per VNF instance, one packet flow per
 * accepted SFC. Each decision step: the agent side sends the deployment in force (instances and
 * flows, SfcGymEnv's action), the program simulates `window` seconds of its traffic and answers
 * with the measured delays and loads. Episodes end after `steps` steps (simulation end).
 *
 *   sfc-ns3 --openGymEndpoint=ipc:///tmp/ns3ts.sock --dcBandwidth=2000,4000,8000 --steps=100
 */
#include "ns3/core-module.h"
#include "ns3/opengym-interface.h"
#include "ns3/sfc-datacentre-scenario.h"
#include "ns3/sfc-gym-env.h"

using namespace ns3;

namespace
{
struct Episode
{
    SfcNs3Config config;
    SfcDataCentreScenario* scenario = nullptr;
    Ptr<SfcGymEnv> env;
    uint32_t step = 0;
};

void
EndOfStep(Episode* e)
{
    if (e->step > 0)
    {
        e->env->SetMeasurements(e->scenario->Measure(), e->step, e->scenario->Info(e->step));
    }
    e->step++;
    if (e->step > e->config.steps)
    {
        Simulator::Stop(); // the last window's measurements go out as the simulation end
        return;
    }
    e->env->Notify(); // sends the measurements, waits for the deployment, applies it
    e->scenario->StartWindow();
    Simulator::Schedule(Seconds(e->config.window), &EndOfStep, e);
}
} // namespace

int
main(int argc, char* argv[])
{
    Episode episode;
    CommandLine cmd(__FILE__);
    episode.config.AddToCommandLine(cmd);
    cmd.Parse(argc, argv);
    episode.config.Validate();
    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(episode.config.simSeed);
    LogComponentEnable("SfcGymEnv", LOG_LEVEL_WARN);
    LogComponentEnable("SfcDataCentreScenario", LOG_LEVEL_WARN);

    SfcDataCentreScenario scenario(episode.config);
    scenario.Build();
    episode.scenario = &scenario;
    episode.env = CreateObject<SfcGymEnv>(
        episode.config.maxInstances,
        episode.config.maxFlows,
        [&scenario](const std::vector<float>& deployment) { return scenario.ApplyDeployment(deployment); });
    episode.env->SetOpenGymInterface(CreateObject<OpenGymInterface>());

    Simulator::ScheduleNow(&EndOfStep, &episode);
    Simulator::Run();
    episode.env->NotifySimulationEnd();
    Simulator::Destroy();
    episode.env = nullptr;
    return 0;
}
