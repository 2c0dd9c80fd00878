/**
 * The one module TensorFlow.js is imported from. The code uses the core ops, the layers API and
 * two backends (JavaScript CPU, WebAssembly), so it depends on exactly those packages instead of
 * the `@tensorflow/tfjs` bundle, whose WebGL backend, converter and data packages Node never uses.
 * `@tensorflow/tfjs-node` is an optional peer dependency, loaded by backend.ts when present.
 *
 * Side effects of the imports below: tfjs-layers registers the gradients of the core ops (the
 * bundle re-exports them too), tfjs-backend-cpu registers the `cpu` backend. Chained ops
 * (`tensor.reshape(...)`) are not registered: call the functions (`tf.reshape(tensor, ...)`).
 */
import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

/** The versions of the TF.js packages in use; `tfjs` is the core version (what run configs record). */
export const version = {
  'tfjs-core': version_core,
  'tfjs-backend-cpu': version_cpu,
  'tfjs-layers': version_layers,
  tfjs: version_core,
} as const;
