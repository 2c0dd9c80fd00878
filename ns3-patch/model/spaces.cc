#include "spaces.h"

#include "ns3/log.h"

#include "ns3ts-bridge/error.h"
#include "ns3ts-bridge/spaces.h"

#include <algorithm>

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("OpenGymSpace");

NS_OBJECT_ENSURE_REGISTERED(OpenGymSpace);
NS_OBJECT_ENSURE_REGISTERED(OpenGymDiscreteSpace);
NS_OBJECT_ENSURE_REGISTERED(OpenGymBoxSpace);
NS_OBJECT_ENSURE_REGISTERED(OpenGymTupleSpace);
NS_OBJECT_ENSURE_REGISTERED(OpenGymDictSpace);

TypeId
OpenGymSpace::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymSpace").SetParent<Object>().SetGroupName("OpenGym");
    return tid;
}

OpenGymSpace::OpenGymSpace() = default;
OpenGymSpace::~OpenGymSpace() = default;

// ---- Discrete

TypeId
OpenGymDiscreteSpace::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymDiscreteSpace")
                            .SetParent<OpenGymSpace>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymDiscreteSpace>();
    return tid;
}

OpenGymDiscreteSpace::OpenGymDiscreteSpace()
    : m_n(0)
{
}

OpenGymDiscreteSpace::OpenGymDiscreteSpace(int n)
    : m_n(n)
{
}

OpenGymDiscreteSpace::~OpenGymDiscreteSpace() = default;

int
OpenGymDiscreteSpace::GetN()
{
    return m_n;
}

std::shared_ptr<const bridge::Space>
OpenGymDiscreteSpace::ToBridge() const
{
    return std::make_shared<bridge::DiscreteSpace>(m_n);
}

void
OpenGymDiscreteSpace::Print(std::ostream& where) const
{
    where << "DiscreteSpace N: " << m_n;
}

// ---- Box

TypeId
OpenGymBoxSpace::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymBoxSpace")
                            .SetParent<OpenGymSpace>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymBoxSpace>();
    return tid;
}

OpenGymBoxSpace::OpenGymBoxSpace()
    : m_low(0),
      m_high(0),
      m_dtypeName("float")
{
}

OpenGymBoxSpace::OpenGymBoxSpace(float low,
                                 float high,
                                 std::vector<uint32_t> shape,
                                 std::string dtype)
    : m_low(low),
      m_high(high),
      m_shape(std::move(shape)),
      m_dtypeName(std::move(dtype))
{
}

OpenGymBoxSpace::OpenGymBoxSpace(std::vector<float> low,
                                 std::vector<float> high,
                                 std::vector<uint32_t> shape,
                                 std::string dtype)
    : m_low(low.empty() ? 0.0f : *std::min_element(low.begin(), low.end())),
      m_high(high.empty() ? 0.0f : *std::max_element(high.begin(), high.end())),
      m_lows(std::move(low)),
      m_highs(std::move(high)),
      m_shape(std::move(shape)),
      m_dtypeName(std::move(dtype))
{
}

OpenGymBoxSpace::~OpenGymBoxSpace() = default;

float
OpenGymBoxSpace::GetLow()
{
    return m_low;
}

float
OpenGymBoxSpace::GetHigh()
{
    return m_high;
}

std::vector<float>
OpenGymBoxSpace::GetLows()
{
    return m_lows;
}

std::vector<float>
OpenGymBoxSpace::GetHighs()
{
    return m_highs;
}

std::vector<uint32_t>
OpenGymBoxSpace::GetShape()
{
    return m_shape;
}

std::string
OpenGymBoxSpace::GetDtype()
{
    return m_dtypeName;
}

std::shared_ptr<const bridge::Space>
OpenGymBoxSpace::ToBridge() const
{
    const bridge::ElementType element = bridge::elementTypeFromName(m_dtypeName);
    if (m_lows.empty() && m_highs.empty())
    {
        return std::make_shared<bridge::BoxSpace>(m_low, m_high, m_shape, element);
    }
    return std::make_shared<bridge::BoxSpace>(std::vector<double>(m_lows.begin(), m_lows.end()),
                                              std::vector<double>(m_highs.begin(), m_highs.end()),
                                              m_shape,
                                              element);
}

void
OpenGymBoxSpace::Print(std::ostream& where) const
{
    where << "BoxSpace Low: " << m_low << " High: " << m_high << " Shape: (";
    for (std::size_t i = 0; i < m_shape.size(); ++i)
    {
        where << (i ? "," : "") << m_shape[i];
    }
    where << ") Dtype: " << m_dtypeName;
}

// ---- Tuple

TypeId
OpenGymTupleSpace::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymTupleSpace")
                            .SetParent<OpenGymSpace>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymTupleSpace>();
    return tid;
}

OpenGymTupleSpace::OpenGymTupleSpace() = default;
OpenGymTupleSpace::~OpenGymTupleSpace() = default;

void
OpenGymTupleSpace::DoDispose()
{
    m_tuple.clear();
    OpenGymSpace::DoDispose();
}

bool
OpenGymTupleSpace::Add(Ptr<OpenGymSpace> space)
{
    if (!space)
    {
        return false;
    }
    m_tuple.push_back(space);
    return true;
}

Ptr<OpenGymSpace>
OpenGymTupleSpace::Get(uint32_t idx)
{
    return idx < m_tuple.size() ? m_tuple[idx] : nullptr;
}

std::shared_ptr<const bridge::Space>
OpenGymTupleSpace::ToBridge() const
{
    auto tuple = std::make_shared<bridge::TupleSpace>();
    for (const auto& e : m_tuple)
    {
        tuple->add(e->ToBridge());
    }
    return tuple;
}

void
OpenGymTupleSpace::Print(std::ostream& where) const
{
    where << "TupleSpace: (";
    for (std::size_t i = 0; i < m_tuple.size(); ++i)
    {
        where << (i ? ", " : "");
        m_tuple[i]->Print(where);
    }
    where << ")";
}

// ---- Dict

TypeId
OpenGymDictSpace::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymDictSpace")
                            .SetParent<OpenGymSpace>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymDictSpace>();
    return tid;
}

OpenGymDictSpace::OpenGymDictSpace() = default;
OpenGymDictSpace::~OpenGymDictSpace() = default;

void
OpenGymDictSpace::DoDispose()
{
    m_dict.clear();
    OpenGymSpace::DoDispose();
}

bool
OpenGymDictSpace::Add(std::string key, Ptr<OpenGymSpace> space)
{
    if (!space)
    {
        return false;
    }
    return m_dict.emplace(std::move(key), space).second;
}

Ptr<OpenGymSpace>
OpenGymDictSpace::Get(std::string key)
{
    auto it = m_dict.find(key);
    return it == m_dict.end() ? nullptr : it->second;
}

std::shared_ptr<const bridge::Space>
OpenGymDictSpace::ToBridge() const
{
    auto dict = std::make_shared<bridge::DictSpace>();
    for (const auto& [key, space] : m_dict)
    {
        dict->add(key, space->ToBridge());
    }
    return dict;
}

void
OpenGymDictSpace::Print(std::ostream& where) const
{
    where << "DictSpace: {";
    bool first = true;
    for (const auto& [key, space] : m_dict)
    {
        where << (first ? "" : ", ") << key << ": ";
        space->Print(where);
        first = false;
    }
    where << "}";
}

} // namespace ns3
