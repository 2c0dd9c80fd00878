// ns3-gym compatible OpenGymEnv: subclass it, implement the seven getters/actions, call Notify().
#ifndef NS3TS_OPENGYM_ENV_H
#define NS3TS_OPENGYM_ENV_H

#include "container.h"
#include "spaces.h"

#include "ns3/object.h"
#include "ns3/ptr.h"

#include <string>

namespace ns3
{

class OpenGymInterface;

class OpenGymEnv : public Object
{
  public:
    static TypeId GetTypeId();
    OpenGymEnv();
    ~OpenGymEnv() override;

    virtual Ptr<OpenGymSpace> GetActionSpace() = 0;
    virtual Ptr<OpenGymSpace> GetObservationSpace() = 0;
    virtual bool GetGameOver() = 0;
    virtual Ptr<OpenGymDataContainer> GetObservation() = 0;
    virtual float GetReward() = 0;
    virtual std::string GetExtraInfo() = 0;
    virtual bool ExecuteActions(Ptr<OpenGymDataContainer> action) = 0;

    /// Wires this env's getters into the interface (as ns3-gym does).
    void SetOpenGymInterface(Ptr<OpenGymInterface> openGymInterface);
    /// Sends the current state to the agent and executes its action.
    void Notify();
    /// Sends the final (simulation end) state; call after Simulator::Run() returns.
    void NotifySimulationEnd();

  protected:
    void DoDispose() override;
    void DoInitialize() override;

    Ptr<OpenGymInterface> m_openGymInterface;
};

} // namespace ns3

#endif // NS3TS_OPENGYM_ENV_H
