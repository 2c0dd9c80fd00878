/** TensorFlow.js backend for the estimator: tfjs-node when installed, else wasm, else cpu. */
import * as tf from '@tensorflow/tfjs';

let chosen: Promise<string> | null = null;

export function ensureTfBackend(): Promise<string> {
  chosen ??= (async () => {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // wasm unavailable: fall through to the plain CPU backend
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return tf.getBackend();
  })();
  return chosen;
}
