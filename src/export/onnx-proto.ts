// onnx-proto is a CommonJS module (protobufjs static code for onnx.proto): its `onnx` namespace
// is reached through the default import under ESM; the type namespace comes with `import type`.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const onnx: typeof OnnxTypes = onnxProto.onnx;
export type { OnnxTypes };
