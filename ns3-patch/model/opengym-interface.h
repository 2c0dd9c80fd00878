// ns3-gym compatible OpenGymInterface: the simulator's end of the agent session.
//
// Options ns3-gym lacks, as GlobalValues (so every scenario accepts them on its command line,
// e.g. --openGymEndpoint=ipc:///tmp/x, without declaring them) and as attributes:
//   openGymEndpoint  ""           full endpoint tcp://host:port or ipc://path; overrides host/port
//   openGymHost      "localhost"  host for tcp://<host>:<port> (ns3-gym hard-codes localhost)
//   openGymPort      0            port when the scenario does not pass one (0 = the constructor's)
//   openGymTimeoutMs 120000       longest wait for each reply of the agent; 0 = wait forever
// When the agent does not answer in time the program prints one line naming the endpoint and the
// wait to stderr and exits with status 3 (ns3-gym hangs forever).
#ifndef NS3TS_OPENGYM_INTERFACE_H
#define NS3TS_OPENGYM_INTERFACE_H

#include "container.h"
#include "spaces.h"

#include "ns3/callback.h"
#include "ns3/object.h"
#include "ns3/ptr.h"

#include <cstdint>
#include <memory>
#include <string>

namespace bridge
{
class Session;
}

namespace ns3
{

class OpenGymEnv;

/// Exit status of a simulator whose agent did not answer within openGymTimeoutMs.
constexpr int kOpenGymTimeoutExitCode = 3;
/// Exit status of a simulator that failed to talk to its agent for another reason.
constexpr int kOpenGymErrorExitCode = 4;

class OpenGymInterface : public Object
{
  public:
    static TypeId GetTypeId();
    /// Singleton per process, as in ns3-gym (created on first use).
    static Ptr<OpenGymInterface> Get(uint32_t port = 5555);

    explicit OpenGymInterface(uint32_t port = 5555);
    ~OpenGymInterface() override;

    /// Connects and sends SimInitMsg (done automatically by the first NotifyCurrentState()).
    void Init();
    /// Sends the current state, waits for the agent's action and executes it. After a game over
    /// or a stop request from the agent the simulation is stopped (Simulator::Stop()).
    void NotifyCurrentState();
    /// Call after Simulator::Run() returns: sends the final state (isGameOver, reason
    /// SimulationEnd) unless the episode already ended, then closes the session.
    void NotifySimulationEnd();
    /// Wires the getters of `entity` and sends its current state (like ns3-gym).
    void Notify(Ptr<OpenGymEnv> entity);
    /// Kept for ns3-gym scenarios: ends the session like NotifySimulationEnd().
    void WaitForStop();

    Ptr<OpenGymSpace> GetActionSpace();
    Ptr<OpenGymSpace> GetObservationSpace();
    Ptr<OpenGymDataContainer> GetObservation();
    float GetReward();
    bool IsGameOver();
    std::string GetExtraInfo();
    bool ExecuteActions(Ptr<OpenGymDataContainer> action);

    void SetGetActionSpaceCb(Callback<Ptr<OpenGymSpace>> cb);
    void SetGetObservationSpaceCb(Callback<Ptr<OpenGymSpace>> cb);
    void SetGetObservationCb(Callback<Ptr<OpenGymDataContainer>> cb);
    void SetGetRewardCb(Callback<float> cb);
    void SetGetGameOverCb(Callback<bool> cb);
    void SetGetExtraInfoCb(Callback<std::string> cb);
    void SetExecuteActionsCb(Callback<bool, Ptr<OpenGymDataContainer>> cb);

    /// The endpoint this interface connects to (after applying the options above).
    std::string GetEndpoint() const;
    /// The wait for each reply, ms (0 = forever).
    int64_t GetTimeoutMs() const;
    /// True once the agent asked to stop or the episode ended.
    bool IsStopped() const;

  protected:
    void DoDispose() override;

  private:
    [[noreturn]] void Fail(const std::string& what, bool timeout) const;
    void CloseSession();

    uint32_t m_port;
    std::string m_endpointAttr;
    std::string m_hostAttr;
    int64_t m_timeoutAttr;

    std::unique_ptr<bridge::Session> m_session;
    bool m_initSimMsgSent;
    bool m_stopEnvRequested;
    bool m_gameOverNotified;
    bool m_simEndNotified;

    Callback<Ptr<OpenGymSpace>> m_actionSpaceCb;
    Callback<Ptr<OpenGymSpace>> m_observationSpaceCb;
    Callback<bool> m_gameOverCb;
    Callback<Ptr<OpenGymDataContainer>> m_obsCb;
    Callback<float> m_rewardCb;
    Callback<std::string> m_extraInfoCb;
    Callback<bool, Ptr<OpenGymDataContainer>> m_actionCb;
};

} // namespace ns3

#endif // NS3TS_OPENGYM_INTERFACE_H
