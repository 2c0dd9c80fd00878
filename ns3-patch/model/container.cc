#include "container.h"

#include "ns3/log.h"

#include "ns3ts-bridge/containers.h"
#include "ns3ts-bridge/error.h"

namespace ns3
{

NS_LOG_COMPONENT_DEFINE("OpenGymDataContainer");

NS_OBJECT_ENSURE_REGISTERED(OpenGymDataContainer);
NS_OBJECT_ENSURE_REGISTERED(OpenGymDiscreteContainer);
NS_OBJECT_ENSURE_REGISTERED(OpenGymTupleContainer);
NS_OBJECT_ENSURE_REGISTERED(OpenGymDictContainer);

namespace opengym_detail
{

std::shared_ptr<bridge::Container>
MakeBoxInt(const std::vector<uint32_t>& shape, uint32_t bits, const std::vector<int64_t>& data)
{
    auto box = std::make_shared<bridge::BoxContainer>(bridge::ElementType{bridge::Dtype::Int, bits},
                                                      shape);
    box->ints() = data;
    return box;
}

std::shared_ptr<bridge::Container>
MakeBoxUInt(const std::vector<uint32_t>& shape, uint32_t bits, const std::vector<uint64_t>& data)
{
    auto box =
        std::make_shared<bridge::BoxContainer>(bridge::ElementType{bridge::Dtype::UInt, bits},
                                               shape);
    box->uints() = data;
    return box;
}

std::shared_ptr<bridge::Container>
MakeBoxFloat(const std::vector<uint32_t>& shape, const std::vector<float>& data)
{
    auto box =
        std::make_shared<bridge::BoxContainer>(bridge::ElementType{bridge::Dtype::Float, 32},
                                               shape);
    box->floats() = data;
    return box;
}

std::shared_ptr<bridge::Container>
MakeBoxDouble(const std::vector<uint32_t>& shape, const std::vector<double>& data)
{
    auto box =
        std::make_shared<bridge::BoxContainer>(bridge::ElementType{bridge::Dtype::Double, 64},
                                               shape);
    box->doubles() = data;
    return box;
}

} // namespace opengym_detail

namespace
{

template <typename T, typename Source>
Ptr<OpenGymDataContainer>
MakeBox(const bridge::BoxContainer& box, const std::vector<Source>& values)
{
    Ptr<OpenGymBoxContainer<T>> out = CreateObject<OpenGymBoxContainer<T>>(box.shape());
    out->SetData(std::vector<T>(values.begin(), values.end()));
    return out;
}

} // namespace

TypeId
OpenGymDataContainer::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::OpenGymDataContainer").SetParent<Object>().SetGroupName("OpenGym");
    return tid;
}

OpenGymDataContainer::OpenGymDataContainer() = default;
OpenGymDataContainer::~OpenGymDataContainer() = default;

Ptr<OpenGymDataContainer>
OpenGymDataContainer::FromBridge(const std::shared_ptr<bridge::Container>& data)
{
    if (!data)
    {
        return nullptr;
    }
    switch (data->type())
    {
    case bridge::SpaceType::Discrete: {
        auto& discrete = static_cast<const bridge::DiscreteContainer&>(*data);
        Ptr<OpenGymDiscreteContainer> out = CreateObject<OpenGymDiscreteContainer>();
        out->SetValue(static_cast<uint32_t>(discrete.value()));
        return out;
    }
    case bridge::SpaceType::Box: {
        auto& box = static_cast<const bridge::BoxContainer&>(*data);
        switch (box.dtype())
        {
        case bridge::Dtype::Int:
            return box.bits() == 64 ? MakeBox<int64_t>(box, box.ints())
                                    : MakeBox<int32_t>(box, box.ints());
        case bridge::Dtype::UInt:
            return box.bits() == 64 ? MakeBox<uint64_t>(box, box.uints())
                                    : MakeBox<uint32_t>(box, box.uints());
        case bridge::Dtype::Float:
            return MakeBox<float>(box, box.floats());
        case bridge::Dtype::Double:
            return MakeBox<double>(box, box.doubles());
        default:
            return nullptr;
        }
    }
    case bridge::SpaceType::Tuple: {
        Ptr<OpenGymTupleContainer> out = CreateObject<OpenGymTupleContainer>();
        for (const auto& e : static_cast<const bridge::TupleContainer&>(*data).elements())
        {
            out->Add(FromBridge(e));
        }
        return out;
    }
    case bridge::SpaceType::Dict: {
        Ptr<OpenGymDictContainer> out = CreateObject<OpenGymDictContainer>();
        for (const auto& [key, e] : static_cast<const bridge::DictContainer&>(*data).elements())
        {
            out->Add(key, FromBridge(e));
        }
        return out;
    }
    default:
        return nullptr;
    }
}

// ---- Discrete

TypeId
OpenGymDiscreteContainer::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymDiscreteContainer")
                            .SetParent<OpenGymDataContainer>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymDiscreteContainer>();
    return tid;
}

OpenGymDiscreteContainer::OpenGymDiscreteContainer()
    : m_n(0),
      m_value(0)
{
}

OpenGymDiscreteContainer::OpenGymDiscreteContainer(uint32_t n)
    : m_n(n),
      m_value(0)
{
}

OpenGymDiscreteContainer::~OpenGymDiscreteContainer() = default;

bool
OpenGymDiscreteContainer::SetValue(uint32_t value)
{
    if (m_n > 0 && value >= m_n)
    {
        NS_LOG_WARN("Discrete value " << value << " out of range [0, " << m_n << ")");
        return false;
    }
    m_value = value;
    return true;
}

uint32_t
OpenGymDiscreteContainer::GetValue()
{
    return m_value;
}

std::shared_ptr<bridge::Container>
OpenGymDiscreteContainer::ToBridge() const
{
    return std::make_shared<bridge::DiscreteContainer>(static_cast<int32_t>(m_value));
}

void
OpenGymDiscreteContainer::Print(std::ostream& where) const
{
    where << m_value;
}

// ---- Tuple

TypeId
OpenGymTupleContainer::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymTupleContainer")
                            .SetParent<OpenGymDataContainer>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymTupleContainer>();
    return tid;
}

OpenGymTupleContainer::OpenGymTupleContainer() = default;
OpenGymTupleContainer::~OpenGymTupleContainer() = default;

void
OpenGymTupleContainer::DoDispose()
{
    m_tuple.clear();
    OpenGymDataContainer::DoDispose();
}

bool
OpenGymTupleContainer::Add(Ptr<OpenGymDataContainer> container)
{
    if (!container)
    {
        return false;
    }
    m_tuple.push_back(container);
    return true;
}

Ptr<OpenGymDataContainer>
OpenGymTupleContainer::Get(uint32_t idx)
{
    return idx < m_tuple.size() ? m_tuple[idx] : nullptr;
}

std::shared_ptr<bridge::Container>
OpenGymTupleContainer::ToBridge() const
{
    auto tuple = std::make_shared<bridge::TupleContainer>();
    for (const auto& e : m_tuple)
    {
        tuple->add(e->ToBridge());
    }
    return tuple;
}

void
OpenGymTupleContainer::Print(std::ostream& where) const
{
    where << "(";
    for (std::size_t i = 0; i < m_tuple.size(); ++i)
    {
        where << (i ? ", " : "");
        m_tuple[i]->Print(where);
    }
    where << ")";
}

// ---- Dict

TypeId
OpenGymDictContainer::GetTypeId()
{
    static TypeId tid = TypeId("ns3::OpenGymDictContainer")
                            .SetParent<OpenGymDataContainer>()
                            .SetGroupName("OpenGym")
                            .AddConstructor<OpenGymDictContainer>();
    return tid;
}

OpenGymDictContainer::OpenGymDictContainer() = default;
OpenGymDictContainer::~OpenGymDictContainer() = default;

void
OpenGymDictContainer::DoDispose()
{
    m_dict.clear();
    OpenGymDataContainer::DoDispose();
}

bool
OpenGymDictContainer::Add(std::string key, Ptr<OpenGymDataContainer> container)
{
    if (!container)
    {
        return false;
    }
    return m_dict.emplace(std::move(key), container).second;
}

Ptr<OpenGymDataContainer>
OpenGymDictContainer::Get(std::string key)
{
    auto it = m_dict.find(key);
    return it == m_dict.end() ? nullptr : it->second;
}

std::shared_ptr<bridge::Container>
OpenGymDictContainer::ToBridge() const
{
    auto dict = std::make_shared<bridge::DictContainer>();
    for (const auto& [key, value] : m_dict)
    {
        dict->add(key, value->ToBridge());
    }
    return dict;
}

void
OpenGymDictContainer::Print(std::ostream& where) const
{
    where << "{";
    bool first = true;
    for (const auto& [key, value] : m_dict)
    {
        where << (first ? "" : ", ") << key << ": ";
        value->Print(where);
        first = false;
    }
    where << "}";
}

} // namespace ns3
