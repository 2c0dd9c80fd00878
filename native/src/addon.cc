// N-API bindings: typed arrays are used in place (their data pointers), every length is checked
// against the declared shape before any kernel reads or writes, and errors name the argument.
#include <napi.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gemm.h"
#include "mlp.h"
#include "qmlp.h"
#include "thread_pool.h"
#include "trainer.h"
#ifdef NS3TS_WITH_ZMQ
#include "zmq_router.h"
#endif

namespace {

[[noreturn]] void fail(const Napi::Env& env, const std::string& message) { throw Napi::TypeError::New(env, message); }

// layers[l] of a layer-list argument: the object and its inSize/outSize (positive integers up to
// 2^20), with errors naming the field. Both the trainer and the int8 runner take layers this way.
Napi::Object denseLayerArg(const Napi::Env& env, const Napi::Array& layers, uint32_t l, int* inSize, int* outSize) {
  const std::string name = "layers[" + std::to_string(l) + "]";
  Napi::Value item = layers.Get(l);
  if (!item.IsObject()) fail(env, name + ": expected an object");
  Napi::Object layer = item.As<Napi::Object>();
  for (const char* key : {"inSize", "outSize"}) {
    Napi::Value v = layer.Get(key);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 1 << 20) || std::floor(d) != d) fail(env, name + "." + key + ": expected a positive integer");
    *(std::string(key) == "inSize" ? inSize : outSize) = static_cast<int>(d);
  }
  return layer;
}

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


std::string nonFinite(const std::string& field, std::int64_t index, float value) {
  return field + "[" + std::to_string(index) + "]: got " + (std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity") +
         ", expected a finite number";
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
                        InstanceMethod<&MlpWrap::SetWeights>("setWeights"),
                        InstanceAccessor<&MlpWrap::FirstLayerSize>("firstLayerSize"),
                        InstanceAccessor<&MlpWrap::InputSize>("inputSize"),
                        InstanceAccessor<&MlpWrap::OutputSize>("outputSize")});
  }

  // The dense layers of a constructor or setWeights call: pointers into the caller's Float32Arrays,
  // valid for the call.
  static std::vector<ns3ts::DenseLayerInput> parseLayers(Napi::Env env, const Napi::Value& value) {
    if (!value.IsArray()) fail(env, "layers: expected an array of dense layers");
    Napi::Array layers = value.As<Napi::Array>();
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
    return inputs;
  }

  explicit MlpWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpWrap>(info) {
    Napi::Env env = info.Env();
    const std::vector<ns3ts::DenseLayerInput> inputs = parseLayers(env, info.Length() < 1 ? env.Undefined() : info[0]);
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

  // setWeights(layers): the same layer sizes and activations, new values, in place.
  void SetWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<ns3ts::DenseLayerInput> inputs = parseLayers(env, info.Length() < 1 ? env.Undefined() : info[0]);
    try {
      mlp_->setWeights(inputs);
    } catch (const std::invalid_argument& error) {
      fail(env, error.what());
    }
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

// The training engine: the state buffers (params, grads, Adam moments, step) and the visible work
// buffers are ArrayBuffers owned by JavaScript (held here by references, so they outlive the
// trainer's use of them); the activations and deltas are preallocated here for maxBatch rows.
class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MlpTrainer",
                       {InstanceMethod<&TrainerWrap::Forward>("forward"),
                        InstanceMethod<&TrainerWrap::Loss>("loss"),
                        InstanceMethod<&TrainerWrap::Backward>("backward"),
                        InstanceMethod<&TrainerWrap::ZeroGradients>("zeroGradients"),
                        InstanceMethod<&TrainerWrap::ClipGradientNorm>("clipGradientNorm"),
                        InstanceMethod<&TrainerWrap::AdamStep>("adamStep"),
                        InstanceMethod<&TrainerWrap::SoftUpdate>("softUpdate"),
                        InstanceAccessor<&TrainerWrap::Batch>("batch")});
  }

  // new MlpTrainer(layers: {inSize, outSize, activation}[], maxBatch, buffers)
  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArray() || !info[2].IsObject()) {
      fail(env, "MlpTrainer: expected (layers, maxBatch, buffers)");
    }
    Napi::Array layers = info[0].As<Napi::Array>();
    std::vector<ns3ts::TrainerLayerShape> shapes;
    for (uint32_t l = 0; l < layers.Length(); l++) {
      const std::string name = "layers[" + std::to_string(l) + "]";
      ns3ts::TrainerLayerShape shape{};
      Napi::Object layer = denseLayerArg(env, layers, l, &shape.inSize, &shape.outSize);
      Napi::Value activation = layer.Get("activation");
      if (!activation.IsString() || !ns3ts::parseActivation(activation.As<Napi::String>().Utf8Value(), &shape.activation)) {
        fail(env, name + ".activation: expected one of linear, relu, tanh, sigmoid");
      }
      shapes.push_back(shape);
    }
    const int maxBatch = static_cast<int>(integerArg(info, 1, "maxBatch", 1, 1 << 22));
    if (shapes.empty()) fail(env, "layers.length: got 0, expected at least one dense layer");
    const std::int64_t params = static_cast<std::int64_t>(ns3ts::MlpTrainer::parameterCount(shapes));
    const std::int64_t outputs = static_cast<std::int64_t>(maxBatch) * shapes.back().outSize;
    const std::int64_t inputs = static_cast<std::int64_t>(maxBatch) * shapes.front().inSize;
    Napi::Object given = info[2].As<Napi::Object>();
    auto buffer = [&](const char* key, napi_typedarray_type type, std::int64_t length) -> void* {
      Napi::Value v = given.Get(key);
      const bool isFloat32 = type == napi_float32_array;
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type ||
          static_cast<std::int64_t>(v.As<Napi::TypedArray>().ElementLength()) != length) {
        fail(env, std::string("buffers.") + key + ": expected a " + (isFloat32 ? "Float32Array" : "Float64Array") +
                      " of length " + std::to_string(length));
      }
      held_.push_back(Napi::Persistent(v.As<Napi::Object>()));
      Napi::TypedArray array = v.As<Napi::TypedArray>();
      return static_cast<char*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    };
    ns3ts::TrainerBuffers b{};
    b.params = static_cast<float*>(buffer("params", napi_float32_array, params));
    b.grads = static_cast<float*>(buffer("grads", napi_float32_array, params));
    b.adamM = static_cast<float*>(buffer("adamM", napi_float32_array, params));
    b.adamV = static_cast<float*>(buffer("adamV", napi_float32_array, params));
    b.step = static_cast<double*>(buffer("step", napi_float64_array, 1));
    b.output = static_cast<float*>(buffer("output", napi_float32_array, outputs));
    b.outputGradient = static_cast<float*>(buffer("outputGradient", napi_float32_array, outputs));
    b.inputGradient = static_cast<float*>(buffer("inputGradient", napi_float32_array, inputs));
    try {
      trainer_ = std::make_unique<ns3ts::MlpTrainer>(shapes, maxBatch, b);
    } catch (const std::invalid_argument& error) {
      fail(env, error.what());
    }
  }

 private:
  Napi::Value Batch(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), trainer_->batch()); }

  // forward(input, batch, threads): output into buffers.output
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    const int batch = static_cast<int>(integerArg(info, 1, "batch", 1, trainer_->maxBatch()));
    const float* input = typedArg<float>(info, 0, "input", static_cast<std::int64_t>(batch) * trainer_->inputSize());
    const std::int64_t bad = trainer_->forward(input, batch, threadsArg(info, 2));
    if (bad >= 0) fail(info.Env(), nonFinite("input", bad, input[bad]));
    return info.Env().Undefined();
  }

  // loss(kind: 0 = mse | 1 = huber, target, huberDelta) -> mean loss; dLoss/dOutput into buffers.outputGradient
  Napi::Value Loss(const Napi::CallbackInfo& info) {
    if (trainer_->batch() == 0) fail(info.Env(), "loss: no forward pass yet, expected forward(input) first");
    const int kind = static_cast<int>(integerArg(info, 0, "kind", 0, 1));
    const float* target =
        typedArg<float>(info, 1, "target", static_cast<std::int64_t>(trainer_->batch()) * trainer_->outputSize());
    const double delta = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 1.0;
    std::int64_t bad = -1;
    const double value = trainer_->loss(kind == 0 ? ns3ts::LossKind::Mse : ns3ts::LossKind::Huber, target, delta, &bad);
    if (bad >= 0) fail(info.Env(), nonFinite("target", bad, target[bad]));
    return Napi::Number::New(info.Env(), value);
  }

  // backward(gradOutput, weights, accumulate, input, threads)
  Napi::Value Backward(const Napi::CallbackInfo& info) {
    if (trainer_->batch() == 0) fail(info.Env(), "backward: no forward pass yet, expected forward(input) first");
    const float* gradOutput = typedArg<float>(info, 0, "gradOutput",
                                              static_cast<std::int64_t>(trainer_->batch()) * trainer_->outputSize(), false);
    const bool weights = info[1].ToBoolean();
    const bool accumulate = info[2].ToBoolean();
    const int inputSize = trainer_->inputSize();
    const int inputFrom = static_cast<int>(integerArg(info, 3, "inputFrom", 0, inputSize));
    const int inputCount = static_cast<int>(integerArg(info, 4, "inputCount", 0, inputSize - inputFrom));
    const std::int64_t bad = trainer_->backward(gradOutput, weights, accumulate, inputFrom, inputCount, threadsArg(info, 5));
    if (bad >= 0) fail(info.Env(), nonFinite("gradOutput", bad, gradOutput[bad]));
    return info.Env().Undefined();
  }

  Napi::Value ZeroGradients(const Napi::CallbackInfo& info) {
    trainer_->zeroGradients();
    return info.Env().Undefined();
  }

  Napi::Value ClipGradientNorm(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), trainer_->clipGradientNorm(info[0].As<Napi::Number>().DoubleValue()));
  }

  // adamStep(learningRate, beta1, beta2, epsilon, weightDecay, decoupled)
  Napi::Value AdamStep(const Napi::CallbackInfo& info) {
    ns3ts::AdamConfig c{};
    c.learningRate = info[0].As<Napi::Number>().DoubleValue();
    c.beta1 = info[1].As<Napi::Number>().DoubleValue();
    c.beta2 = info[2].As<Napi::Number>().DoubleValue();
    c.epsilon = info[3].As<Napi::Number>().DoubleValue();
    c.weightDecay = info[4].As<Napi::Number>().DoubleValue();
    c.decoupled = info[5].ToBoolean();
    trainer_->adamStep(c);
    return info.Env().Undefined();
  }

  // softUpdate(source: Float32Array of the parameter count, tau)
  Napi::Value SoftUpdate(const Napi::CallbackInfo& info) {
    const float* source = typedArg<float>(info, 0, "source", static_cast<std::int64_t>(trainer_->parameterCount()));
    trainer_->softUpdate(source, info[1].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  }

  std::unique_ptr<ns3ts::MlpTrainer> trainer_;
  std::vector<Napi::ObjectReference> held_;

 public:
  ns3ts::MlpTrainer& trainer() { return *trainer_; }
};

// Per-environment data: the trainer class, so trainJobs can tell its instances from other objects.
struct AddonData {
  Napi::FunctionReference trainerClass;
};

// trainJobs(jobs, threads) -> Float64Array of the jobs' losses (NaN for a forward only). A job is
// {trainer, input, batch, target?, loss?: 0 = mse | 1 = huber, huberDelta?, clipNorm?,
// adam?: Float64Array [learningRate, beta1, beta2, epsilon, weightDecay, decoupled]} (adam is
// required with a target); the trainers must be distinct. See runTrainerJobs in trainer.h.
Napi::Value TrainJobs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) fail(env, "jobs: expected an array of trainer jobs");
  Napi::Array given = info[0].As<Napi::Array>();
  const int threads = threadsArg(info, 1);
  Napi::Function trainerClass = env.GetInstanceData<AddonData>()->trainerClass.Value();
  std::vector<ns3ts::TrainerJob> jobs(given.Length());
  auto floats = [&](Napi::Value v, const std::string& name, std::int64_t length) -> const float* {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      fail(env, name + ": expected a Float32Array of length " + std::to_string(length));
    }
    auto array = v.As<Napi::Float32Array>();
    if (static_cast<std::int64_t>(array.ElementLength()) != length) {
      fail(env, name + ".length: got " + std::to_string(array.ElementLength()) + ", expected " + std::to_string(length));
    }
    return array.Data();
  };
  for (uint32_t j = 0; j < given.Length(); j++) {
    const std::string name = "jobs[" + std::to_string(j) + "]";
    if (!given.Get(j).IsObject()) fail(env, name + ": expected an object");
    Napi::Object job = given.Get(j).As<Napi::Object>();
    Napi::Value trainer = job.Get("trainer");
    if (!trainer.IsObject() || !trainer.As<Napi::Object>().InstanceOf(trainerClass)) {
      fail(env, name + ".trainer: expected a native MlpTrainer");
    }
    ns3ts::TrainerJob& out = jobs[j];
    out.trainer = &TrainerWrap::Unwrap(trainer.As<Napi::Object>())->trainer();
    for (uint32_t k = 0; k < j; k++) {
      if (jobs[k].trainer == out.trainer) fail(env, name + ".trainer: the trainer of jobs[" + std::to_string(k) + "], expected distinct trainers");
    }
    Napi::Value batch = job.Get("batch");
    const double rows = batch.IsNumber() ? batch.As<Napi::Number>().DoubleValue() : 0;
    if (!(rows >= 1 && rows <= out.trainer->maxBatch()) || std::floor(rows) != rows) {
      fail(env, name + ".batch: expected an integer in [1, " + std::to_string(out.trainer->maxBatch()) + "] (maxBatch)");
    }
    out.batch = static_cast<int>(rows);
    out.input = floats(job.Get("input"), name + ".input", static_cast<std::int64_t>(out.batch) * out.trainer->inputSize());
    Napi::Value target = job.Get("target");
    if (target.IsUndefined()) continue;
    out.target = floats(target, name + ".target", static_cast<std::int64_t>(out.batch) * out.trainer->outputSize());
    Napi::Value loss = job.Get("loss");
    out.loss = loss.IsNumber() && loss.As<Napi::Number>().Int32Value() == 1 ? ns3ts::LossKind::Huber : ns3ts::LossKind::Mse;
    Napi::Value delta = job.Get("huberDelta");
    out.huberDelta = delta.IsNumber() ? delta.As<Napi::Number>().DoubleValue() : 1.0;
    Napi::Value clip = job.Get("clipNorm");
    out.clipNorm = clip.IsNumber() ? clip.As<Napi::Number>().DoubleValue() : 0.0;
    Napi::Value adam = job.Get("adam");
    if (!adam.IsTypedArray() || adam.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        adam.As<Napi::TypedArray>().ElementLength() != 6) {
      fail(env, name + ".adam: expected a Float64Array [learningRate, beta1, beta2, epsilon, weightDecay, decoupled]");
    }
    const double* a = adam.As<Napi::Float64Array>().Data();
    out.adam = ns3ts::AdamConfig{a[0], a[1], a[2], a[3], a[4], a[5] != 0};
  }
  if (!jobs.empty()) ns3ts::runTrainerJobs(jobs.data(), static_cast<int>(jobs.size()), threads);
  Napi::Float64Array losses = Napi::Float64Array::New(env, jobs.size());
  for (std::size_t j = 0; j < jobs.size(); j++) {
    const ns3ts::TrainerJob& job = jobs[j];
    const std::string name = "jobs[" + std::to_string(j) + "]";
    if (job.badInput >= 0) fail(env, nonFinite(name + ".input", job.badInput, job.input[job.badInput]));
    if (job.badTarget >= 0) fail(env, nonFinite(name + ".target", job.badTarget, job.target[job.badTarget]));
    losses[j] = job.lossValue;
  }
  return losses;
}

// QuantizedMlp(layers, kernel?): int8 inference (qmlp.h); `kernel` names an int8 kernel
// ("portable", "avx2", "avx512-vnni"), default the best this CPU runs.
class QuantizedMlpWrap : public Napi::ObjectWrap<QuantizedMlpWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "QuantizedMlp",
                       {InstanceMethod<&QuantizedMlpWrap::Forward>("forward"),
                        InstanceAccessor<&QuantizedMlpWrap::KernelName>("kernel")});
  }

  explicit QuantizedMlpWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<QuantizedMlpWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) fail(env, "layers: expected an array of quantized dense layers");
    ns3ts::Int8Kernel kernel = ns3ts::bestInt8Kernel();
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      if (!info[1].IsString() || !ns3ts::parseInt8Kernel(info[1].As<Napi::String>().Utf8Value(), &kernel)) {
        fail(env, "kernel: expected one of portable, avx2, avx512-vnni");
      }
    }
    Napi::Array layers = info[0].As<Napi::Array>();
    std::vector<ns3ts::QuantizedLayerInput> inputs;
    for (uint32_t l = 0; l < layers.Length(); l++) {
      const std::string name = "layers[" + std::to_string(l) + "]";
      ns3ts::QuantizedLayerInput in{};
      Napi::Object layer = denseLayerArg(env, layers, l, &in.inSize, &in.outSize);
      const auto floats = [&](const char* field, std::int64_t length) -> const float* {
        Napi::Value v = layer.Get(field);
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
            static_cast<std::int64_t>(v.As<Napi::TypedArray>().ElementLength()) != length) {
          fail(env, name + "." + field + ": expected a Float32Array of length " + std::to_string(length));
        }
        return v.As<Napi::Float32Array>().Data();
      };
      Napi::Value weights = layer.Get("weights");
      const std::int64_t count = static_cast<std::int64_t>(in.inSize) * in.outSize;
      if (!weights.IsTypedArray() || weights.As<Napi::TypedArray>().TypedArrayType() != napi_int8_array ||
          static_cast<std::int64_t>(weights.As<Napi::TypedArray>().ElementLength()) != count) {
        fail(env, name + ".weights: expected an Int8Array of length " + std::to_string(count));
      }
      in.weights = weights.As<Napi::Int8Array>().Data();
      in.weightScales = floats("weightScales", in.outSize);
      in.bias = floats("bias", in.outSize);
      in.inputScales = floats("inputScales", in.inSize);
      Napi::Value activation = layer.Get("activation");
      if (!activation.IsString() || !ns3ts::parseActivation(activation.As<Napi::String>().Utf8Value(), &in.activation)) {
        fail(env, name + ".activation: expected one of linear, relu, tanh, sigmoid");
      }
      inputs.push_back(in);
    }
    try {
      mlp_ = std::make_unique<ns3ts::QuantizedMlp>(inputs, kernel);
    } catch (const std::invalid_argument& error) {
      fail(env, error.what());
    }
  }

 private:
  Napi::Value KernelName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), ns3ts::int8KernelName(mlp_->kernel()));
  }

  // forward(input, batch, out, threads) -> -1 or the first non-finite input index.
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    const std::int64_t batch = integerArg(info, 1, "batch", 0, std::int64_t{1} << 40);
    const float* input = typedArg<float>(info, 0, "input", batch * mlp_->inputSize());
    float* out = typedArg<float>(info, 2, "out", batch * mlp_->outputSize());
    const int threads = threadsArg(info, 3);
    return Napi::Number::New(info.Env(), static_cast<double>(mlp_->forward(input, batch, out, threads)));
  }

  std::unique_ptr<ns3ts::QuantizedMlp> mlp_;
};

Napi::Value Kernel(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), ns3ts::matmulKernelName()); }

Napi::Value Int8KernelName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ns3ts::int8KernelName(ns3ts::bestInt8Kernel()));
}

// mlpLibraryThreshold(rows?, width?) -> {rows, width}: from which batch and layer width Mlp takes its
// products from the library; sets them first when given.
Napi::Value MlpLibraryThreshold(const Napi::CallbackInfo& info) {
  ns3ts::MlpLibraryThreshold threshold = ns3ts::mlpLibraryThreshold();
  if (info.Length() > 0 && !info[0].IsUndefined()) threshold.rows = integerArg(info, 0, "rows", 0, std::int64_t{1} << 40);
  if (info.Length() > 1 && !info[1].IsUndefined()) threshold.width = static_cast<int>(integerArg(info, 1, "width", 0, 1 << 20));
  ns3ts::setMlpLibraryThreshold(threshold);
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("rows", Napi::Number::New(info.Env(), static_cast<double>(threshold.rows)));
  result.Set("width", Napi::Number::New(info.Env(), threshold.width));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "1.0.0"));
  exports.Set("hardwareThreads", Napi::Number::New(env, ns3ts::ThreadPool::instance().capacity()));
  exports.Set("kernel", Napi::Function::New(env, Kernel, "kernel"));
  exports.Set("Mlp", MlpWrap::Define(env));
  Napi::Function trainerClass = TrainerWrap::Define(env);
  env.SetInstanceData(new AddonData{Napi::Persistent(trainerClass)});
  exports.Set("MlpTrainer", trainerClass);
  exports.Set("trainJobs", Napi::Function::New(env, TrainJobs, "trainJobs"));
  exports.Set("gemmBackend", Napi::String::New(env, ns3ts::gemmBackendName()));
  exports.Set("mlpLibraryThreshold", Napi::Function::New(env, MlpLibraryThreshold, "mlpLibraryThreshold"));
  exports.Set("QuantizedMlp", QuantizedMlpWrap::Define(env));
  exports.Set("int8Kernel", Napi::Function::New(env, Int8KernelName, "int8Kernel"));
#ifdef NS3TS_WITH_ZMQ
  exports.Set("ZmqRouter", ns3ts::DefineZmqRouter(env));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(ns3ts_native, Init)
