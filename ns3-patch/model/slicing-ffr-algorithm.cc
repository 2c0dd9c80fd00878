/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "slicing-ffr-algorithm.h"

#include <ns3/boolean.h>
#include <ns3/log.h>
#include <ns3/uinteger.h>

#include <ns3ts-bridge/projection.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SlicingFfrAlgorithm");

NS_OBJECT_ENSURE_REGISTERED(SlicingFfrAlgorithm);

namespace
{
/// Absorbs float32 round-off in share * units (shares summing to 1 in float32 hand out all units).
constexpr double kRoundingSlack = 1e-4;

/** Owner slice of each unit for contiguous blocks of the given sizes (slice 0 first). */
std::vector<int32_t>
BlocksToOwners(const std::vector<uint32_t>& counts, uint32_t units)
{
    std::vector<int32_t> owner(units, -1);
    uint32_t next = 0;
    for (uint32_t slice = 0; slice < counts.size(); ++slice)
    {
        for (uint32_t i = 0; i < counts[slice] && next < units; ++i)
        {
            owner[next++] = static_cast<int32_t>(slice);
        }
    }
    return owner;
}
} // namespace

SlicingFfrAlgorithm::SlicingFfrAlgorithm()
    : m_ffrSapUser(nullptr),
      m_ffrRrcSapUser(nullptr),
      m_sliceCount(1),
      m_shares(1, 1.0),
      m_minUlBlock(0)
{
    NS_LOG_FUNCTION(this);
    // The base class leaves the bandwidths unset until the RRC configures the cell.
    m_dlBandwidth = 0;
    m_ulBandwidth = 0;
    m_ffrSapProvider = new MemberLteFfrSapProvider<SlicingFfrAlgorithm>(this);
    m_ffrRrcSapProvider = new MemberLteFfrRrcSapProvider<SlicingFfrAlgorithm>(this);
}

SlicingFfrAlgorithm::~SlicingFfrAlgorithm()
{
    NS_LOG_FUNCTION(this);
}

void
SlicingFfrAlgorithm::DoDispose()
{
    NS_LOG_FUNCTION(this);
    delete m_ffrSapProvider;
    m_ffrSapProvider = nullptr;
    delete m_ffrRrcSapProvider;
    m_ffrRrcSapProvider = nullptr;
    LteFfrAlgorithm::DoDispose();
}

TypeId
SlicingFfrAlgorithm::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::SlicingFfrAlgorithm")
            .SetParent<LteFfrAlgorithm>()
            .SetGroupName("Lte")
            .AddConstructor<SlicingFfrAlgorithm>()
            .AddAttribute("SliceCount",
                          "Number of slices; the partition starts with equal shares",
                          UintegerValue(1),
                          MakeUintegerAccessor(&SlicingFfrAlgorithm::SetSliceCount,
                                               &SlicingFfrAlgorithm::GetSliceCount),
                          MakeUintegerChecker<uint32_t>(1, 64));
    return tid;
}

void
SlicingFfrAlgorithm::SetLteFfrSapUser(LteFfrSapUser* s)
{
    m_ffrSapUser = s;
}

LteFfrSapProvider*
SlicingFfrAlgorithm::GetLteFfrSapProvider()
{
    return m_ffrSapProvider;
}

void
SlicingFfrAlgorithm::SetLteFfrRrcSapUser(LteFfrRrcSapUser* s)
{
    m_ffrRrcSapUser = s;
}

LteFfrRrcSapProvider*
SlicingFfrAlgorithm::GetLteFfrRrcSapProvider()
{
    return m_ffrRrcSapProvider;
}

void
SlicingFfrAlgorithm::DoInitialize()
{
    NS_LOG_FUNCTION(this);
    LteFfrAlgorithm::DoInitialize();
    UpdatePartition();
}

void
SlicingFfrAlgorithm::DoSetBandwidth(uint16_t ulBandwidth, uint16_t dlBandwidth)
{
    NS_LOG_FUNCTION(this << ulBandwidth << dlBandwidth);
    LteFfrAlgorithm::DoSetBandwidth(ulBandwidth, dlBandwidth);
    UpdatePartition();
}

void
SlicingFfrAlgorithm::Reconfigure()
{
    NS_LOG_FUNCTION(this);
    UpdatePartition();
    m_needReconfiguration = false;
}

std::vector<double>
SlicingFfrAlgorithm::ProjectShares(const std::vector<double>& shares, bool* projected)
{
    const std::vector<double> s = bridge::ProjectFeasible(shares);
    bool moved = false;
    for (size_t k = 0; k < shares.size(); ++k)
    {
        moved = moved || !std::isfinite(shares[k]) ||
                std::fabs(s[k] - shares[k]) > kProjectionTolerance;
    }
    if (projected != nullptr)
    {
        *projected = moved;
    }
    // A move below the tolerance is float32 round-off of a feasible action (0.6f + 0.2f + 0.2f
    // is 1 + 3e-8): the agent's own shares are applied, bit for bit.
    return moved ? s : shares;
}

std::vector<uint32_t>
SlicingFfrAlgorithm::SharesToCounts(const std::vector<double>& shares,
                                    uint32_t units,
                                    bool* projected)
{
    const std::vector<double> s = ProjectShares(shares, projected);
    double sum = 0.0;
    for (double v : s)
    {
        sum += v;
    }
    std::vector<uint32_t> counts(s.size(), 0);
    if (s.empty() || units == 0)
    {
        return counts;
    }
    auto total = static_cast<uint32_t>(std::floor(units * sum + kRoundingSlack));
    total = std::min(total, units);
    std::vector<double> remainder(s.size(), 0.0);
    uint32_t given = 0;
    for (size_t k = 0; k < s.size(); ++k)
    {
        const double exact = units * s[k];
        auto base = static_cast<uint32_t>(std::floor(exact + kRoundingSlack));
        base = std::min(base, total - given);
        counts[k] = base;
        given += base;
        remainder[k] = exact - base;
    }
    // Slice indices by decreasing remainder, ties by lower index (stable sort keeps index order).
    std::vector<size_t> order(s.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&remainder](size_t a, size_t b) {
        return remainder[a] > remainder[b];
    });
    for (size_t i = 0; given < total; i = (i + 1) % order.size())
    {
        counts[order[i]]++;
        given++;
    }
    return counts;
}

void
SlicingFfrAlgorithm::SetSliceCount(uint32_t slices)
{
    NS_LOG_FUNCTION(this << slices);
    NS_ABORT_MSG_IF(slices == 0, "SlicingFfrAlgorithm: SliceCount must be at least 1");
    m_sliceCount = slices;
    m_shares.assign(slices, 1.0 / slices);
    UpdatePartition();
}

uint32_t
SlicingFfrAlgorithm::GetSliceCount() const
{
    return m_sliceCount;
}

void
SlicingFfrAlgorithm::SetUeSlice(uint16_t rnti, uint32_t slice)
{
    NS_LOG_FUNCTION(this << rnti << slice);
    NS_ABORT_MSG_IF(slice >= m_sliceCount,
                    "SlicingFfrAlgorithm: slice " << slice << " of RNTI " << rnti
                                                  << " is not below the slice count "
                                                  << m_sliceCount);
    m_ueSlice[rnti] = slice;
}

void
SlicingFfrAlgorithm::RemoveUe(uint16_t rnti)
{
    m_ueSlice.erase(rnti);
    m_dlCqi.erase(rnti);
}

bool
SlicingFfrAlgorithm::SetShares(const std::vector<double>& shares)
{
    NS_LOG_FUNCTION(this);
    NS_ABORT_MSG_IF(shares.size() != m_sliceCount,
                    "SlicingFfrAlgorithm: got " << shares.size() << " shares, expected "
                                                << m_sliceCount);
    bool projected = false;
    m_shares = ProjectShares(shares, &projected);
    if (projected)
    {
        NS_LOG_WARN("cell " << m_cellId << ": infeasible shares projected");
    }
    UpdatePartition();
    return projected;
}

const std::vector<double>&
SlicingFfrAlgorithm::GetShares() const
{
    return m_shares;
}

uint32_t
SlicingFfrAlgorithm::GetDlRbgSize() const
{
    return const_cast<SlicingFfrAlgorithm*>(this)->GetRbgSize(m_dlBandwidth);
}

uint32_t
SlicingFfrAlgorithm::GetDlRbgCount() const
{
    if (m_dlBandwidth == 0)
    {
        return 0; // the cell is not configured yet
    }
    // The stock schedulers use floor(bandwidth / RBG size) RBGs.
    return m_dlBandwidth / GetDlRbgSize();
}

uint32_t
SlicingFfrAlgorithm::GetDlBandwidthRbs() const
{
    return m_dlBandwidth;
}

std::vector<uint32_t>
SlicingFfrAlgorithm::GetDlRbgCounts() const
{
    std::vector<uint32_t> counts(m_sliceCount, 0);
    for (int32_t owner : m_dlOwner)
    {
        if (owner >= 0)
        {
            counts[owner]++;
        }
    }
    return counts;
}

void
SlicingFfrAlgorithm::UpdatePartition()
{
    const uint32_t rbgs = GetDlRbgCount();
    m_dlOwner = BlocksToOwners(SharesToCounts(m_shares, rbgs), rbgs);
    const std::vector<uint32_t> ulCounts = SharesToCounts(m_shares, m_ulBandwidth);
    m_ulOwner = BlocksToOwners(ulCounts, m_ulBandwidth);
    m_minUlBlock = m_ulBandwidth;
    for (uint32_t c : ulCounts)
    {
        if (c > 0)
        {
            m_minUlBlock = std::min<uint16_t>(m_minUlBlock, c);
        }
    }
    NS_LOG_INFO("cell " << m_cellId << ": " << rbgs << " DL RBGs partitioned");
}

std::vector<bool>
SlicingFfrAlgorithm::DoGetAvailableDlRbg()
{
    // true = "not available to this cell"; every RBG is available to some UE, and
    // DoIsDlRbgAvailableForUe restricts each UE to its slice's block.
    if (m_dlOwner.size() != GetDlRbgCount())
    {
        UpdatePartition();
    }
    return std::vector<bool>(m_dlOwner.size(), false);
}

bool
SlicingFfrAlgorithm::DoIsDlRbgAvailableForUe(int rbgId, uint16_t rnti)
{
    auto it = m_ueSlice.find(rnti);
    if (it == m_ueSlice.end())
    {
        return true; // not yet in a slice: RRC signalling must get through
    }
    if (rbgId < 0 || static_cast<size_t>(rbgId) >= m_dlOwner.size())
    {
        return false;
    }
    return m_dlOwner[rbgId] == static_cast<int32_t>(it->second);
}

std::vector<bool>
SlicingFfrAlgorithm::DoGetAvailableUlRbg()
{
    if (m_ulOwner.size() != m_ulBandwidth)
    {
        UpdatePartition();
    }
    return std::vector<bool>(m_ulBandwidth, false);
}

bool
SlicingFfrAlgorithm::DoIsUlRbgAvailableForUe(int rbId, uint16_t rnti)
{
    if (!m_enabledInUplink)
    {
        return true;
    }
    auto it = m_ueSlice.find(rnti);
    if (it == m_ueSlice.end())
    {
        return true;
    }
    if (rbId < 0 || static_cast<size_t>(rbId) >= m_ulOwner.size())
    {
        return false;
    }
    return m_ulOwner[rbId] == static_cast<int32_t>(it->second);
}

void
SlicingFfrAlgorithm::DoReportDlCqiInfo(
    const struct FfMacSchedSapProvider::SchedDlCqiInfoReqParameters& params)
{
    for (const CqiListElement_s& report : params.m_cqiList)
    {
        if (report.m_cqiType == CqiListElement_s::P10 && !report.m_wbCqi.empty())
        {
            m_dlCqi[report.m_rnti] = report.m_wbCqi.at(0);
        }
        else if (report.m_cqiType == CqiListElement_s::A30)
        {
            // Sub-band report: its mean over the sub-bands stands in for the wideband CQI.
            const auto& bands = report.m_sbMeasResult.m_higherLayerSelected;
            double sum = 0.0;
            size_t n = 0;
            for (const HigherLayerSelected_s& band : bands)
            {
                if (!band.m_sbCqi.empty())
                {
                    sum += band.m_sbCqi.at(0);
                    ++n;
                }
            }
            if (n > 0)
            {
                m_dlCqi[report.m_rnti] = sum / n;
            }
        }
    }
}

double
SlicingFfrAlgorithm::GetMeanDlCqi(const std::vector<uint16_t>& rntis) const
{
    double sum = 0.0;
    size_t n = 0;
    for (uint16_t rnti : rntis)
    {
        auto it = m_dlCqi.find(rnti);
        if (it != m_dlCqi.end())
        {
            sum += it->second;
            ++n;
        }
    }
    return n > 0 ? sum / n : -1.0;
}

void
SlicingFfrAlgorithm::DoReportUlCqiInfo(
    const struct FfMacSchedSapProvider::SchedUlCqiInfoReqParameters& /* params */)
{
}

void
SlicingFfrAlgorithm::DoReportUlCqiInfo(std::map<uint16_t, std::vector<double>> /* ulCqiMap */)
{
}

uint8_t
SlicingFfrAlgorithm::DoGetTpc(uint16_t /* rnti */)
{
    return 1; // TPC command 1 = 0 dB: no power control
}

uint16_t
SlicingFfrAlgorithm::DoGetMinContinuousUlBandwidth()
{
    return m_enabledInUplink ? m_minUlBlock : m_ulBandwidth;
}

void
SlicingFfrAlgorithm::DoReportUeMeas(uint16_t /* rnti */, LteRrcSap::MeasResults /* measResults */)
{
}

void
SlicingFfrAlgorithm::DoRecvLoadInformation(EpcX2Sap::LoadInformationParams /* params */)
{
}

} // namespace ns3
