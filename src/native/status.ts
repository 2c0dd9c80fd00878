/** Whether the native addon is active, and why (reported by `ns3ts doctor`). */
export interface NativeStatus {
  active: boolean;
  reason: string;
}

export function nativeStatus(): NativeStatus {
  return { active: false, reason: 'native addon not built yet: using the TypeScript implementation' };
}
