/**
 * The radio model of the synthetic env: SINR -> CQI -> spectral efficiency.
 *
 * Spectral efficiency per CQI is 3GPP TS 36.213 Table 7.2.3-1 (4-bit CQI, QPSK..64QAM), in
 * bit/s/Hz. The SINR thresholds are the usual link-level values for 10% BLER with that table.
 * The mean CQI of a slice's users is a real number; efficiency is interpolated linearly between
 * table entries, so capacity is a continuous, increasing function of SINR.
 */
export const CQI_SPECTRAL_EFFICIENCY: readonly number[] = [
  0, 0.1523, 0.2344, 0.377, 0.6016, 0.877, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547,
];

/** SINR (dB) at which CQI 1..15 become usable. */
export const CQI_SINR_THRESHOLDS_DB: readonly number[] = [
  -6.7, -4.7, -2.3, 0.2, 2.4, 4.3, 5.9, 8.1, 10.3, 11.7, 14.1, 16.3, 18.7, 21.0, 22.7,
];

/** Continuous mean CQI in [0, 15] for a SINR in dB (0 below the CQI 1 threshold minus 2 dB). */
export function sinrToCqi(sinrDb: number): number {
  const t = CQI_SINR_THRESHOLDS_DB;
  if (sinrDb >= t[14]!) return 15;
  if (sinrDb < t[0]!) return Math.max(0, 1 - (t[0]! - sinrDb) / 2);
  // Thresholds are few (15): a linear scan is faster than a binary search here.
  let k = 0;
  while (sinrDb >= t[k + 1]!) k++;
  return k + 1 + (sinrDb - t[k]!) / (t[k + 1]! - t[k]!);
}

/** Spectral efficiency (bit/s/Hz) at a continuous CQI, interpolated in the 36.213 table. */
export function cqiToSpectralEfficiency(cqi: number): number {
  if (!(cqi > 0)) return 0;
  if (cqi >= 15) return CQI_SPECTRAL_EFFICIENCY[15]!;
  const k = Math.floor(cqi);
  const frac = cqi - k;
  return CQI_SPECTRAL_EFFICIENCY[k]! + frac * (CQI_SPECTRAL_EFFICIENCY[k + 1]! - CQI_SPECTRAL_EFFICIENCY[k]!);
}
