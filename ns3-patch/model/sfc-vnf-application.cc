/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "sfc-vnf-application.h"

#include <ns3/double.h>
#include <ns3/inet-socket-address.h>
#include <ns3/log.h>
#include <ns3/simulator.h>
#include <ns3/uinteger.h>
#include <ns3/udp-socket-factory.h>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SfcVnfApplication");
NS_OBJECT_ENSURE_REGISTERED(SfcChainTag);
NS_OBJECT_ENSURE_REGISTERED(SfcVnfApplication);

TypeId
SfcChainTag::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SfcChainTag").SetParent<Tag>().SetGroupName("Ns3ts").AddConstructor<SfcChainTag>();
    return tid;
}

TypeId
SfcChainTag::GetInstanceTypeId() const
{
    return GetTypeId();
}

uint32_t
SfcChainTag::GetSerializedSize() const
{
    return 2 + 1 + 1 + kMaxHops * 3 + 8;
}

void
SfcChainTag::Serialize(TagBuffer i) const
{
    i.WriteU16(flow);
    i.WriteU8(hop);
    i.WriteU8(length);
    for (uint32_t k = 0; k < kMaxHops; ++k)
    {
        i.WriteU8(nodes[k]);
        i.WriteU16(ports[k]);
    }
    i.WriteU64(static_cast<uint64_t>(sentNs));
}

void
SfcChainTag::Deserialize(TagBuffer i)
{
    flow = i.ReadU16();
    hop = i.ReadU8();
    length = i.ReadU8();
    for (uint32_t k = 0; k < kMaxHops; ++k)
    {
        nodes[k] = i.ReadU8();
        ports[k] = i.ReadU16();
    }
    sentNs = static_cast<int64_t>(i.ReadU64());
}

void
SfcChainTag::Print(std::ostream& os) const
{
    os << "flow=" << flow << " hop=" << unsigned(hop) << "/" << unsigned(length);
}

TypeId
SfcVnfApplication::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SfcVnfApplication")
            .SetParent<Application>()
            .SetGroupName("Ns3ts")
            .AddConstructor<SfcVnfApplication>()
            .AddAttribute("Port",
                          "UDP port the instance receives packets from other data centres on",
                          UintegerValue(10000),
                          MakeUintegerAccessor(&SfcVnfApplication::m_port),
                          MakeUintegerChecker<uint16_t>())
            .AddAttribute("CapacityMbps",
                          "traffic the instance processes at full load, Mbit/s (service time of a "
                          "packet: its size / capacity)",
                          DoubleValue(400.0),
                          MakeDoubleAccessor(&SfcVnfApplication::m_capacityMbps),
                          MakeDoubleChecker<double>(1e-3))
            .AddAttribute("ProcessingTime",
                          "pipeline latency of a served packet before it is forwarded",
                          TimeValue(MilliSeconds(1)),
                          MakeTimeAccessor(&SfcVnfApplication::m_processingTime),
                          MakeTimeChecker())
            .AddAttribute("QueueLimit",
                          "packets the instance queues; arrivals beyond are dropped",
                          UintegerValue(100000),
                          MakeUintegerAccessor(&SfcVnfApplication::m_queueLimit),
                          MakeUintegerChecker<uint32_t>(1));
    return tid;
}

SfcVnfApplication::SfcVnfApplication()
    : m_port(10000),
      m_capacityMbps(400.0),
      m_processingTime(MilliSeconds(1)),
      m_queueLimit(100000),
      m_busy(false),
      m_served(0),
      m_dropped(0)
{
}

void
SfcVnfApplication::SetForward(ForwardFn forward)
{
    m_forward = std::move(forward);
}

uint16_t
SfcVnfApplication::GetPort() const
{
    return m_port;
}

void
SfcVnfApplication::StartApplication()
{
    NS_LOG_FUNCTION(this << m_port);
    m_socket = Socket::CreateSocket(GetNode(), UdpSocketFactory::GetTypeId());
    if (m_socket->Bind(InetSocketAddress(Ipv4Address::GetAny(), m_port)) != 0)
    {
        NS_FATAL_ERROR("SfcVnfApplication: cannot bind UDP port " << m_port);
    }
    m_socket->SetRecvCallback(MakeCallback(&SfcVnfApplication::HandleRead, this));
}

void
SfcVnfApplication::StopApplication()
{
    if (m_socket)
    {
        m_socket->Close();
        m_socket->SetRecvCallback(MakeNullCallback<void, Ptr<Socket>>());
        m_socket = nullptr;
    }
}

void
SfcVnfApplication::DoDispose()
{
    m_queue.clear();
    m_forward = nullptr;
    m_socket = nullptr;
    Application::DoDispose();
}

void
SfcVnfApplication::HandleRead(Ptr<Socket> socket)
{
    Ptr<Packet> packet;
    while ((packet = socket->Recv()))
    {
        Enqueue(packet);
    }
}

void
SfcVnfApplication::Enqueue(Ptr<Packet> packet)
{
    if (m_queue.size() >= m_queueLimit)
    {
        m_dropped++;
        NS_LOG_LOGIC("port " << m_port << ": queue full, packet dropped");
        return;
    }
    m_queue.push_back(packet);
    if (!m_busy)
    {
        StartService();
    }
}

void
SfcVnfApplication::StartService()
{
    if (m_queue.empty())
    {
        return;
    }
    Ptr<Packet> packet = m_queue.front();
    m_queue.pop_front();
    m_busy = true;
    const Time service = Seconds(packet->GetSize() * 8.0 / (m_capacityMbps * 1e6));
    m_busyTime += service;
    Simulator::Schedule(service, &SfcVnfApplication::EndService, this, packet);
}

void
SfcVnfApplication::EndService(Ptr<Packet> packet)
{
    m_busy = false;
    m_served++;
    if (m_forward)
    {
        ForwardFn forward = m_forward;
        Simulator::Schedule(m_processingTime, [forward, packet]() { forward(packet); });
    }
    StartService();
}

Time
SfcVnfApplication::GetBusyTime() const
{
    return m_busyTime;
}

uint64_t
SfcVnfApplication::GetServed() const
{
    return m_served;
}

uint64_t
SfcVnfApplication::GetDropped() const
{
    return m_dropped;
}

void
SfcVnfApplication::ResetStats()
{
    m_busyTime = Time(0);
    m_served = 0;
    m_dropped = 0;
}

} // namespace ns3
