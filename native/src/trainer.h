// Training of a dense MLP on float32 rows: forward with the activations kept, backward for the
// weights, biases and inputs, MSE/Huber losses, global-norm clipping, Adam/AdamW and target copies.
// The matrix products come from gemm.h (oneDNN when built with it); everything elementwise is here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mlp.h"

namespace ns3ts {

struct TrainerLayerShape {
  int inSize;
  int outSize;
  Activation activation;
};

/**
 * The state and the visible work buffers, owned by the caller (the TypeScript side keeps them in
 * ArrayBuffers so that checkpoints read and write them directly). Parameters are laid out layer by
 * layer: W row-major [inSize, outSize], then b [outSize]; grads, m and v have the same layout.
 */
struct TrainerBuffers {
  float* params;
  float* grads;
  float* adamM;
  float* adamV;
  double* step;           // [1]: Adam steps taken
  float* output;          // [maxBatch, outputSize]: the last forward's output
  float* outputGradient;  // [maxBatch, outputSize]: what loss() writes (dLoss/dOutput)
  float* inputGradient;   // [maxBatch, inputSize]: what backward() writes when asked
};

enum class LossKind { Mse, Huber };

struct AdamConfig {
  double learningRate;
  double beta1;
  double beta2;
  double epsilon;
  double weightDecay;  // 0 = none
  bool decoupled;      // true: AdamW (p -= lr wd p); false: L2 added to the gradient
};

struct TrainerJob;

class MlpTrainer {
 public:
  /** Throws std::invalid_argument naming the field on inconsistent shapes or maxBatch. */
  MlpTrainer(const std::vector<TrainerLayerShape>& layers, int maxBatch, const TrainerBuffers& buffers);

  /** Number of floats in params (and grads, m, v) for these layers. */
  static std::size_t parameterCount(const std::vector<TrainerLayerShape>& layers);

  int inputSize() const { return layers_.front().in; }
  int outputSize() const { return layers_.back().out; }
  int maxBatch() const { return maxBatch_; }
  std::size_t parameterCount() const { return paramCount_; }
  /** Rows of the last forward (0 before any). */
  int batch() const { return batch_; }
  /** Where loss() writes dLoss/dOutput. */
  const float* outputGradientBuffer() const { return buffers_.outputGradient; }

  /**
   * output[batch, out] = f(input), keeping every layer's activations for backward. Returns -1, or
   * the index of the first non-finite input element (nothing is computed then).
   */
  std::int64_t forward(const float* input, int batch, int threads);

  /**
   * Mean loss of the last forward's output against target[batch, out]; writes dLoss/dOutput into
   * outputGradient. Returns -1 in *badIndex, or the first non-finite target index (loss NaN then).
   */
  double loss(LossKind kind, const float* target, double huberDelta, std::int64_t* badIndex);

  /**
   * Back-propagates gradOutput[batch, out] (the last forward's batch) through the kept activations:
   * weight and bias gradients into grads (set, or added when accumulate) when weights, and input
   * columns [inputFrom, inputFrom + inputCount) of the input gradient into inputGradient, compact
   * as [batch, inputCount] (inputCount 0: none; a critic's action columns are all an actor needs).
   * Returns -1, or the first non-finite gradOutput index.
   */
  std::int64_t backward(const float* gradOutput, bool weights, bool accumulate, int inputFrom, int inputCount,
                        int threads);

  void zeroGradients();
  /** Scales grads so that their global L2 norm is at most maxNorm (> 0); returns the norm before. */
  double clipGradientNorm(double maxNorm);
  /** One Adam step with bias correction on all parameters (step[0] += 1). */
  void adamStep(const AdamConfig& config);
  /** params = tau * source + (1 - tau) * params (tau = 1: a hard copy). */
  void softUpdate(const float* source, double tau);

 private:
  // runTrainerJobs scans every job's input and target once, before any job runs, and then uses the
  // unchecked steps below.
  friend void runTrainerJobs(TrainerJob* jobs, int count, int threads);

  // The steps on data known to be finite.
  void forwardFinite(const float* input, int batch, int threads);
  double lossFinite(LossKind kind, const float* target, double huberDelta);
  void backwardFinite(const float* gradOutput, bool weights, bool accumulate, int inputFrom, int inputCount,
                      int threads);

  struct Layer {
    int in;
    int out;
    Activation activation;
    std::size_t weightOffset;
    std::size_t biasOffset;
  };

  std::vector<Layer> layers_;
  int maxBatch_;
  std::size_t paramCount_;
  TrainerBuffers buffers_;
  int batch_ = 0;
  // Preallocated for maxBatch rows: the input copy, each layer's activations, two delta buffers.
  std::vector<float> input_;
  std::vector<std::vector<float>> activations_;
  std::vector<float> delta_;
  std::vector<float> deltaNext_;
};

/**
 * One trainer's work among independent jobs (runTrainerJobs): a forward on `input`, and when
 * `target` is given the loss, the weight gradients, the clipping (clipNorm > 0) and one Adam step.
 * Results land in the trainer's buffers as with the separate calls, and in the fields below.
 */
struct TrainerJob {
  MlpTrainer* trainer = nullptr;
  const float* input = nullptr;
  int batch = 0;
  const float* target = nullptr;  // nullptr: the forward only
  LossKind loss = LossKind::Mse;
  double huberDelta = 1.0;
  double clipNorm = 0.0;
  AdamConfig adam{};
  // Results: the loss before the step (NaN for a forward only), the first non-finite input or
  // target element (-1: none). When any job has one, no job runs.
  double lossValue = 0.0;
  std::int64_t badInput = -1;
  std::int64_t badTarget = -1;
};

/**
 * Runs jobs on distinct trainers (the caller checks that), each from start to end on one thread
 * with its products on that thread, on up to `threads` threads (0 = every thread the pool has):
 * twin critics step side by side instead of splitting each product. With two or more jobs, a
 * job's results are the same bits whatever `threads` is and whichever thread runs it; a lone job
 * runs as the separate calls would, its products on `threads`.
 */
void runTrainerJobs(TrainerJob* jobs, int count, int threads);

/** base^exponent by repeated squaring: the TypeScript fallback does the same operations. */
double powInteger(double base, std::uint64_t exponent);

}  // namespace ns3ts
