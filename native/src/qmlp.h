// Int8 inference of a dense MLP (post-training quantized; the scheme is in src/native/quantized.ts):
//   qx[i] = clamp(nearbyint(x[i] / sx[i]), -128, 127)       per input channel of each layer
//   acc[j] = sum_i qx[i] qW[i, j]                            int32, exact
//   y[j] = act(acc[j] * sw[j] + b[j])                        float32, no fused multiply-add
// The products run on AVX-512 VNNI (vpdpbusd), AVX2 (vpmaddwd) or portable C++, picked at run time
// from the CPU; all three compute the same integers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlp.h"

namespace ns3ts {

/** One quantized layer as given: weights int8 row-major [inSize, outSize] in [-127, 127]. */
struct QuantizedLayerInput {
  int inSize;
  int outSize;
  const std::int8_t* weights;
  const float* weightScales;  // [outSize]
  const float* bias;          // [outSize]
  const float* inputScales;   // [inSize], > 0
  Activation activation;
};

enum class Int8Kernel { Portable, Avx2, Avx512Vnni };

/** The best int8 kernel this CPU runs. */
Int8Kernel bestInt8Kernel();
/** "portable", "avx2" or "avx512-vnni". */
const char* int8KernelName(Int8Kernel kernel);
/** Parses one of those names; false for anything else. */
bool parseInt8Kernel(const std::string& name, Int8Kernel* out);

class QuantizedMlp {
 public:
  /** Throws std::invalid_argument naming the first inconsistent layer; `kernel` must run on this CPU. */
  QuantizedMlp(const std::vector<QuantizedLayerInput>& layers, Int8Kernel kernel);

  int inputSize() const { return layers_.front().inSize; }
  int outputSize() const { return layers_.back().outSize; }
  Int8Kernel kernel() const { return kernel_; }

  /**
   * out[batch, outputSize] = f(input[batch, inputSize]); returns -1, or the index of the first
   * non-finite input element (the outputs are then undefined). maxThreads 0 = the whole pool.
   */
  std::int64_t forward(const float* input, std::int64_t batch, float* out, int maxThreads) const;

 private:
  struct Layer {
    int inSize;
    int outSize;
    int outPad;  // outSize rounded up to the kernel's output block
    std::vector<std::int8_t> weights;       // portable: [inSize][outSize]
    std::vector<std::int8_t> packedVnni;    // [inSize/4 rounded up][outPad][4]
    std::vector<std::int16_t> packedAvx2;   // [inSize/2 rounded up][outPad][2]
    std::vector<std::int32_t> columnOffsets;  // 128 sum_i qW[i, j]: VNNI multiplies qx + 128 (unsigned)
    std::vector<float> weightScales;
    std::vector<float> bias;
    std::vector<float> inputScales;
    Activation activation;
  };

  friend struct QuantizedRows;  // the per-kernel row loops (qmlp.cc), each compiled for its ISA

  std::vector<Layer> layers_;
  Int8Kernel kernel_;
  int widest_ = 0;
  double macsPerRow_ = 0;
};

}  // namespace ns3ts
