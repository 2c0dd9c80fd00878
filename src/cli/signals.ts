import { log } from '../util/index.js';

/** A long command's stop switch: aborted by the first SIGINT/SIGTERM. */
export interface SignalStop {
  signal: AbortSignal;
  /** Removes the handlers (call when the work is over). */
  dispose(): void;
}

/**
 * Ctrl-C for long commands (train, sweep, tune), one rule: the first SIGINT or SIGTERM logs
 * `firstWarning(sig)` and aborts `signal`, so the command stops cleanly at its next safe point;
 * a second one calls `beforeExit(sig)` and exits at once with 130.
 */
export function abortOnSignals(firstWarning: (sig: NodeJS.Signals) => string, beforeExit?: (sig: NodeJS.Signals) => void): SignalStop {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      log.warn(firstWarning(sig));
      controller.abort();
      return;
    }
    beforeExit?.(sig);
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
