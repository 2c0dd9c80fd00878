import { loadState } from './addon.js';

/** Whether the native addon is active, and why (reported by `ns3ts doctor`). */
export interface NativeStatus {
  active: boolean;
  reason: string;
  /** Absolute path of the loaded addon (only when active). */
  path?: string;
  /**
   * What computes the training engine's matrix products: "onednn 2.6.3", "openblas" or
   * "built-in" with the addon, "typescript" without it.
   */
  trainingProducts: string;
}

/**
 * Which implementation the MLP runners use by default: the N-API addon when it
 * is built and NS3TS_NATIVE is not "off", else the TypeScript fallback (same results). The reason
 * says which and, when the fallback is active, how to get the addon.
 */
export function nativeStatus(): NativeStatus {
  const state = loadState();
  const status: NativeStatus = {
    active: state.addon !== undefined,
    reason: state.reason,
    trainingProducts: state.addon?.gemmBackend ?? 'typescript',
  };
  if (state.path !== undefined && status.active) status.path = state.path;
  return status;
}
