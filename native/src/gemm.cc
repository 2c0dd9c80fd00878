#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <string>

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
// Products with at most this many columns (and B not transposed) go to oneDNN column by column.
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

void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           bool accumulate, float* c, int ldc, int threads) {
  if (m <= 0 || n <= 0) return;
  const GemmSignalScope signalsBlocked;
  // oneDNN's OpenMP team takes the addon's thread count (set on the calling thread, which is the
  // one whose OpenMP settings oneDNN reads); the pool stays idle meanwhile.
  const int wanted = static_cast<double>(m) * n * k < kLibraryParallelMacs ? 1 : resolvedThreads(threads);
  thread_local int current = 0;
  if (current != wanted) {
    omp_set_num_threads(wanted);
    current = wanted;
  }
  const float beta = accumulate ? 1.0f : 0.0f;
  if (!transB && n >= 2 && n <= kNarrowColumns) {
    // A narrow product (a 3-wide output layer, its weight gradient) one column at a time: oneDNN
    // 2.6 takes about as long for 2 to 16 columns as for 16 (13 us through 256 x 128 x 3), while
    // one column is its matrix-vector path (under 2 us), B's column j being B + j with row stride ldb.
    for (int j = 0; j < n; j++) dnnl_sgemm(transA ? 'T' : 'N', 'N', m, 1, k, 1.0f, a, lda, b + j, ldb, beta, c + j, ldc);
    return;
  }
  dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

#elif defined(NS3TS_WITH_OPENBLAS)

GemmSignalScope::GemmSignalScope() = default;
GemmSignalScope::~GemmSignalScope() = default;

const char* gemmBackendName() { return "openblas"; }
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
bool gemmIsLibrary() { return false; }

void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           bool accumulate, float* c, int ldc, int threads) {
  sgemmBuiltIn(transA, transB, m, n, k, a, lda, b, ldb, accumulate, c, ldc, threads);
}

#endif

}  // namespace ns3ts
