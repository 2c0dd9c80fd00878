// ns3-gym compatible data containers (OpenGym*Container), implemented on the ns3ts bridge.
#ifndef NS3TS_OPENGYM_CONTAINER_H
#define NS3TS_OPENGYM_CONTAINER_H

#include "ns3/object.h"
#include "ns3/ptr.h"
#include "ns3/type-name.h"

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

namespace bridge
{
class Container;
}

namespace ns3
{

class OpenGymDataContainer : public Object
{
  public:
    static TypeId GetTypeId();
    OpenGymDataContainer();
    ~OpenGymDataContainer() override;

    /// The wire form of this value (bridge library type).
    virtual std::shared_ptr<bridge::Container> ToBridge() const = 0;
    virtual void Print(std::ostream& where) const = 0;

    /// Builds the ns3-gym container for a received value: Discrete -> OpenGymDiscreteContainer;
    /// Box by wire dtype -> OpenGymBoxContainer<int32_t|uint32_t|float|double> (int64_t/uint64_t
    /// when the 64-bit extension carried the data); Tuple/Dict recursively. Null for null input.
    static Ptr<OpenGymDataContainer> FromBridge(const std::shared_ptr<bridge::Container>& data);

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymDataContainer> container)
    {
        container->Print(os);
        return os;
    }
};

class OpenGymDiscreteContainer : public OpenGymDataContainer
{
  public:
    static TypeId GetTypeId();
    OpenGymDiscreteContainer();
    explicit OpenGymDiscreteContainer(uint32_t n);
    ~OpenGymDiscreteContainer() override;

    /// False when n > 0 and value >= n.
    bool SetValue(uint32_t value);
    uint32_t GetValue();

    std::shared_ptr<bridge::Container> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os,
                                    const Ptr<OpenGymDiscreteContainer> container)
    {
        container->Print(os);
        return os;
    }

  private:
    uint32_t m_n;
    uint32_t m_value;
};

namespace opengym_detail
{
// Non-template halves of OpenGymBoxContainer<T>, so this header needs no bridge headers.
std::shared_ptr<bridge::Container> MakeBoxInt(const std::vector<uint32_t>& shape,
                                              uint32_t bits,
                                              const std::vector<int64_t>& data);
std::shared_ptr<bridge::Container> MakeBoxUInt(const std::vector<uint32_t>& shape,
                                               uint32_t bits,
                                               const std::vector<uint64_t>& data);
std::shared_ptr<bridge::Container> MakeBoxFloat(const std::vector<uint32_t>& shape,
                                                const std::vector<float>& data);
std::shared_ptr<bridge::Container> MakeBoxDouble(const std::vector<uint32_t>& shape,
                                                 const std::vector<double>& data);
} // namespace opengym_detail

template <typename T>
class OpenGymBoxContainer : public OpenGymDataContainer
{
    static_assert(std::is_arithmetic<T>::value, "OpenGymBoxContainer<T> needs a numeric T");

  public:
    static TypeId GetTypeId()
    {
        // Looked up first: the template may be instantiated in several shared objects.
        static TypeId tid = []() {
            const std::string name = "ns3::OpenGymBoxContainer<" + TypeNameGet<T>() + ">";
            TypeId existing;
            if (TypeId::LookupByNameFailSafe(name, &existing))
            {
                return existing;
            }
            return TypeId(name)
                .SetParent<OpenGymDataContainer>()
                .SetGroupName("OpenGym")
                .template AddConstructor<OpenGymBoxContainer<T>>();
        }();
        return tid;
    }

    OpenGymBoxContainer() = default;

    explicit OpenGymBoxContainer(std::vector<uint32_t> shape)
        : m_shape(std::move(shape))
    {
    }

    ~OpenGymBoxContainer() override = default;

    std::vector<uint32_t> GetShape()
    {
        return m_shape;
    }

    bool AddValue(T value)
    {
        m_data.push_back(value);
        return true;
    }

    /// 0 when idx is out of range (like ns3-gym).
    T GetValue(uint32_t idx)
    {
        return idx < m_data.size() ? m_data[idx] : T(0);
    }

    bool SetData(std::vector<T> data)
    {
        m_data = std::move(data);
        return true;
    }

    std::vector<T> GetData()
    {
        return m_data;
    }

    /// Shape sent on the wire: the given shape, or [n] when none was given.
    std::vector<uint32_t> WireShape() const
    {
        if (!m_shape.empty())
        {
            return m_shape;
        }
        return std::vector<uint32_t>{static_cast<uint32_t>(m_data.size())};
    }

    std::shared_ptr<bridge::Container> ToBridge() const override
    {
        if constexpr (std::is_floating_point<T>::value)
        {
            if constexpr (sizeof(T) <= sizeof(float))
            {
                return opengym_detail::MakeBoxFloat(WireShape(),
                                                    std::vector<float>(m_data.begin(), m_data.end()));
            }
            else
            {
                return opengym_detail::MakeBoxDouble(
                    WireShape(),
                    std::vector<double>(m_data.begin(), m_data.end()));
            }
        }
        else if constexpr (std::is_signed<T>::value)
        {
            return opengym_detail::MakeBoxInt(WireShape(),
                                              sizeof(T) * 8,
                                              std::vector<int64_t>(m_data.begin(), m_data.end()));
        }
        else
        {
            return opengym_detail::MakeBoxUInt(WireShape(),
                                               sizeof(T) * 8,
                                               std::vector<uint64_t>(m_data.begin(), m_data.end()));
        }
    }

    void Print(std::ostream& where) const override
    {
        where << "[";
        for (std::size_t i = 0; i < m_data.size(); ++i)
        {
            if (i)
            {
                where << ", ";
            }
            if constexpr (sizeof(T) == 1)
            {
                where << static_cast<int>(m_data[i]);
            }
            else
            {
                where << m_data[i];
            }
        }
        where << "]";
    }

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymBoxContainer> container)
    {
        container->Print(os);
        return os;
    }

  private:
    std::vector<uint32_t> m_shape;
    std::vector<T> m_data;
};

class OpenGymTupleContainer : public OpenGymDataContainer
{
  public:
    static TypeId GetTypeId();
    OpenGymTupleContainer();
    ~OpenGymTupleContainer() override;

    bool Add(Ptr<OpenGymDataContainer> container);
    /// Null when idx is out of range.
    Ptr<OpenGymDataContainer> Get(uint32_t idx);

    std::shared_ptr<bridge::Container> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymTupleContainer> container)
    {
        container->Print(os);
        return os;
    }

  protected:
    void DoDispose() override;

  private:
    std::vector<Ptr<OpenGymDataContainer>> m_tuple;
};

/// Dict value; elements are sent sorted by key (like ns3-gym).
class OpenGymDictContainer : public OpenGymDataContainer
{
  public:
    static TypeId GetTypeId();
    OpenGymDictContainer();
    ~OpenGymDictContainer() override;

    /// False (and nothing added) when the key exists already.
    bool Add(std::string key, Ptr<OpenGymDataContainer> container);
    /// Null when absent.
    Ptr<OpenGymDataContainer> Get(std::string key);

    std::shared_ptr<bridge::Container> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymDictContainer> container)
    {
        container->Print(os);
        return os;
    }

  protected:
    void DoDispose() override;

  private:
    std::map<std::string, Ptr<OpenGymDataContainer>> m_dict;
};

} // namespace ns3

#endif // NS3TS_OPENGYM_CONTAINER_H
