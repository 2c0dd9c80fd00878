/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * slicing-lte: RAN slicing of an LTE network driven by an agent over the ns3-gym protocol.
 *
 * sites x sectors cells, slices eMBB / URLLC / mMTC (UEs per cell, traffic and QoS targets from
 * the command line, see --help), one agent step every --stepTime of simulated time. The
 * observation, action, reward and info follow src/env/slicing.ts (see SlicingGymEnv); the
 * shares are enforced through the LTE FFR hook (SlicingFfrAlgorithm) with any stock scheduler.
 *
 * Episode: --warmup seconds (attach, traffic start), then --simTime / --stepTime agent steps;
 * the first observation covers the first step under equal shares. The last state is sent as
 * the simulation end (truncated). Deterministic for a given --simSeed (RngRun).
 *
 *   slicing-lte --openGymEndpoint=ipc:///tmp/ns3ts.sock --simSeed=3 --sites=4 --sectors=3
 */
#include "ns3/core-module.h"
#include "ns3/opengym-module.h"
#include "ns3/slicing-gym-env.h"
#include "ns3/slicing-lte-scenario.h"

using namespace ns3;

namespace
{
struct Episode
{
    SlicingLteScenario* scenario;
    Ptr<SlicingGymEnv> env;
    uint32_t step = 0;
};

void
EndOfStep(Episode* episode)
{
    SlicingLteScenario& scenario = *episode->scenario;
    episode->env->SetStepKpis(scenario.EndStep(), episode->step);
    episode->step++;
    if (episode->step > scenario.GetConfig().Steps())
    {
        Simulator::Stop(); // the final state goes out as the simulation end
        return;
    }
    episode->env->Notify(); // sends the state, waits for the action, applies it
    scenario.StartStep();
    Simulator::Schedule(Seconds(scenario.GetConfig().stepTime), &EndOfStep, episode);
}
} // namespace

int
main(int argc, char* argv[])
{
    SlicingLteConfig config;
    uint32_t simSeed = 1;
    uint32_t openGymPort = 5555;
    CommandLine cmd(__FILE__);
    config.AddToCommandLine(cmd);
    cmd.AddValue("simSeed", "seed of the run (ns-3 RngRun)", simSeed);
    cmd.AddValue("openGymPort", "agent port for tcp://<openGymHost>:<port>", openGymPort);
    cmd.Parse(argc, argv);

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(simSeed);

    SlicingLteScenario scenario(config);
    scenario.Build();

    std::vector<SliceDescription> slices;
    for (const SliceConfig& s : config.slices)
    {
        slices.push_back({s.Label(), s.name, s.phiTarget, s.delayTarget});
    }
    Ptr<OpenGymInterface> gym = CreateObject<OpenGymInterface>(openGymPort);
    Ptr<SlicingGymEnv> env = CreateObject<SlicingGymEnv>(
        scenario.GetCellCount(),
        slices,
        [&scenario](uint32_t cell, const std::vector<double>& shares) {
            return scenario.ApplyShares(cell, shares);
        });
    env->SetOpenGymInterface(gym);

    Episode episode{&scenario, env};
    Simulator::Schedule(scenario.GetFirstStepStart(), &SlicingLteScenario::StartStep, &scenario);
    Simulator::Schedule(scenario.GetFirstStepStart() + Seconds(config.stepTime), &EndOfStep, &episode);
    Simulator::Run();
    env->NotifySimulationEnd();
    Simulator::Destroy();
    return 0;
}
