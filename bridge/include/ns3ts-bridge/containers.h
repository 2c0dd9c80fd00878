// Data containers (observations and actions) as the ns3-gym wire carries them (DataContainer).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ns3ts-bridge/spaces.h"

namespace bridge {

class Container {
 public:
  virtual ~Container() = default;
  virtual SpaceType type() const = 0;
  virtual std::string describe() const = 0;
};
using ContainerPtr = std::shared_ptr<Container>;

class DiscreteContainer final : public Container {
 public:
  explicit DiscreteContainer(int32_t value = 0) : value_(value) {}
  SpaceType type() const override { return SpaceType::Discrete; }
  std::string describe() const override;
  int32_t value() const { return value_; }
  void setValue(int32_t value) { value_ = value; }

 private:
  int32_t value_;
};

/// A Box value. Exactly one of the typed vectors is used, chosen by the dtype:
/// Int -> ints, UInt -> uints, Float -> floats, Double -> doubles. 64-bit integers travel
/// exactly in the int64Data/uint64Data extension when bits == 64, and truncated to 32 bits in
/// the legacy fields (what ns3-gym peers read).
class BoxContainer final : public Container {
 public:
  BoxContainer(ElementType element, std::vector<uint32_t> shape);
  SpaceType type() const override { return SpaceType::Box; }
  std::string describe() const override;

  Dtype dtype() const { return element_.dtype; }
  uint32_t bits() const { return element_.bits; }
  ElementType element() const { return element_; }
  const std::vector<uint32_t>& shape() const { return shape_; }
  void setShape(std::vector<uint32_t> shape) { shape_ = std::move(shape); }
  /// Number of stored values.
  std::size_t size() const;
  /// Value i converted to double (any dtype).
  double valueAsDouble(std::size_t i) const;
  /// All values converted to double (any dtype).
  std::vector<double> valuesAsDouble() const;

  std::vector<int64_t>& ints() { return ints_; }
  std::vector<uint64_t>& uints() { return uints_; }
  std::vector<float>& floats() { return floats_; }
  std::vector<double>& doubles() { return doubles_; }
  const std::vector<int64_t>& ints() const { return ints_; }
  const std::vector<uint64_t>& uints() const { return uints_; }
  const std::vector<float>& floats() const { return floats_; }
  const std::vector<double>& doubles() const { return doubles_; }

 private:
  std::vector<int64_t> ints_;
  std::vector<uint64_t> uints_;
  std::vector<float> floats_;
  std::vector<double> doubles_;
  ElementType element_;
  std::vector<uint32_t> shape_;
};

class TupleContainer final : public Container {
 public:
  SpaceType type() const override { return SpaceType::Tuple; }
  std::string describe() const override;
  void add(ContainerPtr element) { elements_.push_back(std::move(element)); }
  const std::vector<ContainerPtr>& elements() const { return elements_; }

 private:
  std::vector<ContainerPtr> elements_;
};

/// Dict value; elements are kept sorted by key (ns3-gym sends them sorted).
class DictContainer final : public Container {
 public:
  SpaceType type() const override { return SpaceType::Dict; }
  std::string describe() const override;
  /// Replaces an existing element with the same key.
  void add(const std::string& key, ContainerPtr element) { elements_[key] = std::move(element); }
  /// Null when absent.
  ContainerPtr get(const std::string& key) const;
  const std::map<std::string, ContainerPtr>& elements() const { return elements_; }

 private:
  std::map<std::string, ContainerPtr> elements_;
};

}  // namespace bridge
