// Standalone test of the training engine (no Node): run under AddressSanitizer/UBSan by
// test/native/sanitize.test.ts. Gradients against central finite differences (in double, on a
// small net), the library products against the built-in ones, Adam/clip/target copies against
// direct formulas. Exits non-zero on failure.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gemm.h"
#include "trainer.h"

using namespace ns3ts;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    failures++;
  }
}

struct Owned {
  std::vector<float> params, grads, m, v, output, outputGradient, inputGradient;
  double step = 0;
  TrainerBuffers buffers() {
    return {params.data(), grads.data(), m.data(), v.data(), &step, output.data(), outputGradient.data(),
            inputGradient.data()};
  }
};

Owned allocate(const std::vector<TrainerLayerShape>& layers, int maxBatch, std::mt19937& rng) {
  const std::size_t count = MlpTrainer::parameterCount(layers);
  Owned o;
  std::uniform_real_distribution<float> u(-0.6f, 0.6f);
  o.params.resize(count);
  for (float& p : o.params) p = u(rng);
  o.grads.assign(count, 0.0f);
  o.m.assign(count, 0.0f);
  o.v.assign(count, 0.0f);
  o.output.assign(static_cast<std::size_t>(maxBatch) * layers.back().outSize, 0.0f);
  o.outputGradient.assign(o.output.size(), 0.0f);
  o.inputGradient.assign(static_cast<std::size_t>(maxBatch) * layers.front().inSize, 0.0f);
  return o;
}

void testGemmAgreement() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int m = 37, k = 45;
  std::vector<float> a(64 * 64), b(64 * 64);
  for (float& x : a) x = u(rng);
  for (float& x : b) x = u(rng);
  // 29 columns: oneDNN's matmul primitive (B transposed) or sgemm; 3 columns: column by column.
  for (const int n : {29, 3}) {
  std::vector<float> c1(m * n), c2(m * n);
  for (int ta = 0; ta < 2; ta++) {
    for (int tb = 0; tb < 2; tb++) {
      for (int acc = 0; acc < 2; acc++) {
        for (std::size_t i = 0; i < c1.size(); i++) c1[i] = c2[i] = 0.25f * static_cast<float>(i % 7);
        const int lda = ta ? m : k, ldb = tb ? k : n;
        sgemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, acc, c1.data(), n, 0);
        sgemmBuiltIn(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, acc, c2.data(), n, 2);
        double worst = 0;
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double exact = acc ? 0.25 * ((i * n + j) % 7) : 0.0;
            for (int p = 0; p < k; p++) {
              const double av = ta ? a[p * lda + i] : a[i * lda + p];
              const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
              exact += av * bv;
            }
            worst = std::max({worst, std::fabs(c1[i * n + j] - exact), std::fabs(c2[i * n + j] - exact)});
          }
        }
        check(worst < 1e-4, "library and built-in sgemm agree with the exact product");
      }
    }
  }
  }
}

// denseForward (the library's product with the bias and ReLU fused, where it has one) against the
// exact layer; when it declines, the trainer's own path is what the gradient tests check.
void testDenseForward() {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int m = 40, n = 24, k = 19;
  std::vector<float> x(m * k), w(k * n), bias(n), y(m * n);
  for (float& v : x) v = u(rng);
  for (float& v : w) v = u(rng);
  for (float& v : bias) v = u(rng);
  for (const bool relu : {false, true}) {
    if (!denseForward(m, n, k, x.data(), w.data(), bias.data(), relu, y.data(), 1)) {
      check(std::string(gemmBackendName()).rfind("onednn", 0) != 0, "oneDNN builds fuse the dense layer");
      continue;
    }
    double worst = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double exact = bias[j];
        for (int p = 0; p < k; p++) exact += static_cast<double>(x[i * k + p]) * w[p * n + j];
        if (relu) exact = std::max(exact, 0.0);
        worst = std::max(worst, std::fabs(y[i * n + j] - exact));
      }
    }
    check(worst < 1e-4, "denseForward agrees with the exact layer");
  }
  check(!denseForward(8, n, k, x.data(), w.data(), bias.data(), true, y.data(), 1), "small batches are left to sgemm");
}

// Loss of the whole net at the current params (double loss from float forward).
double lossAt(MlpTrainer& t, const std::vector<float>& x, int batch, const std::vector<float>& target, LossKind kind) {
  t.forward(x.data(), batch, 1);
  std::int64_t bad = 0;
  return t.loss(kind, target.data(), 0.3, &bad);
}

void testGradients() {
  const Activation all[] = {Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Linear};
  for (Activation last : all) {
    for (LossKind kind : {LossKind::Mse, LossKind::Huber}) {
      std::mt19937 rng(11);
      std::vector<TrainerLayerShape> shapes{{5, 7, Activation::Tanh}, {7, 6, Activation::Sigmoid}, {6, 3, last}};
      if (last == Activation::Relu) shapes[0].activation = Activation::Relu;
      const int batch = 9;
      Owned o = allocate(shapes, 16, rng);
      MlpTrainer t(shapes, 16, o.buffers());
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      std::vector<float> x(batch * 5), target(batch * 3);
      for (float& v : x) v = u(rng);
      for (float& v : target) v = u(rng);
      lossAt(t, x, batch, target, kind);
      check(t.backward(o.outputGradient.data(), true, false, 0, 5, 1) == -1, "backward accepts finite gradients");
      const std::vector<float> analytic = o.grads;
      const std::vector<float> inputGradient(o.inputGradient.begin(), o.inputGradient.begin() + batch * 5);
      // Input columns 2..4 alone (a narrow product, column by column) come out compact and equal.
      check(t.backward(o.outputGradient.data(), false, false, 2, 2, 1) == -1, "backward of two input columns");
      for (int r = 0; r < batch; r++) {
        for (int j = 0; j < 2; j++) {
          const float full = inputGradient[r * 5 + 2 + j];
          check(std::fabs(o.inputGradient[r * 2 + j] - full) <= 1e-6f * (1 + std::fabs(full)),
                "input columns 2..4 match the full gradient");
        }
      }
      double worst = 0;
      const double h = 2e-3;
      for (std::size_t i = 0; i < o.params.size(); i += 3) {
        const float saved = o.params[i];
        o.params[i] = saved + static_cast<float>(h);
        const double up = lossAt(t, x, batch, target, kind);
        o.params[i] = saved - static_cast<float>(h);
        const double down = lossAt(t, x, batch, target, kind);
        o.params[i] = saved;
        const double numeric = (up - down) / (2 * h);
        worst = std::max(worst, std::fabs(numeric - analytic[i]) / (std::fabs(numeric) + 1e-2));
      }
      for (std::size_t i = 0; i < x.size(); i += 2) {
        const float saved = x[i];
        x[i] = saved + static_cast<float>(h);
        const double up = lossAt(t, x, batch, target, kind);
        x[i] = saved - static_cast<float>(h);
        const double down = lossAt(t, x, batch, target, kind);
        x[i] = saved;
        // d loss / d input = sum over outputs of dLoss/dy dy/dx: what backward gives for input.
        const double numeric = (up - down) / (2 * h);
        worst = std::max(worst, std::fabs(numeric - inputGradient[i]) / (std::fabs(numeric) + 1e-2));
      }
      if (worst >= 2e-2) std::fprintf(stderr, "activation %d loss %d: worst %g\n", static_cast<int>(last), static_cast<int>(kind), worst);
      check(worst < 2e-2, "weight, bias and input gradients agree with finite differences");
    }
  }
}

void testOptimizer() {
  std::mt19937 rng(5);
  std::vector<TrainerLayerShape> shapes{{4, 8, Activation::Relu}, {8, 2, Activation::Linear}};
  Owned o = allocate(shapes, 4, rng);
  MlpTrainer t(shapes, 4, o.buffers());
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& g : o.grads) g = u(rng);
  const std::vector<float> p0 = o.params, g0 = o.grads;
  double squares = 0;
  for (float g : g0) squares += static_cast<double>(g) * g;
  const double norm = t.clipGradientNorm(0.5);
  check(std::fabs(norm - std::sqrt(squares)) < 1e-9, "clip returns the global norm before clipping");
  double after = 0;
  for (float g : o.grads) after += static_cast<double>(g) * g;
  check(std::fabs(std::sqrt(after) - 0.5) < 1e-5, "clip scales the global norm to maxNorm");
  const std::vector<float> g1 = o.grads;
  t.adamStep({1e-2, 0.9, 0.999, 1e-8, 0.0, false});
  check(o.step == 1, "the step count advances");
  double worst = 0;
  for (std::size_t i = 0; i < p0.size(); i++) {
    // First step: m_hat = g, v_hat = g^2, so p moves by lr * g / (|g| + eps).
    const double expected = p0[i] - 1e-2 * g1[i] / (std::fabs(static_cast<double>(g1[i])) + 1e-8);
    worst = std::max(worst, std::fabs(o.params[i] - expected));
  }
  check(worst < 1e-6, "the first Adam step moves every parameter by lr sign(g)");
  std::vector<float> source(o.params.size(), 2.0f);
  const std::vector<float> before = o.params;
  t.softUpdate(source.data(), 0.25);
  worst = 0;
  for (std::size_t i = 0; i < before.size(); i++) worst = std::max(worst, std::fabs(o.params[i] - (0.5 + 0.75 * before[i])));
  check(worst < 1e-6, "soft update mixes tau of the source");
  t.softUpdate(source.data(), 1.0);
  check(o.params == source, "tau 1 is a hard copy");
  check(std::fabs(powInteger(0.9, 10) - std::pow(0.9, 10)) < 1e-15 && powInteger(0.5, 3) == 0.125 && powInteger(2.0, 0) == 1,
        "powInteger computes powers");
}

void testErrors() {
  std::mt19937 rng(7);
  std::vector<TrainerLayerShape> shapes{{3, 4, Activation::Relu}, {4, 1, Activation::Linear}};
  Owned o = allocate(shapes, 2, rng);
  MlpTrainer t(shapes, 2, o.buffers());
  std::vector<float> x{0.1f, NAN, 0.3f, 0.4f, 0.5f, 0.6f};
  check(t.forward(x.data(), 2, 1) == 1, "forward reports the first non-finite input");
  x[1] = 0.2f;
  check(t.forward(x.data(), 2, 1) == -1, "forward accepts finite input");
  std::vector<float> target{1.0f, INFINITY};
  std::int64_t bad = -1;
  t.loss(LossKind::Mse, target.data(), 1.0, &bad);
  check(bad == 1, "loss reports the first non-finite target");
  bool threw = false;
  try {
    MlpTrainer broken({{3, 4, Activation::Relu}, {5, 1, Activation::Linear}}, 2, o.buffers());
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  check(threw, "inconsistent layer sizes throw");
}

// runTrainerJobs: two critic steps and two forwards side by side give the bits of the separate
// calls with one thread, and a non-finite target rejects the whole call before any job runs.
const std::vector<TrainerLayerShape> kCritic{
    {48, 256, Activation::Relu}, {256, 256, Activation::Relu}, {256, 1, Activation::Linear}};
constexpr int kJobBatch = 256;
const AdamConfig kJobAdam{1e-3, 0.9, 0.999, 1e-8, 0.0, false};

// Jobs for two trainers on the rows x: forwards only (target nullptr), or clipped MSE steps toward target.
std::vector<TrainerJob> twinJobs(MlpTrainer& a, MlpTrainer& b, const std::vector<float>& x, const float* target) {
  std::vector<TrainerJob> jobs(2);
  jobs[0].trainer = &a;
  jobs[1].trainer = &b;
  for (TrainerJob& job : jobs) {
    job.input = x.data();
    job.batch = kJobBatch;
    job.target = target;
    job.clipNorm = 0.5;
    job.adam = kJobAdam;
  }
  return jobs;
}

// Two critics (seeds 12, 13) after one clipped MSE step on (x, y): the separate calls on one thread
// (threads 0) or runTrainerJobs on `threads`; their params, moments and steps, then the losses.
std::vector<double> twinStep(const std::vector<float>& x, const std::vector<float>& y, int threads) {
  std::mt19937 rngA(12), rngB(13);
  Owned a = allocate(kCritic, kJobBatch, rngA), b = allocate(kCritic, kJobBatch, rngB);
  MlpTrainer ta(kCritic, kJobBatch, a.buffers()), tb(kCritic, kJobBatch, b.buffers());
  double losses[2];
  if (threads == 0) {
    int index = 0;
    for (MlpTrainer* t : {&ta, &tb}) {
      t->forward(x.data(), kJobBatch, 1);
      std::int64_t bad = -1;
      losses[index++] = t->loss(LossKind::Mse, y.data(), 1.0, &bad);
      t->backward(t->outputGradientBuffer(), true, false, 0, 0, 1);
      t->clipGradientNorm(0.5);
      t->adamStep(kJobAdam);
    }
  } else {
    std::vector<TrainerJob> jobs = twinJobs(ta, tb, x, y.data());
    runTrainerJobs(jobs.data(), 2, threads);
    losses[0] = jobs[0].lossValue;
    losses[1] = jobs[1].lossValue;
  }
  std::vector<double> state;
  for (const Owned* o : {&a, &b}) {
    for (const std::vector<float>* v : {&o->params, &o->m, &o->v}) state.insert(state.end(), v->begin(), v->end());
    state.push_back(o->step);
  }
  state.push_back(losses[0]);
  state.push_back(losses[1]);
  return state;
}

void testJobs() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(kJobBatch) * 48), y(kJobBatch);
  for (float& v : x) v = u(rng);
  for (float& v : y) v = u(rng);
  const std::vector<double> separate = twinStep(x, y, 0);
  check(twinStep(x, y, 2) == separate, "two jobs on two threads give the separate one-thread calls' bits");
  check(twinStep(x, y, 1) == separate, "two jobs on one thread give the same bits");

  std::mt19937 rngA(12), rngB(13);
  Owned a = allocate(kCritic, kJobBatch, rngA), b = allocate(kCritic, kJobBatch, rngB);
  MlpTrainer ta(kCritic, kJobBatch, a.buffers()), tb(kCritic, kJobBatch, b.buffers());
  std::vector<TrainerJob> jobs = twinJobs(ta, tb, x, nullptr);
  runTrainerJobs(jobs.data(), 2, 2);
  const std::vector<float> outputA = a.output;
  ta.forward(x.data(), kJobBatch, 1);
  check(outputA == a.output && std::isnan(jobs[0].lossValue), "forward jobs give the separate forward's output");

  // A non-finite target in the second job: nothing runs.
  std::vector<float> badTarget = y;
  badTarget[7] = NAN;
  jobs = twinJobs(ta, tb, x, y.data());
  jobs[1].target = badTarget.data();
  const std::vector<float> before = a.params;
  runTrainerJobs(jobs.data(), 2, 2);
  check(jobs[1].badTarget == 7 && jobs[0].badTarget < 0, "jobs report the first non-finite target");
  check(a.params == before && a.step == 0, "a rejected call runs no job");
}

}  // namespace

int main() {
  testGemmAgreement();
  testDenseForward();
  testGradients();
  testOptimizer();
  testErrors();
  testJobs();
  if (failures > 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("native trainer (%s products): all checks passed\n", gemmBackendName());
  return 0;
}
