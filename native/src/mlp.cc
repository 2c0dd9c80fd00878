#include "mlp.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "gemm.h"
#include "thread_pool.h"

namespace ns3ts {
namespace {

constexpr int kTile = 8;         // floats per vector register tile (one AVX register)
constexpr int kBlockRows = 64;   // rows per task: one task's activations stay in L1/L2
constexpr int kMinBlockRows = 16;  // smallest block when a small batch is split over the threads
constexpr int kMaxLayers = 64;
constexpr double kParallelMacs = 1 << 19;  // below this much work a batch runs on the calling thread

// GCC/Clang vector extension: 8 floats, one AVX register (a pair of SSE registers on baseline x86-64).
typedef float v8 __attribute__((vector_size(32)));

int roundUp(int n) { return (n + kTile - 1) / kTile * kTile; }

// Index of element (i, j) of a [rows, cols] matrix stored as column panels [rows, kTile].
size_t packed(int rows, int i, int j) {
  return static_cast<size_t>(j / kTile) * rows * kTile + static_cast<size_t>(i) * kTile + j % kTile;
}

inline v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(NS3TS_NO_AVX2)
#define NS3TS_X86_DISPATCH 1
#endif

// R rows x T column tiles of accumulators: R * T independent chains hide the FMA latency, and each
// step loads T weight tiles and R broadcasts for R * T multiply-adds. relu: max(z, 0) on the way out
// (the same bits as activateRows). Every output element is bias + sum_i x_i w_i accumulated in i
// order whatever R and T are, so the tile shape never changes a result.
template <int R, int T>
inline __attribute__((always_inline)) void microWide(const float* x, int ldx, int k, const float* panels,
                                                     const float* bias, bool relu, float* y, int ldy) {
  v8 acc[R][T];
  for (int t = 0; t < T; t++) {
    const v8 init = bias != nullptr ? load8(bias + t * kTile) : v8{};
    for (int r = 0; r < R; r++) acc[r][t] = init;
  }
  const size_t panel = static_cast<size_t>(k) * kTile;
  for (int i = 0; i < k; i++) {
    v8 w[T];
    for (int t = 0; t < T; t++) w[t] = load8(panels + t * panel + static_cast<size_t>(i) * kTile);
    for (int r = 0; r < R; r++) {
      const float xv = x[static_cast<size_t>(r) * ldx + i];
      for (int t = 0; t < T; t++) acc[r][t] += xv * w[t];
    }
  }
  for (int r = 0; r < R; r++) {
    for (int t = 0; t < T; t++) {
      const v8 z = acc[r][t];
      store8(y + static_cast<size_t>(r) * ldy + t * kTile, relu ? (z > 0 ? z : v8{}) : z);
    }
  }
}

// R rows: T tiles at a time, then single tiles.
template <int R, int T>
inline __attribute__((always_inline)) void rowStrip(const float* x, int ldx, int k, const float* m, int n,
                                                    const float* bias, bool relu, float* y, int ldy) {
  const size_t panel = static_cast<size_t>(k) * kTile;
  int j = 0;
  for (; j + T * kTile <= n; j += T * kTile) {
    microWide<R, T>(x, ldx, k, m + (j / kTile) * panel, bias != nullptr ? bias + j : nullptr, relu, y + j, ldy);
  }
  for (; j < n; j += kTile) {
    microWide<R, 1>(x, ldx, k, m + (j / kTile) * panel, bias != nullptr ? bias + j : nullptr, relu, y + j, ldy);
  }
}

// y[rows, n] = relu?(x[rows, k] m (+ bias[n])), n a multiple of kTile, m packed as n / kTile
// contiguous panels [k, kTile] (unit-stride loads; a plain row-major m with a power-of-two row
// stride would alias a few L1 sets). The main micro-kernel is MR rows x NT tiles, sized to the
// register file: 8 x 2 with AVX-512VL's 32 vector registers (16 accumulators, 2 weight loads and 8
// broadcasts per 16 multiply-adds), 4 x 2 with AVX2's 16, 8 x 1 on the portable path; the rows
// left over go through smaller shapes. Measured per 64-row block through 12 -> h -> h -> 3 (fastest
// of 3000 passes, load average 16): h = 256 at 114 GFLOP/s with 8 x 2 on AVX-512VL, 106 with 4 x 2
// on AVX2, 93 with the former 8 x 1 AVX2 kernel; h = 64 at 108, 101 and 91.
template <int MR, int NT>
inline __attribute__((always_inline)) void gemmBody(const float* x, int ldx, int rows, int k, const float* m, int n,
                                                    const float* bias, bool relu, float* y, int ldy) {
  int r = 0;
  for (; r + MR <= rows; r += MR) {
    rowStrip<MR, NT>(x + static_cast<size_t>(r) * ldx, ldx, k, m, n, bias, relu, y + static_cast<size_t>(r) * ldy, ldy);
  }
  const float* xr = x + static_cast<size_t>(r) * ldx;
  float* yr = y + static_cast<size_t>(r) * ldy;
  switch (rows - r) {  // fewer than MR rows left (MR <= 8)
    case 7: rowStrip<7, 1>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    case 6: rowStrip<6, 1>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    case 5: rowStrip<5, 1>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    case 4: rowStrip<4, 2>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    case 3: rowStrip<3, 2>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    case 2: rowStrip<2, 4>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    case 1: rowStrip<1, 8>(xr, ldx, k, m, n, bias, relu, yr, ldy); break;
    default: break;
  }
}

// sum_j a[j] b[j] over n (a multiple of kTile).
inline __attribute__((always_inline)) float dotBody(const float* a, const float* b, int n) {
  v8 acc = v8{};
  for (int j = 0; j < n; j += kTile) acc += load8(a + j) * load8(b + j);
  float s = 0;
  for (int t = 0; t < kTile; t++) s += acc[t];
  return s;
}

// y[r, :] = offsets[pairOf[r], :] + x[r] w for rows rows: offsets rows are n wide (unpadded), y rows
// nPad wide with zero padding (w is nPad wide, zero past n). Returns -1, or the first row with a
// non-finite result (v - v is NaN exactly for NaN and +-Inf, so whole tiles are checked at once).
inline __attribute__((always_inline)) int offsetRowsBody(const float* offsets, const std::int32_t* pairOf,
                                                         const float* x, const float* w, int rows, int n, int nPad,
                                                         float* y) {
  const int full = n / kTile * kTile;
  for (int r = 0; r < rows; r++) {
    const float* offset = offsets + static_cast<size_t>(pairOf[r]) * n;
    const float xr = x[r];
    float* yr = y + static_cast<size_t>(r) * nPad;
    v8 bad = v8{};
    for (int j = 0; j < full; j += kTile) {
      const v8 v = load8(offset + j) + xr * load8(w + j);
      bad += v - v;
      store8(yr + j, v);
    }
    if (full < nPad) {
      float tail[kTile] = {};
      for (int j = full; j < n; j++) tail[j - full] = offset[j];
      const v8 v = load8(tail) + xr * load8(w + full);
      bad += v - v;
      store8(yr + full, v);
    }
    for (int t = 0; t < kTile; t++) {
      if (bad[t] != 0.0f) return r;
    }
  }
  return -1;
}

using GemmFn = void (*)(const float*, int, int, int, const float*, int, const float*, bool, float*, int);
using OffsetRowsFn = int (*)(const float*, const std::int32_t*, const float*, const float*, int, int, int, float*);
using DotFn = float (*)(const float*, const float*, int);

void gemmBaseline(const float* x, int ldx, int rows, int k, const float* m, int n, const float* bias, bool relu,
                  float* y, int ldy) {
  gemmBody<8, 1>(x, ldx, rows, k, m, n, bias, relu, y, ldy);
}
float dotBaseline(const float* a, const float* b, int n) { return dotBody(a, b, n); }
int offsetRowsBaseline(const float* offsets, const std::int32_t* pairOf, const float* x, const float* w, int rows, int n,
                       int nPad, float* y) {
  return offsetRowsBody(offsets, pairOf, x, w, rows, n, nPad, y);
}

#ifdef NS3TS_X86_DISPATCH
__attribute__((target("avx2,fma"))) void gemmAvx2(const float* x, int ldx, int rows, int k, const float* m, int n,
                                                  const float* bias, bool relu, float* y, int ldy) {
  gemmBody<4, 2>(x, ldx, rows, k, m, n, bias, relu, y, ldy);
}
// The same 8-float tiles and fused multiply-adds as gemmAvx2 (so the same bits), with AVX-512VL's
// 32 vector registers holding a larger tile.
__attribute__((target("avx512f,avx512vl,avx2,fma"))) void gemmAvx512(const float* x, int ldx, int rows, int k,
                                                                     const float* m, int n, const float* bias,
                                                                     bool relu, float* y, int ldy) {
  gemmBody<8, 2>(x, ldx, rows, k, m, n, bias, relu, y, ldy);
}
__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, int n) { return dotBody(a, b, n); }
__attribute__((target("avx2,fma"))) int offsetRowsAvx2(const float* offsets, const std::int32_t* pairOf, const float* x,
                                                      const float* w, int rows, int n, int nPad, float* y) {
  return offsetRowsBody(offsets, pairOf, x, w, rows, n, nPad, y);
}

bool cpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool cpuHasAvx512Vl() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}
const bool kUseAvx2 = cpuHasAvx2Fma();
const bool kUseAvx512 = kUseAvx2 && cpuHasAvx512Vl();
// Chosen once at load time from what the CPU supports (the binary itself stays portable).
const GemmFn gemm = kUseAvx512 ? gemmAvx512 : kUseAvx2 ? gemmAvx2 : gemmBaseline;
const DotFn dot = kUseAvx2 ? dotAvx2 : dotBaseline;
const OffsetRowsFn offsetRows = kUseAvx2 ? offsetRowsAvx2 : offsetRowsBaseline;
#else
const bool kUseAvx2 = false;
const bool kUseAvx512 = false;
const GemmFn gemm = gemmBaseline;
const DotFn dot = dotBaseline;
const OffsetRowsFn offsetRows = offsetRowsBaseline;
#endif

inline float activate(Activation kind, float z) {
  switch (kind) {
    case Activation::Relu: return z > 0 ? z : 0.0f;
    case Activation::Tanh: return std::tanh(z);
    case Activation::Sigmoid: return 1.0f / (1.0f + std::exp(-z));
    default: return z;
  }
}

// d act / d z through the activation value a = act(z), as back-propagation keeps it.
inline float slope(Activation kind, float a) {
  switch (kind) {
    case Activation::Relu: return a > 0 ? 1.0f : 0.0f;
    case Activation::Tanh: return 1.0f - a * a;
    case Activation::Sigmoid: return a * (1.0f - a);
    default: return 1.0f;
  }
}

void activateRows(Activation kind, float* y, size_t count) {
  switch (kind) {
    case Activation::Linear: return;
    case Activation::Relu:
      for (size_t i = 0; i < count; i++) y[i] = y[i] > 0 ? y[i] : 0.0f;
      return;
    default:
      for (size_t i = 0; i < count; i++) y[i] = activate(kind, y[i]);
  }
}

// Where the library products win (docs/native.md, "Inference on the library products"; measured
// with bench/inference-threshold.ts): nowhere on the development machine since the blocked
// kernels got their register-sized tiles — oneDNN's products plus the separate elementwise passes
// cost 1.1-1.2x the fused blocks per row through 256-wide layers and 1.5-1.9x through narrow ones,
// at every batch (the library path works in 256-row chunks, so its cost per row stops falling
// there). 0 = never; the addon's mlpLibraryThreshold(rows, width) turns the path on.
constexpr std::int64_t kDefaultLibraryRows = 0;
constexpr int kDefaultLibraryWidth = 256;
std::atomic<std::int64_t> libraryRows{kDefaultLibraryRows};
std::atomic<int> libraryWidth{kDefaultLibraryWidth};

constexpr int kLibraryChunkRows = 256;  // rows per pass of the layer-by-layer path (activations stay in L2)
constexpr int kElementwiseRows = 256;    // rows per pool task of the elementwise passes

// activateRows on the first `width` columns of rows rows `ld` apart: the padding columns past a
// layer's width are never read as values (the next layer's weight rows for them are zero, the
// output copy stops at the width), and tanh / sigmoid there cost as much as on real columns — most
// of the work for a 3-wide output layer padded to 8.
void activateColumns(Activation kind, float* y, int rows, int width, int ld) {
  if (kind == Activation::Linear) return;
  for (int r = 0; r < rows; r++) activateRows(kind, y + static_cast<size_t>(r) * ld, static_cast<size_t>(width));
}

// delta[rows, outPad] = 0 but column outputIndex: the last activation's slope there, the seed of
// the back-propagation of one output's gradient.
void seedOutputDelta(float* delta, int rows, int outPad, Activation kind, const float* a, int outputIndex) {
  std::fill(delta, delta + static_cast<size_t>(rows) * outPad, 0.0f);
  for (int r = 0; r < rows; r++) {
    const size_t at = static_cast<size_t>(r) * outPad + outputIndex;
    delta[at] = slope(kind, a[at]);
  }
}

// g[i] *= f'(a[i]) over [from, end), f given by its outputs a (nothing to do for linear).
void backThroughActivation(Activation kind, float* g, const float* a, size_t from, size_t end) {
  if (kind == Activation::Relu) {
    for (size_t i = from; i < end; i++) g[i] = a[i] > 0 ? g[i] : 0.0f;
  } else if (kind != Activation::Linear) {
    for (size_t i = from; i < end; i++) g[i] *= slope(kind, a[i]);
  }
}

// fn(r0, r1) over [0, rows) in row blocks on the pool: the elementwise work around the library
// products (the library's own threads sleep meanwhile, OMP_WAIT_POLICY=passive).
template <typename Fn>
void forRowBlocks(int rows, int width, int threads, const Fn& fn) {
  const int tasks = (rows + kElementwiseRows - 1) / kElementwiseRows;
  const bool parallel = static_cast<double>(rows) * width >= (1 << 16);
  ThreadPool::instance().run(tasks, parallel ? threads : 1, [&](int task, int) {
    const int r0 = task * kElementwiseRows;
    fn(r0, std::min(rows, r0 + kElementwiseRows));
  });
}

}  // namespace

MlpLibraryThreshold mlpLibraryThreshold() { return {libraryRows.load(), libraryWidth.load()}; }
void setMlpLibraryThreshold(MlpLibraryThreshold threshold) {
  libraryRows.store(threshold.rows);
  libraryWidth.store(threshold.width);
}

bool Mlp::useLibrary(std::int64_t rows) const {
  const std::int64_t minRows = libraryRows.load();
  return gemmIsLibrary() && minRows > 0 && rows >= minRows && widest_ >= libraryWidth.load();
}

bool parseActivation(const std::string& name, Activation* out) {
  if (name == "linear") *out = Activation::Linear;
  else if (name == "relu") *out = Activation::Relu;
  else if (name == "tanh") *out = Activation::Tanh;
  else if (name == "sigmoid") *out = Activation::Sigmoid;
  else return false;
  return true;
}

const char* matmulKernelName() { return kUseAvx512 ? "avx512vl+fma" : kUseAvx2 ? "avx2+fma" : "baseline"; }

namespace {

/** Throws std::invalid_argument naming the field when `layers` is not a chain of finite dense layers. */
void checkLayers(const std::vector<DenseLayerInput>& layers) {
  if (layers.empty() || layers.size() > static_cast<size_t>(kMaxLayers)) {
    throw std::invalid_argument("layers: expected 1 to " + std::to_string(kMaxLayers) + " dense layers");
  }
  for (size_t l = 0; l < layers.size(); l++) {
    const DenseLayerInput& in = layers[l];
    const std::string name = "layers[" + std::to_string(l) + "]";
    if (in.inSize <= 0 || in.outSize <= 0) throw std::invalid_argument(name + ": inSize and outSize must be positive");
    if (l > 0 && in.inSize != layers[l - 1].outSize) {
      throw std::invalid_argument(name + ".inSize: got " + std::to_string(in.inSize) + ", expected " +
                                  std::to_string(layers[l - 1].outSize) + " (the previous layer's outSize)");
    }
    const size_t count = static_cast<size_t>(in.inSize) * in.outSize;
    for (size_t i = 0; i < count; i++) {
      if (!std::isfinite(in.weights[i])) throw std::invalid_argument(name + ".weights[" + std::to_string(i) + "]: not finite");
    }
    for (int j = 0; j < in.outSize; j++) {
      if (!std::isfinite(in.bias[j])) throw std::invalid_argument(name + ".bias[" + std::to_string(j) + "]: not finite");
    }
  }
}

}  // namespace

Mlp::Mlp(const std::vector<DenseLayerInput>& layers) {
  checkLayers(layers);
  int previousOutPad = 0;
  for (size_t l = 0; l < layers.size(); l++) {
    const DenseLayerInput& in = layers[l];
    Layer layer;
    layer.k = l == 0 ? in.inSize : previousOutPad;
    layer.kPad = roundUp(layer.k);
    layer.out = in.outSize;
    layer.outPad = roundUp(in.outSize);
    layer.activation = in.activation;
    // Zero everywhere, so the padding stays zero when fillLayer writes the given weights.
    layer.w.assign(static_cast<size_t>(layer.k) * layer.outPad, 0.0f);
    layer.wt.assign(static_cast<size_t>(layer.outPad) * layer.kPad, 0.0f);
    layer.wRow.assign(static_cast<size_t>(layer.k) * layer.outPad, 0.0f);
    layer.bias.assign(layer.outPad, 0.0f);
    fillLayer(layer, in);
    macsPerRow_ += static_cast<double>(in.inSize) * in.outSize;
    widest_ = std::max({widest_, layer.outPad, layer.kPad});
    previousOutPad = layer.outPad;
    layers_.push_back(std::move(layer));
  }
  inputSize_ = layers.front().inSize;
  outputSize_ = layers.back().outSize;
}

void Mlp::fillLayer(Layer& layer, const DenseLayerInput& in) {
  // Panel layouts for gemm: w as outPad / kTile panels [k, kTile], wt as kPad / kTile panels
  // [outPad, kTile]. The library products and the first-column gradient read a plain row-major copy.
  for (int i = 0; i < in.inSize; i++) {
    for (int j = 0; j < in.outSize; j++) {
      const float w = in.weights[static_cast<size_t>(i) * in.outSize + j];
      layer.w[packed(layer.k, i, j)] = w;
      layer.wt[packed(layer.outPad, j, i)] = w;
      layer.wRow[static_cast<size_t>(i) * layer.outPad + j] = w;
    }
  }
  std::copy(in.bias, in.bias + in.outSize, layer.bias.begin());
}

void Mlp::setWeights(const std::vector<DenseLayerInput>& layers) {
  if (layers.size() != layers_.size()) {
    throw std::invalid_argument("layers: got " + std::to_string(layers.size()) + " dense layers, expected " +
                                std::to_string(layers_.size()) + " (the network's)");
  }
  for (size_t l = 0; l < layers.size(); l++) {
    const std::string name = "layers[" + std::to_string(l) + "]";
    const Layer& have = layers_[l];
    const int haveIn = l == 0 ? inputSize_ : layers_[l - 1].out;
    if (layers[l].inSize != haveIn || layers[l].outSize != have.out) {
      throw std::invalid_argument(name + ": got " + std::to_string(layers[l].inSize) + " x " +
                                  std::to_string(layers[l].outSize) + ", expected " + std::to_string(haveIn) + " x " +
                                  std::to_string(have.out) + " (the network's)");
    }
    if (layers[l].activation != have.activation) throw std::invalid_argument(name + ".activation: differs from the network's");
  }
  // Every check before the first write: a rejected call leaves the weights as they were.
  checkLayers(layers);
  for (size_t l = 0; l < layers.size(); l++) fillLayer(layers_[l], layers[l]);
}

int Mlp::block(const float* input, const OffsetRows* from, int rows, float* out, float* gradient, int inputIndex,
               int outputIndex, std::vector<float>& scratch) const {
  // Scratch: every layer's activations for the block, then two delta buffers.
  size_t need = 2 * static_cast<size_t>(kBlockRows) * widest_;
  for (const Layer& layer : layers_) need += static_cast<size_t>(kBlockRows) * layer.outPad;
  if (scratch.size() < need) scratch.resize(need);
  float* next = scratch.data();

  const float* x = input;
  int ldx = inputSize_;
  const float* acts[kMaxLayers];
  for (size_t l = 0; l < layers_.size(); l++) {
    const Layer& layer = layers_[l];
    float* y = next;
    next += static_cast<size_t>(kBlockRows) * layer.outPad;
    if (l == 0 && from != nullptr) {
      // Only column inputIndex varies: the rest of x W1 + b1 is the pair's precomputed offsets row.
      // x is finite (checked by the caller), so a non-finite sum means a non-finite offsets row
      // (or an overflowing x); the block stops there.
      const float* w = layer.wRow.data() + static_cast<size_t>(inputIndex) * layer.outPad;
      const int bad = offsetRows(from->offsets, from->pairOf, from->x, w, rows, layer.out, layer.outPad, y);
      if (bad >= 0) return bad;
      activateColumns(layer.activation, y, rows, layer.out, layer.outPad);
    } else {
      const bool relu = layer.activation == Activation::Relu;
      gemm(x, ldx, rows, layer.k, layer.w.data(), layer.outPad, layer.bias.data(), relu, y, layer.outPad);
      if (!relu) activateColumns(layer.activation, y, rows, layer.out, layer.outPad);
    }
    acts[l] = y;
    x = y;
    ldx = layer.outPad;
  }
  for (int r = 0; r < rows; r++) {
    std::memcpy(out + static_cast<size_t>(r) * outputSize_, x + static_cast<size_t>(r) * ldx, sizeof(float) * outputSize_);
  }
  if (gradient == nullptr) return -1;

  float* delta = next;
  float* tmp = next + static_cast<size_t>(kBlockRows) * widest_;
  seedOutputDelta(delta, rows, layers_.back().outPad, layers_.back().activation, acts[layers_.size() - 1], outputIndex);
  for (size_t l = layers_.size() - 1; l >= 1; l--) {
    const Layer& layer = layers_[l];
    const Layer& below = layers_[l - 1];
    gemm(delta, layer.outPad, rows, layer.outPad, layer.wt.data(), layer.kPad, nullptr, false, tmp, layer.kPad);
    const float* a = acts[l - 1];
    backThroughActivation(below.activation, tmp, a, 0, static_cast<size_t>(rows) * below.outPad);  // rows * layer.kPad
    std::swap(delta, tmp);
  }
  const Layer& first = layers_.front();
  if (inputIndex >= 0) {
    const float* w = first.wRow.data() + static_cast<size_t>(inputIndex) * first.outPad;
    for (int r = 0; r < rows; r++) gradient[r] = dot(delta + static_cast<size_t>(r) * first.outPad, w, first.outPad);
  } else {
    gemm(delta, first.outPad, rows, first.outPad, first.wt.data(), first.kPad, nullptr, false, tmp, first.kPad);
    for (int r = 0; r < rows; r++) {
      std::memcpy(gradient + static_cast<size_t>(r) * inputSize_, tmp + static_cast<size_t>(r) * first.kPad,
                  sizeof(float) * inputSize_);
    }
  }
  return -1;
}

namespace {

// Lowers `best` to `candidate` if smaller (the first bad element over all tasks).
void recordFirst(std::atomic<std::int64_t>& best, std::int64_t candidate) {
  std::int64_t seen = best.load();
  while (candidate < seen && !best.compare_exchange_weak(seen, candidate)) {
  }
}

}  // namespace

std::int64_t Mlp::runBlocks(const float* input, const OffsetRows* from, std::int64_t batch, float* out, float* gradient,
                            int inputIndex, int outputIndex, int maxThreads) const {
  if (batch <= 0) return -1;
  if (useLibrary(batch)) {
    return runLibrary(input, from, batch, out, gradient, inputIndex, outputIndex, maxThreads);
  }
  const double work = static_cast<double>(batch) * macsPerRow_ * (gradient != nullptr ? 2 : 1);
  const int threads = work < kParallelMacs ? 1 : maxThreads;
  // A batch too small to give every thread a 64-row block is cut into one block per thread (a
  // multiple of 8 rows, at least kMinBlockRows), so that batch 64 through wide layers uses both
  // threads. A row's arithmetic does not depend on its block, so results stay the same.
  const int capacity = ThreadPool::instance().capacity();
  const int useThreads = threads <= 0 ? capacity : std::min(threads, capacity);
  int blockRows = kBlockRows;
  if (useThreads > 1 && batch < static_cast<std::int64_t>(useThreads) * kBlockRows) {
    const int perThread = static_cast<int>((batch + useThreads - 1) / useThreads);
    blockRows = std::max(kMinBlockRows, roundUp(perThread));
  }
  const std::int64_t tasks = (batch + blockRows - 1) / blockRows;
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> firstBad{kNone};
  // From offsets: rows whose first-layer pre-activation is not finite, reported only when no row
  // has a bad pair index or x (those are what callers get wrong; this is a bad offsets table).
  std::atomic<std::int64_t> firstBadSum{kNone};
  const std::int64_t gradientWidth = inputIndex >= 0 ? 1 : inputSize_;
  ThreadPool::instance().run(static_cast<int>(tasks), threads, [&](int task, int) {
    thread_local std::vector<float> scratch;
    const std::int64_t row0 = static_cast<std::int64_t>(task) * blockRows;
    const int rows = static_cast<int>(std::min<std::int64_t>(blockRows, batch - row0));
    float* blockGradient = gradient != nullptr ? gradient + row0 * gradientWidth : nullptr;
    if (from != nullptr) {
      // Every row's pair index is checked before its offsets row is read.
      for (int r = 0; r < rows; r++) {
        const std::int64_t pair = from->pairOf[row0 + r];
        if (pair < 0 || pair >= from->pairs || !std::isfinite(from->x[row0 + r])) {
          recordFirst(firstBad, row0 + r);
          return;
        }
      }
      const OffsetRows shifted{from->offsets, from->pairs, from->pairOf + row0, from->x + row0};
      const int bad = block(nullptr, &shifted, rows, out + row0 * outputSize_, blockGradient, inputIndex, outputIndex, scratch);
      if (bad >= 0) recordFirst(firstBadSum, row0 + bad);
      return;
    }
    const float* x = input + row0 * inputSize_;
    const std::int64_t n = static_cast<std::int64_t>(rows) * inputSize_;
    for (std::int64_t i = 0; i < n; i++) {
      if (!std::isfinite(x[i])) {
        recordFirst(firstBad, row0 * inputSize_ + i);
        return;
      }
    }
    block(x, nullptr, rows, out + row0 * outputSize_, blockGradient, inputIndex, outputIndex, scratch);
  });
  const std::int64_t bad = firstBad.load() != kNone ? firstBad.load() : firstBadSum.load();
  return bad == kNone ? -1 : bad;
}

std::int64_t Mlp::runLibrary(const float* input, const OffsetRows* from, std::int64_t batch, float* out,
                             float* gradient, int inputIndex, int outputIndex, int maxThreads) const {
  // Rows are checked before they are used, chunk by chunk in row order, so the first bad element
  // found is the first of the batch; from offsets, every pair index and x is checked up front (a bad
  // one is reported before any non-finite pre-activation, as runBlocks does).
  if (from != nullptr) {
    for (std::int64_t r = 0; r < batch; r++) {
      const std::int64_t pair = from->pairOf[r];
      if (pair < 0 || pair >= from->pairs || !std::isfinite(from->x[r])) return r;
    }
  }
  thread_local std::vector<float> scratch;
  size_t need = 2 * static_cast<size_t>(kLibraryChunkRows) * widest_;
  for (const Layer& layer : layers_) need += static_cast<size_t>(kLibraryChunkRows) * layer.outPad;
  if (scratch.size() < need) scratch.resize(need);
  const std::int64_t gradientWidth = inputIndex >= 0 ? 1 : inputSize_;

  for (std::int64_t row0 = 0; row0 < batch; row0 += kLibraryChunkRows) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kLibraryChunkRows, batch - row0));
    const float* x = nullptr;
    int ldx = inputSize_;
    if (from == nullptr) {
      x = input + row0 * inputSize_;
      const std::int64_t n = static_cast<std::int64_t>(rows) * inputSize_;
      for (std::int64_t i = 0; i < n; i++) {
        if (!std::isfinite(x[i])) return row0 * inputSize_ + i;
      }
    }
    float* next = scratch.data();
    const float* acts[kMaxLayers];
    for (size_t l = 0; l < layers_.size(); l++) {
      const Layer& layer = layers_[l];
      float* y = next;
      next += static_cast<size_t>(kLibraryChunkRows) * layer.outPad;
      if (l == 0 && from != nullptr) {
        const float* w = layer.wRow.data() + static_cast<size_t>(inputIndex) * layer.outPad;
        const int bad = offsetRows(from->offsets, from->pairOf + row0, from->x + row0, w, rows, layer.out,
                                   layer.outPad, y);
        if (bad >= 0) return row0 + bad;
        forRowBlocks(rows, layer.outPad, maxThreads, [&](int r0, int r1) {
          activateRows(layer.activation, y + static_cast<size_t>(r0) * layer.outPad,
                       static_cast<size_t>(r1 - r0) * layer.outPad);
        });
      } else {
        sgemm(false, false, rows, layer.outPad, layer.k, x, ldx, layer.wRow.data(), layer.outPad, false, y,
              layer.outPad, maxThreads);
        forRowBlocks(rows, layer.outPad, maxThreads, [&](int r0, int r1) {
          for (int r = r0; r < r1; r++) {
            float* yr = y + static_cast<size_t>(r) * layer.outPad;
            for (int j = 0; j < layer.outPad; j++) yr[j] += layer.bias[j];
          }
          activateRows(layer.activation, y + static_cast<size_t>(r0) * layer.outPad,
                       static_cast<size_t>(r1 - r0) * layer.outPad);
        });
      }
      acts[l] = y;
      x = y;
      ldx = layer.outPad;
    }
    for (int r = 0; r < rows; r++) {
      std::memcpy(out + (row0 + r) * outputSize_, x + static_cast<size_t>(r) * ldx, sizeof(float) * outputSize_);
    }
    if (gradient == nullptr) continue;

    float* delta = next;
    float* tmp = next + static_cast<size_t>(kLibraryChunkRows) * widest_;
    seedOutputDelta(delta, rows, layers_.back().outPad, layers_.back().activation, acts[layers_.size() - 1], outputIndex);
    for (size_t l = layers_.size() - 1; l >= 1; l--) {
      const Layer& layer = layers_[l];
      const Layer& below = layers_[l - 1];
      // tmp[rows, k] = delta[rows, outPad] W^T (k == below.outPad).
      sgemm(false, true, rows, layer.k, layer.outPad, delta, layer.outPad, layer.wRow.data(), layer.outPad, false, tmp,
            layer.k, maxThreads);
      const float* a = acts[l - 1];
      if (below.activation != Activation::Linear) {
        forRowBlocks(rows, below.outPad, maxThreads, [&](int r0, int r1) {
          backThroughActivation(below.activation, tmp, a, static_cast<size_t>(r0) * below.outPad,
                                static_cast<size_t>(r1) * below.outPad);
        });
      }
      std::swap(delta, tmp);
    }
    const Layer& first = layers_.front();
    float* chunkGradient = gradient + row0 * gradientWidth;
    if (inputIndex >= 0) {
      const float* w = first.wRow.data() + static_cast<size_t>(inputIndex) * first.outPad;
      for (int r = 0; r < rows; r++) chunkGradient[r] = dot(delta + static_cast<size_t>(r) * first.outPad, w, first.outPad);
    } else {
      sgemm(false, true, rows, inputSize_, first.outPad, delta, first.outPad, first.wRow.data(), first.outPad, false,
            chunkGradient, inputSize_, maxThreads);
    }
  }
  return -1;
}

std::int64_t Mlp::forward(const float* input, std::int64_t batch, float* out, int maxThreads) const {
  return runBlocks(input, nullptr, batch, out, nullptr, -1, 0, maxThreads);
}

std::int64_t Mlp::forwardWithInputGradient(const float* input, std::int64_t batch, float* output, float* gradient,
                                           int inputIndex, int outputIndex, int maxThreads) const {
  if (inputIndex >= inputSize_ || outputIndex < 0 || outputIndex >= outputSize_) {
    throw std::invalid_argument("inputIndex/outputIndex out of range");
  }
  return runBlocks(input, nullptr, batch, output, gradient, inputIndex, outputIndex, maxThreads);
}

std::int64_t Mlp::firstLayerOffsets(const float* templates, std::int64_t pairs, int inputIndex, float* offsets,
                                    int maxThreads) const {
  if (inputIndex < 0 || inputIndex >= inputSize_) throw std::invalid_argument("inputIndex out of range");
  if (pairs <= 0) return -1;
  const Layer& first = layers_.front();
  if (useLibrary(pairs)) {
    // Chunks of templates with column inputIndex zeroed, one library product each straight into
    // offsets (unpadded rows), then the bias.
    thread_local std::vector<float> scratch;
    const size_t need = static_cast<size_t>(kLibraryChunkRows) * inputSize_;
    if (scratch.size() < need) scratch.resize(need);
    for (std::int64_t row0 = 0; row0 < pairs; row0 += kLibraryChunkRows) {
      const int rows = static_cast<int>(std::min<std::int64_t>(kLibraryChunkRows, pairs - row0));
      const float* src = templates + row0 * inputSize_;
      const std::int64_t n = static_cast<std::int64_t>(rows) * inputSize_;
      for (std::int64_t i = 0; i < n; i++) {
        if (!std::isfinite(src[i]) && i % inputSize_ != inputIndex) return row0 * inputSize_ + i;
        scratch[i] = i % inputSize_ == inputIndex ? 0.0f : src[i];
      }
      float* y = offsets + row0 * first.out;
      sgemm(false, false, rows, first.out, inputSize_, scratch.data(), inputSize_, first.wRow.data(), first.outPad,
            false, y, first.out, maxThreads);
      forRowBlocks(rows, first.out, maxThreads, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) {
          float* yr = y + static_cast<size_t>(r) * first.out;
          for (int j = 0; j < first.out; j++) yr[j] += first.bias[j];
        }
      });
    }
    return -1;
  }
  const std::int64_t tasks = (pairs + kBlockRows - 1) / kBlockRows;
  const double work = static_cast<double>(pairs) * inputSize_ * first.out;
  const int threads = work < kParallelMacs ? 1 : maxThreads;
  std::atomic<std::int64_t> firstBad{std::numeric_limits<std::int64_t>::max()};
  ThreadPool::instance().run(static_cast<int>(tasks), threads, [&](int task, int) {
    thread_local std::vector<float> scratch;
    const std::int64_t row0 = static_cast<std::int64_t>(task) * kBlockRows;
    const int rows = static_cast<int>(std::min<std::int64_t>(kBlockRows, pairs - row0));
    // The block's templates with column inputIndex zeroed, then the padded gemm result.
    const size_t need = static_cast<size_t>(kBlockRows) * (inputSize_ + first.outPad);
    if (scratch.size() < need) scratch.resize(need);
    float* x = scratch.data();
    float* y = x + static_cast<size_t>(kBlockRows) * inputSize_;
    for (int r = 0; r < rows; r++) {
      const float* src = templates + (row0 + r) * inputSize_;
      float* dst = x + static_cast<size_t>(r) * inputSize_;
      for (int i = 0; i < inputSize_; i++) {
        if (i == inputIndex) {
          dst[i] = 0.0f;
        } else if (std::isfinite(src[i])) {
          dst[i] = src[i];
        } else {
          recordFirst(firstBad, (row0 + r) * inputSize_ + i);
          return;
        }
      }
    }
    gemm(x, inputSize_, rows, first.k, first.w.data(), first.outPad, first.bias.data(), false, y, first.outPad);
    for (int r = 0; r < rows; r++) {
      std::memcpy(offsets + (row0 + r) * first.out, y + static_cast<size_t>(r) * first.outPad, sizeof(float) * first.out);
    }
  });
  const std::int64_t bad = firstBad.load();
  return bad == std::numeric_limits<std::int64_t>::max() ? -1 : bad;
}

std::int64_t Mlp::forwardWithInputGradientFromOffsets(const float* offsets, std::int64_t pairs,
                                                      const std::int32_t* pairOf, const float* x, std::int64_t batch,
                                                      float* output, float* gradient, int inputIndex, int outputIndex,
                                                      int maxThreads) const {
  if (inputIndex < 0 || inputIndex >= inputSize_ || outputIndex < 0 || outputIndex >= outputSize_) {
    throw std::invalid_argument("inputIndex/outputIndex out of range");
  }
  const OffsetRows from{offsets, pairs, pairOf, x};
  return runBlocks(nullptr, &from, batch, output, gradient, inputIndex, outputIndex, maxThreads);
}

}  // namespace ns3ts
