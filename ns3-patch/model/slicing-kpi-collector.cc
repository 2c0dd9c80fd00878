/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "slicing-kpi-collector.h"

#include <ns3/log.h>
#include <ns3/simulator.h>

#include <algorithm>
#include <cmath>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SlicingKpiCollector");

NS_OBJECT_ENSURE_REGISTERED(SlicingKpiCollector);

std::array<double, SliceKpis::kFeatures>
SliceKpis::ToArray() const
{
    return {share,
            throughput,
            meanDelay,
            p95Delay,
            prbUtilization,
            activeUsers,
            meanCqi,
            offeredLoad,
            backlog,
            phiTarget,
            delayTarget,
            active};
}

TypeId
SlicingKpiCollector::GetTypeId()
{
    static TypeId tid = TypeId("ns3::SlicingKpiCollector")
                            .SetParent<Object>()
                            .SetGroupName("Lte")
                            .AddConstructor<SlicingKpiCollector>();
    return tid;
}

SlicingKpiCollector::SlicingKpiCollector()
    : m_amc(CreateObject<LteAmc>())
{
}

void
SlicingKpiCollector::SetSlices(const std::vector<double>& phiTargets,
                               const std::vector<double>& delayTargets)
{
    NS_ABORT_MSG_IF(phiTargets.size() != delayTargets.size() || phiTargets.empty(),
                    "SlicingKpiCollector: one phi* and one d* per slice expected");
    NS_ABORT_MSG_IF(!m_cells.empty(), "SlicingKpiCollector: set the slices before adding cells");
    m_phiTargets = phiTargets;
    m_delayTargets = delayTargets;
}

uint32_t
SlicingKpiCollector::AddCell(Ptr<SlicingFfrAlgorithm> ffr)
{
    NS_ABORT_MSG_IF(m_phiTargets.empty(), "SlicingKpiCollector: set the slices first");
    m_cells.push_back(ffr);
    m_rntiToUe.emplace_back();
    m_state.emplace_back(m_phiTargets.size());
    return static_cast<uint32_t>(m_cells.size() - 1);
}

uint32_t
SlicingKpiCollector::AddUe(uint32_t cell, uint32_t slice, uint32_t packetBytes)
{
    NS_ABORT_MSG_IF(cell >= m_cells.size(), "SlicingKpiCollector: no cell " << cell);
    NS_ABORT_MSG_IF(slice >= m_phiTargets.size(), "SlicingKpiCollector: no slice " << slice);
    Ue ue;
    ue.cell = cell;
    ue.slice = slice;
    ue.packetBytes = packetBytes;
    m_ues.push_back(ue);
    return static_cast<uint32_t>(m_ues.size() - 1);
}

void
SlicingKpiCollector::NotifyUeRnti(uint32_t ue, uint16_t rnti)
{
    Ue& u = m_ues.at(ue);
    if (u.rnti != 0)
    {
        m_rntiToUe[u.cell].erase(u.rnti);
        m_cells[u.cell]->RemoveUe(u.rnti);
    }
    u.rnti = rnti;
    m_rntiToUe[u.cell][rnti] = ue;
    m_cells[u.cell]->SetUeSlice(rnti, u.slice);
}

void
SlicingKpiCollector::NotifyTx(uint32_t ue, Ptr<const Packet> packet, const SeqTsSizeHeader& header)
{
    Ue& u = m_ues.at(ue);
    u.lastTxSeq = std::max<int64_t>(u.lastTxSeq, header.GetSeq());
    u.stepTxBytes += packet->GetSize();
    CellSlice& cs = m_state[u.cell][u.slice];
    if (!cs.everOffered)
    {
        cs.everOffered = true;
        cs.firstOffered = Simulator::Now();
    }
}

void
SlicingKpiCollector::NotifyRx(uint32_t ue, Ptr<const Packet> packet, const SeqTsSizeHeader& header)
{
    Ue& u = m_ues.at(ue);
    u.maxRxSeq = std::max<int64_t>(u.maxRxSeq, header.GetSeq());
    u.stepRxBytes += packet->GetSize();
    CellSlice& cs = m_state[u.cell][u.slice];
    cs.delaysMs.push_back((Simulator::Now() - header.GetTs()).GetSeconds() * 1e3);
    cs.lastDelivery = Simulator::Now();
}

uint32_t
SlicingKpiCollector::PrbsOfTb(uint32_t cell, uint8_t mcs, uint16_t bytes) const
{
    // The stock schedulers size a TB as GetDlTbSizeFromMcs(mcs, rbgs * rbgSize) / 8 bytes.
    const Ptr<SlicingFfrAlgorithm>& ffr = m_cells[cell];
    const uint32_t rbgSize = ffr->GetDlRbgSize();
    const uint32_t bandwidth = ffr->GetDlBandwidthRbs();
    for (uint32_t prbs = rbgSize; prbs <= bandwidth; prbs += rbgSize)
    {
        if (m_amc->GetDlTbSizeFromMcs(mcs, prbs) / 8 >= bytes)
        {
            return prbs;
        }
    }
    return bandwidth;
}

void
SlicingKpiCollector::NotifyDlScheduling(uint32_t cell, const DlSchedulingCallbackInfo& info)
{
    auto it = m_rntiToUe[cell].find(info.rnti);
    if (it == m_rntiToUe[cell].end() || info.sizeTb1 == 0)
    {
        return; // signalling before the UE joined its slice
    }
    const Ue& u = m_ues[it->second];
    m_state[cell][u.slice].usedPrbs += PrbsOfTb(cell, info.mcsTb1, info.sizeTb1);
}

void
SlicingKpiCollector::StartStep()
{
    m_stepStart = Simulator::Now();
    for (Ue& u : m_ues)
    {
        u.stepTxBytes = 0;
        u.stepRxBytes = 0;
    }
    for (auto& cell : m_state)
    {
        for (CellSlice& cs : cell)
        {
            cs.delaysMs.clear();
            cs.usedPrbs = 0;
        }
    }
}

std::vector<std::vector<SliceKpis>>
SlicingKpiCollector::EndStep() const
{
    const uint32_t slices = GetSliceCount();
    const Time now = Simulator::Now();
    const double seconds = std::max((now - m_stepStart).GetSeconds(), 1e-9);
    const double ttis = std::max(1.0, std::round(seconds * 1000.0));
    std::vector<std::vector<SliceKpis>> out(m_cells.size(), std::vector<SliceKpis>(slices));
    std::vector<std::vector<uint64_t>> txBytes(m_cells.size(), std::vector<uint64_t>(slices, 0));
    std::vector<std::vector<std::vector<uint16_t>>> rntis(
        m_cells.size(),
        std::vector<std::vector<uint16_t>>(slices));

    for (const Ue& u : m_ues)
    {
        SliceKpis& k = out[u.cell][u.slice];
        k.active = 1;
        if (u.stepTxBytes > 0 || u.stepRxBytes > 0)
        {
            k.activeUsers += 1;
        }
        k.deliveredBytes += u.stepRxBytes;
        txBytes[u.cell][u.slice] += u.stepTxBytes;
        if (u.lastTxSeq > u.maxRxSeq)
        {
            k.backlog += static_cast<double>(u.lastTxSeq - u.maxRxSeq) * u.packetBytes * 8.0 / 1e3;
        }
        if (u.rnti != 0)
        {
            rntis[u.cell][u.slice].push_back(u.rnti);
        }
    }

    for (uint32_t c = 0; c < m_cells.size(); ++c)
    {
        const Ptr<SlicingFfrAlgorithm>& ffr = m_cells[c];
        const std::vector<double>& shares = ffr->GetShares();
        const std::vector<uint32_t> rbgs = ffr->GetDlRbgCounts();
        for (uint32_t s = 0; s < slices; ++s)
        {
            SliceKpis& k = out[c][s];
            const CellSlice& cs = m_state[c][s];
            k.share = shares.at(s);
            k.rbgs = rbgs.at(s);
            k.phiTarget = m_phiTargets[s];
            k.delayTarget = m_delayTargets[s];
            if (k.active < 0.5)
            {
                // Inactive slice: only its targets (src/env/slicing.ts).
                SliceKpis inactive;
                inactive.phiTarget = k.phiTarget;
                inactive.delayTarget = k.delayTarget;
                inactive.rbgs = k.rbgs;
                k = inactive;
                continue;
            }
            k.offeredLoad = txBytes[c][s] * 8.0 / seconds / 1e6;
            if (k.activeUsers > 0)
            {
                k.throughput = k.deliveredBytes * 8.0 / seconds / 1e6 / k.activeUsers;
            }
            if (!cs.delaysMs.empty())
            {
                std::vector<double> sorted = cs.delaysMs;
                std::sort(sorted.begin(), sorted.end());
                double sum = 0;
                for (double d : sorted)
                {
                    sum += d;
                }
                k.meanDelay = sum / sorted.size();
                const size_t rank =
                    static_cast<size_t>(std::ceil(0.95 * static_cast<double>(sorted.size())));
                k.p95Delay = sorted[std::max<size_t>(rank, 1) - 1];
            }
            else if (k.offeredLoad > 0 || k.backlog > 0)
            {
                const Time since =
                    cs.lastDelivery > Seconds(0) ? cs.lastDelivery : cs.firstOffered;
                k.meanDelay = k.p95Delay = (now - since).GetSeconds() * 1e3;
            }
            const double allocatedPrbs = k.rbgs * ffr->GetDlRbgSize() * ttis;
            k.prbUtilization =
                allocatedPrbs > 0 ? std::min(1.0, cs.usedPrbs / allocatedPrbs) : 0.0;
            const double cqi = ffr->GetMeanDlCqi(rntis[c][s]);
            k.meanCqi = cqi >= 0 ? cqi : 0.0;
        }
    }
    return out;
}

uint32_t
SlicingKpiCollector::GetCellCount() const
{
    return static_cast<uint32_t>(m_cells.size());
}

uint32_t
SlicingKpiCollector::GetSliceCount() const
{
    return static_cast<uint32_t>(m_phiTargets.size());
}

Ptr<SlicingFfrAlgorithm>
SlicingKpiCollector::GetFfr(uint32_t cell) const
{
    return m_cells.at(cell);
}

} // namespace ns3
