// ns3-gym compatible gym spaces (OpenGym*Space), implemented on the ns3ts bridge.
#ifndef NS3TS_OPENGYM_SPACES_H
#define NS3TS_OPENGYM_SPACES_H

#include "ns3/object.h"
#include "ns3/ptr.h"

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace bridge
{
class Space;
}

namespace ns3
{

class OpenGymSpace : public Object
{
  public:
    static TypeId GetTypeId();
    OpenGymSpace();
    ~OpenGymSpace() override;

    /// The wire form of this space (bridge library type).
    virtual std::shared_ptr<const bridge::Space> ToBridge() const = 0;
    virtual void Print(std::ostream& where) const = 0;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymSpace> space)
    {
        space->Print(os);
        return os;
    }
};

class OpenGymDiscreteSpace : public OpenGymSpace
{
  public:
    static TypeId GetTypeId();
    OpenGymDiscreteSpace();
    explicit OpenGymDiscreteSpace(int n);
    ~OpenGymDiscreteSpace() override;

    int GetN();
    std::shared_ptr<const bridge::Space> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymDiscreteSpace> space)
    {
        space->Print(os);
        return os;
    }

  private:
    int m_n;
};

class OpenGymBoxSpace : public OpenGymSpace
{
  public:
    static TypeId GetTypeId();
    OpenGymBoxSpace();
    /// Scalar bounds, as ns3-gym. dtype is a type name such as TypeNameGet<uint32_t>():
    /// int8_t..int64_t -> INT, uint8_t..uint64_t -> UINT, float -> FLOAT, double -> DOUBLE.
    OpenGymBoxSpace(float low, float high, std::vector<uint32_t> shape, std::string dtype);
    /// Per-dimension bounds (one per element, row-major). They travel in the ns3ts extension
    /// fields; ns3-gym agents see the envelope (min of low, max of high).
    OpenGymBoxSpace(std::vector<float> low,
                    std::vector<float> high,
                    std::vector<uint32_t> shape,
                    std::string dtype);
    ~OpenGymBoxSpace() override;

    float GetLow();
    float GetHigh();
    std::vector<float> GetLows();
    std::vector<float> GetHighs();
    std::vector<uint32_t> GetShape();
    std::string GetDtype();

    std::shared_ptr<const bridge::Space> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymBoxSpace> space)
    {
        space->Print(os);
        return os;
    }

  private:
    float m_low;
    float m_high;
    std::vector<float> m_lows;
    std::vector<float> m_highs;
    std::vector<uint32_t> m_shape;
    std::string m_dtypeName;
};

class OpenGymTupleSpace : public OpenGymSpace
{
  public:
    static TypeId GetTypeId();
    OpenGymTupleSpace();
    ~OpenGymTupleSpace() override;

    bool Add(Ptr<OpenGymSpace> space);
    Ptr<OpenGymSpace> Get(uint32_t idx);

    std::shared_ptr<const bridge::Space> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymTupleSpace> space)
    {
        space->Print(os);
        return os;
    }

  protected:
    void DoDispose() override;

  private:
    std::vector<Ptr<OpenGymSpace>> m_tuple;
};

/// Dict space; elements are sent sorted by key (like ns3-gym).
class OpenGymDictSpace : public OpenGymSpace
{
  public:
    static TypeId GetTypeId();
    OpenGymDictSpace();
    ~OpenGymDictSpace() override;

    /// False (and nothing added) when the key exists already.
    bool Add(std::string key, Ptr<OpenGymSpace> space);
    Ptr<OpenGymSpace> Get(std::string key);

    std::shared_ptr<const bridge::Space> ToBridge() const override;
    void Print(std::ostream& where) const override;

    friend std::ostream& operator<<(std::ostream& os, const Ptr<OpenGymDictSpace> space)
    {
        space->Print(os);
        return os;
    }

  protected:
    void DoDispose() override;

  private:
    std::map<std::string, Ptr<OpenGymSpace>> m_dict;
};

} // namespace ns3

#endif // NS3TS_OPENGYM_SPACES_H
