/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * A slice-aware LTE frequency-reuse (FFR) algorithm: RAN slicing for any stock ns-3 LTE MAC
 * scheduler.
 *
 * Every ns-3 LTE MAC scheduler asks the eNB's FFR algorithm which resource block groups (RBGs) it
 * may use at all (LteFfrSapProvider::GetAvailableDlRbg) and which of them a given UE may use
 * (IsDlRbgAvailableForUe), and the same pair for the uplink. This algorithm maps every UE (RNTI)
 * to a slice and answers these questions from a per-slice partition of the cell's RBGs, so the
 * scheduler stays the one the user chose (PF, RR, TD-BET, ...) and only works inside each
 * slice's part — the O&M-budget / RAN-scheduler split.
 *
 * Shares to RBGs (largest-remainder rounding). Given shares s_0..s_{K-1} (each in [0, 1], sum
 * <= 1; any other vector is replaced by its Euclidean projection onto that set, the one the
 * agents use (bridge::ProjectFeasible, docs/algorithms-projection.md; a NaN or infinite share
 * counts as 0), and the projection is logged) and N RBGs:
 *   1. the RBGs handed out in total are T = floor(N * sum(s) + 1e-4) (at most N; the 1e-4 absorbs
 *      single-precision round-off, so shares summing to 1 in float32 hand out all N RBGs);
 *   2. slice k first gets floor(N * s_k + 1e-4) RBGs (never more than T in total);
 *   3. the T - sum(floors) remaining RBGs go one each to the slices with the largest remainders
 *      N * s_k - floor(N * s_k); ties go to the lower slice index.
 * Each slice then gets one contiguous block of RBGs, slice 0 first, starting at RBG 0; RBGs
 * left over when sum(s) < 1 are used by no slice. Uplink: the same rounding over the cell's UL
 * resource blocks (the UL scheduler allocates single RBs, contiguous per UE).
 *
 * UEs whose RNTI has no slice yet (during RRC connection set-up) may use every RBG, so that
 * signalling is never blocked; a UE in a slice with no RBGs gets no data resources.
 *
 * The algorithm also records the wideband CQI of each UE from the scheduler's CQI reports
 * (DoReportDlCqiInfo), for per-slice observations (GetMeanDlCqi).
 */
#ifndef SLICING_FFR_ALGORITHM_H
#define SLICING_FFR_ALGORITHM_H

#include <ns3/lte-ffr-algorithm.h>
#include <ns3/lte-ffr-rrc-sap.h>
#include <ns3/lte-ffr-sap.h>
#include <ns3/lte-rrc-sap.h>

#include <cstdint>
#include <map>
#include <vector>

namespace ns3
{

class SlicingFfrAlgorithm : public LteFfrAlgorithm
{
  public:
    SlicingFfrAlgorithm();
    ~SlicingFfrAlgorithm() override;
    static TypeId GetTypeId();

    /**
     * Makes shares feasible: the Euclidean projection onto {0 <= x <= 1, sum x <= 1}
     * (bridge::ProjectFeasible; a non-finite share counts as 0). When the projection moves no
     * share by more than kProjectionTolerance and all are finite, the shares are float32
     * round-off away from feasible and come back unchanged; otherwise the projection is returned
     * and `projected` (optional) is set.
     */
    static std::vector<double> ProjectShares(const std::vector<double>& shares,
                                             bool* projected = nullptr);
    /** Largest move of a share that ProjectShares does not report as a projection. */
    static constexpr double kProjectionTolerance = 1e-6;

    /**
     * Largest-remainder rounding of shares to whole units (see the file comment). Returns how
     * many of `units` each slice gets; `projected` (optional) is set when the shares had to be
     * projected (sum > 1, NaN, negative or above 1).
     */
    static std::vector<uint32_t> SharesToCounts(const std::vector<double>& shares,
                                                uint32_t units,
                                                bool* projected = nullptr);

    /** Number of slices (resets the partition to equal shares). */
    void SetSliceCount(uint32_t slices);
    uint32_t GetSliceCount() const;

    /** Puts UE `rnti` into slice `slice` (< slice count). */
    void SetUeSlice(uint16_t rnti, uint32_t slice);
    /** Forgets UE `rnti` (it may then use every RBG again). */
    void RemoveUe(uint16_t rnti);

    /**
     * Sets the slices' shares of the cell's resources and recomputes the DL and UL partitions.
     * Returns true when the shares had to be projected (sum > 1, NaN, negative or above 1).
     */
    bool SetShares(const std::vector<double>& shares);
    /** The shares in force after projection (what the partition was computed from). */
    const std::vector<double>& GetShares() const;
    /** RBGs of each slice in the current DL partition. */
    std::vector<uint32_t> GetDlRbgCounts() const;
    /** Number of DL RBGs of the cell (as the stock schedulers count them). */
    uint32_t GetDlRbgCount() const;
    /** Resource blocks per DL RBG. */
    uint32_t GetDlRbgSize() const;
    /** DL bandwidth in resource blocks. */
    uint32_t GetDlBandwidthRbs() const;

    /** Mean of the latest wideband DL CQI of the given UEs that have reported one (-1 if none). */
    double GetMeanDlCqi(const std::vector<uint16_t>& rntis) const;

    // inherited from LteFfrAlgorithm
    void SetLteFfrSapUser(LteFfrSapUser* s) override;
    LteFfrSapProvider* GetLteFfrSapProvider() override;
    void SetLteFfrRrcSapUser(LteFfrRrcSapUser* s) override;
    LteFfrRrcSapProvider* GetLteFfrRrcSapProvider() override;

    /// let the forwarder class access the protected and private members
    friend class MemberLteFfrSapProvider<SlicingFfrAlgorithm>;
    /// let the forwarder class access the protected and private members
    friend class MemberLteFfrRrcSapProvider<SlicingFfrAlgorithm>;

  protected:
    void DoInitialize() override;
    void DoDispose() override;
    void Reconfigure() override;
    void DoSetBandwidth(uint16_t ulBandwidth, uint16_t dlBandwidth) override;

    // FFR SAP PROVIDER IMPLEMENTATION
    std::vector<bool> DoGetAvailableDlRbg() override;
    bool DoIsDlRbgAvailableForUe(int rbgId, uint16_t rnti) override;
    std::vector<bool> DoGetAvailableUlRbg() override;
    bool DoIsUlRbgAvailableForUe(int rbId, uint16_t rnti) override;
    void DoReportDlCqiInfo(
        const struct FfMacSchedSapProvider::SchedDlCqiInfoReqParameters& params) override;
    void DoReportUlCqiInfo(
        const struct FfMacSchedSapProvider::SchedUlCqiInfoReqParameters& params) override;
    void DoReportUlCqiInfo(std::map<uint16_t, std::vector<double>> ulCqiMap) override;
    uint8_t DoGetTpc(uint16_t rnti) override;
    uint16_t DoGetMinContinuousUlBandwidth() override;

    // FFR SAP RRC PROVIDER IMPLEMENTATION
    void DoReportUeMeas(uint16_t rnti, LteRrcSap::MeasResults measResults) override;
    void DoRecvLoadInformation(EpcX2Sap::LoadInformationParams params) override;

  private:
    /** Recomputes the owner slice of each DL RBG and UL RB from m_shares. */
    void UpdatePartition();

    LteFfrSapUser* m_ffrSapUser;
    LteFfrSapProvider* m_ffrSapProvider;
    LteFfrRrcSapUser* m_ffrRrcSapUser;
    LteFfrRrcSapProvider* m_ffrRrcSapProvider;

    uint32_t m_sliceCount;         ///< number of slices
    bool m_enforceUplink;          ///< partition the UL resource blocks too
    std::vector<double> m_shares;  ///< shares in force (after projection)
    std::vector<int32_t> m_dlOwner; ///< slice owning each DL RBG, -1 = none
    std::vector<int32_t> m_ulOwner; ///< slice owning each UL RB, -1 = none
    uint16_t m_minUlBlock;          ///< smallest non-empty UL block, in RBs
    std::map<uint16_t, uint32_t> m_ueSlice; ///< slice of each RNTI
    std::map<uint16_t, double> m_dlCqi;     ///< latest wideband DL CQI of each RNTI
};

} // namespace ns3

#endif /* SLICING_FFR_ALGORITHM_H */
