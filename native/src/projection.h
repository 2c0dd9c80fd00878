// Batched exact projections onto the per-cell allocation sets and the ADMM z-step + dual update,
// row by row over a [rows x cols] matrix; float64 arithmetic whatever the storage type T.
// Each follows src/constraints/projection.ts operation by operation, so float64 results agree
// to the last bits.
#pragma once

#include <cstdint>

namespace ns3ts {

/** A budget per row: `values[row]` when values != nullptr, else `scalar`. */
struct Budget {
  double scalar = 1;
  const double* values = nullptr;
  double at(std::int64_t row) const { return values != nullptr ? values[row] : scalar; }
};

/** out[r] = Proj_{x >= 0, sum x <= a_r}(values[r]) (sum = a_r with equality). out may alias values. */
template <typename T>
void projectSimplexBatch(const T* values, std::int64_t rows, int cols, Budget budget, T* out, bool equality,
                         int maxThreads);

/**
 * out[r] = Proj_{l <= x <= u, sum x <= a_r}(values[r]); lower/upper rows advance by lowerStride /
 * upperStride (0 = one row shared by all, cols = per row). Needs l <= u and sum l <= a_r.
 */
template <typename T>
void projectBoxSimplexBatch(const T* values, const T* lower, int lowerStride, const T* upper, int upperStride,
                            std::int64_t rows, int cols, Budget budget, T* out, int maxThreads);

/**
 * z = Proj(x + u); u += x - z; primal[r] = |x - z|, dual[r] = rho |z - z_prev| where z holds z_prev
 * on entry.
 */
template <typename T>
void admmZDualBatch(const T* x, T* u, T* z, std::int64_t rows, int cols, Budget budget, double rho, double* primal,
                    double* dual, int maxThreads);

}  // namespace ns3ts
