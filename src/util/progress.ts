/**
 * A one-line progress bar on stderr. On a terminal it redraws in place; elsewhere (CI logs,
 * pipes) it prints a plain line at most every `plainEverySeconds`, so logs stay short.
 *
 * Ours rather than cli-progress (3.12, Node >= 4, would do the job, non-TTY output included):
 * one bar of one line, no multi-bar or themes, and the plain-line throttling for CI logs and
 * Slurm output files is the only subtle part; a dependency would not remove any of our tests.
 */
export interface ProgressOptions {
  total: number;
  label?: string;
  stream?: NodeJS.WriteStream;
  /** Hide entirely (e.g. --quiet or --json output on stdout is unaffected either way). */
  enabled?: boolean;
  plainEverySeconds?: number;
}

export class ProgressBar {
  private readonly total: number;
  private readonly label: string;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private readonly tty: boolean;
  private readonly plainEveryMs: number;
  private readonly startedAt = Date.now();
  private lastDraw = 0;
  private current = 0;
  private suffix = '';
  private lastText = '';

  constructor(options: ProgressOptions) {
    this.total = Math.max(0, options.total);
    this.label = options.label ?? '';
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? true;
    this.tty = Boolean(this.stream.isTTY);
    this.plainEveryMs = (options.plainEverySeconds ?? 10) * 1000;
  }

  /**
   * Sets the absolute progress and an optional status text (e.g. "12.3 steps/s reward 4.1").
   * `current` may be fractional: a long episode moves the bar (and its ETA) while it runs.
   */
  update(current: number, suffix?: string): void {
    this.current = Math.min(current, this.total);
    if (suffix !== undefined) this.suffix = suffix;
    const now = Date.now();
    const minGap = this.tty ? 100 : this.plainEveryMs;
    if (now - this.lastDraw >= minGap || this.current >= this.total) this.draw(now);
  }

  tick(by = 1, suffix?: string): void {
    this.update(this.current + by, suffix);
  }

  /** Finishes the bar (always draws the final state once). */
  done(suffix?: string): void {
    if (suffix !== undefined) this.suffix = suffix;
    this.draw(Date.now());
    if (this.enabled && this.tty) this.stream.write('\n');
  }

  private draw(now: number): void {
    this.lastDraw = now;
    if (!this.enabled) return;
    const fraction = this.total === 0 ? 1 : this.current / this.total;
    const elapsed = (now - this.startedAt) / 1000;
    const eta = fraction > 0 && fraction < 1 ? elapsed / fraction - elapsed : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const text = `${this.label} ${bar} ${formatCount(this.current)}/${this.total} ${formatSeconds(elapsed)}${
      eta > 0 ? ` eta ${formatSeconds(eta)}` : ''
    } ${this.suffix}`.trim();
    if (this.tty) this.stream.write(`\r\x1b[2K${text}`);
    // Off a terminal every draw is a new line: never print the same line twice.
    else if (text !== this.lastText) this.stream.write(`${text}\n`);
    this.lastText = text;
  }
}

/** Whole units as they are, a unit in progress with two decimals ("0.25/1" a quarter into an episode). */
export function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
