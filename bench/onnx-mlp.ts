/**
 * The bench's MLP as an ONNX graph (Gemm + activation per layer, opset 13) for onnxruntime-node,
 * written with protobufjs from the onnx.proto subset beside this file.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { MlpSpec } from '../src/native/index.js';

const FLOAT = 1;
const OP_OF_ACTIVATION = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', linear: undefined } as const;

export const ONNX_INPUT = 'x';
export const ONNX_OUTPUT = 'y';

export function mlpToOnnx(spec: MlpSpec): Uint8Array {
  const proto = protobuf.parse(readFileSync(fileURLToPath(new URL('./onnx-subset.proto', import.meta.url)), 'utf8'));
  const Model = proto.root.lookupType('onnx.ModelProto');
  const tensor = (name: string, dims: number[], values: Float32Array) => ({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
  const valueInfo = (name: string, width: number) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] } } },
  });
  const nodes: object[] = [];
  const initializers: object[] = [];
  let current = ONNX_INPUT;
  spec.layers.forEach((layer, l) => {
    const last = l === spec.layers.length - 1;
    initializers.push(tensor(`w${l}`, [layer.inSize, layer.outSize], layer.weights));
    initializers.push(tensor(`b${l}`, [layer.outSize], layer.bias));
    const op = OP_OF_ACTIVATION[layer.activation];
    const linear = op === undefined && last ? ONNX_OUTPUT : `z${l}`;
    nodes.push({ name: `gemm${l}`, opType: 'Gemm', input: [current, `w${l}`, `b${l}`], output: [linear] });
    current = linear;
    if (op !== undefined) {
      const activated = last ? ONNX_OUTPUT : `a${l}`;
      nodes.push({ name: `act${l}`, opType: op, input: [current], output: [activated] });
      current = activated;
    }
  });
  const model = Model.fromObject({
    irVersion: 8,
    producerName: 'ns3ts bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mlp',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(ONNX_INPUT, spec.layers[0]!.inSize)],
      output: [valueInfo(ONNX_OUTPUT, spec.layers[spec.layers.length - 1]!.outSize)],
    },
  });
  return Model.encode(model).finish();
}
