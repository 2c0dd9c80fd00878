/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The OpenGymEnv of the slicing scenarios (slicing-lte, slicing-null), laid out exactly as
 * src/env/slicing.ts:
 *   observation  Box FLOAT [cells, slices, 12], bounds [0, +inf), one row of SliceKpis features
 *                per (cell, slice);
 *   action       Box FLOAT [cells, slices], bounds [0, 1], each cell's shares of its RBs;
 *   reward       sum over active (cell, slice) of log(r + 1), r = min(phi / phi*, d* / d, 1) (a slice
 *                without active users has r = 1; a target of 0 means none);
 *   extra info   JSON {slices, sliceTypes, cells, step, simTime, projected, projectedSteps,
 *                rbgs: [cells][slices], kpis: {<feature>: [cells][slices]}}.
 * An action with a cell's shares summing to more than 1 (or NaN / negative values) is projected
 * by the ApplyShares callback; the env logs that (NS_LOG_WARN, component SlicingGymEnv) and
 * reports it in the info.
 */
#ifndef SLICING_GYM_ENV_H
#define SLICING_GYM_ENV_H

#include "opengym-env.h"
#include "slicing-kpi-collector.h"

#include <functional>
#include <string>
#include <vector>

namespace ns3
{

struct SliceDescription
{
    std::string name;
    std::string type; ///< eMBB | URLLC | mMTC
    double phiTarget;
    double delayTarget;
};

class SlicingGymEnv : public OpenGymEnv
{
  public:
    /** Sets `cell`'s shares; returns true when they had to be projected. */
    using ApplySharesFn = std::function<bool(uint32_t cell, const std::vector<double>& shares)>;

    static TypeId GetTypeId();
    SlicingGymEnv();
    SlicingGymEnv(uint32_t cells, std::vector<SliceDescription> slices, ApplySharesFn applyShares);

    /** The KPIs of the step that just ended (what the next Notify() sends). */
    void SetStepKpis(std::vector<std::vector<SliceKpis>> kpis, uint32_t step);

    /** The names and order of the 12 features (src/env/slicing.ts SLICE_FEATURES). */
    static const std::vector<std::string>& FeatureNames();
    /** IDLA's QoS level r of one (cell, slice). */
    static double QosLevel(const SliceKpis& k);

    Ptr<OpenGymSpace> GetActionSpace() override;
    Ptr<OpenGymSpace> GetObservationSpace() override;
    bool GetGameOver() override;
    Ptr<OpenGymDataContainer> GetObservation() override;
    float GetReward() override;
    std::string GetExtraInfo() override;
    bool ExecuteActions(Ptr<OpenGymDataContainer> action) override;

  private:
    uint32_t m_cells;
    std::vector<SliceDescription> m_slices;
    ApplySharesFn m_applyShares;
    std::vector<std::vector<SliceKpis>> m_kpis;
    uint32_t m_step;
    bool m_lastProjected;
    uint32_t m_projectedSteps;
};

} // namespace ns3

#endif /* SLICING_GYM_ENV_H */
