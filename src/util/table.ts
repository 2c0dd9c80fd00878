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

/** A column of a table of records: its header, and what a record shows in it. */
export type TableColumn<T> = readonly [header: string, cell: (record: T) => string];

/** textTableLines of records: the columns' headers, then one row per record. */
export function recordTableLines<T>(columns: ReadonlyArray<TableColumn<T>>, records: readonly T[], options: TextTableOptions = {}): string[] {
  return textTableLines([columns.map(([header]) => header), ...records.map((record) => columns.map(([, cell]) => cell(record)))], options);
}

/** A figure with `digits` decimals; NaN and the infinities by name, and null (no value) as '-'. */
export function fixedCell(value: number | null, digits = 3): string {
  if (value === null) return '-';
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/**
 * A figure to about three significant digits whatever its size (up to three decimals, exponent
 * notation from 1e5 and below 1e-3), for columns whose values span orders of magnitude.
 */
export function significantCell(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const a = Math.abs(value);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return value.toExponential(2);
  return value.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : 3);
}

/** A mean and, when known, the half-width of its interval: "0.912 ± 0.014" (significantCell). */
export function estimateCell(mean: number, halfWidth: number | null): string {
  return halfWidth === null ? significantCell(mean) : `${significantCell(mean)} ± ${significantCell(halfWidth)}`;
}
