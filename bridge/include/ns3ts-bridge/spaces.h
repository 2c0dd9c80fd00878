// Gym spaces as the ns3-gym wire describes them (SpaceDescription), without protobuf types.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bridge {

/// Values of ns3opengym.SpaceType.
enum class SpaceType : int { None = 0, Discrete = 1, Box = 2, Tuple = 3, Dict = 4 };
/// Values of ns3opengym.Dtype.
enum class Dtype : int { None = 0, Int = 1, UInt = 2, Float = 3, Double = 4 };

/// Wire dtype plus the bit width of the declared C++ element type (8, 16, 32 or 64).
struct ElementType {
  Dtype dtype = Dtype::None;
  uint32_t bits = 32;
};

/// Maps a C++ type name as ns-3's TypeNameGet<T>() spells it ("uint32_t", "int8_t", "float",
/// "double", ...; also "int32", "uint64", "float32", "float64") to its wire dtype and width.
/// Throws bridge::Error naming the value and the accepted names.
ElementType elementTypeFromName(const std::string& typeName);
const char* dtypeName(Dtype dtype);
const char* spaceTypeName(SpaceType type);

class Space {
 public:
  virtual ~Space() = default;
  virtual SpaceType type() const = 0;
  /// Human-readable form, e.g. "Box(low=0, high=10, shape=[5], dtype=UINT)".
  virtual std::string describe() const = 0;
};
using SpacePtr = std::shared_ptr<const Space>;

class DiscreteSpace final : public Space {
 public:
  explicit DiscreteSpace(int32_t n);
  SpaceType type() const override { return SpaceType::Discrete; }
  std::string describe() const override;
  int32_t n() const { return n_; }

 private:
  int32_t n_;
};

class BoxSpace final : public Space {
 public:
  /// Scalar bounds, as ns3-gym sends them.
  BoxSpace(double low, double high, std::vector<uint32_t> shape, ElementType element);
  /// Per-dimension bounds (ns3ts extension; one bound per element, row-major). The scalar
  /// low/high fields carry the envelope (min of lows, max of highs) for ns3-gym peers.
  BoxSpace(std::vector<double> lows, std::vector<double> highs, std::vector<uint32_t> shape,
           ElementType element);
  SpaceType type() const override { return SpaceType::Box; }
  std::string describe() const override;

  double low() const { return low_; }
  double high() const { return high_; }
  /// Empty unless per-dimension bounds were given.
  const std::vector<double>& lows() const { return lows_; }
  const std::vector<double>& highs() const { return highs_; }
  const std::vector<uint32_t>& shape() const { return shape_; }
  Dtype dtype() const { return element_.dtype; }
  uint32_t bits() const { return element_.bits; }
  ElementType element() const { return element_; }
  /// Number of elements (product of the shape).
  uint64_t size() const;

 private:
  double low_;
  double high_;
  std::vector<double> lows_;
  std::vector<double> highs_;
  std::vector<uint32_t> shape_;
  ElementType element_;
};

class TupleSpace final : public Space {
 public:
  TupleSpace() = default;
  SpaceType type() const override { return SpaceType::Tuple; }
  std::string describe() const override;
  void add(SpacePtr element);
  const std::vector<SpacePtr>& elements() const { return elements_; }

 private:
  std::vector<SpacePtr> elements_;
};

/// Dict space; elements are kept sorted by key (ns3-gym sends them sorted).
class DictSpace final : public Space {
 public:
  DictSpace() = default;
  SpaceType type() const override { return SpaceType::Dict; }
  std::string describe() const override;
  /// Throws bridge::Error on a duplicate key.
  void add(const std::string& key, SpacePtr element);
  const std::map<std::string, SpacePtr>& elements() const { return elements_; }

 private:
  std::map<std::string, SpacePtr> elements_;
};

}  // namespace bridge
