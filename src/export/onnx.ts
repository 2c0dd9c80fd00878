/**
 * ONNX graphs of ns3ts networks, built on onnx-proto (the protobufjs code of onnx.proto):
 * opset 13, IR version 8 (what onnxruntime 1.x runs). Three pieces:
 *
 *   - the MLP: Gemm + activation per layer; quantized layers in QDQ form (int8 weights with a
 *     per-output-channel DequantizeLinear, a QuantizeLinear/DequantizeLinear pair on each layer
 *     input), which onnxruntime runs as written or fuses into integer kernels;
 *   - the input normalization of the actors (src/agents/core/features.ts) as graph nodes, so a
 *     server feeds raw observation rows (and the time of day, for actors that read it);
 *   - the ns3ts metadata as one JSON entry of metadata_props (metadata.ts).
 */
import { SECONDS_PER_DAY } from '../agents/index.js';
import type { MlpSpec, QuantizedMlpSpec } from '../native/index.js';
import { FEATURE, FEATURES_PER_SLICE } from '../scenario/index.js';
import { onnx, type OnnxTypes } from './onnx-proto.js';

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 8;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT64 = onnx.TensorProto.DataType.INT64;
const OP_OF_ACTIVATION = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', linear: undefined } as const;

type Attribute = { name: string } & ({ i: number } | { ints: number[] } | { f: number });

/** Nodes and initializers of one graph, with generated value names. */
export class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  fresh(stem: string): string {
    return `${stem}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], attributes: Attribute[] = [], output = this.fresh(opType.toLowerCase())): string {
    this.nodes.push({
      name: output,
      opType,
      input: inputs,
      output: [output],
      attribute: attributes.map((a) => {
        if ('i' in a) return { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i };
        if ('f' in a) return { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f };
        return { name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints };
      }),
    });
    return output;
  }

  floatTensor(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: bytesOf(values) });
    return name;
  }

  int8Tensor(name: string, dims: number[], values: Int8Array): string {
    this.initializers.push({ name, dims, dataType: INT8, rawData: bytesOf(values) });
    return name;
  }

  int64Tensor(name: string, dims: number[], values: number[]): string {
    this.initializers.push({ name, dims, dataType: INT64, rawData: bytesOf(BigInt64Array.from(values.map((v) => BigInt(v)))) });
    return name;
  }

  /** A float scalar constant (shared by value). */
  scalar(value: number): string {
    const key = `f${value}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.floatTensor(this.fresh('const'), [], Float32Array.of(value));
      this.constants.set(key, name);
    }
    return name;
  }
}

function bytesOf(values: Float32Array | Int8Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** y = MLP(x) as nodes; returns the output value's name (named `output` when given). */
export function addMlp(g: GraphBuilder, spec: MlpSpec | QuantizedMlpSpec, input: string, prefix: string, output?: string): string {
  let current = input;
  spec.layers.forEach((layer, l) => {
    const last = l === spec.layers.length - 1;
    const p = `${prefix}.${l}`;
    let w: string;
    if (layer.weights instanceof Int8Array) {
      // QDQ with the input scales folded into the weights (quantized.ts): the input is quantized
      // per channel (axis 1) and used in integer units (a DequantizeLinear at scale 1), the
      // weights are dequantized per output channel; Gemm then computes sw[j] sum_i qx[i] qW[i, j].
      const q = layer as QuantizedMlpSpec['layers'][number];
      const sx = g.floatTensor(`${p}.input_scale`, [q.inSize], q.inputScales);
      const zx = g.int8Tensor(`${p}.input_zero_point`, [q.inSize], new Int8Array(q.inSize));
      const quantized = g.node('QuantizeLinear', [current, sx, zx], [{ name: 'axis', i: 1 }]);
      current = g.node('DequantizeLinear', [quantized, g.scalar(1), g.int8Tensor(`${p}.integer_zero_point`, [], new Int8Array(1))]);
      const qw = g.int8Tensor(`${p}.weight_int8`, [q.inSize, q.outSize], q.weights);
      const sw = g.floatTensor(`${p}.weight_scale`, [q.outSize], q.weightScales);
      const zw = g.int8Tensor(`${p}.weight_zero_point`, [q.outSize], new Int8Array(q.outSize));
      w = g.node('DequantizeLinear', [qw, sw, zw], [{ name: 'axis', i: 1 }]);
    } else {
      w = g.floatTensor(`${p}.weight`, [layer.inSize, layer.outSize], layer.weights as Float32Array);
    }
    const b = g.floatTensor(`${p}.bias`, [layer.outSize], layer.bias);
    const op = OP_OF_ACTIVATION[layer.activation];
    current = g.node('Gemm', [current, w, b], [], last && op === undefined ? output : undefined);
    if (op !== undefined) current = g.node(op, [current], [], last ? output : undefined);
  });
  return current;
}

/**
 * The actors' input normalization (normalizeSliceRow in src/agents/core/features.ts) on raw rows
 * [n, FEATURES_PER_SLICE] -> [n, 15], in float32.
 */
export function addSliceNormalization(g: GraphBuilder, obs: string): string {
  const zero = g.scalar(0);
  const one = g.scalar(1);
  // f(k): non-finite features read as 0.
  const bad = g.node('Or', [g.node('IsNaN', [obs]), g.node('IsInf', [obs])]);
  const clean = g.node('Where', [bad, zero, obs]);
  const columns = new Map<number, string>();
  const col = (k: number): string => {
    let name = columns.get(k);
    if (name === undefined) {
      name = g.node('Gather', [clean, g.int64Tensor(g.fresh('column'), [1], [k])], [{ name: 'axis', i: 1 }]);
      columns.set(k, name);
    }
    return name;
  };
  const pos = (x: string): string => g.node('Max', [x, zero]);
  const div = (x: string, c: number): string => g.node('Div', [x, g.scalar(c)]);
  const log1p = (x: string): string => g.node('Log', [g.node('Add', [x, one])]);
  const ratio = (v: string, t: string): string =>
    g.node('Where', [g.node('Greater', [t, zero]), g.node('Min', [g.node('Div', [pos(v), t]), g.scalar(4)]), zero]);
  const F = FEATURE;
  const throughput = col(F.throughput);
  const meanDelay = col(F.meanDelay);
  const phi = col(F.phiTarget);
  const dStar = col(F.delayTarget);
  const users = col(F.activeUsers);
  const active = g.node('Cast', [g.node('GreaterOrEqual', [col(F.active), g.scalar(0.5)])], [{ name: 'to', i: FLOAT }]);
  // qosLevel(throughput, phi, meanDelay, dStar, users) of src/families/slicing/slicing.ts.
  const r1 = g.node('Where', [g.node('Greater', [phi, zero]), g.node('Min', [one, g.node('Div', [pos(throughput), phi])]), one]);
  const delayApplies = g.node('And', [g.node('Greater', [dStar, zero]), g.node('Greater', [meanDelay, zero])]);
  const r2 = g.node('Where', [delayApplies, g.node('Min', [r1, g.node('Div', [dStar, meanDelay])]), r1]);
  const qos = g.node('Where', [g.node('LessOrEqual', [users, zero]), one, pos(r2)]);
  const parts = [
    col(F.share),
    ratio(throughput, phi),
    div(log1p(pos(throughput)), 3),
    ratio(meanDelay, dStar),
    div(log1p(pos(meanDelay)), 6),
    ratio(col(F.p95Delay), dStar),
    col(F.prbUtilization),
    div(log1p(pos(users)), 5),
    div(col(F.meanCqi), 15),
    div(log1p(pos(col(F.offeredLoad))), 4),
    div(log1p(pos(col(F.backlog))), 10),
    div(log1p(phi), 2),
    div(log1p(dStar), 6),
    active,
    g.node('Mul', [active, qos]),
  ];
  return g.node('Concat', parts, [{ name: 'axis', i: 1 }]);
}

/**
 * The clock pair of featuresPerRow's time-of-day policies (clockPair in src/agents/core/features.ts)
 * on seconds since midnight [n, 1] -> sin and cos of 2 pi x / 86400, each [n, 1], in float32.
 * The phase is not reduced modulo the day: the input is a time of day (0 <= x < 86400), and sin and
 * cos are periodic anyway.
 */
export function addClockPair(g: GraphBuilder, seconds: string): [sin: string, cos: string] {
  const phase = g.node('Mul', [seconds, g.scalar((2 * Math.PI) / SECONDS_PER_DAY)]);
  return [g.node('Sin', [phase]), g.node('Cos', [phase])];
}

/** [n, width] float input or output with a symbolic batch dimension. */
export function valueInfo(name: string, width: number, batch = 'batch'): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: batch }, { dimValue: width }] } } } };
}

export interface OnnxModelParts {
  graphName: string;
  builder: GraphBuilder;
  inputs: OnnxTypes.IValueInfoProto[];
  outputs: OnnxTypes.IValueInfoProto[];
  metadata?: Record<string, string>;
  docString?: string;
  producerVersion?: string;
}

export function encodeOnnxModel(parts: OnnxModelParts): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    producerName: 'ns3ts',
    producerVersion: parts.producerVersion ?? '',
    docString: parts.docString ?? '',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(parts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: parts.graphName,
      node: parts.builder.nodes,
      initializer: parts.builder.initializers,
      input: parts.inputs,
      output: parts.outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export const MLP_ONNX_INPUT = 'x';
export const MLP_ONNX_OUTPUT = 'y';

/** A bare MLP (input `x` [batch, inSize] -> output `y` [batch, outSize]), e.g. for benchmarks. */
export function mlpToOnnx(spec: MlpSpec | QuantizedMlpSpec): Uint8Array {
  const g = new GraphBuilder();
  addMlp(g, spec, MLP_ONNX_INPUT, 'mlp', MLP_ONNX_OUTPUT);
  return encodeOnnxModel({
    graphName: 'mlp',
    builder: g,
    inputs: [valueInfo(MLP_ONNX_INPUT, spec.layers[0]!.inSize)],
    outputs: [valueInfo(MLP_ONNX_OUTPUT, spec.layers[spec.layers.length - 1]!.outSize)],
  });
}

