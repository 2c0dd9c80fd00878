// The feasibility projection (see projection.h and docs/algorithms-projection.md).
#include "ns3ts-bridge/projection.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ns3ts-bridge/error.h"

namespace bridge {
namespace {

double Clip(double value, double low, double high) {
  return value < low ? low : value > high ? high : value;
}

double SumClipped(const std::vector<double>& v, const std::vector<double>& lower,
                  const std::vector<double>& upper, double theta) {
  double sum = 0.0;
  for (size_t i = 0; i < v.size(); ++i) sum += Clip(v[i] - theta, lower[i], upper[i]);
  return sum;
}

}  // namespace

std::vector<double> ProjectBoxSimplex(const std::vector<double>& v, const std::vector<double>& lower,
                                      const std::vector<double>& upper, double budget) {
  const size_t n = v.size();
  double theta = 0.0;
  double gLo = SumClipped(v, lower, upper, 0.0);
  if (gLo > budget) {
    // Breakpoints of g: theta = v_i - u_i (leaves the cap) and theta = v_i - l_i (hits the floor).
    std::vector<double> points;
    points.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
      points.push_back(v[i] - upper[i]);
      points.push_back(v[i] - lower[i]);
    }
    std::sort(points.begin(), points.end());
    // g is non-increasing; find the segment [lo, p] with g(lo) > budget >= g(p), then interpolate.
    double lo = 0.0;
    theta = points.back();
    for (double p : points) {
      if (p <= lo) continue;
      const double gP = SumClipped(v, lower, upper, p);
      if (gP <= budget) {
        theta = gLo == gP ? p : lo + (gLo - budget) * (p - lo) / (gLo - gP);
        break;
      }
      lo = p;
      gLo = gP;
    }
  }
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = Clip(v[i] - theta, lower[i], upper[i]);
  return x;
}

std::vector<double> ProjectFeasible(const std::vector<double>& values, const ShareBounds& bounds,
                                    double budget, const std::vector<bool>& active) {
  const size_t n = values.size();
  auto sizeError = [n](const char* field, size_t got) {
    std::ostringstream what;
    what << "projection " << field << ": got " << got << " entries, expected " << n
         << " (one per slice) or none";
    return Error(what.str());
  };
  if (!bounds.lower.empty() && bounds.lower.size() != n) throw sizeError("floors", bounds.lower.size());
  if (!bounds.upper.empty() && bounds.upper.size() != n) throw sizeError("caps", bounds.upper.size());
  if (!active.empty() && active.size() != n) throw sizeError("active mask", active.size());
  if (!(budget >= 0.0) || !std::isfinite(budget)) {
    std::ostringstream what;
    what << "projection budget: got " << budget << ", expected a finite number >= 0";
    throw Error(what.str());
  }
  std::vector<double> v, lo, hi;
  double floorSum = 0.0;
  for (size_t s = 0; s < n; ++s) {
    const double l = bounds.lower.empty() ? 0.0 : bounds.lower[s];
    const double u = bounds.upper.empty() ? 1.0 : bounds.upper[s];
    if (!(std::isfinite(l) && std::isfinite(u) && l >= 0.0 && l <= u)) {
      std::ostringstream what;
      what << "bounds of slice " << s << ": got floor " << l << " and cap " << u
           << ", expected finite 0 <= floor <= cap";
      throw Error(what.str());
    }
    if (!active.empty() && !active[s]) continue;
    v.push_back(std::isfinite(values[s]) ? values[s] : 0.0);
    lo.push_back(l);
    hi.push_back(u);
    floorSum += l;
  }
  // Over-subscribed floors: scaled to the budget (the set is then the single point of the floors).
  if (floorSum > budget) {
    const double scale = budget / floorSum;
    for (double& l : lo) l *= scale;
  }
  const std::vector<double> x = v.empty() ? std::vector<double>{} : ProjectBoxSimplex(v, lo, hi, budget);
  std::vector<double> out(n, 0.0);
  for (size_t s = 0, j = 0; s < n; ++s) {
    if (active.empty() || active[s]) out[s] = x[j++];
  }
  return out;
}

}  // namespace bridge
