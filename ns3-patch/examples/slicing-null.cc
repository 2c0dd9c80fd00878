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
#include "ns3/slicing-episode-helper.h"
#include "ns3/slicing-ffr-algorithm.h"

#include <cmath>

using namespace ns3;

namespace
{
struct NullEpisode
{
    SlicingLteConfig config;
    std::vector<std::vector<double>> shares; ///< [cell][slice]
    Ptr<UniformRandomVariable> noise;
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

} // namespace

int
main(int argc, char* argv[])
{
    SlicingEpisodeHelper driver;
    CommandLine cmd(__FILE__);
    driver.AddToCommandLine(cmd);
    cmd.Parse(argc, argv);
    driver.GetConfig().Validate();
    driver.SeedRun();

    NullEpisode episode;
    episode.config = driver.GetConfig();
    episode.noise = CreateObject<UniformRandomVariable>();
    episode.noise->SetStream(1);
    const uint32_t cells = episode.config.Cells();
    const uint32_t sliceCount = episode.config.slices.size();
    episode.shares.assign(cells, std::vector<double>(sliceCount, 1.0 / sliceCount));

    driver.Run(
        cells,
        [&episode](uint32_t cell, const std::vector<double>& shares) {
            bool projected = false;
            episode.shares.at(cell) = SlicingFfrAlgorithm::ProjectShares(shares, &projected);
            return projected;
        },
        [&episode]() { return NullKpis(episode); });
    return 0;
}
