#include "ns3ts-bridge/containers.h"

#include <sstream>

#include "ns3ts-bridge/error.h"

namespace bridge {

std::string DiscreteContainer::describe() const { return std::to_string(value_); }

BoxContainer::BoxContainer(ElementType element, std::vector<uint32_t> shape)
    : element_(element), shape_(std::move(shape)) {}

std::size_t BoxContainer::size() const {
  switch (element_.dtype) {
    case Dtype::Int: return ints_.size();
    case Dtype::UInt: return uints_.size();
    case Dtype::Float: return floats_.size();
    case Dtype::Double: return doubles_.size();
    default: return 0;
  }
}

double BoxContainer::valueAsDouble(std::size_t i) const {
  if (i >= size())
    throw Error("Box index: got " + std::to_string(i) + ", expected < " + std::to_string(size()));
  switch (element_.dtype) {
    case Dtype::Int: return static_cast<double>(ints_[i]);
    case Dtype::UInt: return static_cast<double>(uints_[i]);
    case Dtype::Float: return static_cast<double>(floats_[i]);
    default: return doubles_[i];
  }
}

std::vector<double> BoxContainer::valuesAsDouble() const {
  std::vector<double> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = valueAsDouble(i);
  return out;
}

std::string BoxContainer::describe() const {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < size(); ++i) {
    if (i) out << ", ";
    if (element_.dtype == Dtype::Int) out << ints_[i];
    else if (element_.dtype == Dtype::UInt) out << uints_[i];
    else out << valueAsDouble(i);
  }
  out << "]";
  return out.str();
}

std::string TupleContainer::describe() const {
  std::string out = "(";
  for (std::size_t i = 0; i < elements_.size(); ++i)
    out += (i ? ", " : "") + (elements_[i] ? elements_[i]->describe() : std::string("null"));
  return out + ")";
}

ContainerPtr DictContainer::get(const std::string& key) const {
  auto it = elements_.find(key);
  return it == elements_.end() ? nullptr : it->second;
}

std::string DictContainer::describe() const {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : elements_) {
    out += (first ? "" : ", ") + key + ": " + (value ? value->describe() : std::string("null"));
    first = false;
  }
  return out + "}";
}

}  // namespace bridge
