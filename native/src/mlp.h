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

/** Which matmul kernel the CPU runs: "avx512vl+fma", "avx2+fma" or "baseline". */
const char* matmulKernelName();

/**
 * When Mlp takes its matrix products from gemm.h (if that is a library): batches of at least
 * `rows` rows through a network whose widest layer has at least `width` units; everything else
 * stays on the hand-written blocked kernels. docs/native.md has the measurement behind the default.
 */
struct MlpLibraryThreshold {
  std::int64_t rows;  // 0 = never
  int width;
};
MlpLibraryThreshold mlpLibraryThreshold();
/** Tests and benches compare the two paths by moving the threshold. */
void setMlpLibraryThreshold(MlpLibraryThreshold threshold);

/**
 * An MLP with its weights copied into padded, kernel-friendly layouts: each layer's output width
 * is rounded up to a multiple of the 8-float tile (zero weights and bias in the padding, zero rows
 * for the padding in the next layer), plus a transposed copy for the backward pass.
 */
class Mlp {
 public:
  /** Throws std::invalid_argument naming the layer field on inconsistent shapes. */
  explicit Mlp(const std::vector<DenseLayerInput>& layers);

  /**
   * Loads new weights into the network in place (no allocation), for the same layer sizes and
   * activations. Throws std::invalid_argument naming the field on a different shape or a
   * non-finite value, and then leaves the weights unchanged.
   */
  void setWeights(const std::vector<DenseLayerInput>& layers);

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

  /** Output width of the first layer (the row length of firstLayerOffsets' result). */
  int firstLayerSize() const { return layers_.front().out; }

  /**
   * For rows that share every input but column inputIndex: offsets[pairs, firstLayerSize()] =
   * b1 + sum_{i != inputIndex} templates[p, i] W1[i, :], templates [pairs, inSize] (its column
   * inputIndex is never read). Returns -1, or the index into templates of the first non-finite
   * element read (offsets are then unspecified). Throws std::invalid_argument for a bad inputIndex.
   */
  std::int64_t firstLayerOffsets(const float* templates, std::int64_t pairs, int inputIndex, float* offsets,
                                 int maxThreads) const;

  /**
   * forwardWithInputGradient for the rows input[r] = templates[pairOf[r]] with column inputIndex set
   * to x[r], given offsets = firstLayerOffsets(templates, pairs, inputIndex): the first layer's
   * pre-activation is offsets[pairOf[r], :] + x[r] W1[inputIndex, :]. gradient is [batch]. Each row
   * is checked before it is used: returns -1, or the first row r whose pairOf[r] is outside
   * [0, pairs) or whose x[r] is not finite, or when there is none the first row whose first-layer
   * pre-activation is not finite (a non-finite offsets row, or x[r] W1 overflowing); the outputs
   * are then unspecified.
   */
  std::int64_t forwardWithInputGradientFromOffsets(const float* offsets, std::int64_t pairs, const std::int32_t* pairOf,
                                                   const float* x, std::int64_t batch, float* output, float* gradient,
                                                   int inputIndex, int outputIndex, int maxThreads) const;

 private:
  // Where the first layer's pre-activation comes from when it is not input rows times W1.
  struct OffsetRows {
    const float* offsets;        // [pairs, first.out]
    std::int64_t pairs;
    const std::int32_t* pairOf;  // [batch]
    const float* x;              // [batch]
  };

  struct Layer {
    int k;       // rows of w: the input width as stored (raw inSize for layer 0, padded otherwise)
    int kPad;    // k rounded up to the tile: columns of wt
    int out;     // raw output width
    int outPad;  // padded output width: columns of w
    Activation activation;
    std::vector<float> w;     // [k, outPad] as column panels
    std::vector<float> wt;    // [outPad, kPad] (transpose, for back-propagation) as column panels
    std::vector<float> wRow;  // [k, outPad] row-major (the library products, the first-column gradient)
    std::vector<float> bias;  // [outPad]
  };

  /** from != nullptr: rows come from offsets (input unused), else from input [batch, inSize]. */
  std::int64_t runBlocks(const float* input, const OffsetRows* from, std::int64_t batch, float* out, float* gradient,
                         int inputIndex, int outputIndex, int maxThreads) const;
  /**
   * from: already advanced to the block's first row. Returns -1, or (from offsets only) the first
   * row of the block whose first-layer pre-activation is not finite; the block then stops.
   */
  int block(const float* input, const OffsetRows* from, int rows, float* out, float* gradient, int inputIndex,
             int outputIndex, std::vector<float>& scratch) const;

  /** Writes a layer's given weights and bias into its (zero-padded, already sized) layouts. */
  static void fillLayer(Layer& layer, const DenseLayerInput& in);
  /** Whether a batch of this many rows takes the library path. */
  bool useLibrary(std::int64_t rows) const;
  /** runBlocks for large batches: layer by layer over chunks of rows, products from gemm.h. */
  std::int64_t runLibrary(const float* input, const OffsetRows* from, std::int64_t batch, float* out, float* gradient,
                          int inputIndex, int outputIndex, int maxThreads) const;

  std::vector<Layer> layers_;
  int inputSize_ = 0;
  int outputSize_ = 0;
  int widest_ = 0;
  double macsPerRow_ = 0;
};

}  // namespace ns3ts
