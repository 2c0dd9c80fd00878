/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "slicing-episode-helper.h"

#include "ns3/opengym-interface.h"

#include <ns3/log.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SlicingEpisodeHelper");

void
SlicingEpisodeHelper::AddToCommandLine(CommandLine& cmd)
{
    m_config.AddToCommandLine(cmd);
    cmd.AddValue("simSeed", "seed of the run (ns-3 RngRun)", m_simSeed);
    cmd.AddValue("openGymPort", "agent port for tcp://<openGymHost>:<port>", m_openGymPort);
}

void
SlicingEpisodeHelper::SeedRun() const
{
    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(m_simSeed);
}

std::vector<SliceDescription>
SlicingEpisodeHelper::DescribeSlices(const SlicingLteConfig& config)
{
    std::vector<SliceDescription> slices;
    for (const SliceConfig& s : config.slices)
    {
        slices.push_back({s.Label(), s.name, s.phiTarget, s.delayTarget});
    }
    return slices;
}

void
SlicingEpisodeHelper::Run(uint32_t cells,
                          SlicingGymEnv::ApplySharesFn applyShares,
                          EndStepFn endStep,
                          Time firstStepStart,
                          StartStepFn startStep)
{
    NS_LOG_FUNCTION(this << cells << firstStepStart);
    // The env's warnings (infeasible actions, projections) are part of every run's log.
    LogComponentEnable("SlicingGymEnv", LOG_LEVEL_WARN);
    m_endStep = std::move(endStep);
    m_startStep = std::move(startStep);
    m_step = 0;
    Ptr<OpenGymInterface> gym = CreateObject<OpenGymInterface>(m_openGymPort);
    m_env = CreateObject<SlicingGymEnv>(cells, DescribeSlices(m_config), std::move(applyShares));
    m_env->SetOpenGymInterface(gym);

    if (m_startStep)
    {
        Simulator::Schedule(firstStepStart, &SlicingEpisodeHelper::StartStep, this);
    }
    Simulator::Schedule(firstStepStart + Seconds(m_config.stepTime),
                        &SlicingEpisodeHelper::EndOfStep,
                        this);
    Simulator::Run();
    m_env->NotifySimulationEnd();
    Simulator::Destroy();
    m_env = nullptr;
}

void
SlicingEpisodeHelper::StartStep()
{
    if (m_startStep)
    {
        m_startStep();
    }
}

void
SlicingEpisodeHelper::EndOfStep()
{
    m_env->SetStepKpis(m_endStep(), m_step);
    m_step++;
    if (m_step > m_config.Steps())
    {
        Simulator::Stop(); // the final state goes out as the simulation end
        return;
    }
    m_env->Notify(); // sends the state, waits for the action, applies it
    StartStep();
    Simulator::Schedule(Seconds(m_config.stepTime), &SlicingEpisodeHelper::EndOfStep, this);
}

} // namespace ns3
