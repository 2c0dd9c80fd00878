/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "sfc-gym-env.h"

#include "container.h"
#include "spaces.h"

#include <ns3/log.h>

#include <limits>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SfcGymEnv");
NS_OBJECT_ENSURE_REGISTERED(SfcGymEnv);

TypeId
SfcGymEnv::GetTypeId()
{
    static TypeId tid = TypeId("ns3::SfcGymEnv").SetParent<OpenGymEnv>().SetGroupName("Ns3ts");
    return tid;
}

SfcGymEnv::SfcGymEnv()
    : m_maxInstances(0),
      m_maxFlows(0),
      m_step(0)
{
}

SfcGymEnv::SfcGymEnv(uint32_t maxInstances, uint32_t maxFlows, ApplyDeploymentFn apply)
    : m_maxInstances(maxInstances),
      m_maxFlows(maxFlows),
      m_apply(std::move(apply)),
      m_measurements(ObservationSize(), 0.0f),
      m_step(0),
      m_info("{}")
{
}

uint32_t
SfcGymEnv::ActionSize() const
{
    return m_maxInstances * 2 + m_maxFlows * (1 + 4);
}

uint32_t
SfcGymEnv::ObservationSize() const
{
    return m_maxFlows * 2 + m_maxInstances * 2;
}

void
SfcGymEnv::SetMeasurements(std::vector<float> measurements, uint32_t step, std::string info)
{
    NS_ABORT_MSG_IF(measurements.size() != ObservationSize(),
                    "SfcGymEnv: " << measurements.size() << " measurements, expected "
                                  << ObservationSize());
    m_measurements = std::move(measurements);
    m_step = step;
    m_info = std::move(info);
}

Ptr<OpenGymSpace>
SfcGymEnv::GetObservationSpace()
{
    return CreateObject<OpenGymBoxSpace>(0.0f,
                                         std::numeric_limits<float>::infinity(),
                                         std::vector<uint32_t>{ObservationSize()},
                                         TypeNameGet<float>());
}

Ptr<OpenGymSpace>
SfcGymEnv::GetActionSpace()
{
    return CreateObject<OpenGymBoxSpace>(0.0f,
                                         std::numeric_limits<float>::infinity(),
                                         std::vector<uint32_t>{ActionSize()},
                                         TypeNameGet<float>());
}

bool
SfcGymEnv::GetGameOver()
{
    return false; // episodes end with the simulation (SimulationEnd -> truncated)
}

Ptr<OpenGymDataContainer>
SfcGymEnv::GetObservation()
{
    Ptr<OpenGymBoxContainer<float>> box =
        CreateObject<OpenGymBoxContainer<float>>(std::vector<uint32_t>{ObservationSize()});
    box->SetData(m_measurements);
    return box;
}

float
SfcGymEnv::GetReward()
{
    return 0.0f;
}

std::string
SfcGymEnv::GetExtraInfo()
{
    return m_info;
}

bool
SfcGymEnv::ExecuteActions(Ptr<OpenGymDataContainer> action)
{
    Ptr<OpenGymBoxContainer<float>> box = DynamicCast<OpenGymBoxContainer<float>>(action);
    if (!box || box->GetData().size() != ActionSize())
    {
        NS_LOG_WARN("sfc: step " << m_step << ": action is not a FLOAT Box of " << ActionSize()
                                 << " values; keeping the deployment in force");
        return false;
    }
    if (!m_apply(box->GetData()))
    {
        NS_LOG_WARN("sfc: step " << m_step << ": malformed deployment; keeping the previous one");
        return false;
    }
    return true;
}

} // namespace ns3
