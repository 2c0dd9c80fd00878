// N-API bindings: typed arrays are used in place (their data pointers), every length is checked
// against the declared shape before any kernel reads or writes, and errors name the argument.
#include <napi.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mlp.h"
#include "projection.h"
#include "thread_pool.h"

namespace {

using ns3ts::Budget;

[[noreturn]] void fail(const Napi::Env& env, const std::string& message) { throw Napi::TypeError::New(env, message); }

std::int64_t integerArg(const Napi::CallbackInfo& info, size_t index, const char* name, std::int64_t min,
                        std::int64_t max) {
  if (index >= info.Length() || !info[index].IsNumber()) fail(info.Env(), std::string(name) + ": expected a number");
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= static_cast<double>(min) && value <= static_cast<double>(max)) || std::floor(value) != value) {
    fail(info.Env(), std::string(name) + ": got " + std::to_string(value) + ", expected an integer in [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<std::int64_t>(value);
}

int threadsArg(const Napi::CallbackInfo& info, size_t index) {
  if (index >= info.Length() || info[index].IsUndefined()) return 0;
  return static_cast<int>(integerArg(info, index, "threads", 0, 4096));
}

template <typename T>
T* typedArg(const Napi::CallbackInfo& info, size_t index, const char* name, std::int64_t length, bool exact = true) {
  const napi_typedarray_type wanted = std::is_same<T, float>::value ? napi_float32_array : napi_float64_array;
  const char* typeName = std::is_same<T, float>::value ? "Float32Array" : "Float64Array";
  if (index >= info.Length() || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != wanted) {
    fail(info.Env(), std::string(name) + ": expected a " + typeName + " of length " + std::to_string(length));
  }
  auto array = info[index].As<Napi::TypedArrayOf<T>>();
  const auto actual = static_cast<std::int64_t>(array.ElementLength());
  if (exact ? actual != length : actual < length) {
    fail(info.Env(), std::string(name) + ".length: got " + std::to_string(actual) + ", expected " + std::to_string(length));
  }
  return array.Data();
}

const std::int32_t* int32Arg(const Napi::CallbackInfo& info, size_t index, const char* name, std::int64_t length) {
  if (index >= info.Length() || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    fail(info.Env(), std::string(name) + ": expected an Int32Array of length " + std::to_string(length));
  }
  auto array = info[index].As<Napi::Int32Array>();
  const auto actual = static_cast<std::int64_t>(array.ElementLength());
  if (actual != length) {
    fail(info.Env(), std::string(name) + ".length: got " + std::to_string(actual) + ", expected " + std::to_string(length));
  }
  return array.Data();
}

bool isFloat64(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array;
}

Budget budgetArg(const Napi::CallbackInfo& info, size_t index, std::int64_t rows) {
  Budget budget;
  if (index >= info.Length() || info[index].IsUndefined()) return budget;
  if (info[index].IsNumber()) {
    budget.scalar = info[index].As<Napi::Number>().DoubleValue();
    if (!(budget.scalar >= 0) || !std::isfinite(budget.scalar)) fail(info.Env(), "budget: expected a finite number >= 0");
    return budget;
  }
  budget.values = typedArg<double>(info, index, "budget", rows);
  for (std::int64_t r = 0; r < rows; r++) {
    if (!(budget.values[r] >= 0) || !std::isfinite(budget.values[r])) {
      fail(info.Env(), "budget[" + std::to_string(r) + "]: expected a finite number >= 0");
    }
  }
  return budget;
}

class MlpWrap : public Napi::ObjectWrap<MlpWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Mlp",
                       {InstanceMethod<&MlpWrap::Forward>("forward"),
                        InstanceMethod<&MlpWrap::ForwardWithInputGradient>("forwardWithInputGradient"),
                        InstanceMethod<&MlpWrap::FirstLayerOffsets>("firstLayerOffsets"),
                        InstanceMethod<&MlpWrap::ForwardWithInputGradientFromOffsets>(
                            "forwardWithInputGradientFromOffsets"),
                        InstanceAccessor<&MlpWrap::FirstLayerSize>("firstLayerSize"),
                        InstanceAccessor<&MlpWrap::InputSize>("inputSize"),
                        InstanceAccessor<&MlpWrap::OutputSize>("outputSize")});
  }

  explicit MlpWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) fail(env, "layers: expected an array of dense layers");
    Napi::Array layers = info[0].As<Napi::Array>();
    std::vector<ns3ts::DenseLayerInput> inputs;
    for (uint32_t l = 0; l < layers.Length(); l++) {
      const std::string name = "layers[" + std::to_string(l) + "]";
      Napi::Value item = layers.Get(l);
      if (!item.IsObject()) fail(env, name + ": expected an object");
      Napi::Object layer = item.As<Napi::Object>();
      ns3ts::DenseLayerInput in{};
      for (const char* key : {"inSize", "outSize"}) {
        Napi::Value v = layer.Get(key);
        const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
        if (!(d >= 1 && d <= 1 << 20) || std::floor(d) != d) fail(env, name + "." + key + ": expected a positive integer");
        (std::string(key) == "inSize" ? in.inSize : in.outSize) = static_cast<int>(d);
      }
      Napi::Value weights = layer.Get("weights");
      Napi::Value bias = layer.Get("bias");
      const std::int64_t count = static_cast<std::int64_t>(in.inSize) * in.outSize;
      auto checkArray = [&](const Napi::Value& v, const std::string& field, std::int64_t length) -> const float* {
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
            static_cast<std::int64_t>(v.As<Napi::TypedArray>().ElementLength()) != length) {
          fail(env, name + "." + field + ": expected a Float32Array of length " + std::to_string(length));
        }
        return v.As<Napi::Float32Array>().Data();
      };
      in.weights = checkArray(weights, "weights", count);
      in.bias = checkArray(bias, "bias", in.outSize);
      Napi::Value activation = layer.Get("activation");
      if (!activation.IsString() || !ns3ts::parseActivation(activation.As<Napi::String>().Utf8Value(), &in.activation)) {
        fail(env, name + ".activation: expected one of linear, relu, tanh, sigmoid");
      }
      inputs.push_back(in);
    }
    try {
      mlp_ = std::make_unique<ns3ts::Mlp>(inputs);
    } catch (const std::invalid_argument& error) {
      fail(env, error.what());
    }
  }

 private:
  Napi::Value InputSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), mlp_->inputSize()); }
  Napi::Value OutputSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), mlp_->outputSize()); }

  // forward(input: Float32Array, batch, out: Float32Array, threads) -> -1 | first non-finite input index
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    const std::int64_t batch = integerArg(info, 1, "batch", 0, std::int64_t{1} << 40);
    const float* input = typedArg<float>(info, 0, "input", batch * mlp_->inputSize());
    float* out = typedArg<float>(info, 2, "out", batch * mlp_->outputSize());
    const int threads = threadsArg(info, 3);
    return Napi::Number::New(info.Env(), static_cast<double>(mlp_->forward(input, batch, out, threads)));
  }

  // forwardWithInputGradient(input, batch, output, gradient, inputIndex (-1 = all), outputIndex, threads)
  Napi::Value ForwardWithInputGradient(const Napi::CallbackInfo& info) {
    const std::int64_t batch = integerArg(info, 1, "batch", 0, std::int64_t{1} << 40);
    const int inputIndex = static_cast<int>(integerArg(info, 4, "inputIndex", -1, mlp_->inputSize() - 1));
    const int outputIndex = static_cast<int>(integerArg(info, 5, "outputIndex", 0, mlp_->outputSize() - 1));
    const float* input = typedArg<float>(info, 0, "input", batch * mlp_->inputSize());
    float* output = typedArg<float>(info, 2, "output", batch * mlp_->outputSize());
    float* gradient = typedArg<float>(info, 3, "gradient", inputIndex >= 0 ? batch : batch * mlp_->inputSize());
    const int threads = threadsArg(info, 6);
    return Napi::Number::New(info.Env(), static_cast<double>(mlp_->forwardWithInputGradient(
                                             input, batch, output, gradient, inputIndex, outputIndex, threads)));
  }

  Napi::Value FirstLayerSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), mlp_->firstLayerSize());
  }

  // firstLayerOffsets(templates, pairs, inputIndex, offsets, threads) -> -1 | first non-finite templates index
  Napi::Value FirstLayerOffsets(const Napi::CallbackInfo& info) {
    const std::int64_t pairs = integerArg(info, 1, "pairs", 0, std::int64_t{1} << 40);
    const int inputIndex = static_cast<int>(integerArg(info, 2, "inputIndex", 0, mlp_->inputSize() - 1));
    const float* templates = typedArg<float>(info, 0, "templates", pairs * mlp_->inputSize());
    float* offsets = typedArg<float>(info, 3, "offsets", pairs * mlp_->firstLayerSize());
    const int threads = threadsArg(info, 4);
    return Napi::Number::New(info.Env(),
                             static_cast<double>(mlp_->firstLayerOffsets(templates, pairs, inputIndex, offsets, threads)));
  }

  // forwardWithInputGradientFromOffsets(offsets, pairs, pairOf, x, batch, output, gradient, inputIndex,
  // outputIndex, threads) -> -1 | first row with a pairOf outside [0, pairs), a non-finite x or offsets row
  Napi::Value ForwardWithInputGradientFromOffsets(const Napi::CallbackInfo& info) {
    const std::int64_t pairs = integerArg(info, 1, "pairs", 0, std::int64_t{1} << 40);
    const std::int64_t batch = integerArg(info, 4, "batch", 0, std::int64_t{1} << 40);
    const int inputIndex = static_cast<int>(integerArg(info, 7, "inputIndex", 0, mlp_->inputSize() - 1));
    const int outputIndex = static_cast<int>(integerArg(info, 8, "outputIndex", 0, mlp_->outputSize() - 1));
    const float* offsets = typedArg<float>(info, 0, "offsets", pairs * mlp_->firstLayerSize());
    const std::int32_t* pairOf = int32Arg(info, 2, "pairOf", batch);
    const float* x = typedArg<float>(info, 3, "x", batch);
    float* output = typedArg<float>(info, 5, "output", batch * mlp_->outputSize());
    float* gradient = typedArg<float>(info, 6, "gradient", batch);
    const int threads = threadsArg(info, 9);
    // The kernel checks each row's pairOf against [0, pairs) before it reads that row's offsets.
    return Napi::Number::New(info.Env(), static_cast<double>(mlp_->forwardWithInputGradientFromOffsets(
                                             offsets, pairs, pairOf, x, batch, output, gradient, inputIndex,
                                             outputIndex, threads)));
  }

  std::unique_ptr<ns3ts::Mlp> mlp_;
};

// projectSimplexBatch(values, rows, cols, budget, out, equality, threads)
template <typename T>
void projectSimplexTyped(const Napi::CallbackInfo& info, std::int64_t rows, int cols) {
  const T* values = typedArg<T>(info, 0, "values", rows * cols);
  const Budget budget = budgetArg(info, 3, rows);
  T* out = typedArg<T>(info, 4, "out", rows * cols);
  const bool equality = info.Length() > 5 && info[5].ToBoolean().Value();
  ns3ts::projectSimplexBatch<T>(values, rows, cols, budget, out, equality, threadsArg(info, 6));
}

Napi::Value ProjectSimplexBatch(const Napi::CallbackInfo& info) {
  const std::int64_t rows = integerArg(info, 1, "rows", 0, std::int64_t{1} << 40);
  const int cols = static_cast<int>(integerArg(info, 2, "cols", 0, 1 << 20));
  if (info.Length() > 0 && isFloat64(info[0])) projectSimplexTyped<double>(info, rows, cols);
  else projectSimplexTyped<float>(info, rows, cols);
  return info.Env().Undefined();
}

// projectBoxSimplexBatch(values, lower, upper, rows, cols, budget, out, threads)
template <typename T>
void projectBoxTyped(const Napi::CallbackInfo& info, std::int64_t rows, int cols) {
  const T* values = typedArg<T>(info, 0, "values", rows * cols);
  const T* bounds[2];
  int strides[2];
  const char* names[2] = {"lower", "upper"};
  for (int b = 0; b < 2; b++) {
    const T* data = typedArg<T>(info, 1 + b, names[b], cols, false);
    const auto length = static_cast<std::int64_t>(info[1 + b].As<Napi::TypedArray>().ElementLength());
    if (length != cols && length != rows * cols) {
      fail(info.Env(), std::string(names[b]) + ".length: got " + std::to_string(length) + ", expected " +
                           std::to_string(cols) + " or " + std::to_string(rows * cols));
    }
    bounds[b] = data;
    strides[b] = length == cols ? 0 : cols;
  }
  const Budget budget = budgetArg(info, 5, rows);
  T* out = typedArg<T>(info, 6, "out", rows * cols);
  // The kernel's breakpoint scan assumes finite floors at or below the caps; check before reading.
  const std::int64_t boundRows = strides[0] == 0 && strides[1] == 0 ? std::min<std::int64_t>(rows, 1) : rows;
  for (std::int64_t r = 0; r < boundRows; r++) {
    for (int c = 0; c < cols; c++) {
      const double l = bounds[0][r * strides[0] + c];
      const double u = bounds[1][r * strides[1] + c];
      if (!std::isfinite(l)) fail(info.Env(), "lower[" + std::to_string(r * strides[0] + c) + "]: expected a finite number");
      if (!(u >= l)) fail(info.Env(), "upper[" + std::to_string(r * strides[1] + c) + "]: expected a number >= its floor");
    }
  }
  ns3ts::projectBoxSimplexBatch<T>(values, bounds[0], strides[0], bounds[1], strides[1], rows, cols, budget, out,
                                   threadsArg(info, 7));
}

Napi::Value ProjectBoxSimplexBatch(const Napi::CallbackInfo& info) {
  const std::int64_t rows = integerArg(info, 3, "rows", 0, std::int64_t{1} << 40);
  const int cols = static_cast<int>(integerArg(info, 4, "cols", 0, 1 << 20));
  if (info.Length() > 0 && isFloat64(info[0])) projectBoxTyped<double>(info, rows, cols);
  else projectBoxTyped<float>(info, rows, cols);
  return info.Env().Undefined();
}

// admmZDualBatch(x, u, z, rows, cols, budget, rho, primal, dual, threads)
template <typename T>
void admmTyped(const Napi::CallbackInfo& info, std::int64_t rows, int cols) {
  const T* x = typedArg<T>(info, 0, "x", rows * cols);
  T* u = typedArg<T>(info, 1, "u", rows * cols);
  T* z = typedArg<T>(info, 2, "z", rows * cols);
  const Budget budget = budgetArg(info, 5, rows);
  if (info.Length() <= 6 || !info[6].IsNumber()) fail(info.Env(), "rho: expected a number > 0");
  const double rho = info[6].As<Napi::Number>().DoubleValue();
  if (!(rho > 0) || !std::isfinite(rho)) fail(info.Env(), "rho: expected a finite number > 0");
  double* primal = typedArg<double>(info, 7, "primalResidual", rows);
  double* dual = typedArg<double>(info, 8, "dualResidual", rows);
  ns3ts::admmZDualBatch<T>(x, u, z, rows, cols, budget, rho, primal, dual, threadsArg(info, 9));
}

Napi::Value AdmmZDualBatch(const Napi::CallbackInfo& info) {
  const std::int64_t rows = integerArg(info, 3, "rows", 0, std::int64_t{1} << 40);
  const int cols = static_cast<int>(integerArg(info, 4, "cols", 0, 1 << 20));
  if (info.Length() > 0 && isFloat64(info[0])) admmTyped<double>(info, rows, cols);
  else admmTyped<float>(info, rows, cols);
  return info.Env().Undefined();
}

Napi::Value Kernel(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ns3ts::matmulKernelName()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "1.0.0"));
  exports.Set("hardwareThreads", Napi::Number::New(env, ns3ts::ThreadPool::instance().capacity()));
  exports.Set("kernel", Napi::Function::New(env, Kernel, "kernel"));
  exports.Set("Mlp", MlpWrap::Define(env));
  exports.Set("projectSimplexBatch", Napi::Function::New(env, ProjectSimplexBatch, "projectSimplexBatch"));
  exports.Set("projectBoxSimplexBatch", Napi::Function::New(env, ProjectBoxSimplexBatch, "projectBoxSimplexBatch"));
  exports.Set("admmZDualBatch", Napi::Function::New(env, AdmmZDualBatch, "admmZDualBatch"));
  return exports;
}

}  // namespace

NODE_API_MODULE(ns3ts_native, Init)
