/**
 * The plain-text tables the CLI and the benchmarks print: columns two spaces apart, each as wide
 * as its widest cell, the label columns on the left aligned left and the figures aligned right
 * (so their digits line up), no trailing spaces.
 */
export interface TextTableOptions {
  /** How many columns, from the left, are labels (aligned left); the rest align right. Default 1. */
  leftColumns?: number;
  /** A line of dashes under the header. Default false. */
  rule?: boolean;
  /**
   * Rows that set the column widths instead of `rows` (e.g. every table of one printout, so that
   * they line up with each other). Default: `rows`.
   */
  widthsOf?: ReadonlyArray<readonly string[]>;
}

/** The lines of a table whose first row is its header. */
export function textTableLines(rows: ReadonlyArray<readonly string[]>, options: TextTableOptions = {}): string[] {
  const leftColumns = options.leftColumns ?? 1;
  const sizing = options.widthsOf ?? rows;
  const columns = Math.max(0, ...sizing.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, j) => Math.max(0, ...sizing.map((row) => (row[j] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, j) => (j < leftColumns ? cell.padEnd(widths[j] ?? 0) : cell.padStart(widths[j] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = rows.map(line);
  if (options.rule && lines.length > 0) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}
