/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The LTE network of the `slicing-lte` scenario, independent of how an agent talks to it:
 * sites x sectors eNBs (one cell per sector) with an EPC, three slices (eMBB, URLLC, mMTC) with a
 * number of UEs per cell each, one downlink traffic source per UE, a SlicingFfrAlgorithm per
 * cell that enforces the agent's shares, and a SlicingKpiCollector. The scenario program
 * (examples/slicing-lte.cc) drives it through SlicingEpisodeHelper; tests and other programs can
 * drive it directly (ApplyShares / StartStep / EndStep).
 *
 * Layout: sites on a hexagonal lattice with inter-site distance `isd`; with one sector per site
 * the antenna is isotropic, otherwise sector k of a site points at 360 k / sectors degrees
 * (parabolic antenna). The UEs of a sector are dropped uniformly (by area) in its angular
 * sector between 35 m and isd / 2 from the site and attached to that sector's eNB; positions
 * depend on the run number (--simSeed), nothing else does.
 *
 * Traffic per UE (downlink, UDP from a remote host, application packets with sequence number and
 * timestamp): eMBB constant bit rate; URLLC and mMTC on/off with exponential on and off periods
 * (URLLC mean on 50 ms / off 50 ms, mMTC 20 ms / 180 ms), the peak rate scaled so that the mean
 * rate is the configured one.
 */
#ifndef SLICING_LTE_SCENARIO_H
#define SLICING_LTE_SCENARIO_H

#include "ns3/slicing-ffr-algorithm.h"
#include "ns3/slicing-kpi-collector.h"

#include <ns3/command-line.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-interface-container.h>
#include <ns3/lte-helper.h>
#include <ns3/mobility-helper.h>
#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/nstime.h>
#include <ns3/point-to-point-epc-helper.h>

#include <map>
#include <string>
#include <vector>

namespace ns3
{

/** Traffic and QoS of one slice. */
struct SliceConfig
{
    std::string name;        ///< the slice type: eMBB | URLLC | mMTC
    uint32_t uesPerCell;     ///< UEs of the slice in every cell
    double rateMbps;         ///< mean offered rate per UE, Mbit/s
    uint32_t packetBytes;    ///< application packet size
    double phiTarget;        ///< throughput target per user, Mbit/s (0 = none)
    double delayTarget;      ///< delay target, ms (0 = none)
    std::string label = "";  ///< name reported to the agent (default: the type)

    std::string Label() const { return label.empty() ? name : label; }
};

struct SlicingLteConfig
{
    uint32_t sites = 1;
    uint32_t sectors = 1;
    double isd = 500;                       ///< inter-site distance, m
    uint32_t bandwidthRbs = 25;             ///< DL and UL bandwidth, RBs (6, 15, 25, 50, 75, 100)
    std::string scheduler = "ns3::PfFfMacScheduler";
    double enbTxPowerDbm = 43;
    double stepTime = 0.1;                  ///< s of simulated time per agent step
    double simTime = 1.0;                   ///< s of agent steps per episode
    double warmup = 0.1;                    ///< s before the first step (attach, traffic start)
    uint32_t rlcBufferBytes = 200000;       ///< RLC UM transmission buffer per bearer
    bool uplinkSlicing = true;              ///< partition the UL resource blocks too
    std::vector<SliceConfig> slices = {
        {"eMBB", 2, 3.0, 1200, 2.0, 100.0},
        {"URLLC", 1, 0.5, 200, 0.2, 10.0},
        {"mMTC", 2, 0.05, 100, 0.02, 200.0},
    };

    /** Adds --sites, --sectors, --embbUes, --urllcRate, ... to a command line. */
    void AddToCommandLine(CommandLine& cmd);
    /** Aborts with a clear message on values the scenario cannot run with. */
    void Validate() const;
    uint32_t Cells() const { return sites * sectors; }
    uint32_t Steps() const;
};

class SlicingLteScenario
{
  public:
    explicit SlicingLteScenario(const SlicingLteConfig& config);
    /**
     * Creates nodes, devices, the EPC and applications (call once, before Simulator::Run), in
     * this order (the order fixes the random streams): ConfigureDefaults, CreateLteHelpers,
     * BuildCore, BuildCells, DropUes, AttachUes, InstallTraffic.
     */
    void Build();

    const SlicingLteConfig& GetConfig() const { return m_config; }
    uint32_t GetCellCount() const { return m_config.Cells(); }
    uint32_t GetSliceCount() const { return static_cast<uint32_t>(m_config.slices.size()); }
    Time GetFirstStepStart() const { return Seconds(m_config.warmup); }

    /**
     * Sets cell `cell`'s shares (one per slice). Infeasible shares (sum > 1, NaN, negative) are
     * projected; returns true then.
     */
    bool ApplyShares(uint32_t cell, const std::vector<double>& shares);
    void StartStep();
    std::vector<std::vector<SliceKpis>> EndStep() const;
    Ptr<SlicingKpiCollector> GetCollector() const { return m_collector; }

  private:
    /** The UE of plan entry i: its cell and slice. */
    struct UePlan
    {
        uint32_t cell;
        uint32_t slice;
    };

    /** ns-3 defaults that depend on the configuration (RLC buffer, eNB power, SRS period). */
    void ConfigureDefaults();
    /** The LTE and EPC helpers: path loss, scheduler, the slicing FFR hook, bandwidth. */
    void CreateLteHelpers();
    /** One remote host behind the PGW (100 Gb/s, 1 ms), routed to the UE network. */
    void BuildCore(InternetStackHelper& internet);
    /** sites x sectors eNBs on the hexagonal lattice, each with its FFR hook and KPI traces. */
    void BuildCells(MobilityHelper& mobility);
    /** The UEs, per cell and slice, dropped uniformly in their cell's angular sector. */
    void DropUes(MobilityHelper& mobility);
    /** UE devices, IP addresses, default routes and attachment to their cells. */
    void AttachUes(InternetStackHelper& internet);
    /** One downlink source on the remote host and one sink per UE, per the slice's traffic. */
    void InstallTraffic();

    static void OnConnectionEstablished(SlicingLteScenario* self,
                                        uint64_t imsi,
                                        uint16_t cellId,
                                        uint16_t rnti);

    SlicingLteConfig m_config;
    Ptr<LteHelper> m_lte;
    Ptr<PointToPointEpcHelper> m_epc;
    Ptr<SlicingKpiCollector> m_collector;
    NodeContainer m_enbNodes;
    NodeContainer m_ueNodes;
    NetDeviceContainer m_enbDevs;
    NetDeviceContainer m_ueDevs;
    std::map<uint64_t, uint32_t> m_imsiToUe;
    Ptr<Node> m_remoteHost;
    std::vector<Vector> m_sitePositions;
    std::vector<UePlan> m_uePlan;
    Ipv4InterfaceContainer m_ueIfaces;
};

} // namespace ns3

#endif /* SLICING_LTE_SCENARIO_H */
