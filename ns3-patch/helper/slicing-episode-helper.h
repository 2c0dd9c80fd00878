/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The episode driver of the slicing programs (slicing-lte, slicing-null): the command line every
 * slicing program shares (the scenario's layout arguments, --simSeed, --openGymPort), the seeding,
 * the SlicingGymEnv on an OpenGymInterface, and the step loop:
 *
 *   at first step start     startStep()
 *   every --stepTime after  env <- endStep() KPIs; step++; after the last step stop (the final
 *                           state goes out as the simulation end), else Notify() (sends the
 *                           state, waits for the action, applies it through applyShares) and
 *                           startStep() again.
 *
 * A program supplies what differs: how shares are applied and where the KPIs of a step come from.
 */
#ifndef SLICING_EPISODE_HELPER_H
#define SLICING_EPISODE_HELPER_H

#include "ns3/slicing-gym-env.h"
#include "ns3/slicing-lte-scenario.h"

#include <ns3/command-line.h>
#include <ns3/nstime.h>

#include <functional>
#include <vector>

namespace ns3
{

class SlicingEpisodeHelper
{
  public:
    /** The KPIs of the step that just ended, [cell][slice]. */
    using EndStepFn = std::function<std::vector<std::vector<SliceKpis>>()>;
    /** Called when a step starts (after the action of the step is applied). */
    using StartStepFn = std::function<void()>;

    /** Adds the scenario's arguments, --simSeed and --openGymPort to a command line. */
    void AddToCommandLine(CommandLine& cmd);
    /** Seeds ns-3's generators for the run (seed 1, run --simSeed). */
    void SeedRun() const;
    /** The scenario configuration (filled in by the command line). */
    SlicingLteConfig& GetConfig() { return m_config; }

    /**
     * Plays one episode over `cells` cells: creates the env, schedules the step loop with the
     * first step starting at `firstStepStart`, runs the simulation, sends the simulation end and
     * destroys the simulator. `startStep` may be empty.
     */
    void Run(uint32_t cells,
             SlicingGymEnv::ApplySharesFn applyShares,
             EndStepFn endStep,
             Time firstStepStart = Seconds(0),
             StartStepFn startStep = nullptr);

    /** Slice descriptions of a configuration, as the env reports them to the agent. */
    static std::vector<SliceDescription> DescribeSlices(const SlicingLteConfig& config);

  private:
    void StartStep();
    void EndOfStep();

    SlicingLteConfig m_config;
    uint32_t m_simSeed = 1;
    uint32_t m_openGymPort = 5555;
    Ptr<SlicingGymEnv> m_env;
    EndStepFn m_endStep;
    StartStepFn m_startStep;
    uint32_t m_step = 0;
};

} // namespace ns3

#endif /* SLICING_EPISODE_HELPER_H */
