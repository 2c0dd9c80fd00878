// Compiled with -ffp-contract=off (see CMakeLists.txt): the optimizer (float32 per parameter), the
// clipping and the target updates (double) run the same operations in the same order as the
// TypeScript fallback, so both give bit-identical parameters from identical gradients.
#include "trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "gemm.h"
#include "thread_pool.h"

namespace ns3ts {
namespace {

constexpr int kMaxLayers = 64;
constexpr int kMaxBatch = 1 << 22;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(NS3TS_NO_AVX2)
#define NS3TS_TRAINER_DISPATCH 1
#endif

// The elementwise loops around the matrix products. Each body is compiled for AVX-512, AVX2 and the
// baseline and one set is picked at load time (ElementwiseKernels below). The vector units run the
// same IEEE operations in the same order as the scalar loops (no contraction in this file), so every
// set gives the same bits, and the optimizer's the same bits as the TypeScript fallback. As a scalar
// double loop with three divisions per parameter, the optimizer alone was a fifth of a TD3 update.

// One Adam step's scalars (in double, rounded to float once per step): the bias corrections are
// folded into the step size and the scale of sqrt(v) (PyTorch's form), which leaves one square root
// and one division per parameter. The per-parameter arithmetic is float32, as PyTorch's.
struct AdamTerms {
  double beta1, beta2, stepSize, inverseSqrtCorrection2, decay, l2, epsilon;
};

// y = act(y + bias) over rows of width n.
inline __attribute__((always_inline)) void biasActivateBody(Activation kind, float* __restrict y,
                                                            const float* __restrict bias, int rows, int n) {
  for (int r = 0; r < rows; r++) {
    float* yr = y + static_cast<std::size_t>(r) * n;
    switch (kind) {
      case Activation::Relu:
        for (int j = 0; j < n; j++) {
          const float z = yr[j] + bias[j];
          yr[j] = z > 0 ? z : 0.0f;
        }
        break;
      case Activation::Tanh:
        for (int j = 0; j < n; j++) yr[j] = std::tanh(yr[j] + bias[j]);
        break;
      case Activation::Sigmoid:
        for (int j = 0; j < n; j++) yr[j] = 1.0f / (1.0f + std::exp(-(yr[j] + bias[j])));
        break;
      case Activation::Linear:
        for (int j = 0; j < n; j++) yr[j] += bias[j];
        break;
    }
  }
}

// delta *= act'(z), written through the activation a = act(z) that forward kept.
inline __attribute__((always_inline)) void multiplySlopeBody(Activation kind, float* __restrict delta,
                                                             const float* __restrict a, std::size_t count) {
  switch (kind) {
    case Activation::Relu:
      for (std::size_t i = 0; i < count; i++) delta[i] = a[i] > 0 ? delta[i] : 0.0f;
      break;
    case Activation::Tanh:
      for (std::size_t i = 0; i < count; i++) delta[i] *= 1.0f - a[i] * a[i];
      break;
    case Activation::Sigmoid:
      for (std::size_t i = 0; i < count; i++) delta[i] *= a[i] * (1.0f - a[i]);
      break;
    case Activation::Linear:
      break;
  }
}

// sums[j] += column j of delta [rows, n], rows in order (deterministic).
inline __attribute__((always_inline)) void addColumnSumsBody(float* __restrict sums, const float* __restrict delta,
                                                             int rows, int n) {
  for (int r = 0; r < rows; r++) {
    const float* dr = delta + static_cast<std::size_t>(r) * n;
    for (int j = 0; j < n; j++) sums[j] += dr[j];
  }
}

// Whether any of x is NaN or infinite: an exponent of all ones, tested on the bits without a branch.
inline __attribute__((always_inline)) bool anyNonFiniteBody(const float* __restrict x, std::size_t count) {
  std::uint32_t found = 0;
  for (std::size_t i = 0; i < count; i++) {
    std::uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    found |= static_cast<std::uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return found != 0;
}

inline __attribute__((always_inline)) void adamBody(const AdamTerms& c, float* __restrict p, float* __restrict m,
                                                    float* __restrict v, const float* __restrict g,
                                                    std::size_t count) {
  const float beta1 = static_cast<float>(c.beta1), beta2 = static_cast<float>(c.beta2);
  const float rest1 = static_cast<float>(1 - c.beta1), rest2 = static_cast<float>(1 - c.beta2);
  const float stepSize = static_cast<float>(c.stepSize), scaleV = static_cast<float>(c.inverseSqrtCorrection2);
  const float decay = static_cast<float>(c.decay), l2 = static_cast<float>(c.l2), epsilon = static_cast<float>(c.epsilon);
  for (std::size_t i = 0; i < count; i++) {
    const float pi = p[i] * decay;
    const float gi = g[i] + l2 * p[i];
    const float mi = beta1 * m[i] + rest1 * gi;
    const float vi = beta2 * v[i] + rest2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - stepSize * mi / (std::sqrt(vi) * scaleV + epsilon);
  }
}

inline __attribute__((always_inline)) void softBody(float* __restrict p, const float* __restrict source, double tau,
                                                    std::size_t count) {
  for (std::size_t i = 0; i < count; i++) {
    p[i] = static_cast<float>(tau * static_cast<double>(source[i]) + (1 - tau) * static_cast<double>(p[i]));
  }
}

struct ElementwiseKernels {
  void (*biasActivate)(Activation, float*, const float*, int, int);
  void (*multiplySlope)(Activation, float*, const float*, std::size_t);
  void (*addColumnSums)(float*, const float*, int, int);
  bool (*anyNonFinite)(const float*, std::size_t);
  void (*adam)(const AdamTerms&, float*, float*, float*, const float*, std::size_t);
  void (*soft)(float*, const float*, double, std::size_t);
};

// One set of the bodies above compiled with the given target attribute (empty: the baseline).
#define NS3TS_ELEMENTWISE_SET(name, ...)                                                                    \
  __VA_ARGS__ void name##BiasActivate(Activation k, float* y, const float* b, int rows, int n) {            \
    biasActivateBody(k, y, b, rows, n);                                                                     \
  }                                                                                                         \
  __VA_ARGS__ void name##MultiplySlope(Activation k, float* d, const float* a, std::size_t count) {         \
    multiplySlopeBody(k, d, a, count);                                                                      \
  }                                                                                                         \
  __VA_ARGS__ void name##AddColumnSums(float* sums, const float* d, int rows, int n) {                      \
    addColumnSumsBody(sums, d, rows, n);                                                                    \
  }                                                                                                         \
  __VA_ARGS__ bool name##AnyNonFinite(const float* x, std::size_t count) { return anyNonFiniteBody(x, count); } \
  __VA_ARGS__ void name##Adam(const AdamTerms& c, float* p, float* m, float* v, const float* g, std::size_t n) { \
    adamBody(c, p, m, v, g, n);                                                                             \
  }                                                                                                         \
  __VA_ARGS__ void name##Soft(float* p, const float* source, double tau, std::size_t n) {                   \
    softBody(p, source, tau, n);                                                                            \
  }                                                                                                         \
  constexpr ElementwiseKernels name##Kernels{name##BiasActivate, name##MultiplySlope, name##AddColumnSums,  \
                                             name##AnyNonFinite, name##Adam, name##Soft};

NS3TS_ELEMENTWISE_SET(baseline)
#ifdef NS3TS_TRAINER_DISPATCH
NS3TS_ELEMENTWISE_SET(avx2, __attribute__((target("avx2"))))
NS3TS_ELEMENTWISE_SET(avx512, __attribute__((target("avx512f,avx512vl,avx2"))))
#endif
#undef NS3TS_ELEMENTWISE_SET

const ElementwiseKernels& elementwise() {
#ifdef NS3TS_TRAINER_DISPATCH
  static const ElementwiseKernels& chosen = __builtin_cpu_supports("avx512vl") ? avx512Kernels
                                            : __builtin_cpu_supports("avx2")   ? avx2Kernels
                                                                               : baselineKernels;
  return chosen;
#else
  return baselineKernels;
#endif
}

std::int64_t firstNonFinite(const float* x, std::size_t count) {
  if (!elementwise().anyNonFinite(x, count)) return -1;
  for (std::size_t i = 0; i < count; i++) {
    if (!std::isfinite(x[i])) return static_cast<std::int64_t>(i);
  }
  return -1;
}

}  // namespace

double powInteger(double base, std::uint64_t exponent) {
  double result = 1.0;
  double square = base;
  while (exponent > 0) {
    if (exponent & 1) result *= square;
    square *= square;
    exponent >>= 1;
  }
  return result;
}

std::size_t MlpTrainer::parameterCount(const std::vector<TrainerLayerShape>& layers) {
  std::size_t count = 0;
  for (const TrainerLayerShape& layer : layers) {
    count += static_cast<std::size_t>(layer.inSize) * layer.outSize + layer.outSize;
  }
  return count;
}

MlpTrainer::MlpTrainer(const std::vector<TrainerLayerShape>& layers, int maxBatch, const TrainerBuffers& buffers)
    : maxBatch_(maxBatch), paramCount_(0), buffers_(buffers) {
  if (layers.empty() || layers.size() > static_cast<std::size_t>(kMaxLayers)) {
    throw std::invalid_argument("layers.length: got " + std::to_string(layers.size()) + ", expected 1 to " +
                                std::to_string(kMaxLayers) + " dense layers");
  }
  if (maxBatch < 1 || maxBatch > kMaxBatch) {
    throw std::invalid_argument("maxBatch: got " + std::to_string(maxBatch) + ", expected an integer in [1, " +
                                std::to_string(kMaxBatch) + "]");
  }
  std::size_t offset = 0;
  for (std::size_t l = 0; l < layers.size(); l++) {
    const TrainerLayerShape& shape = layers[l];
    const std::string name = "layers[" + std::to_string(l) + "]";
    if (shape.inSize <= 0 || shape.outSize <= 0) {
      throw std::invalid_argument(name + ": inSize " + std::to_string(shape.inSize) + " and outSize " +
                                  std::to_string(shape.outSize) + ", expected positive integers");
    }
    if (l > 0 && shape.inSize != layers[l - 1].outSize) {
      throw std::invalid_argument(name + ".inSize: got " + std::to_string(shape.inSize) + ", expected " +
                                  std::to_string(layers[l - 1].outSize) + " (the previous layer's outSize)");
    }
    Layer layer{shape.inSize, shape.outSize, shape.activation, offset, 0};
    offset += static_cast<std::size_t>(shape.inSize) * shape.outSize;
    layer.biasOffset = offset;
    offset += shape.outSize;
    layers_.push_back(layer);
  }
  paramCount_ = offset;
  int widest = 0;
  for (const Layer& layer : layers_) widest = std::max({widest, layer.in, layer.out});
  const std::size_t rows = static_cast<std::size_t>(maxBatch);
  input_.assign(rows * inputSize(), 0.0f);
  for (const Layer& layer : layers_) activations_.emplace_back(rows * layer.out, 0.0f);
  delta_.assign(rows * widest, 0.0f);
  deltaNext_.assign(rows * widest, 0.0f);
}

std::int64_t MlpTrainer::forward(const float* input, int batch, int threads) {
  const std::int64_t bad = firstNonFinite(input, static_cast<std::size_t>(batch) * inputSize());
  if (bad < 0) forwardFinite(input, batch, threads);
  return bad;
}

void MlpTrainer::forwardFinite(const float* input, int batch, int threads) {
  const std::size_t count = static_cast<std::size_t>(batch) * inputSize();
  std::memcpy(input_.data(), input, sizeof(float) * count);
  batch_ = batch;
  const GemmSignalScope signalsBlocked;
  const float* x = input_.data();
  for (std::size_t l = 0; l < layers_.size(); l++) {
    const Layer& layer = layers_[l];
    float* y = activations_[l].data();
    const float* w = buffers_.params + layer.weightOffset;
    const float* bias = buffers_.params + layer.biasOffset;
    // ReLU and linear layers take the bias and activation inside the product where the library can.
    const bool fusable = layer.activation == Activation::Relu || layer.activation == Activation::Linear;
    if (!fusable || !denseForward(batch, layer.out, layer.in, x, w, bias, layer.activation == Activation::Relu, y, threads)) {
      sgemm(false, false, batch, layer.out, layer.in, x, layer.in, w, layer.out, false, y, layer.out, threads);
      elementwise().biasActivate(layer.activation, y, bias, batch, layer.out);
    }
    x = y;
  }
  std::memcpy(buffers_.output, x, sizeof(float) * static_cast<std::size_t>(batch) * outputSize());
}

double MlpTrainer::loss(LossKind kind, const float* target, double huberDelta, std::int64_t* badIndex) {
  *badIndex = firstNonFinite(target, static_cast<std::size_t>(batch_) * outputSize());
  return *badIndex >= 0 ? NAN : lossFinite(kind, target, huberDelta);
}

double MlpTrainer::lossFinite(LossKind kind, const float* target, double huberDelta) {
  const std::size_t count = static_cast<std::size_t>(batch_) * outputSize();
  const float* y = activations_.back().data();
  float* grad = buffers_.outputGradient;
  const double scale = count > 0 ? 1.0 / static_cast<double>(count) : 0.0;
  double sum = 0;
  for (std::size_t i = 0; i < count; i++) {
    const double d = static_cast<double>(y[i]) - static_cast<double>(target[i]);
    if (kind == LossKind::Mse) {
      sum += d * d;
      grad[i] = static_cast<float>(2.0 * d * scale);
    } else if (std::fabs(d) <= huberDelta) {
      sum += 0.5 * d * d;
      grad[i] = static_cast<float>(d * scale);
    } else {
      sum += huberDelta * (std::fabs(d) - 0.5 * huberDelta);
      grad[i] = static_cast<float>((d > 0 ? huberDelta : -huberDelta) * scale);
    }
  }
  return sum * scale;
}

std::int64_t MlpTrainer::backward(const float* gradOutput, bool weights, bool accumulate, int inputFrom, int inputCount,
                                  int threads) {
  const std::int64_t bad = firstNonFinite(gradOutput, static_cast<std::size_t>(batch_) * outputSize());
  if (bad < 0) backwardFinite(gradOutput, weights, accumulate, inputFrom, inputCount, threads);
  return bad;
}

void MlpTrainer::backwardFinite(const float* gradOutput, bool weights, bool accumulate, int inputFrom,
                                int inputCount, int threads) {
  const int batch = batch_;
  const std::size_t outCount = static_cast<std::size_t>(batch) * outputSize();
  const GemmSignalScope signalsBlocked;
  float* delta = delta_.data();
  float* next = deltaNext_.data();
  std::memcpy(delta, gradOutput, sizeof(float) * outCount);
  elementwise().multiplySlope(layers_.back().activation, delta, activations_.back().data(), outCount);
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const Layer& layer = layers_[l];
    const float* x = l == 0 ? input_.data() : activations_[l - 1].data();
    if (weights) {
      // dW = X^T delta, db = column sums of delta (rows in order: deterministic).
      sgemm(true, false, layer.in, layer.out, batch, x, layer.in, delta, layer.out, accumulate,
            buffers_.grads + layer.weightOffset, layer.out, threads);
      float* db = buffers_.grads + layer.biasOffset;
      if (!accumulate) std::fill(db, db + layer.out, 0.0f);
      elementwise().addColumnSums(db, delta, batch, layer.out);
    }
    if (l == 0) {
      if (inputCount > 0) {
        // Columns from..from+count of delta W^T are delta times rows from..from+count of W, transposed.
        sgemm(false, true, batch, inputCount, layer.out, delta, layer.out,
              buffers_.params + layer.weightOffset + static_cast<std::size_t>(inputFrom) * layer.out, layer.out, false,
              buffers_.inputGradient, inputCount, threads);
      }
      break;
    }
    // dX = delta W^T, then through the previous layer's activation.
    sgemm(false, true, batch, layer.in, layer.out, delta, layer.out, buffers_.params + layer.weightOffset, layer.out,
          false, next, layer.in, threads);
    elementwise().multiplySlope(layers_[l - 1].activation, next, activations_[l - 1].data(),
                                static_cast<std::size_t>(batch) * layer.in);
    std::swap(delta, next);
  }
}

void MlpTrainer::zeroGradients() { std::fill(buffers_.grads, buffers_.grads + paramCount_, 0.0f); }

double MlpTrainer::clipGradientNorm(double maxNorm) {
  float* g = buffers_.grads;
  double squares = 0;
  for (std::size_t i = 0; i < paramCount_; i++) squares += static_cast<double>(g[i]) * static_cast<double>(g[i]);
  const double norm = std::sqrt(squares);
  if (norm > maxNorm) {
    const double scale = maxNorm / norm;
    for (std::size_t i = 0; i < paramCount_; i++) g[i] = static_cast<float>(static_cast<double>(g[i]) * scale);
  }
  return norm;
}

void MlpTrainer::adamStep(const AdamConfig& c) {
  const double t = buffers_.step[0] + 1;
  buffers_.step[0] = t;
  AdamTerms terms;
  terms.beta1 = c.beta1;
  terms.beta2 = c.beta2;
  terms.stepSize = c.learningRate / (1 - powInteger(c.beta1, static_cast<std::uint64_t>(t)));
  terms.inverseSqrtCorrection2 = 1 / std::sqrt(1 - powInteger(c.beta2, static_cast<std::uint64_t>(t)));
  terms.decay = c.decoupled ? 1 - c.learningRate * c.weightDecay : 1;
  terms.l2 = c.decoupled ? 0 : c.weightDecay;
  terms.epsilon = c.epsilon;
  elementwise().adam(terms, buffers_.params, buffers_.adamM, buffers_.adamV, buffers_.grads, paramCount_);
}

void MlpTrainer::softUpdate(const float* source, double tau) {
  float* p = buffers_.params;
  if (tau == 1) {
    if (source != p) std::memcpy(p, source, sizeof(float) * paramCount_);
    return;
  }
  elementwise().soft(p, source, tau, paramCount_);
}

void runTrainerJobs(TrainerJob* jobs, int count, int threads) {
  // Every input and target is checked before any job runs, so a rejected call changes no trainer.
  bool rejected = false;
  for (int j = 0; j < count; j++) {
    TrainerJob& job = jobs[j];
    const std::size_t rows = static_cast<std::size_t>(job.batch);
    job.lossValue = NAN;
    job.badInput = firstNonFinite(job.input, rows * job.trainer->inputSize());
    job.badTarget = job.target ? firstNonFinite(job.target, rows * job.trainer->outputSize()) : -1;
    rejected = rejected || job.badInput >= 0 || job.badTarget >= 0;
  }
  if (rejected) return;
  const auto run = [](TrainerJob& job, int productThreads) {
    MlpTrainer& trainer = *job.trainer;
    trainer.forwardFinite(job.input, job.batch, productThreads);
    if (job.target == nullptr) return;
    job.lossValue = trainer.lossFinite(job.loss, job.target, job.huberDelta);
    trainer.backwardFinite(trainer.outputGradientBuffer(), true, false, 0, 0, productThreads);
    if (job.clipNorm > 0) trainer.clipGradientNorm(job.clipNorm);
    trainer.adamStep(job.adam);
  };
  // A lone job has nothing to run beside it: its products take the threads, as separate calls would.
  if (count == 1) {
    run(jobs[0], threads);
    return;
  }
  ThreadPool::instance().run(count, threads, [jobs, &run](int task, int) { run(jobs[task], 1); });
}

}  // namespace ns3ts
