/**
 * Named typed arrays an agent reuses from update to update instead of allocating them per update
 * (an update runs thousands of times per run; fresh arrays there were a steady share of its time
 * in allocation and garbage collection). Each name keeps one buffer, grown when a longer view is
 * asked for; a view's contents are what its last user left unless it asks for zeros.
 */
export class WorkArrays {
  private readonly floats = new Map<string, Float32Array>();
  private readonly ints = new Map<string, Int32Array>();

  /** A view of `length` floats of the buffer `name` (zero-filled when `zero`). */
  f32(name: string, length: number, zero = false): Float32Array {
    let buffer = this.floats.get(name);
    if (!buffer || buffer.length < length) {
      buffer = new Float32Array(length);
      this.floats.set(name, buffer);
    }
    const view = buffer.length === length ? buffer : buffer.subarray(0, length);
    if (zero) view.fill(0);
    return view;
  }

  /** A view of `length` int32 values of the buffer `name` (contents left as they are). */
  i32(name: string, length: number): Int32Array {
    let buffer = this.ints.get(name);
    if (!buffer || buffer.length < length) {
      buffer = new Int32Array(length);
      this.ints.set(name, buffer);
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }
}
