import { loadCheckpointSource } from './checkpoint-source.js';
import { loadOnnxSource } from './onnx-source.js';
import { parsePolicySpec, type PolicySource, type PolicySourceOptions } from './source.js';

/** Loads `checkpoint:<run-dir>` or `onnx:<file>`. */
export async function loadPolicySource(spec: string, options: PolicySourceOptions = {}): Promise<PolicySource> {
  const parsed = parsePolicySpec(spec);
  return parsed.kind === 'checkpoint' ? loadCheckpointSource(parsed.path, spec, options) : loadOnnxSource(parsed.path, spec, options);
}
