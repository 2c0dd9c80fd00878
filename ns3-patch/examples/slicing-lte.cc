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
#include "ns3/slicing-episode-helper.h"
#include "ns3/slicing-lte-scenario.h"

using namespace ns3;

int
main(int argc, char* argv[])
{
    SlicingEpisodeHelper episode;
    CommandLine cmd(__FILE__);
    episode.AddToCommandLine(cmd);
    cmd.Parse(argc, argv);
    episode.SeedRun();

    SlicingLteScenario scenario(episode.GetConfig());
    scenario.Build();

    episode.Run(
        scenario.GetCellCount(),
        [&scenario](uint32_t cell, const std::vector<double>& shares) {
            return scenario.ApplyShares(cell, shares);
        },
        [&scenario]() { return scenario.EndStep(); },
        scenario.GetFirstStepStart(),
        [&scenario]() { scenario.StartStep(); });
    return 0;
}
