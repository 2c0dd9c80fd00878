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
#include "thread_pool.h"

namespace {

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

Napi::Value Kernel(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ns3ts::matmulKernelName()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "1.0.0"));
  exports.Set("hardwareThreads", Napi::Number::New(env, ns3ts::ThreadPool::instance().capacity()));
  exports.Set("kernel", Napi::Function::New(env, Kernel, "kernel"));
  exports.Set("Mlp", MlpWrap::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(ns3ts_native, Init)
