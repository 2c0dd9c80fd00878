// Batched dense MLP inference and input gradients on float32 rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ns3ts {

enum class Activation { Linear, Relu, Tanh, Sigmoid };

/** Parses "linear" | "relu" | "tanh" | "sigmoid"; returns false for anything else. */
bool parseActivation(const std::string& name, Activation* out);

/** One dense layer as given: weights row-major [inSize, outSize] (a TF.js Dense kernel). */
struct DenseLayerInput {
  int inSize;
  int outSize;
  const float* weights;
  const float* bias;
  Activation activation;
};

/** Which matmul kernel the CPU runs: "avx2+fma" or "baseline". */
const char* matmulKernelName();

/**
 * An MLP with its weights copied into padded, kernel-friendly layouts: each layer's output width
 * is rounded up to a multiple of the 8-float tile (zero weights and bias in the padding, zero rows
 * for the padding in the next layer), plus a transposed copy for the backward pass.
 */
class Mlp {
 public:
  /** Throws std::invalid_argument naming the layer field on inconsistent shapes. */
  explicit Mlp(const std::vector<DenseLayerInput>& layers);

  int inputSize() const { return inputSize_; }
  int outputSize() const { return outputSize_; }
  /** Multiply-adds per row of the forward pass (for work splitting and benchmarks). */
  double macsPerRow() const { return macsPerRow_; }

  /**
   * out[batch, outSize] = f(input[batch, inSize]). Returns -1, or the index of the first
   * non-finite input element (outputs are then unspecified). maxThreads 0 = all.
   */
  std::int64_t forward(const float* input, std::int64_t batch, float* out, int maxThreads) const;

  /**
   * Forward values plus the gradient of output column outputIndex with respect to the input:
   * gradient[batch] for one column inputIndex >= 0, else gradient[batch, inSize].
   */
  std::int64_t forwardWithInputGradient(const float* input, std::int64_t batch, float* output, float* gradient,
                                        int inputIndex, int outputIndex, int maxThreads) const;

 private:
  struct Layer {
    int k;       // rows of w: the input width as stored (raw inSize for layer 0, padded otherwise)
    int kPad;    // k rounded up to the tile: columns of wt
    int out;     // raw output width
    int outPad;  // padded output width: columns of w
    Activation activation;
    std::vector<float> w;     // [k, outPad] as column panels
    std::vector<float> wt;    // [outPad, kPad] (transpose, for back-propagation) as column panels
    std::vector<float> wRow;  // first layer only: [inSize, outPad] row-major
    std::vector<float> bias;  // [outPad]
  };

  std::int64_t runBlocks(const float* input, std::int64_t batch, float* out, float* gradient, int inputIndex,
                         int outputIndex, int maxThreads) const;
  void block(const float* input, int rows, float* out, float* gradient, int inputIndex, int outputIndex,
             std::vector<float>& scratch) const;

  std::vector<Layer> layers_;
  int inputSize_ = 0;
  int outputSize_ = 0;
  int widest_ = 0;
  double macsPerRow_ = 0;
};

}  // namespace ns3ts
