/*
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * slicing-ffr-check: self-checks of SlicingFfrAlgorithm through the SAP interfaces a stock LTE
 * scheduler and the eNB RRC use (no simulation, no agent). Prints one line per failed check and
 * "slicing-ffr-check: N checks passed" at the end; exit status 1 if any check failed.
 * Run by test/ns3 (and under valgrind by hand).
 */
#include "ns3/core-module.h"
#include "ns3/slicing-ffr-algorithm.h"

#include <cmath>
#include <iostream>
#include <limits>
#include <sstream>

using namespace ns3;

namespace
{
int g_checks = 0;
int g_failures = 0;

void
Check(bool ok, const std::string& what)
{
    ++g_checks;
    if (!ok)
    {
        ++g_failures;
        std::cout << "FAILED: " << what << std::endl;
    }
}

std::string
Text(const std::vector<uint32_t>& v)
{
    std::ostringstream out;
    for (size_t i = 0; i < v.size(); ++i)
    {
        out << (i ? "," : "") << v[i];
    }
    return out.str();
}

void
CheckCounts(const std::vector<double>& shares, uint32_t units, const std::vector<uint32_t>& expected, bool expectProjected)
{
    bool projected = false;
    const std::vector<uint32_t> got = SlicingFfrAlgorithm::SharesToCounts(shares, units, &projected);
    std::ostringstream what;
    what << "SharesToCounts(" << units << "): got " << Text(got) << ", expected " << Text(expected);
    Check(got == expected, what.str());
    Check(projected == expectProjected, what.str() + " (projected flag)");
}
} // namespace

int
main(int argc, char* argv[])
{
    CommandLine cmd(__FILE__);
    cmd.Parse(argc, argv);
    const double nan = std::numeric_limits<double>::quiet_NaN();

    // Largest-remainder rounding (documented in slicing-ffr-algorithm.h).
    CheckCounts({0.6, 0.2, 0.2}, 12, {7, 3, 2}, false);
    CheckCounts({0.6f, 0.2f, 0.2f}, 12, {7, 3, 2}, false); // float32 shares hand out all RBGs
    CheckCounts({0.34, 0.33, 0.33}, 12, {4, 4, 4}, false);
    CheckCounts({0.05, 0.05, 0.05}, 12, {1, 0, 0}, false);
    CheckCounts({0.0, 0.0, 0.0}, 12, {0, 0, 0}, false);
    CheckCounts({1.0, 0.0, 0.0}, 16, {16, 0, 0}, false);
    CheckCounts({0.5, 0.25, 0.25}, 25, {13, 6, 6}, false);
    CheckCounts({0.9, 0.9, 0.2}, 12, {6, 6, 0}, true); // sum 2: projection 0.5/0.5/0 (theta 0.4)
    CheckCounts({nan, -0.5, 0.5}, 12, {0, 0, 6}, true);
    CheckCounts({2.0, 0.0, 0.0}, 12, {12, 0, 0}, true);
    for (uint32_t units : {6u, 12u, 13u, 25u, 100u})
    {
        const std::vector<uint32_t> c = SlicingFfrAlgorithm::SharesToCounts({0.3333, 0.3333, 0.3334}, units);
        Check(c[0] + c[1] + c[2] == units, "equal shares hand out every unit of " + std::to_string(units));
    }

    // The SAP view of a 25-RB cell (12 RBGs of 2 RBs) with three slices.
    Ptr<SlicingFfrAlgorithm> ffr = CreateObject<SlicingFfrAlgorithm>();
    ffr->SetAttribute("SliceCount", UintegerValue(3));
    LteFfrSapProvider* sap = ffr->GetLteFfrSapProvider();
    LteFfrRrcSapProvider* rrc = ffr->GetLteFfrRrcSapProvider();
    rrc->SetCellId(1);
    rrc->SetBandwidth(25, 25);
    ffr->Initialize();
    Check(ffr->GetDlRbgCount() == 12 && ffr->GetDlRbgSize() == 2, "25 RBs = 12 RBGs of 2 RBs");
    Check(ffr->GetDlRbgCounts() == std::vector<uint32_t>({4, 4, 4}), "equal shares at start: 4/4/4, got " + Text(ffr->GetDlRbgCounts()));

    ffr->SetUeSlice(10, 0);
    ffr->SetUeSlice(11, 1);
    ffr->SetUeSlice(12, 2);
    Check(!ffr->SetShares({0.6, 0.2, 0.2}), "feasible shares are not projected");
    const std::vector<bool> available = sap->GetAvailableDlRbg();
    Check(available.size() == 12, "GetAvailableDlRbg has one entry per RBG");
    bool noneBlocked = true;
    for (bool used : available)
    {
        noneBlocked = noneBlocked && !used;
    }
    Check(noneBlocked, "every RBG is available to the cell (slices are enforced per UE)");
    // Blocks: slice 0 = RBGs 0..6, slice 1 = 7..9, slice 2 = 10..11.
    for (int rbg = 0; rbg < 12; ++rbg)
    {
        const uint16_t owner = rbg < 7 ? 10 : rbg < 10 ? 11 : 12;
        for (uint16_t rnti : {10, 11, 12})
        {
            const bool expected = rnti == owner;
            Check(sap->IsDlRbgAvailableForUe(rbg, rnti) == expected,
                  "DL RBG " + std::to_string(rbg) + " for RNTI " + std::to_string(rnti));
        }
        Check(sap->IsDlRbgAvailableForUe(rbg, 99), "a UE without a slice may use DL RBG " + std::to_string(rbg));
    }
    Check(!sap->IsDlRbgAvailableForUe(12, 10) && !sap->IsDlRbgAvailableForUe(-1, 10), "RBGs out of range are refused");

    // Uplink: 25 RBs, 0.6/0.2/0.2 -> 15/5/5, contiguous.
    Check(sap->GetAvailableUlRbg().size() == 25, "GetAvailableUlRbg has one entry per UL RB");
    int ul0 = 0;
    int ul2 = 0;
    for (int rb = 0; rb < 25; ++rb)
    {
        ul0 += sap->IsUlRbgAvailableForUe(rb, 10) ? 1 : 0;
        ul2 += sap->IsUlRbgAvailableForUe(rb, 12) ? 1 : 0;
    }
    Check(ul0 == 15 && ul2 == 5, "UL RBs per slice 15 and 5, got " + std::to_string(ul0) + " and " + std::to_string(ul2));
    Check(sap->IsUlRbgAvailableForUe(0, 10) && !sap->IsUlRbgAvailableForUe(0, 11), "UL block of slice 0 starts at RB 0");
    Check(sap->GetMinContinuousUlBandwidth() == 5, "smallest UL block is 5 RBs");

    // Infeasible shares are projected (Euclidean projection, not a rescale) and reported.
    Check(ffr->SetShares({0.9, 0.9, 0.2}), "shares summing to 2 are projected");
    Check(std::abs(ffr->GetShares()[0] - 0.5) < 1e-12 && ffr->GetShares()[2] == 0.0,
          "projected shares are 0.5/0.5/0");
    Check(ffr->GetDlRbgCounts() == std::vector<uint32_t>({6, 6, 0}), "projected partition 6/6/0, got " + Text(ffr->GetDlRbgCounts()));
    // float32 round-off of feasible shares is no projection.
    Check(!ffr->SetShares({1.0f / 3, 1.0f / 3, 1.0f / 3}), "float32 thirds are not reported as projected");
    Check(ffr->GetShares()[0] == static_cast<double>(1.0f / 3), "float32 thirds are applied as sent");

    // A slice without RBGs: its UEs get none; the others keep theirs.
    ffr->SetShares({0.0, 0.5, 0.5});
    bool starved = true;
    for (int rbg = 0; rbg < 12; ++rbg)
    {
        starved = starved && !sap->IsDlRbgAvailableForUe(rbg, 10);
    }
    Check(starved, "a slice with share 0 has no RBG");
    ffr->RemoveUe(10);
    Check(sap->IsDlRbgAvailableForUe(0, 10), "a removed UE is unrestricted again");

    // CQI reports: wideband (P10) and sub-band (A30, mean of the sub-bands).
    FfMacSchedSapProvider::SchedDlCqiInfoReqParameters report;
    CqiListElement_s wideband;
    wideband.m_rnti = 11;
    wideband.m_cqiType = CqiListElement_s::P10;
    wideband.m_wbCqi = {9};
    CqiListElement_s subband;
    subband.m_rnti = 12;
    subband.m_cqiType = CqiListElement_s::A30;
    for (uint8_t cqi : {10, 14})
    {
        HigherLayerSelected_s band;
        band.m_sbCqi = {cqi};
        subband.m_sbMeasResult.m_higherLayerSelected.push_back(band);
    }
    report.m_cqiList = {wideband, subband};
    sap->ReportDlCqiInfo(report);
    Check(std::abs(ffr->GetMeanDlCqi({11}) - 9) < 1e-12, "wideband CQI recorded");
    Check(std::abs(ffr->GetMeanDlCqi({12}) - 12) < 1e-12, "sub-band CQI averaged");
    Check(std::abs(ffr->GetMeanDlCqi({11, 12}) - 10.5) < 1e-12, "mean CQI of a slice's UEs");
    Check(ffr->GetMeanDlCqi({77}) < 0, "no report, no CQI");

    ffr->Dispose();
    Simulator::Destroy();
    std::cout << "slicing-ffr-check: " << g_checks - g_failures << " of " << g_checks << " checks passed" << std::endl;
    return g_failures == 0 ? 0 : 1;
}
