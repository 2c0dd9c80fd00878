// The feasibility projection of one cell's shares, the same one the TypeScript side applies
// (src/constraints/feasible.ts); both are checked against test/vectors/projection.json.
// Equations and rules: docs/algorithms-projection.md.
//
//   x = argmin ||x - v||^2  over  {l <= x <= u, sum x <= budget}  on the active slices,  0 elsewhere
//
//  - Floors that over-subscribe the budget (sum of the active floors > budget) are scaled down
//    proportionally to sum to the budget, so the set is never empty.
//  - A non-finite value (NaN, +-inf) counts as 0.
//  - Bounds must be finite with 0 <= l <= u and the budget finite and >= 0; otherwise
//    bridge::Error (a caller bug, not an agent's).
#pragma once

#include <vector>

namespace bridge {

/// Share floors and caps of a cell's slices; empty vectors mean floors 0 and caps 1.
struct ShareBounds {
  std::vector<double> lower;
  std::vector<double> upper;
};

/// Projects `values` onto the feasible set. `active` empty means every slice is active; else it
/// has one entry per slice. Returns one share per slice.
std::vector<double> ProjectFeasible(const std::vector<double>& values,
                                    const ShareBounds& bounds = {},
                                    double budget = 1.0,
                                    const std::vector<bool>& active = {});

/// Euclidean projection of v onto {l <= x <= u, sum x <= budget} (sum l <= budget): x_s =
/// clip(v_s - theta, l_s, u_s) with theta = 0 when that fits, else the root of the
/// non-increasing piecewise-linear g(theta) = sum clip(v - theta, l, u) = budget, found
/// exactly on g's breakpoints. The building block of ProjectFeasible.
std::vector<double> ProjectBoxSimplex(const std::vector<double>& v,
                                      const std::vector<double>& lower,
                                      const std::vector<double>& upper,
                                      double budget);

}  // namespace bridge
