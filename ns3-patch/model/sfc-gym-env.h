/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The OpenGymEnv of the SFC co-simulation (sfc-ns3). The orchestrator's bookkeeping (requests,
 * placements, lifetimes) stays on the agent side; this env carries, per decision step, the
 * deployment to simulate one way and what ns-3 measured the other way (docs/sfc.md#sfc-ns3):
 *   action       Box FLOAT [I*2 + F*5]: per instance slot (type + 1, 0 = none; data centre),
 *                then per flow slot (Mbit/s, 0 = none; instance slot + 1 of each chain link,
 *                0 = end of the chain);
 *   observation  Box FLOAT [F*2 + I*2]: per flow slot its mean end-to-end delay (ms) and the
 *                packets delivered in the step's window, then per instance slot its load (busy
 *                fraction of the window) and the packets it served;
 *   reward       0 (the reward rules run on the agent side, on the measured delays);
 *   extra info   JSON {step, simTime, instances, flows, dropped}.
 */
#ifndef SFC_GYM_ENV_H
#define SFC_GYM_ENV_H

#include "opengym-env.h"

#include <functional>
#include <string>
#include <vector>

namespace ns3
{

class SfcGymEnv : public OpenGymEnv
{
  public:
    /** Applies a deployment (the action's floats); returns false when it is malformed. */
    using ApplyDeploymentFn = std::function<bool(const std::vector<float>& deployment)>;

    static TypeId GetTypeId();
    SfcGymEnv();
    SfcGymEnv(uint32_t maxInstances, uint32_t maxFlows, ApplyDeploymentFn apply);

    /** What the next Notify() sends: the measurements of the window that just ended. */
    void SetMeasurements(std::vector<float> measurements, uint32_t step, std::string info);

    Ptr<OpenGymSpace> GetActionSpace() override;
    Ptr<OpenGymSpace> GetObservationSpace() override;
    bool GetGameOver() override;
    Ptr<OpenGymDataContainer> GetObservation() override;
    float GetReward() override;
    std::string GetExtraInfo() override;
    bool ExecuteActions(Ptr<OpenGymDataContainer> action) override;

    uint32_t ActionSize() const;
    uint32_t ObservationSize() const;

  private:
    uint32_t m_maxInstances;
    uint32_t m_maxFlows;
    ApplyDeploymentFn m_apply;
    std::vector<float> m_measurements;
    uint32_t m_step;
    std::string m_info;
};

} // namespace ns3

#endif /* SFC_GYM_ENV_H */
