// The matrix products of the training engine: C = op(A) op(B) (+ C), row-major float32, from
// oneDNN's sgemm when the addon was built against it, else OpenBLAS's cblas_sgemm, else the
// built-in kernels below (split over rows on the addon's thread pool).
#pragma once

namespace ns3ts {

/** Which library computes the products: "onednn 2.6.x", "openblas" or "built-in". */
const char* gemmBackendName();

/** True when sgemm comes from a library (oneDNN or OpenBLAS), false for the built-in kernels. */
bool gemmIsLibrary();

/**
 * C[m, n] = op(A)[m, k] op(B)[k, n] + (accumulate ? C : 0), row-major with leading dimensions
 * lda, ldb, ldc; op(X) = X^T when trans*. threads > 0 caps the threads (0 = all the pool has).
 * Deterministic for a fixed thread count: every backend splits the work by a fixed rule.
 */
void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           bool accumulate, float* c, int ldc, int threads);

/**
 * A dense layer's forward, y[m, n] = x[m, k] w[k, n] + bias, then max(0, .) when `relu`, in one
 * pass where the library can (oneDNN's matmul primitive with the bias and a ReLU post-op, which
 * saves the separate pass over y). Returns false when it cannot (another backend, a small batch, a
 * narrow layer): the caller then runs sgemm and its own bias/activation pass. Deterministic for a
 * fixed thread count.
 */
bool denseForward(int m, int n, int k, const float* x, const float* w, const float* bias, bool relu, float* y,
                  int threads);

/**
 * While alive, asynchronous signals are blocked on this thread when sgemm is oneDNN's (its JIT
 * kernels move the stack pointer into heap memory, where a signal frame would land); pending
 * signals arrive when the outermost scope ends. sgemm opens one itself; a caller running many
 * products in a row (a forward or backward pass) opens one around them to pay the two system
 * calls once. Nested scopes cost nothing; with the other backends it does nothing.
 */
class GemmSignalScope {
 public:
  GemmSignalScope();
  ~GemmSignalScope();
  GemmSignalScope(const GemmSignalScope&) = delete;
  GemmSignalScope& operator=(const GemmSignalScope&) = delete;
};

/** The same product on the built-in kernels only (tests compare the backends with it). */
void sgemmBuiltIn(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                  bool accumulate, float* c, int ldc, int threads);

}  // namespace ns3ts
