#include "qmlp.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define NS3TS_X86 1
#endif

namespace ns3ts {

namespace {

constexpr std::int64_t kBlockRows = 64;        // rows per thread-pool task
constexpr double kParallelMacs = 1 << 18;      // below this much work a call stays on one thread

int roundUp(int n, int to) { return (n + to - 1) / to * to; }

/** The output block of a kernel: 16 int32 lanes (AVX-512), 8 (AVX2), 1 (portable). */
int outputBlock(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::Avx512Vnni:
      return 16;
    case Int8Kernel::Avx2:
      return 8;
    default:
      return 1;
  }
}

/**
 * qx = clamp(roundHalfEven(x / scale), -128, 127) for a row. Clamping first keeps |v| <= 128, where
 * adding and taking off 1.5 * 2^23 rounds to the nearest integer, ties to even (the float unit's
 * default mode; nearbyint gives the same but as a library call per element). Written so the
 * compiler vectorizes it.
 */
inline __attribute__((always_inline)) void quantizeRow(const float* x, const float* scales, int n, std::int8_t* q) {
  constexpr float kRound = 12582912.0f;
  for (int i = 0; i < n; i++) {
    const float v = std::min(127.0f, std::max(-128.0f, x[i] / scales[i]));
    q[i] = static_cast<std::int8_t>((v + kRound) - kRound);
  }
}

/** y = act(acc * scale + bias), two roundings (this file is compiled without contraction). */
inline __attribute__((always_inline)) void epilogue(const std::int32_t* acc, const float* scales, const float* bias, int m, Activation kind, float* y) {
  for (int j = 0; j < m; j++) y[j] = static_cast<float>(acc[j]) * scales[j] + bias[j];
  switch (kind) {
    case Activation::Relu:
      for (int j = 0; j < m; j++) y[j] = y[j] > 0 ? y[j] : 0.0f;
      break;
    case Activation::Tanh:
      for (int j = 0; j < m; j++) y[j] = static_cast<float>(std::tanh(static_cast<double>(y[j])));
      break;
    case Activation::Sigmoid:
      for (int j = 0; j < m; j++) y[j] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(y[j]))));
      break;
    default:
      break;
  }
}

inline __attribute__((always_inline)) void productsPortable(const std::int8_t* q, int n, int m, const std::int8_t* w, std::int32_t* acc) {
  std::fill(acc, acc + m, 0);
  for (int i = 0; i < n; i++) {
    const std::int32_t qi = q[i];
    if (qi == 0) continue;
    const std::int8_t* row = w + static_cast<std::int64_t>(i) * m;
    for (int j = 0; j < m; j++) acc[j] += qi * row[j];
  }
}

#ifdef NS3TS_X86
// AVX2: pairs of inputs (as int16) against 8 outputs' pairs of weights; vpmaddwd sums each pair
// into an int32 lane exactly (|q w| <= 128 * 127). Four output blocks share each broadcast.
inline __attribute__((target("avx2"))) void productsAvx2(const std::int8_t* q, int n, int outPad, const std::int16_t* w,
                                                  std::int32_t* acc) {
  const int pairs = (n + 1) / 2;
  for (int o = 0; o < outPad; o += 32) {
    const int blocks = std::min(4, (outPad - o) / 8);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < pairs; k++) {
      const std::int16_t lo = q[2 * k];
      const std::int16_t hi = q[2 * k + 1];  // q is zero-padded to a multiple of 4
      const __m256i xb = _mm256_set1_epi32(static_cast<std::int32_t>((static_cast<std::uint32_t>(static_cast<std::uint16_t>(hi)) << 16) |
                                                                      static_cast<std::uint16_t>(lo)));
      const std::int16_t* wk = w + (static_cast<std::int64_t>(k) * outPad + o) * 2;
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(xb, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wk))));
      if (blocks > 1) a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(xb, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wk + 16))));
      if (blocks > 2) a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(xb, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wk + 32))));
      if (blocks > 3) a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(xb, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wk + 48))));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + o), a0);
    if (blocks > 1) _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + o + 8), a1);
    if (blocks > 2) _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + o + 16), a2);
    if (blocks > 3) _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + o + 24), a3);
  }
}

// AVX-512 VNNI: vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the four products
// to an int32 lane. The inputs go in as qx + 128 (unsigned); the offset 128 sum_i qW[i, j] is
// taken off afterwards (columnOffsets). Four blocks of 16 outputs share each broadcast.
inline __attribute__((target("avx512f,avx512bw,avx512vnni"))) void productsVnni(const std::int8_t* q, int n, int outPad,
                                                                          const std::int8_t* w, const std::int32_t* columnOffsets,
                                                                          std::int32_t* acc) {
  const int quads = (n + 3) / 4;
  for (int o = 0; o < outPad; o += 64) {
    const int blocks = std::min(4, (outPad - o) / 16);
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < quads; k++) {
      // q is zero-padded to a multiple of 4: padding reads as 128 unsigned against zero weights.
      std::uint32_t bytes;
      std::memcpy(&bytes, q + 4 * k, 4);
      bytes ^= 0x80808080u;
      const __m512i xb = _mm512_set1_epi32(static_cast<std::int32_t>(bytes));
      const std::int8_t* wk = w + (static_cast<std::int64_t>(k) * outPad + o) * 4;
      a0 = _mm512_dpbusd_epi32(a0, xb, _mm512_loadu_si512(wk));
      if (blocks > 1) a1 = _mm512_dpbusd_epi32(a1, xb, _mm512_loadu_si512(wk + 64));
      if (blocks > 2) a2 = _mm512_dpbusd_epi32(a2, xb, _mm512_loadu_si512(wk + 128));
      if (blocks > 3) a3 = _mm512_dpbusd_epi32(a3, xb, _mm512_loadu_si512(wk + 192));
    }
    const __m512i parts[4] = {a0, a1, a2, a3};
    for (int b = 0; b < blocks; b++) {
      _mm512_storeu_si512(acc + o + 16 * b, _mm512_sub_epi32(parts[b], _mm512_loadu_si512(columnOffsets + o + 16 * b)));
    }
  }
}
#endif

}  // namespace

Int8Kernel bestInt8Kernel() {
#ifdef NS3TS_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")) {
    return Int8Kernel::Avx512Vnni;
  }
  if (__builtin_cpu_supports("avx2")) return Int8Kernel::Avx2;
#endif
  return Int8Kernel::Portable;
}

const char* int8KernelName(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::Avx512Vnni:
      return "avx512-vnni";
    case Int8Kernel::Avx2:
      return "avx2";
    default:
      return "portable";
  }
}

bool parseInt8Kernel(const std::string& name, Int8Kernel* out) {
  for (Int8Kernel k : {Int8Kernel::Portable, Int8Kernel::Avx2, Int8Kernel::Avx512Vnni}) {
    if (name == int8KernelName(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

QuantizedMlp::QuantizedMlp(const std::vector<QuantizedLayerInput>& layers, Int8Kernel kernel) : kernel_(kernel) {
  if (layers.empty()) throw std::invalid_argument("layers: expected at least one layer");
  const Int8Kernel best = bestInt8Kernel();
  if (static_cast<int>(kernel) > static_cast<int>(best)) {
    throw std::invalid_argument(std::string("kernel: got ") + int8KernelName(kernel) + ", expected one this CPU runs (up to " +
                                int8KernelName(best) + ")");
  }
  const int block = outputBlock(kernel);
  for (size_t l = 0; l < layers.size(); l++) {
    const QuantizedLayerInput& in = layers[l];
    const std::string name = "layers[" + std::to_string(l) + "]";
    if (in.inSize < 1 || in.outSize < 1) throw std::invalid_argument(name + ": expected positive sizes");
    if (l > 0 && in.inSize != layers[l - 1].outSize) throw std::invalid_argument(name + ".inSize: expected the previous layer's outSize");
    Layer layer;
    layer.inSize = in.inSize;
    layer.outSize = in.outSize;
    layer.outPad = roundUp(in.outSize, block);
    layer.activation = in.activation;
    const std::int64_t count = static_cast<std::int64_t>(in.inSize) * in.outSize;
    layer.weights.assign(in.weights, in.weights + count);
    for (std::int64_t k = 0; k < count; k++) {
      if (layer.weights[k] == -128) throw std::invalid_argument(name + ".weights: expected values in [-127, 127]");
    }
    layer.weightScales.assign(in.weightScales, in.weightScales + in.outSize);
    layer.bias.assign(in.bias, in.bias + in.outSize);
    layer.inputScales.assign(in.inputScales, in.inputScales + in.inSize);
    for (float s : layer.inputScales) {
      if (!(s > 0) || !std::isfinite(s)) throw std::invalid_argument(name + ".inputScales: expected finite values > 0");
    }
    const auto w = [&](int i, int j) -> std::int8_t {
      return i < in.inSize && j < in.outSize ? layer.weights[static_cast<std::int64_t>(i) * in.outSize + j] : 0;
    };
    if (kernel == Int8Kernel::Avx512Vnni) {
      const int quads = (in.inSize + 3) / 4;
      layer.packedVnni.assign(static_cast<size_t>(quads) * layer.outPad * 4, 0);
      layer.columnOffsets.assign(layer.outPad, 0);
      for (int k = 0; k < quads; k++)
        for (int j = 0; j < layer.outPad; j++)
          for (int b = 0; b < 4; b++) layer.packedVnni[(static_cast<size_t>(k) * layer.outPad + j) * 4 + b] = w(4 * k + b, j);
      for (int j = 0; j < in.outSize; j++)
        for (int i = 0; i < in.inSize; i++) layer.columnOffsets[j] += 128 * w(i, j);
    } else if (kernel == Int8Kernel::Avx2) {
      const int pairs = (in.inSize + 1) / 2;
      layer.packedAvx2.assign(static_cast<size_t>(pairs) * layer.outPad * 2, 0);
      for (int k = 0; k < pairs; k++)
        for (int j = 0; j < layer.outPad; j++)
          for (int b = 0; b < 2; b++) layer.packedAvx2[(static_cast<size_t>(k) * layer.outPad + j) * 2 + b] = w(2 * k + b, j);
    }
    widest_ = std::max({widest_, layer.inSize, layer.outPad});
    macsPerRow_ += static_cast<double>(layer.inSize) * layer.outSize;
    layers_.push_back(std::move(layer));
  }
}

/**
 * The row loop of each kernel: quantization, products and epilogue inlined into one function per
 * instruction set (flatten: everything inlined into the function with that target), so the
 * elementwise loops are vectorized for it too (the build is portable: no -march, the wider
 * instructions only run where the CPU dispatch picked them).
 */
struct QuantizedRows {
  template <Int8Kernel K>
  static inline void run(const QuantizedMlp& mlp, const float* x, std::int64_t rows, float* y,
                                                        std::int8_t* q, std::int32_t* acc, float* h) {
    const int inSize = mlp.inputSize();
    const int outSize = mlp.outputSize();
    for (std::int64_t r = 0; r < rows; r++) {
      const float* current = x + r * inSize;
      for (size_t l = 0; l < mlp.layers_.size(); l++) {
        const QuantizedMlp::Layer& layer = mlp.layers_[l];
        quantizeRow(current, layer.inputScales.data(), layer.inSize, q);
        for (int i = layer.inSize; i < roundUp(layer.inSize, 4); i++) q[i] = 0;
        if constexpr (K == Int8Kernel::Avx512Vnni) {
#ifdef NS3TS_X86
          productsVnni(q, layer.inSize, layer.outPad, layer.packedVnni.data(), layer.columnOffsets.data(), acc);
#endif
        } else if constexpr (K == Int8Kernel::Avx2) {
#ifdef NS3TS_X86
          productsAvx2(q, layer.inSize, layer.outPad, layer.packedAvx2.data(), acc);
#endif
        } else {
          productsPortable(q, layer.inSize, layer.outSize, layer.weights.data(), acc);
        }
        epilogue(acc, layer.weightScales.data(), layer.bias.data(), layer.outSize, layer.activation,
                 l + 1 == mlp.layers_.size() ? y + r * outSize : h);
        current = h;
      }
    }
  }

  static void portable(const QuantizedMlp& mlp, const float* x, std::int64_t rows, float* y, std::int8_t* q, std::int32_t* acc,
                       float* h) {
    run<Int8Kernel::Portable>(mlp, x, rows, y, q, acc, h);
  }
#ifdef NS3TS_X86
  __attribute__((target("avx2"), flatten)) static void avx2(const QuantizedMlp& mlp, const float* x, std::int64_t rows, float* y,
                                                   std::int8_t* q, std::int32_t* acc, float* h) {
    run<Int8Kernel::Avx2>(mlp, x, rows, y, q, acc, h);
  }
  __attribute__((target("avx512f,avx512bw,avx512vnni"), flatten)) static void vnni(const QuantizedMlp& mlp, const float* x, std::int64_t rows,
                                                                         float* y, std::int8_t* q, std::int32_t* acc, float* h) {
    run<Int8Kernel::Avx512Vnni>(mlp, x, rows, y, q, acc, h);
  }
#endif
};

std::int64_t QuantizedMlp::forward(const float* input, std::int64_t batch, float* out, int maxThreads) const {
  if (batch <= 0) return -1;
  const int inSize = inputSize();
  const int outSize = outputSize();
  const std::int64_t tasks = (batch + kBlockRows - 1) / kBlockRows;
  const int threads = static_cast<double>(batch) * macsPerRow_ < kParallelMacs ? 1 : maxThreads;
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> firstBad{kNone};
  ThreadPool::instance().run(static_cast<int>(tasks), threads, [&](int task, int) {
    thread_local std::vector<std::int8_t> q;
    thread_local std::vector<std::int32_t> acc;
    thread_local std::vector<float> h;
    q.resize(widest_ + 4);
    acc.resize(widest_);
    h.resize(widest_);
    const std::int64_t row0 = static_cast<std::int64_t>(task) * kBlockRows;
    const std::int64_t rows = std::min<std::int64_t>(kBlockRows, batch - row0);
    for (std::int64_t k = row0 * inSize; k < (row0 + rows) * inSize; k++) {
      if (!std::isfinite(input[k])) {
        std::int64_t seen = firstBad.load();
        while (k < seen && !firstBad.compare_exchange_weak(seen, k)) {
        }
        return;
      }
    }
    const float* x = input + row0 * inSize;
    float* y = out + row0 * outSize;
    switch (kernel_) {
#ifdef NS3TS_X86
      case Int8Kernel::Avx512Vnni:
        QuantizedRows::vnni(*this, x, rows, y, q.data(), acc.data(), h.data());
        break;
      case Int8Kernel::Avx2:
        QuantizedRows::avx2(*this, x, rows, y, q.data(), acc.data(), h.data());
        break;
#endif
      default:
        QuantizedRows::portable(*this, x, rows, y, q.data(), acc.data(), h.data());
    }
  });
  const std::int64_t bad = firstBad.load();
  return bad == kNone ? -1 : bad;
}

}  // namespace ns3ts
