#include "ns3ts-bridge/spaces.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ns3ts-bridge/error.h"

namespace bridge {

namespace {

std::string shapeText(const std::vector<uint32_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << "]";
  return out.str();
}

uint64_t shapeSize(const std::vector<uint32_t>& shape) {
  uint64_t n = 1;
  for (uint32_t d : shape) n *= d;
  return n;
}

void checkElement(ElementType element) {
  if (element.dtype == Dtype::None)
    throw Error("Box dtype: got NoDType, expected INT, UINT, FLOAT or DOUBLE");
  if (element.bits != 8 && element.bits != 16 && element.bits != 32 && element.bits != 64)
    throw Error("Box element bits: got " + std::to_string(element.bits) + ", expected 8, 16, 32 or 64");
}

}  // namespace

ElementType elementTypeFromName(const std::string& name) {
  struct Entry {
    const char* name;
    Dtype dtype;
    uint32_t bits;
  };
  static const Entry table[] = {
      {"int8_t", Dtype::Int, 8},       {"int16_t", Dtype::Int, 16},    {"int32_t", Dtype::Int, 32},
      {"int64_t", Dtype::Int, 64},     {"uint8_t", Dtype::UInt, 8},    {"uint16_t", Dtype::UInt, 16},
      {"uint32_t", Dtype::UInt, 32},   {"uint64_t", Dtype::UInt, 64},  {"float", Dtype::Float, 32},
      {"double", Dtype::Double, 64},   {"int8", Dtype::Int, 8},        {"int16", Dtype::Int, 16},
      {"int32", Dtype::Int, 32},       {"int64", Dtype::Int, 64},      {"uint8", Dtype::UInt, 8},
      {"uint16", Dtype::UInt, 16},     {"uint32", Dtype::UInt, 32},    {"uint64", Dtype::UInt, 64},
      {"float32", Dtype::Float, 32},   {"float64", Dtype::Double, 64}, {"int", Dtype::Int, 32},
      {"unsigned int", Dtype::UInt, 32}, {"long", Dtype::Int, 64},     {"unsigned long", Dtype::UInt, 64},
      {"long long", Dtype::Int, 64},   {"unsigned long long", Dtype::UInt, 64},
      {"char", Dtype::Int, 8},         {"signed char", Dtype::Int, 8}, {"unsigned char", Dtype::UInt, 8},
      {"short", Dtype::Int, 16},       {"unsigned short", Dtype::UInt, 16},
  };
  for (const Entry& e : table)
    if (name == e.name) return ElementType{e.dtype, e.bits};
  throw Error("Box dtype: got \"" + name +
              "\", expected a type name such as int8_t..int64_t, uint8_t..uint64_t, float or double");
}

const char* dtypeName(Dtype dtype) {
  switch (dtype) {
    case Dtype::Int: return "INT";
    case Dtype::UInt: return "UINT";
    case Dtype::Float: return "FLOAT";
    case Dtype::Double: return "DOUBLE";
    default: return "NoDType";
  }
}

const char* spaceTypeName(SpaceType type) {
  switch (type) {
    case SpaceType::Discrete: return "Discrete";
    case SpaceType::Box: return "Box";
    case SpaceType::Tuple: return "Tuple";
    case SpaceType::Dict: return "Dict";
    default: return "NoSpaceType";
  }
}

DiscreteSpace::DiscreteSpace(int32_t n) : n_(n) {
  if (n < 1) throw Error("Discrete n: got " + std::to_string(n) + ", expected an integer >= 1");
}

std::string DiscreteSpace::describe() const { return "Discrete(" + std::to_string(n_) + ")"; }

BoxSpace::BoxSpace(double low, double high, std::vector<uint32_t> shape, ElementType element)
    : low_(low), high_(high), shape_(std::move(shape)), element_(element) {
  checkElement(element_);
  if (std::isnan(low) || std::isnan(high) || low > high) {
    std::ostringstream out;
    out << "Box bounds: got low=" << low << " high=" << high << ", expected low <= high";
    throw Error(out.str());
  }
}

BoxSpace::BoxSpace(std::vector<double> lows, std::vector<double> highs, std::vector<uint32_t> shape,
                   ElementType element)
    : low_(0), high_(0), lows_(std::move(lows)), highs_(std::move(highs)), shape_(std::move(shape)),
      element_(element) {
  checkElement(element_);
  const uint64_t n = shapeSize(shape_);
  if (lows_.size() != n || highs_.size() != n)
    throw Error("Box per-dimension bounds: got " + std::to_string(lows_.size()) + " lows and " +
                std::to_string(highs_.size()) + " highs, expected " + std::to_string(n) +
                " of each (the product of shape " + shapeText(shape_) + ")");
  if (n == 0) throw Error("Box per-dimension bounds: shape " + shapeText(shape_) + " has no elements");
  for (uint64_t i = 0; i < n; ++i) {
    if (std::isnan(lows_[i]) || std::isnan(highs_[i]) || lows_[i] > highs_[i]) {
      std::ostringstream out;
      out << "Box bounds[" << i << "]: got low=" << lows_[i] << " high=" << highs_[i]
          << ", expected low <= high";
      throw Error(out.str());
    }
  }
  low_ = *std::min_element(lows_.begin(), lows_.end());
  high_ = *std::max_element(highs_.begin(), highs_.end());
}

uint64_t BoxSpace::size() const { return shapeSize(shape_); }

std::string BoxSpace::describe() const {
  std::ostringstream out;
  out << "Box(low=" << low_ << ", high=" << high_ << ", shape=" << shapeText(shape_)
      << ", dtype=" << dtypeName(element_.dtype) << element_.bits
      << (lows_.empty() ? "" : ", per-dimension bounds") << ")";
  return out.str();
}

void TupleSpace::add(SpacePtr element) {
  if (!element) throw Error("Tuple element: got null, expected a space");
  elements_.push_back(std::move(element));
}

std::string TupleSpace::describe() const {
  std::string out = "Tuple(";
  for (std::size_t i = 0; i < elements_.size(); ++i) out += (i ? ", " : "") + elements_[i]->describe();
  return out + ")";
}

void DictSpace::add(const std::string& key, SpacePtr element) {
  if (!element) throw Error("Dict element \"" + key + "\": got null, expected a space");
  if (!elements_.emplace(key, std::move(element)).second)
    throw Error("Dict key: got \"" + key + "\" twice, expected unique keys");
}

std::string DictSpace::describe() const {
  std::string out = "Dict(";
  bool first = true;
  for (const auto& [key, space] : elements_) {
    out += (first ? "" : ", ") + key + ": " + space->describe();
    first = false;
  }
  return out + ")";
}

}  // namespace bridge
