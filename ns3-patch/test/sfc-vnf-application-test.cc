// The VNF instance of the SFC programs (SfcVnfApplication) on its own: an idle instance forwards a
// packet after its service time (size / capacity) plus its processing time; under Poisson traffic
// its busy fraction is the offered load and the mean time a packet spends in it grows with the
// load (queueing); a full queue drops.
#include "ns3/core-module.h"
#include "ns3/network-module.h"
#include "ns3/sfc-vnf-application.h"

#include "harness.h"

#include <cmath>

using namespace ns3;

namespace
{

struct VnfRun
{
    Ptr<SfcVnfApplication> app;
    Ptr<ExponentialRandomVariable> gaps;
    double sojournSum = 0;
    uint64_t forwarded = 0;
    Time until;
    uint32_t bytes = 1200;
    double mbps = 0;
};

void
Emit(VnfRun* p)
{
    if (Simulator::Now() >= p->until)
    {
        return;
    }
    Ptr<Packet> packet = Create<Packet>(p->bytes);
    SfcChainTag tag;
    tag.sentNs = Simulator::Now().GetNanoSeconds();
    packet->AddPacketTag(tag);
    p->app->Enqueue(packet);
    Simulator::Schedule(Seconds(p->gaps->GetValue(p->bytes * 8.0 / (p->mbps * 1e6), 0)), &Emit, p);
}

/** Runs `seconds` of Poisson traffic at `load` × 400 Mbit/s through one instance (processing 1 ms). */
VnfRun
Run(double load, double seconds, uint32_t queueLimit = 100000)
{
    VnfRun p;
    p.mbps = load * 400.0;
    p.until = Seconds(seconds);
    p.app = CreateObject<SfcVnfApplication>();
    p.app->SetAttribute("CapacityMbps", DoubleValue(400.0));
    p.app->SetAttribute("ProcessingTime", TimeValue(MilliSeconds(1)));
    p.app->SetAttribute("QueueLimit", UintegerValue(queueLimit));
    VnfRun* probe = &p;
    p.app->SetForward([probe](Ptr<Packet> packet) {
        SfcChainTag tag;
        packet->PeekPacketTag(tag);
        probe->sojournSum += (Simulator::Now().GetNanoSeconds() - tag.sentNs) / 1e6;
        probe->forwarded++;
    });
    p.gaps = CreateObject<ExponentialRandomVariable>();
    p.gaps->SetStream(7);
    Simulator::Schedule(Seconds(0), &Emit, probe);
    Simulator::Stop(Seconds(seconds + 0.1));
    Simulator::Run();
    Simulator::Destroy();
    return p;
}

} // namespace

TEST_CASE("an idle instance forwards a packet after its service time plus its processing time")
{
    Ptr<SfcVnfApplication> app = CreateObject<SfcVnfApplication>();
    app->SetAttribute("CapacityMbps", DoubleValue(400.0));
    app->SetAttribute("ProcessingTime", TimeValue(MilliSeconds(1)));
    Time forwardedAt;
    app->SetForward([&forwardedAt](Ptr<Packet>) { forwardedAt = Simulator::Now(); });
    Simulator::Schedule(Seconds(0), [app]() { app->Enqueue(Create<Packet>(1000)); });
    Simulator::Run();
    // 8000 bits at 400 Mbit/s = 20 us, then 1 ms.
    CHECK_EQ(forwardedAt.GetMicroSeconds(), 1020);
    CHECK_EQ(app->GetServed(), 1u);
    CHECK_EQ(app->GetBusyTime().GetMicroSeconds(), 20);
    Simulator::Destroy();
}

TEST_CASE("under Poisson traffic the busy fraction is the load and the sojourn grows with it")
{
    const VnfRun light = Run(0.3, 0.5);
    const double lightBusy = light.app->GetBusyTime().GetSeconds() / 0.5;
    const double lightMs = light.sojournSum / light.forwarded;
    const VnfRun busy = Run(0.9, 0.5);
    const double busyBusy = busy.app->GetBusyTime().GetSeconds() / 0.5;
    const double busyMs = busy.sojournSum / busy.forwarded;
    CHECK(std::abs(lightBusy - 0.3) < 0.03);
    CHECK(std::abs(busyBusy - 0.9) < 0.05);
    // Service 24 us per packet; M/D/1 wait rho s / (2 (1 - rho)): ~5 us at 0.3, ~108 us at 0.9.
    CHECK(lightMs > 1.024 && lightMs < 1.05);
    CHECK(busyMs > lightMs + 0.05);
}

TEST_CASE("an instance past its capacity drops beyond its queue limit")
{
    const VnfRun over = Run(1.5, 0.2, 50);
    CHECK(over.app->GetDropped() > 0);
    CHECK(std::abs(over.app->GetBusyTime().GetSeconds() / 0.2 - 1.0) < 0.05);
}

int
main()
{
    return harness::runAll();
}
