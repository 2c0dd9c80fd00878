/**
 * `onnx:<file>`: an actor exported by `ns3ts export --format onnx`, with its JSON metadata. Not
 * servable yet: the server's constraint layer and routes take any PolicySource, and this loader is
 * where the exported model will plug in once the export format and its metadata are settled.
 */
import { Ns3tsError } from '../util/index.js';
import type { PolicySource } from './source.js';

export function loadOnnxSource(file: string): Promise<PolicySource> {
  return Promise.reject(
    new Ns3tsError(`--policy onnx:${file}: serving ONNX models is not available yet; serve the run it was exported from with --policy checkpoint:<run-dir>`),
  );
}
