// Standalone test of the native kernels (no Node): run under AddressSanitizer/UBSan
// (-DNS3TS_SANITIZE=ON) or valgrind by test/native/sanitize.test.ts. Exits non-zero on failure.
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include "mlp.h"
#include "thread_pool.h"

using namespace ns3ts;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    failures++;
  }
}

struct Net {
  std::vector<int> sizes;
  std::vector<std::vector<float>> weights, biases;
  std::vector<Activation> activations;
  std::vector<DenseLayerInput> inputs() const {
    std::vector<DenseLayerInput> layers;
    for (size_t l = 0; l + 1 < sizes.size(); l++) {
      layers.push_back({sizes[l], sizes[l + 1], weights[l].data(), biases[l].data(), activations[l]});
    }
    return layers;
  }
};

Net randomNet(std::mt19937& rng, std::vector<int> sizes, std::vector<Activation> activations) {
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  Net net{sizes, {}, {}, activations};
  for (size_t l = 0; l + 1 < sizes.size(); l++) {
    net.weights.emplace_back(static_cast<size_t>(sizes[l]) * sizes[l + 1]);
    net.biases.emplace_back(sizes[l + 1]);
    for (float& w : net.weights.back()) w = u(rng);
    for (float& b : net.biases.back()) b = u(rng) * 0.2f;
  }
  return net;
}

double act(Activation a, double z) {
  switch (a) {
    case Activation::Relu: return z > 0 ? z : 0;
    case Activation::Tanh: return std::tanh(z);
    case Activation::Sigmoid: return 1 / (1 + std::exp(-z));
    default: return z;
  }
}

std::vector<double> reference(const Net& net, const float* x) {
  std::vector<double> a(x, x + net.sizes[0]);
  for (size_t l = 0; l + 1 < net.sizes.size(); l++) {
    std::vector<double> y(net.sizes[l + 1]);
    for (int j = 0; j < net.sizes[l + 1]; j++) {
      double z = net.biases[l][j];
      for (int i = 0; i < net.sizes[l]; i++) z += a[i] * net.weights[l][static_cast<size_t>(i) * net.sizes[l + 1] + j];
      y[j] = act(net.activations[l], z);
    }
    a = y;
  }
  return a;
}

void testMlp() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  const Net net = randomNet(rng, {13, 36, 24, 16, 3}, {Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Linear});
  Mlp mlp(net.inputs());
  for (std::int64_t batch : {0, 1, 7, 64, 65, 3001}) {
    std::vector<float> x(static_cast<size_t>(batch) * 13), y(static_cast<size_t>(batch) * 3), g(static_cast<size_t>(batch) * 13),
        g1(static_cast<size_t>(batch)), y2(static_cast<size_t>(batch) * 3);
    for (float& v : x) v = u(rng);
    check(mlp.forward(x.data(), batch, y.data(), 0) == -1, "forward accepts finite input");
    double worst = 0;
    for (std::int64_t r = 0; r < batch; r++) {
      const std::vector<double> want = reference(net, x.data() + r * 13);
      for (int j = 0; j < 3; j++) worst = std::max(worst, std::fabs(y[r * 3 + j] - want[j]) / (1 + std::fabs(want[j])));
    }
    check(worst < 1e-5, "forward matches the float64 reference");
    check(mlp.forwardWithInputGradient(x.data(), batch, y2.data(), g.data(), -1, 1, 2) == -1, "full gradient runs");
    check(mlp.forwardWithInputGradient(x.data(), batch, y2.data(), g1.data(), 4, 1, 2) == -1, "column gradient runs");
    double gradWorst = 0;
    for (std::int64_t r = 0; r < std::min<std::int64_t>(batch, 20); r++) {
      for (int i = 0; i < 13; i++) {
        std::vector<float> plus(x.begin() + r * 13, x.begin() + r * 13 + 13), minus = plus;
        plus[i] += 1e-3f;
        minus[i] -= 1e-3f;
        const double fd = (reference(net, plus.data())[1] - reference(net, minus.data())[1]) / (plus[i] - minus[i]);
        gradWorst = std::max(gradWorst, std::fabs(g[r * 13 + i] - fd) / (1 + std::fabs(fd)));
      }
      check(std::fabs(g1[r] - g[r * 13 + 4]) < 1e-5, "column gradient equals the full gradient's column");
    }
    check(gradWorst < 2e-3, "gradient matches finite differences");
  }
  std::vector<float> bad(13 * 100, 0.5f), out(300);
  bad[13 * 70 + 2] = NAN;
  check(mlp.forward(bad.data(), 100, out.data(), 0) == 13 * 70 + 2, "forward reports the first non-finite input");
  bool threw = false;
  try {
    std::vector<DenseLayerInput> layers = net.inputs();
    std::vector<float> weights(25 * 16, 0.0f);
    layers[2].inSize = 25;  // layer 2 claims 25 inputs while layer 1 yields 24
    layers[2].weights = weights.data();
    Mlp wrong(layers);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  check(threw, "mismatched layer sizes throw");

  // setWeights: new weights of the same shape, loaded in place, give what a new network gives.
  const Net other = randomNet(rng, {13, 36, 24, 16, 3}, {Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Linear});
  const Mlp fresh(other.inputs());
  std::vector<float> x(13 * 65), before(3 * 65), want(3 * 65), got(3 * 65);
  for (float& v : x) v = u(rng);
  mlp.forward(x.data(), 65, before.data(), 0);
  fresh.forward(x.data(), 65, want.data(), 0);
  mlp.setWeights(other.inputs());
  mlp.forward(x.data(), 65, got.data(), 0);
  check(got == want, "setWeights in place equals a new network bit for bit");
  mlp.setWeights(net.inputs());
  // A rejected setWeights (another shape, another activation, a non-finite value) changes nothing.
  const Net wider = randomNet(rng, {13, 40, 24, 16, 3}, {Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Linear});
  const Net otherActivation = randomNet(rng, {13, 36, 24, 16, 3}, {Activation::Tanh, Activation::Tanh, Activation::Sigmoid, Activation::Linear});
  std::vector<DenseLayerInput> nonFinite = other.inputs();
  std::vector<float> nanBias(nonFinite[3].bias, nonFinite[3].bias + 3);
  nanBias[2] = INFINITY;
  nonFinite[3].bias = nanBias.data();
  int rejected = 0;
  for (const std::vector<DenseLayerInput>& layers : {wider.inputs(), otherActivation.inputs(), nonFinite}) {
    try {
      mlp.setWeights(layers);
    } catch (const std::invalid_argument&) {
      rejected++;
    }
  }
  check(rejected == 3, "setWeights rejects another shape, another activation and a non-finite value");
  mlp.forward(x.data(), 65, got.data(), 0);
  check(got == before, "a rejected setWeights leaves the weights as they were");
}

void testOffsets() {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> u(-1, 1);
  const Net net = randomNet(rng, {13, 36, 24, 16, 16, 1},
                            {Activation::Relu, Activation::Relu, Activation::Relu, Activation::Relu, Activation::Sigmoid});
  Mlp mlp(net.inputs());
  const int inputIndex = 5;
  const std::int64_t pairs = 37;
  check(mlp.firstLayerSize() == 36, "firstLayerSize is the first layer's raw width");
  std::vector<float> templates(static_cast<size_t>(pairs) * 13), offsets(static_cast<size_t>(pairs) * 36);
  for (float& v : templates) v = u(rng);
  for (std::int64_t p = 0; p < pairs; p++) templates[p * 13 + inputIndex] = NAN;  // never read
  check(mlp.firstLayerOffsets(templates.data(), pairs, inputIndex, offsets.data(), 2) == -1, "offsets accept the template");
  for (std::int64_t batch : {0, 1, 7, 64, 65, 3001}) {
    std::vector<std::int32_t> pairOf(batch);
    std::vector<float> x(batch), full(static_cast<size_t>(batch) * 13), y(batch), g(batch), yWant(batch), gWant(batch);
    for (std::int64_t r = 0; r < batch; r++) {
      pairOf[r] = static_cast<std::int32_t>((r * 7919 + 3) % pairs);
      x[r] = u(rng) * 2;
      std::copy(templates.begin() + pairOf[r] * 13, templates.begin() + pairOf[r] * 13 + 13, full.begin() + r * 13);
      full[r * 13 + inputIndex] = x[r];
    }
    check(mlp.forwardWithInputGradientFromOffsets(offsets.data(), pairs, pairOf.data(), x.data(), batch, y.data(),
                                                  g.data(), inputIndex, 0, 2) == -1,
          "from-offsets pass runs");
    check(mlp.forwardWithInputGradient(full.data(), batch, yWant.data(), gWant.data(), inputIndex, 0, 2) == -1,
          "full-row pass runs");
    // Both are float32 with the first layer summed in a different order: relative to the values'
    // scale (outputs in (0, 1), gradients ~0.1), not to values that happen to be near zero.
    double worst = 0;
    for (std::int64_t r = 0; r < batch; r++) {
      worst = std::max(worst, std::fabs(y[r] - yWant[r]) / (1e-2 + std::fabs(yWant[r])));
      worst = std::max(worst, std::fabs(g[r] - gWant[r]) / (1e-2 + std::fabs(gWant[r])));
    }
    check(worst < 1e-5, "from-offsets pass matches the full rows");
  }
  std::vector<std::int32_t> pairOf(100, 1);
  std::vector<float> x(100, 0.5f), y(100), g(100);
  pairOf[80] = static_cast<std::int32_t>(pairs);
  pairOf[90] = -1;
  check(mlp.forwardWithInputGradientFromOffsets(offsets.data(), pairs, pairOf.data(), x.data(), 100, y.data(), g.data(),
                                                inputIndex, 0, 2) == 80,
        "from-offsets pass reports the first out-of-range pair");
  pairOf[80] = 0;
  pairOf[90] = 0;
  x[42] = INFINITY;
  check(mlp.forwardWithInputGradientFromOffsets(offsets.data(), pairs, pairOf.data(), x.data(), 100, y.data(), g.data(),
                                                inputIndex, 0, 2) == 42,
        "from-offsets pass reports the first non-finite x");
  x[42] = 0.5f;
  pairOf[60] = 2;
  offsets[2 * 36 + 7] = NAN;
  check(mlp.forwardWithInputGradientFromOffsets(offsets.data(), pairs, pairOf.data(), x.data(), 100, y.data(), g.data(),
                                                inputIndex, 0, 2) == 60,
        "from-offsets pass reports the first row with a non-finite offsets row");
  pairOf[99] = -5;
  check(mlp.forwardWithInputGradientFromOffsets(offsets.data(), pairs, pairOf.data(), x.data(), 100, y.data(), g.data(),
                                                inputIndex, 0, 2) == 99,
        "a bad pair index is reported before a bad offsets row");
  templates[3 * 13 + 2] = NAN;
  check(mlp.firstLayerOffsets(templates.data(), pairs, inputIndex, offsets.data(), 2) == 3 * 13 + 2,
        "offsets report the first non-finite template element");
}

void testPool() {
  ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  for (int round = 0; round < 50; round++) pool.run(1000, 0, [&](int task, int) { hits[task]++; });
  bool all = true;
  for (int h : hits) all = all && h == 50;
  check(all, "every pool task runs exactly once per job");
}

}  // namespace

int main() {
  testMlp();
  testOffsets();
  testPool();
  if (failures > 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("native kernels: all checks passed\n");
  return 0;
}
