/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "slicing-lte-scenario.h"

#include <ns3/boolean.h>
#include <ns3/component-carrier-enb.h>
#include <ns3/config.h>
#include <ns3/data-rate.h>
#include <ns3/double.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/log.h>
#include <ns3/lte-enb-net-device.h>
#include <ns3/lte-enb-rrc.h>
#include <ns3/lte-ue-net-device.h>
#include <ns3/mobility-helper.h>
#include <ns3/on-off-helper.h>
#include <ns3/onoff-application.h>
#include <ns3/packet-sink-helper.h>
#include <ns3/packet-sink.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/pointer.h>
#include <ns3/random-variable-stream.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include <cmath>
#include <sstream>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SlicingLteScenario");

namespace
{
void
TxTrace(SlicingKpiCollector* collector,
        uint32_t ue,
        Ptr<const Packet> packet,
        const Address& /* from */,
        const Address& /* to */,
        const SeqTsSizeHeader& header)
{
    collector->NotifyTx(ue, packet, header);
}

void
RxTrace(SlicingKpiCollector* collector,
        uint32_t ue,
        Ptr<const Packet> packet,
        const Address& /* from */,
        const Address& /* to */,
        const SeqTsSizeHeader& header)
{
    collector->NotifyRx(ue, packet, header);
}

void
DlSchedulingTrace(SlicingKpiCollector* collector, uint32_t cell, DlSchedulingCallbackInfo info)
{
    collector->NotifyDlScheduling(cell, info);
}

std::string
RandomVariable(const std::string& type, double value)
{
    std::ostringstream text;
    text << "ns3::" << type << "RandomVariable[" << (type == "Constant" ? "Constant" : "Mean")
         << "=" << value << "]";
    return text.str();
}
} // namespace

void
SlicingLteConfig::AddToCommandLine(CommandLine& cmd)
{
    cmd.AddValue("sites", "number of sites (hexagonal lattice)", sites);
    cmd.AddValue("sectors", "sectors (cells) per site", sectors);
    cmd.AddValue("isd", "inter-site distance, m", isd);
    cmd.AddValue("bandwidth", "DL/UL bandwidth in resource blocks (6, 15, 25, 50, 75, 100)",
                 bandwidthRbs);
    cmd.AddValue("scheduler", "ns-3 LTE MAC scheduler TypeId", scheduler);
    cmd.AddValue("enbTxPower", "eNB transmit power, dBm", enbTxPowerDbm);
    cmd.AddValue("stepTime", "simulated seconds per agent step", stepTime);
    cmd.AddValue("simTime", "simulated seconds of agent steps per episode", simTime);
    cmd.AddValue("warmup", "simulated seconds before the first step", warmup);
    cmd.AddValue("rlcBuffer", "RLC UM transmission buffer per bearer, bytes", rlcBufferBytes);
    cmd.AddValue("uplinkSlicing", "partition the uplink resource blocks too", uplinkSlicing);
    for (SliceConfig& slice : slices)
    {
        std::string key = slice.name;
        for (char& c : key)
        {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        cmd.AddValue(key + "Name", slice.name + ": slice name reported to the agent", slice.label);
        cmd.AddValue(key + "Ues", slice.name + ": UEs per cell", slice.uesPerCell);
        cmd.AddValue(key + "Rate", slice.name + ": mean offered rate per UE, Mbit/s",
                     slice.rateMbps);
        cmd.AddValue(key + "Packet", slice.name + ": packet size, bytes", slice.packetBytes);
        cmd.AddValue(key + "Phi", slice.name + ": throughput target phi* per user, Mbit/s (0 = none)",
                     slice.phiTarget);
        cmd.AddValue(key + "Delay", slice.name + ": delay target d*, ms (0 = none)",
                     slice.delayTarget);
    }
}

void
SlicingLteConfig::Validate() const
{
    NS_ABORT_MSG_IF(sites < 1 || sites > 64, "--sites: got " << sites << ", expected 1..64");
    NS_ABORT_MSG_IF(sectors < 1 || sectors > 6, "--sectors: got " << sectors << ", expected 1..6");
    NS_ABORT_MSG_IF(!(stepTime >= 0.001), "--stepTime: got " << stepTime << ", expected >= 0.001 s");
    NS_ABORT_MSG_IF(!(simTime >= stepTime),
                    "--simTime: got " << simTime << ", expected >= --stepTime (" << stepTime << ")");
    NS_ABORT_MSG_IF(!(warmup >= 0.05), "--warmup: got " << warmup << ", expected >= 0.05 s");
    const uint32_t allowed[] = {6, 15, 25, 50, 75, 100};
    bool ok = false;
    for (uint32_t b : allowed)
    {
        ok = ok || b == bandwidthRbs;
    }
    NS_ABORT_MSG_IF(!ok, "--bandwidth: got " << bandwidthRbs << ", expected 6, 15, 25, 50, 75 or 100");
    for (const SliceConfig& s : slices)
    {
        NS_ABORT_MSG_IF(!(s.rateMbps > 0), "--" << s.name << "Rate: got " << s.rateMbps
                                                 << ", expected > 0");
        NS_ABORT_MSG_IF(s.packetBytes < 40 || s.packetBytes > 1400,
                        "--" << s.name << "Packet: got " << s.packetBytes
                             << ", expected 40..1400 bytes");
        NS_ABORT_MSG_IF(!(s.phiTarget >= 0) || !(s.delayTarget >= 0),
                        s.name << ": QoS targets must be >= 0");
    }
}

uint32_t
SlicingLteConfig::Steps() const
{
    return static_cast<uint32_t>(std::llround(simTime / stepTime));
}

SlicingLteScenario::SlicingLteScenario(const SlicingLteConfig& config)
    : m_config(config)
{
    m_config.Validate();
}

void
SlicingLteScenario::Build()
{
    ConfigureDefaults();
    CreateLteHelpers();
    // One internet stack helper and one mobility helper for every node, created where the
    // steps first need them: the order in which ns-3 objects draw their random streams, and so
    // every run, stays what it is.
    InternetStackHelper internet;
    BuildCore(internet);
    MobilityHelper mobility;
    mobility.SetMobilityModel("ns3::ConstantPositionMobilityModel");
    BuildCells(mobility);
    DropUes(mobility);
    AttachUes(internet);
    InstallTraffic();
    NS_LOG_INFO("slicing-lte: " << m_config.Cells() << " cells, " << m_uePlan.size() << " UEs");
}

void
SlicingLteScenario::ConfigureDefaults()
{
    const SlicingLteConfig& cfg = m_config;
    uint32_t uesPerCell = 0;
    for (const SliceConfig& s : cfg.slices)
    {
        uesPerCell += s.uesPerCell;
    }
    Config::SetDefault("ns3::LteRlcUm::MaxTxBufferSize", UintegerValue(cfg.rlcBufferBytes));
    Config::SetDefault("ns3::LteEnbPhy::TxPower", DoubleValue(cfg.enbTxPowerDbm));
    Config::SetDefault("ns3::LteEnbRrc::SrsPeriodicity",
                       UintegerValue(uesPerCell <= 15 ? 20 : uesPerCell <= 35 ? 40
                                                      : uesPerCell <= 75 ? 80 : 160));
}

void
SlicingLteScenario::CreateLteHelpers()
{
    const SlicingLteConfig& cfg = m_config;
    m_lte = CreateObject<LteHelper>();
    m_epc = CreateObject<PointToPointEpcHelper>();
    m_lte->SetEpcHelper(m_epc);
    m_lte->SetAttribute("PathlossModel", StringValue("ns3::LogDistancePropagationLossModel"));
    m_lte->SetPathlossModelAttribute("Exponent", DoubleValue(3.5));
    m_lte->SetPathlossModelAttribute("ReferenceLoss", DoubleValue(46.67));
    m_lte->SetSchedulerType(cfg.scheduler);
    m_lte->SetFfrAlgorithmType("ns3::SlicingFfrAlgorithm");
    m_lte->SetFfrAlgorithmAttribute("SliceCount", UintegerValue(cfg.slices.size()));
    m_lte->SetFfrAlgorithmAttribute("EnabledInUplink", BooleanValue(cfg.uplinkSlicing));
    m_lte->SetEnbDeviceAttribute("DlBandwidth", UintegerValue(cfg.bandwidthRbs));
    m_lte->SetEnbDeviceAttribute("UlBandwidth", UintegerValue(cfg.bandwidthRbs));
}

void
SlicingLteScenario::BuildCore(InternetStackHelper& internet)
{
    NodeContainer remote;
    remote.Create(1);
    m_remoteHost = remote.Get(0);
    internet.Install(remote);
    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate("100Gb/s")));
    p2p.SetDeviceAttribute("Mtu", UintegerValue(1500));
    p2p.SetChannelAttribute("Delay", TimeValue(MilliSeconds(1)));
    NetDeviceContainer coreDevs = p2p.Install(m_epc->GetPgwNode(), m_remoteHost);
    Ipv4AddressHelper ipv4;
    ipv4.SetBase("1.0.0.0", "255.0.0.0");
    ipv4.Assign(coreDevs);
    Ipv4StaticRoutingHelper routing;
    routing.GetStaticRouting(m_remoteHost->GetObject<Ipv4>())
        ->AddNetworkRouteTo(Ipv4Address("7.0.0.0"), Ipv4Mask("255.0.0.0"), 1);
}

void
SlicingLteScenario::BuildCells(MobilityHelper& mobility)
{
    const SlicingLteConfig& cfg = m_config;
    const uint32_t cells = cfg.Cells();
    m_enbNodes.Create(cells);
    const auto cols = static_cast<uint32_t>(std::ceil(std::sqrt(static_cast<double>(cfg.sites))));
    m_sitePositions.assign(cfg.sites, Vector());
    for (uint32_t site = 0; site < cfg.sites; ++site)
    {
        const uint32_t row = site / cols;
        const uint32_t col = site % cols;
        m_sitePositions[site] = Vector(col * cfg.isd + (row % 2) * cfg.isd / 2.0,
                                       row * cfg.isd * std::sqrt(3.0) / 2.0,
                                       30.0);
    }
    mobility.Install(m_enbNodes);
    m_collector = CreateObject<SlicingKpiCollector>();
    std::vector<double> phi;
    std::vector<double> delay;
    for (const SliceConfig& s : cfg.slices)
    {
        phi.push_back(s.phiTarget);
        delay.push_back(s.delayTarget);
    }
    m_collector->SetSlices(phi, delay);
    for (uint32_t cell = 0; cell < cells; ++cell)
    {
        const uint32_t site = cell / cfg.sectors;
        const uint32_t sector = cell % cfg.sectors;
        m_enbNodes.Get(cell)->GetObject<MobilityModel>()->SetPosition(m_sitePositions[site]);
        if (cfg.sectors == 1)
        {
            m_lte->SetEnbAntennaModelType("ns3::IsotropicAntennaModel");
        }
        else
        {
            m_lte->SetEnbAntennaModelType("ns3::ParabolicAntennaModel");
            m_lte->SetEnbAntennaModelAttribute("Orientation",
                                               DoubleValue(360.0 * sector / cfg.sectors));
            m_lte->SetEnbAntennaModelAttribute("Beamwidth",
                                               DoubleValue(std::min(70.0 * 3 / cfg.sectors, 120.0)));
        }
        NetDeviceContainer dev = m_lte->InstallEnbDevice(NodeContainer(m_enbNodes.Get(cell)));
        m_enbDevs.Add(dev);
        Ptr<LteEnbNetDevice> enb = dev.Get(0)->GetObject<LteEnbNetDevice>();
        Ptr<SlicingFfrAlgorithm> ffr =
            DynamicCast<SlicingFfrAlgorithm>(
                DynamicCast<ComponentCarrierEnb>(enb->GetCcMap().at(0))->GetFfrAlgorithm());
        NS_ABORT_MSG_IF(!ffr, "the eNB did not get a SlicingFfrAlgorithm");
        const uint32_t index = m_collector->AddCell(ffr);
        enb->GetMac()->TraceConnectWithoutContext(
            "DlScheduling",
            MakeBoundCallback(&DlSchedulingTrace, PeekPointer(m_collector), index));
        enb->GetRrc()->TraceConnectWithoutContext(
            "ConnectionEstablished",
            MakeBoundCallback(&SlicingLteScenario::OnConnectionEstablished, this));
    }
}

void
SlicingLteScenario::DropUes(MobilityHelper& mobility)
{
    const SlicingLteConfig& cfg = m_config;
    const uint32_t cells = cfg.Cells();
    Ptr<UniformRandomVariable> uniform = CreateObject<UniformRandomVariable>();
    uniform->SetStream(1);
    m_uePlan.clear();
    for (uint32_t cell = 0; cell < cells; ++cell)
    {
        for (uint32_t slice = 0; slice < cfg.slices.size(); ++slice)
        {
            for (uint32_t i = 0; i < cfg.slices[slice].uesPerCell; ++i)
            {
                m_uePlan.push_back({cell, slice});
            }
        }
    }
    m_ueNodes.Create(m_uePlan.size());
    mobility.Install(m_ueNodes);
    const double rMin = 35.0;
    const double rMax = cfg.isd / 2.0;
    for (uint32_t i = 0; i < m_uePlan.size(); ++i)
    {
        const uint32_t site = m_uePlan[i].cell / cfg.sectors;
        const uint32_t sector = m_uePlan[i].cell % cfg.sectors;
        const double width = 2.0 * M_PI / cfg.sectors;
        const double angle = 2.0 * M_PI * sector / cfg.sectors + (uniform->GetValue() - 0.5) * width;
        const double r = std::sqrt(uniform->GetValue(rMin * rMin, rMax * rMax));
        const Vector& center = m_sitePositions[site];
        m_ueNodes.Get(i)->GetObject<MobilityModel>()->SetPosition(
            Vector(center.x + r * std::cos(angle), center.y + r * std::sin(angle), 1.5));
    }
}

void
SlicingLteScenario::AttachUes(InternetStackHelper& internet)
{
    m_ueDevs = m_lte->InstallUeDevice(m_ueNodes);
    internet.Install(m_ueNodes);
    m_ueIfaces = m_epc->AssignUeIpv4Address(m_ueDevs);
    Ipv4StaticRoutingHelper routing;
    for (uint32_t i = 0; i < m_uePlan.size(); ++i)
    {
        routing.GetStaticRouting(m_ueNodes.Get(i)->GetObject<Ipv4>())
            ->SetDefaultRoute(m_epc->GetUeDefaultGatewayAddress(), 1);
        m_lte->Attach(m_ueDevs.Get(i), m_enbDevs.Get(m_uePlan[i].cell));
    }
}

void
SlicingLteScenario::InstallTraffic()
{
    const SlicingLteConfig& cfg = m_config;
    const Time appStart = Seconds(cfg.warmup / 2.0);
    const Time appStop = Seconds(cfg.warmup + cfg.simTime + 1.0);
    for (uint32_t i = 0; i < m_uePlan.size(); ++i)
    {
        const SliceConfig& slice = cfg.slices[m_uePlan[i].slice];
        const uint32_t ue = m_collector->AddUe(m_uePlan[i].cell, m_uePlan[i].slice, slice.packetBytes);
        m_imsiToUe[m_ueDevs.Get(i)->GetObject<LteUeNetDevice>()->GetImsi()] = ue;
        const uint16_t port = static_cast<uint16_t>(10000 + (i % 50000));

        double onMean = 0;
        double offMean = 0;
        if (slice.name == "URLLC")
        {
            onMean = 0.05;
            offMean = 0.05;
        }
        else if (slice.name == "mMTC")
        {
            onMean = 0.02;
            offMean = 0.18;
        }
        const double peak = onMean > 0 ? slice.rateMbps * (onMean + offMean) / onMean : slice.rateMbps;
        OnOffHelper source("ns3::UdpSocketFactory",
                           InetSocketAddress(m_ueIfaces.GetAddress(i), port));
        source.SetAttribute("DataRate", DataRateValue(DataRate(peak * 1e6)));
        source.SetAttribute("PacketSize", UintegerValue(slice.packetBytes));
        source.SetAttribute("EnableSeqTsSizeHeader", BooleanValue(true));
        if (onMean > 0)
        {
            source.SetAttribute("OnTime", StringValue(RandomVariable("Exponential", onMean)));
            source.SetAttribute("OffTime", StringValue(RandomVariable("Exponential", offMean)));
        }
        else
        {
            source.SetAttribute("OnTime", StringValue(RandomVariable("Constant", 1e6)));
            source.SetAttribute("OffTime", StringValue(RandomVariable("Constant", 0)));
        }
        ApplicationContainer sourceApp = source.Install(m_remoteHost);
        sourceApp.Start(appStart + MicroSeconds(137 * (i % 200)));
        sourceApp.Stop(appStop);
        sourceApp.Get(0)->TraceConnectWithoutContext(
            "TxWithSeqTsSize",
            MakeBoundCallback(&TxTrace, PeekPointer(m_collector), ue));

        PacketSinkHelper sink("ns3::UdpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), port));
        sink.SetAttribute("EnableSeqTsSizeHeader", BooleanValue(true));
        ApplicationContainer sinkApp = sink.Install(m_ueNodes.Get(i));
        sinkApp.Start(Seconds(0));
        sinkApp.Get(0)->TraceConnectWithoutContext(
            "RxWithSeqTsSize",
            MakeBoundCallback(&RxTrace, PeekPointer(m_collector), ue));
    }
}

void
SlicingLteScenario::OnConnectionEstablished(SlicingLteScenario* self,
                                            uint64_t imsi,
                                            uint16_t /* cellId */,
                                            uint16_t rnti)
{
    auto it = self->m_imsiToUe.find(imsi);
    if (it != self->m_imsiToUe.end())
    {
        self->m_collector->NotifyUeRnti(it->second, rnti);
    }
}

bool
SlicingLteScenario::ApplyShares(uint32_t cell, const std::vector<double>& shares)
{
    return m_collector->GetFfr(cell)->SetShares(shares);
}

void
SlicingLteScenario::StartStep()
{
    m_collector->StartStep();
}

std::vector<std::vector<SliceKpis>>
SlicingLteScenario::EndStep() const
{
    return m_collector->EndStep();
}

} // namespace ns3
