import { loadCheckpointSource } from './checkpoint-source.js';
import { loadOnnxSource } from './onnx-source.js';
import { parsePolicySpec, type PolicySource } from './source.js';

/** Loads `checkpoint:<run-dir>` or `onnx:<file>`. */
export async function loadPolicySource(spec: string): Promise<PolicySource> {
  const parsed = parsePolicySpec(spec);
  return parsed.kind === 'checkpoint' ? loadCheckpointSource(parsed.path, spec) : loadOnnxSource(parsed.path, spec);
}
