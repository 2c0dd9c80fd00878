/*
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "slicing-gym-env.h"

#include "container.h"
#include "spaces.h"

#include <ns3/log.h>
#include <ns3/simulator.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("SlicingGymEnv");

NS_OBJECT_ENSURE_REGISTERED(SlicingGymEnv);

namespace
{
std::string
JsonString(const std::string& s)
{
    std::string out = "\"";
    for (char c : s)
    {
        if (c == '"' || c == '\\')
        {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

std::string
JsonNumber(double v)
{
    if (!std::isfinite(v))
    {
        return "0";
    }
    std::ostringstream text;
    text.precision(7);
    text << v;
    return text.str();
}
} // namespace

TypeId
SlicingGymEnv::GetTypeId()
{
    static TypeId tid = TypeId("ns3::SlicingGymEnv").SetParent<OpenGymEnv>().SetGroupName("OpenGym");
    return tid;
}

SlicingGymEnv::SlicingGymEnv()
    : m_cells(0),
      m_step(0),
      m_lastProjected(false),
      m_projectedSteps(0)
{
}

SlicingGymEnv::SlicingGymEnv(uint32_t cells,
                             std::vector<SliceDescription> slices,
                             ApplySharesFn applyShares)
    : m_cells(cells),
      m_slices(std::move(slices)),
      m_applyShares(std::move(applyShares)),
      m_kpis(cells, std::vector<SliceKpis>(m_slices.size())),
      m_step(0),
      m_lastProjected(false),
      m_projectedSteps(0)
{
}

const std::vector<std::string>&
SlicingGymEnv::FeatureNames()
{
    static const std::vector<std::string> names = {"share",
                                                   "throughput",
                                                   "meanDelay",
                                                   "p95Delay",
                                                   "prbUtilization",
                                                   "activeUsers",
                                                   "meanCqi",
                                                   "offeredLoad",
                                                   "backlog",
                                                   "phiTarget",
                                                   "delayTarget",
                                                   "active"};
    return names;
}

void
SlicingGymEnv::SetStepKpis(std::vector<std::vector<SliceKpis>> kpis, uint32_t step)
{
    NS_ABORT_MSG_IF(kpis.size() != m_cells, "SlicingGymEnv: KPIs for " << kpis.size()
                                                                       << " cells, expected "
                                                                       << m_cells);
    m_kpis = std::move(kpis);
    m_step = step;
}

Ptr<OpenGymSpace>
SlicingGymEnv::GetObservationSpace()
{
    const std::vector<uint32_t> shape = {m_cells,
                                         static_cast<uint32_t>(m_slices.size()),
                                         static_cast<uint32_t>(SliceKpis::kFeatures)};
    return CreateObject<OpenGymBoxSpace>(0.0f,
                                         std::numeric_limits<float>::infinity(),
                                         shape,
                                         TypeNameGet<float>());
}

Ptr<OpenGymSpace>
SlicingGymEnv::GetActionSpace()
{
    const std::vector<uint32_t> shape = {m_cells, static_cast<uint32_t>(m_slices.size())};
    return CreateObject<OpenGymBoxSpace>(0.0f, 1.0f, shape, TypeNameGet<float>());
}

bool
SlicingGymEnv::GetGameOver()
{
    return false; // episodes end with the simulation (SimulationEnd -> truncated)
}

Ptr<OpenGymDataContainer>
SlicingGymEnv::GetObservation()
{
    const std::vector<uint32_t> shape = {m_cells,
                                         static_cast<uint32_t>(m_slices.size()),
                                         static_cast<uint32_t>(SliceKpis::kFeatures)};
    Ptr<OpenGymBoxContainer<float>> box = CreateObject<OpenGymBoxContainer<float>>(shape);
    std::vector<float> data;
    data.reserve(m_cells * m_slices.size() * SliceKpis::kFeatures);
    for (const auto& cell : m_kpis)
    {
        for (const SliceKpis& k : cell)
        {
            for (double v : k.ToArray())
            {
                data.push_back(std::isfinite(v) && v > 0 ? static_cast<float>(v) : 0.0f);
            }
        }
    }
    box->SetData(data);
    return box;
}

double
SlicingGymEnv::QosLevel(const SliceKpis& k)
{
    if (k.activeUsers <= 0)
    {
        return 1.0;
    }
    double r = 1.0;
    if (k.phiTarget > 0)
    {
        r = std::min(r, std::max(0.0, k.throughput) / k.phiTarget);
    }
    if (k.delayTarget > 0 && k.meanDelay > 0)
    {
        r = std::min(r, k.delayTarget / k.meanDelay);
    }
    return std::isfinite(r) ? std::max(0.0, r) : 0.0;
}

float
SlicingGymEnv::GetReward()
{
    double total = 0.0;
    for (const auto& cell : m_kpis)
    {
        for (const SliceKpis& k : cell)
        {
            if (k.active >= 0.5)
            {
                total += std::log(QosLevel(k) + 1.0);
            }
        }
    }
    return static_cast<float>(total);
}

std::string
SlicingGymEnv::GetExtraInfo()
{
    std::ostringstream json;
    json << "{\"slices\":[";
    for (size_t s = 0; s < m_slices.size(); ++s)
    {
        json << (s ? "," : "") << JsonString(m_slices[s].name);
    }
    json << "],\"sliceTypes\":[";
    for (size_t s = 0; s < m_slices.size(); ++s)
    {
        json << (s ? "," : "") << JsonString(m_slices[s].type);
    }
    json << "],\"cells\":" << m_cells << ",\"step\":" << m_step
         << ",\"simTime\":" << JsonNumber(Simulator::Now().GetSeconds())
         << ",\"projected\":" << (m_lastProjected ? "true" : "false")
         << ",\"projectedSteps\":" << m_projectedSteps << ",\"rbgs\":[";
    for (size_t c = 0; c < m_kpis.size(); ++c)
    {
        json << (c ? "," : "") << "[";
        for (size_t s = 0; s < m_kpis[c].size(); ++s)
        {
            json << (s ? "," : "") << m_kpis[c][s].rbgs;
        }
        json << "]";
    }
    json << "],\"kpis\":{";
    const std::vector<std::string>& names = FeatureNames();
    for (size_t f = 0; f < names.size(); ++f)
    {
        json << (f ? "," : "") << JsonString(names[f]) << ":[";
        for (size_t c = 0; c < m_kpis.size(); ++c)
        {
            json << (c ? "," : "") << "[";
            for (size_t s = 0; s < m_kpis[c].size(); ++s)
            {
                json << (s ? "," : "") << JsonNumber(m_kpis[c][s].ToArray()[f]);
            }
            json << "]";
        }
        json << "]";
    }
    json << "}}";
    return json.str();
}

bool
SlicingGymEnv::ExecuteActions(Ptr<OpenGymDataContainer> action)
{
    Ptr<OpenGymBoxContainer<float>> box = DynamicCast<OpenGymBoxContainer<float>>(action);
    const size_t slices = m_slices.size();
    if (!box || box->GetData().size() != m_cells * slices)
    {
        NS_LOG_WARN("slicing: step " << m_step << ": action is not a FLOAT Box of " << m_cells
                                     << "x" << slices << " shares; keeping the shares in force");
        return false;
    }
    const std::vector<float> data = box->GetData();
    bool projected = false;
    for (uint32_t c = 0; c < m_cells; ++c)
    {
        std::vector<double> shares(data.begin() + c * slices, data.begin() + (c + 1) * slices);
        if (m_applyShares(c, shares))
        {
            projected = true;
            double sum = 0;
            for (double v : shares)
            {
                sum += v;
            }
            NS_LOG_WARN("slicing: step " << m_step << ": cell " << c << ": infeasible shares (sum "
                                         << sum << ", or NaN/negative/above 1) projected onto "
                                            "the feasible set");
        }
    }
    m_lastProjected = projected;
    if (projected)
    {
        m_projectedSteps++;
    }
    return true;
}

} // namespace ns3
