/**
 * Errors a user can act on. Every message names the field, the value received and what was
 * expected, so the CLI prints one clear line (the stack only with --verbose).
 */
export class Ns3tsError extends Error {
  override readonly name: string = 'Ns3tsError';
}

/** Bad input: a field of a file, a flag, a message, or a function argument. */
export class InputError extends Ns3tsError {
  override readonly name = 'InputError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: got ${describeValue(value)}, expected ${expected}`);
  }
}

/** Shortens a value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
