/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "sfc-datacentre-scenario.h"

#include <ns3/abort.h>
#include <ns3/double.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/log.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/udp-socket-factory.h>
#include <ns3/uinteger.h>

#include <cmath>
#include <sstream>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SfcDataCentreScenario");

namespace
{
std::vector<double>
ParseList(const std::string& name, const std::string& text, size_t expected)
{
    std::vector<double> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
    {
        char* end = nullptr;
        const double v = std::strtod(item.c_str(), &end);
        NS_ABORT_MSG_IF(end == item.c_str() || *end != '\0' || !(v > 0),
                        "--" << name << "=" << text << ": expected a comma-separated list of "
                             << "positive numbers");
        out.push_back(v);
    }
    NS_ABORT_MSG_IF(out.empty() || (expected > 0 && out.size() != expected),
                    "--" << name << "=" << text << ": expected "
                         << (expected > 0 ? std::to_string(expected) : std::string("1 to 8"))
                         << " values");
    return out;
}
} // namespace

void
SfcNs3Config::AddToCommandLine(CommandLine& cmd)
{
    cmd.AddValue("dcBandwidth", "uplink of each data centre, Mbit/s (comma-separated)", dcBandwidth);
    cmd.AddValue("interDcDelay", "one-way delay between two data centres, ms", interDcDelay);
    cmd.AddValue("capacities", "capacity of an instance per VNF type, Mbit/s (5 values)", capacities);
    cmd.AddValue("processing", "processing time per VNF type, ms (5 values)", processing);
    cmd.AddValue("maxInstances", "instance slots of the deployment", maxInstances);
    cmd.AddValue("maxFlows", "flow slots of the deployment", maxFlows);
    cmd.AddValue("window", "simulated seconds of traffic per decision step", window);
    cmd.AddValue("packetBytes", "UDP payload of the flows' packets, bytes", packetBytes);
    cmd.AddValue("steps", "decision steps of the episode", steps);
    cmd.AddValue("simSeed", "seed of the run (ns-3 RngRun)", simSeed);
}

void
SfcNs3Config::Validate() const
{
    const size_t dcs = DcBandwidths().size();
    NS_ABORT_MSG_IF(dcs > 8, "--dcBandwidth=" << dcBandwidth << ": expected 1 to 8 data centres");
    Capacities();
    ProcessingMs();
    NS_ABORT_MSG_IF(!(interDcDelay >= 0), "--interDcDelay=" << interDcDelay << ": expected >= 0 ms");
    NS_ABORT_MSG_IF(maxInstances < 1 || maxInstances > 255,
                    "--maxInstances=" << maxInstances << ": expected 1 to 255");
    NS_ABORT_MSG_IF(maxFlows < 1 || maxFlows > 4096, "--maxFlows=" << maxFlows << ": expected 1 to 4096");
    NS_ABORT_MSG_IF(!(window > 0), "--window=" << window << ": expected > 0 s");
    NS_ABORT_MSG_IF(packetBytes < 64 || packetBytes > 1400,
                    "--packetBytes=" << packetBytes << ": expected 64 to 1400 (no fragmentation)");
    NS_ABORT_MSG_IF(steps < 1, "--steps=" << steps << ": expected >= 1");
}

std::vector<double>
SfcNs3Config::DcBandwidths() const
{
    return ParseList("dcBandwidth", dcBandwidth, 0);
}

std::vector<double>
SfcNs3Config::Capacities() const
{
    return ParseList("capacities", capacities, 5);
}

std::vector<double>
SfcNs3Config::ProcessingMs() const
{
    return ParseList("processing", processing, 5);
}

SfcDataCentreScenario::SfcDataCentreScenario(const SfcNs3Config& config)
    : m_config(config),
      m_capacities(config.Capacities()),
      m_processingMs(config.ProcessingMs()),
      m_instances(config.maxInstances),
      m_flows(config.maxFlows),
      m_nextPort(10000),
      m_epoch(0)
{
    m_gaps = CreateObject<ExponentialRandomVariable>();
    m_gaps->SetStream(1);
}

void
SfcDataCentreScenario::Build()
{
    const std::vector<double> bandwidths = m_config.DcBandwidths();
    m_dcs.Create(bandwidths.size());
    Ptr<Node> core = CreateObject<Node>();
    InternetStackHelper internet;
    internet.Install(m_dcs);
    internet.Install(core);
    Ipv4AddressHelper ipv4;
    for (uint32_t d = 0; d < bandwidths.size(); ++d)
    {
        PointToPointHelper link;
        link.SetDeviceAttribute("DataRate", StringValue(std::to_string(bandwidths[d]) + "Mbps"));
        link.SetChannelAttribute("Delay", TimeValue(MicroSeconds(std::llround(m_config.interDcDelay * 500.0))));
        NetDeviceContainer devices = link.Install(m_dcs.Get(d), core);
        std::ostringstream base;
        base << "10.1." << (d + 1) << ".0";
        ipv4.SetBase(Ipv4Address(base.str().c_str()), Ipv4Mask("255.255.255.0"));
        Ipv4InterfaceContainer interfaces = ipv4.Assign(devices);
        m_addresses.push_back(interfaces.GetAddress(0));
        Ptr<Socket> sender = Socket::CreateSocket(m_dcs.Get(d), UdpSocketFactory::GetTypeId());
        sender->Bind();
        m_senders.push_back(sender);
    }
    Ipv4GlobalRoutingHelper::PopulateRoutingTables();
    NS_LOG_INFO("sfc: " << bandwidths.size() << " data centres on a core router");
}

Ptr<SfcVnfApplication>
SfcDataCentreScenario::Install(int type, uint32_t dc)
{
    NS_ABORT_MSG_IF(m_nextPort == 65535, "sfc: out of UDP ports for VNF instances");
    Ptr<SfcVnfApplication> app = CreateObject<SfcVnfApplication>();
    app->SetAttribute("Port", UintegerValue(m_nextPort++));
    app->SetAttribute("CapacityMbps", DoubleValue(m_capacities[type]));
    app->SetAttribute("ProcessingTime", TimeValue(MicroSeconds(std::llround(m_processingMs[type] * 1000.0))));
    app->SetForward([this](Ptr<Packet> packet) { Forward(packet); });
    m_dcs.Get(dc)->AddApplication(app);
    app->SetStartTime(Seconds(0));
    m_apps[app->GetPort()] = app;
    return app;
}

bool
SfcDataCentreScenario::ApplyDeployment(const std::vector<float>& deployment)
{
    const uint32_t I = m_config.maxInstances;
    const uint32_t F = m_config.maxFlows;
    // Validate everything first: a malformed deployment changes nothing.
    std::vector<std::pair<int, uint32_t>> instances(I);
    for (uint32_t i = 0; i < I; ++i)
    {
        const double type = deployment[i * 2];
        const double dc = deployment[i * 2 + 1];
        if (!(type >= 0 && type <= 5 && dc >= 0 && dc < m_dcs.GetN()))
        {
            NS_LOG_WARN("sfc: instance slot " << i << ": type " << type << ", data centre " << dc
                                              << " out of range");
            return false;
        }
        instances[i] = {static_cast<int>(std::lround(type)) - 1, static_cast<uint32_t>(std::lround(dc))};
    }
    std::vector<Flow> flows(F);
    for (uint32_t f = 0; f < F; ++f)
    {
        const float* row = &deployment[I * 2 + f * 5];
        if (!(row[0] >= 0 && std::isfinite(row[0])))
        {
            NS_LOG_WARN("sfc: flow slot " << f << ": rate " << row[0] << " Mbit/s out of range");
            return false;
        }
        flows[f].mbps = row[0];
        for (uint32_t k = 0; k < SfcChainTag::kMaxHops && row[0] > 0; ++k)
        {
            const long slot = std::lround(row[1 + k]) - 1;
            if (slot < 0)
            {
                break;
            }
            if (slot >= static_cast<long>(I) || instances[slot].first < 0)
            {
                NS_LOG_WARN("sfc: flow slot " << f << ": link " << k << " names instance slot "
                                              << slot << ", which holds no instance");
                return false;
            }
            flows[f].slots.push_back(static_cast<uint32_t>(slot));
        }
        if (flows[f].mbps > 0 && flows[f].slots.empty())
        {
            NS_LOG_WARN("sfc: flow slot " << f << ": a rate and no chain");
            return false;
        }
    }
    for (uint32_t i = 0; i < I; ++i)
    {
        Instance& instance = m_instances[i];
        if (instance.type == instances[i].first && instance.dc == instances[i].second)
        {
            continue;
        }
        // A changed slot is a new instance (a scale-in leaves the old application idle).
        instance.type = instances[i].first;
        instance.dc = instances[i].second;
        instance.app = instance.type >= 0 ? Install(instance.type, instance.dc) : nullptr;
    }
    m_flows = std::move(flows);
    return true;
}

void
SfcDataCentreScenario::StartWindow()
{
    m_epoch++;
    m_windowStart = Simulator::Now();
    for (Instance& instance : m_instances)
    {
        if (instance.app)
        {
            instance.app->ResetStats();
        }
    }
    for (uint32_t f = 0; f < m_flows.size(); ++f)
    {
        m_flows[f].delaySumMs = 0;
        m_flows[f].delivered = 0;
        if (m_flows[f].mbps > 0)
        {
            const double meanGap = m_config.packetBytes * 8.0 / (m_flows[f].mbps * 1e6);
            Simulator::Schedule(Seconds(m_gaps->GetValue(meanGap, 0)), &SfcDataCentreScenario::Emit, this, f, m_epoch);
        }
    }
}

void
SfcDataCentreScenario::Emit(uint32_t flow, uint64_t epoch)
{
    if (epoch != m_epoch || Simulator::Now() >= m_windowStart + Seconds(m_config.window))
    {
        return; // the window (and its deployment) is over
    }
    const Flow& f = m_flows[flow];
    SfcChainTag tag;
    tag.flow = static_cast<uint16_t>(flow);
    tag.hop = 0;
    tag.length = static_cast<uint8_t>(f.slots.size());
    for (size_t k = 0; k < f.slots.size(); ++k)
    {
        const Instance& instance = m_instances[f.slots[k]];
        tag.nodes[k] = static_cast<uint8_t>(instance.dc);
        tag.ports[k] = instance.app->GetPort();
    }
    tag.sentNs = Simulator::Now().GetNanoSeconds();
    Ptr<Packet> packet = Create<Packet>(m_config.packetBytes);
    packet->AddPacketTag(tag);
    // Ingress at the data centre of the chain's first instance.
    m_apps.at(tag.ports[0])->Enqueue(packet);
    const double meanGap = m_config.packetBytes * 8.0 / (f.mbps * 1e6);
    Simulator::Schedule(Seconds(m_gaps->GetValue(meanGap, 0)), &SfcDataCentreScenario::Emit, this, flow, epoch);
}

void
SfcDataCentreScenario::Forward(Ptr<Packet> packet)
{
    SfcChainTag tag;
    if (!packet->RemovePacketTag(tag))
    {
        NS_LOG_WARN("sfc: a processed packet without its chain tag; dropped");
        return;
    }
    const uint8_t from = tag.nodes[tag.hop];
    tag.hop++;
    if (tag.hop >= tag.length)
    {
        // Egress. Packets sent before this window belong to an SFC of the previous deployment.
        if (tag.sentNs >= m_windowStart.GetNanoSeconds() && tag.flow < m_flows.size())
        {
            Flow& f = m_flows[tag.flow];
            f.delaySumMs += (Simulator::Now().GetNanoSeconds() - tag.sentNs) / 1e6;
            f.delivered++;
        }
        return;
    }
    const uint8_t to = tag.nodes[tag.hop];
    const uint16_t port = tag.ports[tag.hop];
    packet->AddPacketTag(tag);
    if (to == from)
    {
        m_apps.at(port)->Enqueue(packet); // same data centre: handed over directly
        return;
    }
    m_senders[from]->SendTo(packet, 0, InetSocketAddress(m_addresses[to], port));
}

std::vector<float>
SfcDataCentreScenario::Measure() const
{
    std::vector<float> out;
    out.reserve(m_config.maxFlows * 2 + m_config.maxInstances * 2);
    for (const Flow& f : m_flows)
    {
        out.push_back(f.delivered > 0 ? static_cast<float>(f.delaySumMs / f.delivered) : 0.0f);
        out.push_back(static_cast<float>(f.delivered));
    }
    const double window = (Simulator::Now() - m_windowStart).GetSeconds();
    for (const Instance& instance : m_instances)
    {
        const bool live = instance.app && window > 0;
        out.push_back(live ? static_cast<float>(instance.app->GetBusyTime().GetSeconds() / window) : 0.0f);
        out.push_back(live ? static_cast<float>(instance.app->GetServed()) : 0.0f);
    }
    return out;
}

std::string
SfcDataCentreScenario::Info(uint32_t step) const
{
    uint32_t instances = 0;
    uint32_t flows = 0;
    uint64_t dropped = 0;
    for (const Instance& instance : m_instances)
    {
        if (instance.app)
        {
            instances++;
            dropped += instance.app->GetDropped();
        }
    }
    for (const Flow& f : m_flows)
    {
        flows += f.mbps > 0 ? 1 : 0;
    }
    std::ostringstream json;
    json << "{\"step\":" << step << ",\"simTime\":" << Simulator::Now().GetSeconds()
         << ",\"instances\":" << instances << ",\"flows\":" << flows << ",\"dropped\":" << dropped << "}";
    return json.str();
}

} // namespace ns3
