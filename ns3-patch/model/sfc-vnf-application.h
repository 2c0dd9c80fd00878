/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The data plane of the SFC programs (sfc-ns3): a VNF instance as an ns-3 Application, and the
 * packet tag that carries a packet's route through its chain.
 *
 * SfcVnfApplication is one FIFO server: a packet that arrives (on its UDP port from another data
 * centre, or handed over by the instance before it on the same node) waits for the server, is
 * served for size / CapacityMbps (so the busy fraction is the instance's load), and leaves
 * ProcessingTime later (the instance's pipeline latency) through the forward callback, which sends
 * it to the next instance of its chain or delivers it at the egress. Queueing delay thus grows
 * with the load the instance carries; the application measures its busy time and served packets.
 */
#ifndef SFC_VNF_APPLICATION_H
#define SFC_VNF_APPLICATION_H

#include <ns3/application.h>
#include <ns3/nstime.h>
#include <ns3/packet.h>
#include <ns3/socket.h>
#include <ns3/tag.h>

#include <array>
#include <deque>
#include <functional>

namespace ns3
{

/** The route of a packet through its chain: up to kMaxHops instances (node, port), the hop it is at. */
class SfcChainTag : public Tag
{
  public:
    static constexpr uint32_t kMaxHops = 4;

    static TypeId GetTypeId();
    TypeId GetInstanceTypeId() const override;
    uint32_t GetSerializedSize() const override;
    void Serialize(TagBuffer i) const override;
    void Deserialize(TagBuffer i) override;
    void Print(std::ostream& os) const override;

    uint16_t flow = 0;  ///< flow slot of the SFC
    uint8_t hop = 0;    ///< index of the instance the packet goes to next
    uint8_t length = 0; ///< instances in the chain
    std::array<uint8_t, kMaxHops> nodes{};  ///< data centre of each instance
    std::array<uint16_t, kMaxHops> ports{}; ///< UDP port of each instance
    int64_t sentNs = 0;                     ///< ingress time
};

class SfcVnfApplication : public Application
{
  public:
    /** Called when a packet has been processed (its tag's hop not yet advanced). */
    using ForwardFn = std::function<void(Ptr<Packet>)>;

    static TypeId GetTypeId();
    SfcVnfApplication();

    void SetForward(ForwardFn forward);
    /** A packet arriving at the instance (from its socket or from the instance before it). */
    void Enqueue(Ptr<Packet> packet);
    /** Time the server was busy and packets served since the last ResetStats. */
    Time GetBusyTime() const;
    uint64_t GetServed() const;
    uint64_t GetDropped() const;
    void ResetStats();
    uint16_t GetPort() const;

  protected:
    void DoDispose() override;

  private:
    void StartApplication() override;
    void StopApplication() override;
    void HandleRead(Ptr<Socket> socket);
    void StartService();
    void EndService(Ptr<Packet> packet);

    uint16_t m_port;
    double m_capacityMbps;
    Time m_processingTime;
    uint32_t m_queueLimit;
    Ptr<Socket> m_socket;
    ForwardFn m_forward;
    std::deque<Ptr<Packet>> m_queue;
    bool m_busy;
    Time m_busyTime;
    uint64_t m_served;
    uint64_t m_dropped;
};

} // namespace ns3

#endif /* SFC_VNF_APPLICATION_H */
