/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Per-cell, per-slice KPIs of an LTE slicing scenario, one snapshot per agent step.
 *
 * Sources (chosen because they need no access to ns-3 internals that change between releases):
 *  - traffic: every UE has one downlink source application (OnOffApplication with
 *    EnableSeqTsSizeHeader) and one PacketSink (EnableSeqTsSizeHeader). Their
 *    `TxWithSeqTsSize` / `RxWithSeqTsSize` traces give offered and delivered bytes and the
 *    one-way application delay of every packet (sink time minus the sender's timestamp).
 *  - backlog: per UE, the packets sent after the last one delivered
 *    ((last sequence sent - highest sequence received) x packet size), i.e. data queued in the
 *    network (mostly the eNB RLC buffer) or lost at its tail.
 *  - PRB use: the eNB MAC's `DlScheduling` trace gives each transport block's MCS and size; the
 *    number of PRBs is recovered by inverting LteAmc's TB-size table in steps of the RBG size,
 *    exactly as the stock schedulers sized it.
 *  - CQI: the SlicingFfrAlgorithm of each cell records the UEs' wideband CQI reports.
 *
 * Per step and (cell, slice): throughput per active user (Mbit/s), mean and 95th-percentile
 * (nearest rank) delay of packets delivered in the step (ms; if none was delivered while data
 * was offered or queued, both are the time since the slice's last delivery, so a starved slice
 * shows a growing delay), PRB utilization (used PRBs / PRBs of the slice's RBGs over the step's
 * TTIs, 0 for a slice without RBGs), active users (users that sent or received data in the
 * step), mean CQI, offered load (slice total, Mbit/s), backlog (kbit, end of step).
 */
#ifndef SLICING_KPI_COLLECTOR_H
#define SLICING_KPI_COLLECTOR_H

#include "slicing-ffr-algorithm.h"

#include <ns3/lte-amc.h>
#include <ns3/lte-common.h>
#include <ns3/nstime.h>
#include <ns3/object.h>
#include <ns3/packet.h>
#include <ns3/ptr.h>
#include <ns3/seq-ts-size-header.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace ns3
{

/** The 12 features of one (cell, slice), in the order of src/env/slicing.ts SLICE_FEATURES. */
struct SliceKpis
{
    double share = 0;          ///< share in force during the step
    double throughput = 0;     ///< Mbit/s per active user
    double meanDelay = 0;      ///< ms
    double p95Delay = 0;       ///< ms
    double prbUtilization = 0; ///< [0, 1]
    double activeUsers = 0;    ///< users with traffic in the step
    double meanCqi = 0;        ///< 0..15
    double offeredLoad = 0;    ///< Mbit/s, slice total
    double backlog = 0;        ///< kbit at the end of the step
    double phiTarget = 0;      ///< Mbit/s per user
    double delayTarget = 0;    ///< ms
    double active = 0;         ///< 1 if the slice has users in the cell
    uint32_t rbgs = 0;         ///< RBGs of the slice in the step's partition (not a feature)
    uint64_t deliveredBytes = 0; ///< bytes delivered in the step (not a feature)

    static constexpr size_t kFeatures = 12;
    std::array<double, kFeatures> ToArray() const;
};

class SlicingKpiCollector : public Object
{
  public:
    static TypeId GetTypeId();
    SlicingKpiCollector();

    /** Number of slices and their QoS targets (phi* Mbit/s per user, d* ms; 0 = none). */
    void SetSlices(const std::vector<double>& phiTargets, const std::vector<double>& delayTargets);
    /** Adds a cell with its FFR algorithm and eNB MAC trace; returns the cell index. */
    uint32_t AddCell(Ptr<SlicingFfrAlgorithm> ffr);
    /** Adds a UE of `slice` in `cell` whose source sends packets of `packetBytes`; returns its index. */
    uint32_t AddUe(uint32_t cell, uint32_t slice, uint32_t packetBytes);

    /** The UE got its RNTI in its cell: puts it into its slice in the cell's FFR algorithm. */
    void NotifyUeRnti(uint32_t ue, uint16_t rnti);
    void NotifyTx(uint32_t ue, Ptr<const Packet> packet, const SeqTsSizeHeader& header);
    void NotifyRx(uint32_t ue, Ptr<const Packet> packet, const SeqTsSizeHeader& header);
    void NotifyDlScheduling(uint32_t cell, const DlSchedulingCallbackInfo& info);

    /** Marks the start of a step (clears the per-step counters). */
    void StartStep();
    /** KPIs of the step that started at the last StartStep, [cell][slice]. */
    std::vector<std::vector<SliceKpis>> EndStep() const;

    uint32_t GetCellCount() const;
    uint32_t GetSliceCount() const;
    Ptr<SlicingFfrAlgorithm> GetFfr(uint32_t cell) const;

  private:
    struct Ue
    {
        uint32_t cell;
        uint32_t slice;
        uint32_t packetBytes;
        int64_t lastTxSeq = -1;
        int64_t maxRxSeq = -1;
        uint64_t stepTxBytes = 0;
        uint64_t stepRxBytes = 0;
        uint16_t rnti = 0;
    };
    struct CellSlice
    {
        std::vector<double> delaysMs;
        uint64_t usedPrbs = 0;
        Time lastDelivery = Seconds(0);
        bool everOffered = false;
        Time firstOffered = Seconds(0);
    };
    uint32_t PrbsOfTb(uint32_t cell, uint8_t mcs, uint16_t bytes) const;

    std::vector<double> m_phiTargets;
    std::vector<double> m_delayTargets;
    std::vector<Ptr<SlicingFfrAlgorithm>> m_cells;
    std::vector<Ue> m_ues;
    std::vector<std::map<uint16_t, uint32_t>> m_rntiToUe; ///< per cell
    std::vector<std::vector<CellSlice>> m_state;          ///< [cell][slice]
    Time m_stepStart;
    Ptr<LteAmc> m_amc;
};

} // namespace ns3

#endif /* SLICING_KPI_COLLECTOR_H */
