/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The network of the SFC co-simulation (sfc-ns3): data centres as nodes, each on a point-to-point
 * link of its uplink bandwidth to a core router (half the inter-DC delay each way, so a hop between
 * two data centres takes the scenario's interDcDelay), IPv4 with global routing. A deployment
 * (SfcGymEnv's action) installs one SfcVnfApplication per VNF instance on its data centre's node
 * and one Poisson packet flow per accepted SFC, entering at its first instance and leaving after
 * its last; a step simulates a window of that traffic and measures each flow's end-to-end delay
 * and each instance's load.
 */
#ifndef SFC_DATACENTRE_SCENARIO_H
#define SFC_DATACENTRE_SCENARIO_H

#include "ns3/sfc-gym-env.h"
#include "ns3/sfc-vnf-application.h"

#include <ns3/command-line.h>
#include <ns3/ipv4-address.h>
#include <ns3/node-container.h>
#include <ns3/random-variable-stream.h>

#include <map>
#include <string>
#include <vector>

namespace ns3
{

/** The program's arguments (src/families/sfc/ns3-env.ts passes them from the scenario). */
struct SfcNs3Config
{
    std::string dcBandwidth = "2000,4000,8000"; ///< uplink of each data centre, Mbit/s
    double interDcDelay = 6;                    ///< one-way delay between two data centres, ms
    std::string capacities = "400,500,250,600,300"; ///< per VNF type, Mbit/s
    std::string processing = "1,0.5,3,0.8,2.5";     ///< per VNF type, ms
    uint32_t maxInstances = 64;
    uint32_t maxFlows = 128;
    double window = 0.05;       ///< simulated seconds of traffic per decision step
    uint32_t packetBytes = 1200; ///< UDP payload of the flows' packets
    uint32_t steps = 100;        ///< decision steps of the episode
    uint32_t simSeed = 1;

    void AddToCommandLine(CommandLine& cmd);
    /** Aborts with one line naming the argument when a value is out of range. */
    void Validate() const;
    std::vector<double> DcBandwidths() const;
    std::vector<double> Capacities() const;
    std::vector<double> ProcessingMs() const;
};

class SfcDataCentreScenario
{
  public:
    explicit SfcDataCentreScenario(const SfcNs3Config& config);

    /** Nodes, links, addresses and routes. */
    void Build();
    /** Applies a deployment (layout in sfc-gym-env.h); false when it is malformed. */
    bool ApplyDeployment(const std::vector<float>& deployment);
    /** Starts a window of traffic for the deployment in force. */
    void StartWindow();
    /** The window's measurements (observation layout in sfc-gym-env.h). */
    std::vector<float> Measure() const;
    /** One-line JSON of the step (extra info). */
    std::string Info(uint32_t step) const;

  private:
    struct Instance
    {
        int type = -1;
        uint32_t dc = 0;
        Ptr<SfcVnfApplication> app;
    };

    struct Flow
    {
        double mbps = 0;
        std::vector<uint32_t> slots;
        double delaySumMs = 0;
        uint64_t delivered = 0;
    };

    Ptr<SfcVnfApplication> Install(int type, uint32_t dc);
    void Emit(uint32_t flow, uint64_t epoch);
    void Forward(Ptr<Packet> packet);

    SfcNs3Config m_config;
    std::vector<double> m_capacities;
    std::vector<double> m_processingMs;
    NodeContainer m_dcs;
    std::vector<Ipv4Address> m_addresses;
    std::vector<Ptr<Socket>> m_senders;
    std::vector<Instance> m_instances;
    std::vector<Flow> m_flows;
    std::map<uint16_t, Ptr<SfcVnfApplication>> m_apps;
    uint16_t m_nextPort;
    uint64_t m_epoch;
    Time m_windowStart;
    Ptr<ExponentialRandomVariable> m_gaps;
};

} // namespace ns3

#endif /* SFC_DATACENTRE_SCENARIO_H */
