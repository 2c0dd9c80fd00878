#include "projection.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "thread_pool.h"

namespace ns3ts {
namespace {

constexpr std::int64_t kRowsPerTask = 2048;
constexpr double kParallelElements = 1 << 16;

// Runs body(row0, row1) over [0, rows) in chunks, on the pool when the batch is big enough.
void forRows(std::int64_t rows, int cols, int maxThreads, const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (rows <= 0) return;
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  const int threads = static_cast<double>(rows) * cols < kParallelElements ? 1 : maxThreads;
  ThreadPool::instance().run(static_cast<int>(tasks), threads, [&](int task, int) {
    const std::int64_t row0 = static_cast<std::int64_t>(task) * kRowsPerTask;
    body(row0, std::min(rows, row0 + kRowsPerTask));
  });
}

// theta_eq = max_j (S_j - a) / j over the descending sort of v (sorted is scratch of size n).
double simplexThreshold(const double* v, int n, double a, double* sorted) {
  std::copy(v, v + n, sorted);
  std::sort(sorted, sorted + n, std::greater<double>());
  double prefix = 0;
  double theta = -INFINITY;
  for (int j = 0; j < n; j++) {
    prefix += sorted[j];
    const double candidate = (prefix - a) / (j + 1);
    if (candidate > theta) theta = candidate;
  }
  return theta;
}

// In place: v <- Proj(v) onto {x >= 0, sum x <= a} (or = a).
void projectRow(double* v, int n, double a, bool equality, double* sorted) {
  double theta = simplexThreshold(v, n, a, sorted);
  if (!equality) {
    double positiveSum = 0;
    for (int i = 0; i < n; i++) positiveSum += std::max(v[i], 0.0);
    if (positiveSum <= a) theta = 0;
  }
  for (int i = 0; i < n; i++) v[i] = std::max(v[i] - theta, 0.0);
}

inline double clip(double value, double low, double high) { return value < low ? low : value > high ? high : value; }

double boxSum(const double* v, const double* l, const double* u, int n, double theta) {
  double s = 0;
  for (int i = 0; i < n; i++) s += clip(v[i] - theta, l[i], u[i]);
  return s;
}

// out = clip(v - theta, l, u) with theta from a scan over g's sorted breakpoints (points: 2n scratch).
void projectBoxRow(const double* v, const double* l, const double* u, int n, double a, double* points, double* out) {
  double theta = 0;
  const double g0 = boxSum(v, l, u, n, 0);
  if (g0 > a) {
    for (int i = 0; i < n; i++) {
      points[2 * i] = v[i] - u[i];
      points[2 * i + 1] = v[i] - l[i];
    }
    std::sort(points, points + 2 * n);
    double lo = 0;
    double gLo = g0;
    theta = points[2 * n - 1];
    for (int k = 0; k < 2 * n; k++) {
      const double p = points[k];
      if (p <= lo) continue;
      const double gP = boxSum(v, l, u, n, p);
      if (gP <= a) {
        theta = gLo == gP ? p : lo + ((gLo - a) * (p - lo)) / (gLo - gP);
        break;
      }
      lo = p;
      gLo = gP;
    }
  }
  for (int i = 0; i < n; i++) out[i] = clip(v[i] - theta, l[i], u[i]);
}

}  // namespace

template <typename T>
void projectSimplexBatch(const T* values, std::int64_t rows, int cols, Budget budget, T* out, bool equality,
                         int maxThreads) {
  forRows(rows, cols, maxThreads, [&](std::int64_t row0, std::int64_t row1) {
    std::vector<double> row(cols), sorted(cols);
    for (std::int64_t r = row0; r < row1; r++) {
      const T* v = values + r * cols;
      for (int c = 0; c < cols; c++) row[c] = static_cast<double>(v[c]);
      projectRow(row.data(), cols, budget.at(r), equality, sorted.data());
      T* o = out + r * cols;
      for (int c = 0; c < cols; c++) o[c] = static_cast<T>(row[c]);
    }
  });
}

template <typename T>
void projectBoxSimplexBatch(const T* values, const T* lower, int lowerStride, const T* upper, int upperStride,
                            std::int64_t rows, int cols, Budget budget, T* out, int maxThreads) {
  forRows(rows, cols, maxThreads, [&](std::int64_t row0, std::int64_t row1) {
    std::vector<double> v(cols), l(cols), u(cols), x(cols), points(2 * static_cast<size_t>(cols));
    for (std::int64_t r = row0; r < row1; r++) {
      for (int c = 0; c < cols; c++) {
        v[c] = static_cast<double>(values[r * cols + c]);
        l[c] = static_cast<double>(lower[r * lowerStride + c]);
        u[c] = static_cast<double>(upper[r * upperStride + c]);
      }
      projectBoxRow(v.data(), l.data(), u.data(), cols, budget.at(r), points.data(), x.data());
      for (int c = 0; c < cols; c++) out[r * cols + c] = static_cast<T>(x[c]);
    }
  });
}

template <typename T>
void admmZDualBatch(const T* x, T* u, T* z, std::int64_t rows, int cols, Budget budget, double rho, double* primal,
                    double* dual, int maxThreads) {
  forRows(rows, cols, maxThreads, [&](std::int64_t row0, std::int64_t row1) {
    std::vector<double> row(cols), sorted(cols);
    for (std::int64_t r = row0; r < row1; r++) {
      const std::int64_t base = r * cols;
      for (int c = 0; c < cols; c++) row[c] = static_cast<double>(x[base + c]) + static_cast<double>(u[base + c]);
      projectRow(row.data(), cols, budget.at(r), false, sorted.data());
      double primalSq = 0;
      double dualSq = 0;
      for (int c = 0; c < cols; c++) {
        const double zNew = row[c];
        const double change = zNew - static_cast<double>(z[base + c]);
        const double gap = static_cast<double>(x[base + c]) - zNew;
        primalSq += gap * gap;
        dualSq += change * change;
        u[base + c] = static_cast<T>(static_cast<double>(u[base + c]) + gap);
        z[base + c] = static_cast<T>(zNew);
      }
      primal[r] = std::sqrt(primalSq);
      dual[r] = rho * std::sqrt(dualSq);
    }
  });
}

template void projectSimplexBatch<float>(const float*, std::int64_t, int, Budget, float*, bool, int);
template void projectSimplexBatch<double>(const double*, std::int64_t, int, Budget, double*, bool, int);
template void projectBoxSimplexBatch<float>(const float*, const float*, int, const float*, int, std::int64_t, int,
                                            Budget, float*, int);
template void projectBoxSimplexBatch<double>(const double*, const double*, int, const double*, int, std::int64_t,
                                             int, Budget, double*, int);
template void admmZDualBatch<float>(const float*, float*, float*, std::int64_t, int, Budget, double, double*, double*,
                                    int);
template void admmZDualBatch<double>(const double*, double*, double*, std::int64_t, int, Budget, double, double*,
                                     double*, int);

}  // namespace ns3ts
