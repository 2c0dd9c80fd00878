#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "thread_pool.h"

#if defined(NS3TS_WITH_ONEDNN)
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <signal.h>
#elif defined(NS3TS_WITH_OPENBLAS)
#include <cblas.h>
#endif

namespace ns3ts {
namespace {

constexpr int kTile = 8;             // floats per vector register
constexpr int kRowsPerTask = 16;     // rows of C per pool task (a multiple of the 4-row micro-kernel)
constexpr double kParallelMacs = 1 << 18;  // below this a product runs on the calling thread
// The same rule for the library's products, whose OpenMP team sleeps between products (passive
// wait): waking it costs system time on every product, so a product runs on one thread below 8M
// multiply-adds (e.g. MADDPG's 64-wide layers at batch 768), and on the requested count above
// (TD3's 256 x 256 layers at batch 256: 16.8M).
[[maybe_unused]] constexpr double kLibraryParallelMacs = 1 << 23;
// Products with at most this many columns go to oneDNN column by column.
[[maybe_unused]] constexpr int kNarrowColumns = 4;

typedef float v8 __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

// Element (i, p) of op(A).
inline float at(const float* a, int lda, bool trans, int i, int p) {
  return trans ? a[static_cast<size_t>(p) * lda + i] : a[static_cast<size_t>(i) * lda + p];
}

// Rows [r0, r1) of C when B is not transposed: C[i, :] += op(A)[i, p] B[p, :], four rows and
// sixteen columns of accumulators at a time; the p order is fixed, so results do not depend on
// how rows are split.
inline __attribute__((always_inline)) void rowsBNormal(bool transA, int r0, int r1, int n, int k, const float* a,
                                                       int lda, const float* b, int ldb, bool accumulate, float* c,
                                                       int ldc) {
  const int nVec = n / 16 * 16;
  int i = r0;
  for (; i + 4 <= r1; i += 4) {
    for (int j = 0; j < nVec; j += 16) {
      v8 acc[4][2];
      for (int r = 0; r < 4; r++) {
        float* cr = c + static_cast<size_t>(i + r) * ldc + j;
        acc[r][0] = accumulate ? load8(cr) : v8{};
        acc[r][1] = accumulate ? load8(cr + kTile) : v8{};
      }
      for (int p = 0; p < k; p++) {
        const float* bp = b + static_cast<size_t>(p) * ldb + j;
        const v8 b0 = load8(bp);
        const v8 b1 = load8(bp + kTile);
        for (int r = 0; r < 4; r++) {
          const float av = at(a, lda, transA, i + r, p);
          acc[r][0] += av * b0;
          acc[r][1] += av * b1;
        }
      }
      for (int r = 0; r < 4; r++) {
        float* cr = c + static_cast<size_t>(i + r) * ldc + j;
        store8(cr, acc[r][0]);
        store8(cr + kTile, acc[r][1]);
      }
    }
  }
  // Leftover rows: one row and sixteen columns of accumulators at a time.
  for (int row = i; row < r1; row++) {
    float* cr = c + static_cast<size_t>(row) * ldc;
    for (int j = 0; j < nVec; j += 16) {
      v8 acc0 = accumulate ? load8(cr + j) : v8{};
      v8 acc1 = accumulate ? load8(cr + j + kTile) : v8{};
      for (int p = 0; p < k; p++) {
        const float av = at(a, lda, transA, row, p);
        const float* bp = b + static_cast<size_t>(p) * ldb + j;
        acc0 += av * load8(bp);
        acc1 += av * load8(bp + kTile);
      }
      store8(cr + j, acc0);
      store8(cr + j + kTile, acc1);
    }
  }
  // Leftover columns (all rows), one element at a time.
  for (int row = r0; row < r1; row++) {
    const int jStart = nVec;
    for (int j = jStart; j < n; j++) {
      float sum = accumulate ? c[static_cast<size_t>(row) * ldc + j] : 0.0f;
      for (int p = 0; p < k; p++) sum += at(a, lda, transA, row, p) * b[static_cast<size_t>(p) * ldb + j];
      c[static_cast<size_t>(row) * ldc + j] = sum;
    }
  }
}

// Rows [r0, r1) of C when B is transposed: C[i, j] = dot(op(A) row i, B row j); contiguous when A
// is not transposed (the input gradient dY W^T).
inline __attribute__((always_inline)) void rowsBTransposed(bool transA, int r0, int r1, int n, int k,
                                                           const float* a, int lda, const float* b, int ldb,
                                                           bool accumulate, float* c, int ldc) {
  const int kVec = transA ? 0 : k / kTile * kTile;
  for (int i = r0; i < r1; i++) {
    const float* ai = a + static_cast<size_t>(i) * lda;
    for (int j = 0; j < n; j++) {
      const float* bj = b + static_cast<size_t>(j) * ldb;
      v8 acc = v8{};
      for (int p = 0; p < kVec; p += kTile) acc += load8(ai + p) * load8(bj + p);
      float sum = 0;
      for (int t = 0; t < kTile; t++) sum += acc[t];
      for (int p = kVec; p < k; p++) sum += at(a, lda, transA, i, p) * bj[p];
      float* cij = c + static_cast<size_t>(i) * ldc + j;
      *cij = accumulate ? *cij + sum : sum;
    }
  }
}

using RowsFn = void (*)(bool, bool, int, int, int, int, const float*, int, const float*, int, bool, float*, int);

void rowsBaseline(bool transA, bool transB, int r0, int r1, int n, int k, const float* a, int lda, const float* b,
                  int ldb, bool accumulate, float* c, int ldc) {
  if (transB) rowsBTransposed(transA, r0, r1, n, k, a, lda, b, ldb, accumulate, c, ldc);
  else rowsBNormal(transA, r0, r1, n, k, a, lda, b, ldb, accumulate, c, ldc);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(NS3TS_NO_AVX2)
__attribute__((target("avx2,fma"))) void rowsAvx2(bool transA, bool transB, int r0, int r1, int n, int k,
                                                  const float* a, int lda, const float* b, int ldb, bool accumulate,
                                                  float* c, int ldc) {
  if (transB) rowsBTransposed(transA, r0, r1, n, k, a, lda, b, ldb, accumulate, c, ldc);
  else rowsBNormal(transA, r0, r1, n, k, a, lda, b, ldb, accumulate, c, ldc);
}
bool cpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
const RowsFn rows = cpuHasAvx2Fma() ? rowsAvx2 : rowsBaseline;
#else
const RowsFn rows = rowsBaseline;
#endif

#if defined(NS3TS_WITH_ONEDNN) || defined(NS3TS_WITH_OPENBLAS)
int resolvedThreads(int threads) {
  const int capacity = ThreadPool::instance().capacity();
  return threads <= 0 ? capacity : std::min(threads, capacity);
}
#endif

}  // namespace

void sgemmBuiltIn(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                  bool accumulate, float* c, int ldc, int threads) {
  if (m <= 0 || n <= 0) return;
  const double work = static_cast<double>(m) * n * k;
  const int tasks = (m + kRowsPerTask - 1) / kRowsPerTask;
  ThreadPool::instance().run(tasks, work < kParallelMacs ? 1 : threads, [&](int task, int) {
    const int r0 = task * kRowsPerTask;
    rows(transA, transB, r0, std::min(m, r0 + kRowsPerTask), n, k, a, lda, b, ldb, accumulate, c, ldc);
  });
}

#if defined(NS3TS_WITH_ONEDNN)

const char* gemmBackendName() {
  static const std::string name = [] {
    const dnnl_version_t* v = dnnl_version();
    return "onednn " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  }();
  return name.c_str();
}
bool gemmIsLibrary() { return true; }

// oneDNN's JIT matrix-product kernels (at least through 3.11) point the stack pointer at a heap
// workspace while they run, so a signal delivered to a thread inside them (a profiler's SIGPROF,
// any timer or handler) has its frame written into the heap and corrupts it. Every asynchronous
// signal is blocked on the calling thread for the duration of the products and delivered right
// after; OpenMP's worker threads are started inside a product and so inherit the blocked mask.
// Faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) stay deliverable.
namespace {
thread_local int signalScopeDepth = 0;
thread_local sigset_t signalMaskBefore;
}  // namespace

GemmSignalScope::GemmSignalScope() {
  if (signalScopeDepth++ > 0) return;
  sigset_t all;
  sigfillset(&all);
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) sigdelset(&all, fault);
  pthread_sigmask(SIG_BLOCK, &all, &signalMaskBefore);
}

GemmSignalScope::~GemmSignalScope() {
  if (--signalScopeDepth > 0) return;
  pthread_sigmask(SIG_SETMASK, &signalMaskBefore, nullptr);
}

namespace {

// The OpenMP team's size for a product of m x n x k multiply-adds (see kLibraryParallelMacs), set on
// the calling thread, which is the one whose OpenMP settings oneDNN reads; the pool stays idle meanwhile.
int useLibraryThreads(int m, int n, int k, int threads) {
  const int wanted = static_cast<double>(m) * n * k < kLibraryParallelMacs ? 1 : resolvedThreads(threads);
  thread_local int current = 0;
  if (current != wanted) {
    omp_set_num_threads(wanted);
    current = wanted;
  }
  return wanted;
}

// oneDNN's matmul primitive (its brgemm kernels) where it beats dnnl_sgemm on the training shapes:
// the forward product with the bias and a ReLU as post-ops (y is written once instead of twice), and
// the input gradient delta W^T (74 us instead of 80 us through 256 x 128 x 128, W read transposed).
// dnnl_sgemm stays for the weight gradient X^T delta, where it is the faster of the two, and for
// narrow products. A primitive is built once per shape and thread count (tens of microseconds) and
// kept in a per-thread cache; running one allocates nothing.
constexpr int kMatmulMinRows = 32;
constexpr std::size_t kMatmulCacheSize = 64;

enum class MatmulKind { Bias, BiasRelu, TransposedB };

struct MatmulKey {
  MatmulKind kind;
  int m, n, k, lda, ldb, ldc, threads;
  bool operator==(const MatmulKey& o) const {
    return kind == o.kind && m == o.m && n == o.n && k == o.k && lda == o.lda && ldb == o.ldb && ldc == o.ldc &&
           threads == o.threads;
  }
};

dnnl_engine_t cpuEngine() {
  static const dnnl_engine_t engine = [] {
    dnnl_engine_t created = nullptr;
    return dnnl_engine_create(&created, dnnl_cpu, 0) == dnnl_success ? created : nullptr;
  }();
  return engine;
}

class MatmulCache {
 public:
  struct Entry {
    MatmulKey key{};
    dnnl_primitive_t primitive = nullptr;  // nullptr: no brgemm kernel for this key (sgemm is used)
    dnnl_memory_t src = nullptr, weights = nullptr, bias = nullptr, dst = nullptr;
  };

  MatmulCache() = default;
  MatmulCache(const MatmulCache&) = delete;
  MatmulCache& operator=(const MatmulCache&) = delete;
  ~MatmulCache() {
    for (Entry& entry : entries_) release(entry);
    if (stream_ != nullptr) dnnl_stream_destroy(stream_);
  }

  dnnl_stream_t stream() {
    if (stream_ == nullptr && cpuEngine() != nullptr) dnnl_stream_create(&stream_, cpuEngine(), dnnl_stream_default_flags);
    return stream_;
  }

  // The entry for key, built on first use. A key without a primitive is remembered too, so falling
  // back to sgemm costs one lookup.
  Entry& get(const MatmulKey& key) {
    for (Entry& entry : entries_) {
      if (entry.key == key) return entry;
    }
    Entry* slot;
    if (entries_.size() < kMatmulCacheSize) {
      entries_.emplace_back();
      slot = &entries_.back();
    } else {
      slot = &entries_[nextEvicted_];
      nextEvicted_ = (nextEvicted_ + 1) % kMatmulCacheSize;
      release(*slot);
    }
    slot->key = key;
    build(*slot);
    return *slot;
  }

 private:
  static void release(Entry& entry) {
    if (entry.primitive != nullptr) dnnl_primitive_destroy(entry.primitive);
    for (dnnl_memory_t memory : {entry.src, entry.weights, entry.bias, entry.dst}) {
      if (memory != nullptr) dnnl_memory_destroy(memory);
    }
    entry = Entry{};
  }

  static void build(Entry& entry) {
    const MatmulKey key = entry.key;
    dnnl_engine_t engine = cpuEngine();
    if (engine == nullptr) return;
    const bool transposedB = key.kind == MatmulKind::TransposedB;
    dnnl_memory_desc_t srcMd, weightsMd, biasMd, dstMd;
    const dnnl_dims_t srcDims = {key.m, key.k}, srcStrides = {key.lda, 1};
    const dnnl_dims_t weightsDims = {key.k, key.n};
    const dnnl_dims_t weightsStrides = {transposedB ? 1 : key.ldb, transposedB ? key.ldb : 1};
    const dnnl_dims_t dstDims = {key.m, key.n}, dstStrides = {key.ldc, 1};
    const dnnl_dims_t biasDims = {1, key.n}, biasStrides = {key.n, 1};
    if (dnnl_memory_desc_init_by_strides(&srcMd, 2, srcDims, dnnl_f32, srcStrides) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&weightsMd, 2, weightsDims, dnnl_f32, weightsStrides) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&dstMd, 2, dstDims, dnnl_f32, dstStrides) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&biasMd, 2, biasDims, dnnl_f32, biasStrides) != dnnl_success) {
      return;
    }
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &srcMd, &weightsMd, transposedB ? nullptr : &biasMd, &dstMd) != dnnl_success) {
      return;
    }
    dnnl_primitive_attr_t attr = nullptr;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return;
    dnnl_post_ops_t postOps = nullptr;
    bool attrReady = true;
    if (key.kind == MatmulKind::BiasRelu) {
      attrReady = dnnl_post_ops_create(&postOps) == dnnl_success &&
                  dnnl_post_ops_append_eltwise(postOps, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
                  dnnl_primitive_attr_set_post_ops(attr, postOps) == dnnl_success;
    }
    dnnl_primitive_desc_t pd = nullptr;
    const bool described = attrReady && dnnl_primitive_desc_create(&pd, &desc, attr, engine, nullptr) == dnnl_success;
    if (postOps != nullptr) dnnl_post_ops_destroy(postOps);
    dnnl_primitive_attr_destroy(attr);
    if (!described) return;
    // Only the brgemm kernels beat dnnl_sgemm; another implementation is not used.
    const char* impl = nullptr;
    const bool brgemm = dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
                        impl != nullptr && std::strncmp(impl, "brg", 3) == 0;
    if (brgemm && dnnl_primitive_create(&entry.primitive, pd) != dnnl_success) entry.primitive = nullptr;
    dnnl_primitive_desc_destroy(pd);
    if (entry.primitive == nullptr) return;
    if (dnnl_memory_create(&entry.src, &srcMd, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&entry.weights, &weightsMd, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        dnnl_memory_create(&entry.dst, &dstMd, engine, DNNL_MEMORY_NONE) != dnnl_success ||
        (!transposedB && dnnl_memory_create(&entry.bias, &biasMd, engine, DNNL_MEMORY_NONE) != dnnl_success)) {
      release(entry);
      entry.key = key;
    }
  }

  std::vector<Entry> entries_;
  std::size_t nextEvicted_ = 0;
  dnnl_stream_t stream_ = nullptr;
};

// Runs the cached primitive for key on (a, b, bias) into c; false when there is none.
bool runMatmul(const MatmulKey& key, const float* a, const float* b, const float* bias, float* c) {
  thread_local MatmulCache cache;
  MatmulCache::Entry& entry = cache.get(key);
  dnnl_stream_t stream = cache.stream();
  if (entry.primitive == nullptr || stream == nullptr) return false;
  dnnl_memory_set_data_handle(entry.src, const_cast<float*>(a));
  dnnl_memory_set_data_handle(entry.weights, const_cast<float*>(b));
  dnnl_memory_set_data_handle(entry.dst, c);
  int count = 3;
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, entry.src}, {DNNL_ARG_WEIGHTS, entry.weights}, {DNNL_ARG_DST, entry.dst},
                             {DNNL_ARG_BIAS, entry.bias}};
  if (entry.bias != nullptr) {
    dnnl_memory_set_data_handle(entry.bias, const_cast<float*>(bias));
    count = 4;
  }
  return dnnl_primitive_execute(entry.primitive, stream, count, args) == dnnl_success &&
         dnnl_stream_wait(stream) == dnnl_success;
}

}  // namespace

bool denseForward(int m, int n, int k, const float* x, const float* w, const float* bias, bool relu, float* y,
                  int threads) {
  if (m < kMatmulMinRows || n <= kNarrowColumns || k <= 0) return false;
  const GemmSignalScope signalsBlocked;
  const int wanted = useLibraryThreads(m, n, k, threads);
  return runMatmul({relu ? MatmulKind::BiasRelu : MatmulKind::Bias, m, n, k, k, n, n, wanted}, x, w, bias, y);
}

void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           bool accumulate, float* c, int ldc, int threads) {
  if (m <= 0 || n <= 0) return;
  const GemmSignalScope signalsBlocked;
  const int wanted = useLibraryThreads(m, n, k, threads);
  if (!transA && transB && !accumulate && m >= kMatmulMinRows && n > kNarrowColumns && k > 0 &&
      runMatmul({MatmulKind::TransposedB, m, n, k, lda, ldb, ldc, wanted}, a, b, nullptr, c)) {
    return;
  }
  const float beta = accumulate ? 1.0f : 0.0f;
  if (n >= 2 && n <= kNarrowColumns) {
    // A narrow product (a 3-wide output layer, its weight gradient, a critic's action columns of the
    // input gradient) one column at a time: oneDNN 2.6 takes about as long for 2 to 16 columns as
    // for 16 (13 us through 256 x 128 x 3), while one column is its matrix-vector path (under 2 us).
    // Column j of op(B) is B + j with row stride ldb, or row j of B when B is transposed.
    for (int j = 0; j < n; j++) {
      const float* bColumn = transB ? b + static_cast<std::size_t>(j) * ldb : b + j;
      dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, 1, k, 1.0f, a, lda, bColumn, ldb, beta, c + j, ldc);
    }
    return;
  }
  dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

#elif defined(NS3TS_WITH_OPENBLAS)

GemmSignalScope::GemmSignalScope() = default;
GemmSignalScope::~GemmSignalScope() = default;

const char* gemmBackendName() { return "openblas"; }

bool denseForward(int, int, int, const float*, const float*, const float*, bool, float*, int) { return false; }
bool gemmIsLibrary() { return true; }

void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           bool accumulate, float* c, int ldc, int threads) {
  if (m <= 0 || n <= 0) return;
  const int wanted = static_cast<double>(m) * n * k < kLibraryParallelMacs ? 1 : resolvedThreads(threads);
  thread_local int current = 0;
  if (current != wanted) {
    openblas_set_num_threads(wanted);
    current = wanted;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
              lda, b, ldb, accumulate ? 1.0f : 0.0f, c, ldc);
}

#else

GemmSignalScope::GemmSignalScope() = default;
GemmSignalScope::~GemmSignalScope() = default;

const char* gemmBackendName() { return "built-in"; }

bool denseForward(int, int, int, const float*, const float*, const float*, bool, float*, int) { return false; }
bool gemmIsLibrary() { return false; }

void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           bool accumulate, float* c, int ldc, int threads) {
  sgemmBuiltIn(transA, transB, m, n, k, a, lda, b, ldb, accumulate, c, ldc, threads);
}

#endif

}  // namespace ns3ts
