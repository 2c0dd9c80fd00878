/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * slicing-null: the spaces, reward and info of slicing-lte with almost no simulation work per
 * step (no network; KPIs are a cheap closed-form function of the shares), for measuring the
 * bridge and the server. Accepts the layout arguments of slicing-lte (--sites, --sectors,
 * --<slice>Ues/Phi/Delay, --stepTime, --simTime); other slicing-lte arguments are accepted and
 * ignored so that the same scenario arguments work for both programs.
 *
 *   slicing-null --openGymEndpoint=ipc:///tmp/ns3ts.sock --simTime=100 --stepTime=0.1
 */
#include "ns3/core-module.h"
#include "ns3/opengym-module.h"
#include "ns3/slicing-ffr-algorithm.h"
#include "ns3/slicing-gym-env.h"
#include "ns3/slicing-lte-scenario.h"

#include <cmath>

using namespace ns3;

namespace
{
struct NullEpisode
{
    SlicingLteConfig config;
    Ptr<SlicingGymEnv> env;
    std::vector<std::vector<double>> shares; ///< [cell][slice]
    Ptr<UniformRandomVariable> noise;
    uint32_t step = 0;
};

/** KPIs of one step: each slice gets its share of a 20 Mbit/s cell, a little noise. */
std::vector<std::vector<SliceKpis>>
NullKpis(NullEpisode& e)
{
    const uint32_t cells = e.config.Cells();
    std::vector<std::vector<SliceKpis>> out(cells, std::vector<SliceKpis>(e.config.slices.size()));
    for (uint32_t c = 0; c < cells; ++c)
    {
        // The partition slicing-lte would use in a 25-RB cell (12 RBGs), same rounding.
        const std::vector<uint32_t> rbgs = SlicingFfrAlgorithm::SharesToCounts(e.shares[c], 12);
        for (uint32_t s = 0; s < e.config.slices.size(); ++s)
        {
            const SliceConfig& slice = e.config.slices[s];
            SliceKpis& k = out[c][s];
            k.phiTarget = slice.phiTarget;
            k.delayTarget = slice.delayTarget;
            k.share = e.shares[c][s];
            k.rbgs = rbgs[s];
            if (slice.uesPerCell == 0)
            {
                continue;
            }
            const double users = slice.uesPerCell;
            const double offered = slice.rateMbps * users;
            const double capacity = 20.0 * k.share * (0.9 + 0.2 * e.noise->GetValue());
            const double served = std::min(offered, capacity);
            k.active = 1;
            k.activeUsers = users;
            k.offeredLoad = offered;
            k.throughput = served / users;
            k.prbUtilization = capacity > 0 ? served / capacity : 0;
            k.meanDelay = 5.0 + (offered > capacity ? 200.0 : 10.0 * served / std::max(capacity, 1e-3));
            k.p95Delay = 1.5 * k.meanDelay;
            k.meanCqi = 10;
            k.backlog = std::max(0.0, offered - capacity) * e.config.stepTime * 1e3;
        }
    }
    return out;
}

void
EndOfStep(NullEpisode* e)
{
    e->env->SetStepKpis(NullKpis(*e), e->step);
    e->step++;
    if (e->step > e->config.Steps())
    {
        Simulator::Stop();
        return;
    }
    e->env->Notify();
    Simulator::Schedule(Seconds(e->config.stepTime), &EndOfStep, e);
}
} // namespace

int
main(int argc, char* argv[])
{
    NullEpisode episode;
    uint32_t simSeed = 1;
    uint32_t openGymPort = 5555;
    CommandLine cmd(__FILE__);
    episode.config.AddToCommandLine(cmd);
    cmd.AddValue("simSeed", "seed of the run (ns-3 RngRun)", simSeed);
    cmd.AddValue("openGymPort", "agent port for tcp://<openGymHost>:<port>", openGymPort);
    cmd.Parse(argc, argv);
    episode.config.Validate();

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(simSeed);
    episode.noise = CreateObject<UniformRandomVariable>();
    episode.noise->SetStream(1);

    const uint32_t cells = episode.config.Cells();
    const uint32_t sliceCount = episode.config.slices.size();
    episode.shares.assign(cells, std::vector<double>(sliceCount, 1.0 / sliceCount));
    std::vector<SliceDescription> slices;
    for (const SliceConfig& s : episode.config.slices)
    {
        slices.push_back({s.Label(), s.name, s.phiTarget, s.delayTarget});
    }
    Ptr<OpenGymInterface> gym = CreateObject<OpenGymInterface>(openGymPort);
    episode.env = CreateObject<SlicingGymEnv>(
        cells,
        slices,
        [&episode](uint32_t cell, const std::vector<double>& shares) {
            bool projected = false;
            episode.shares.at(cell) = SlicingFfrAlgorithm::RepairShares(shares, &projected);
            return projected;
        });
    episode.env->SetOpenGymInterface(gym);

    Simulator::Schedule(Seconds(episode.config.stepTime), &EndOfStep, &episode);
    Simulator::Run();
    episode.env->NotifySimulationEnd();
    Simulator::Destroy();
    return 0;
}
