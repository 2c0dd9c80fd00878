#include "opengym-env.h"

#include "opengym-interface.h"

#include "ns3/callback.h"
#include "ns3/log.h"

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("OpenGymEnv");

NS_OBJECT_ENSURE_REGISTERED(OpenGymEnv);

TypeId
OpenGymEnv::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymEnv").SetParent<Object>().SetGroupName("OpenGym");
    return tid;
}

OpenGymEnv::OpenGymEnv() = default;
OpenGymEnv::~OpenGymEnv() = default;

void
OpenGymEnv::DoDispose()
{
    m_openGymInterface = nullptr;
    Object::DoDispose();
}

void
OpenGymEnv::DoInitialize()
{
    Object::DoInitialize();
}

void
OpenGymEnv::SetOpenGymInterface(Ptr<OpenGymInterface> openGymInterface)
{
    // Raw `this` in the callbacks (as ns3-gym): the interface must not keep the env alive.
    m_openGymInterface = openGymInterface;
    openGymInterface->SetGetActionSpaceCb(MakeCallback(&OpenGymEnv::GetActionSpace, this));
    openGymInterface->SetGetObservationSpaceCb(
        MakeCallback(&OpenGymEnv::GetObservationSpace, this));
    openGymInterface->SetGetGameOverCb(MakeCallback(&OpenGymEnv::GetGameOver, this));
    openGymInterface->SetGetObservationCb(MakeCallback(&OpenGymEnv::GetObservation, this));
    openGymInterface->SetGetRewardCb(MakeCallback(&OpenGymEnv::GetReward, this));
    openGymInterface->SetGetExtraInfoCb(MakeCallback(&OpenGymEnv::GetExtraInfo, this));
    openGymInterface->SetExecuteActionsCb(MakeCallback(&OpenGymEnv::ExecuteActions, this));
}

void
OpenGymEnv::Notify()
{
    if (m_openGymInterface)
    {
        m_openGymInterface->NotifyCurrentState();
    }
}

void
OpenGymEnv::NotifySimulationEnd()
{
    if (m_openGymInterface)
    {
        m_openGymInterface->NotifySimulationEnd();
    }
}

} // namespace ns3
