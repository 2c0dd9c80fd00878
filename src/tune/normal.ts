/**
 * The standard normal distribution as TPE needs it: log CDF (stable far into the tails), the log
 * of the mass between two points, and the inverse CDF for sampling a truncated normal.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * erfc(x) for x >= 0: W. J. Cody's rational approximations (Math. Comp. 23, 1969), relative
 * error below 1e-15 in double precision.
 */
function erfcPositive(x: number): number {
  if (x < 0.5) return 1 - erfSmall(x);
  if (x < 4) {
    const p = [3.004592610201616005e2, 4.519189537118729422e2, 3.393208167343436870e2, 1.529892850469404039e2, 4.316222722205673530e1, 7.211758250883093659, 5.641955174789739711e-1, -1.368648573827167067e-7];
    const q = [3.004592609569832933e2, 7.909509253278980272e2, 9.313540948506096211e2, 6.389802644656311665e2, 2.775854447439876434e2, 7.700015293522947295e1, 1.278272731962942351e1, 1];
    let num = 0;
    let den = 0;
    for (let i = p.length - 1; i >= 0; i--) {
      num = num * x + p[i]!;
      den = den * x + q[i]!;
    }
    return Math.exp(-x * x) * (num / den);
  }
  const p = [-2.99610707703542174e-3, -4.94730910623250734e-2, -2.26956593539686930e-1, -2.78661308609647788e-1, -2.23192459734184686e-2];
  const q = [1.06209230528467918e-2, 1.91308926107829841e-1, 1.05167510706793207, 1.98733201817135256, 1];
  const z = 1 / (x * x);
  let num = 0;
  let den = 0;
  for (let i = p.length - 1; i >= 0; i--) {
    num = num * z + p[i]!;
    den = den * z + q[i]!;
  }
  return (Math.exp(-x * x) / x) * (1 / Math.sqrt(Math.PI) + z * (num / den));
}

function erfSmall(x: number): number {
  const p = [3.16112374387056560, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
  const q = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
  const z = x * x;
  let num = p[4]! * z;
  let den = z;
  for (let i = 0; i < 3; i++) {
    num = (num + p[i]!) * z;
    den = (den + q[i]!) * z;
  }
  return (x * (num + p[3]!)) / (den + q[3]!);
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const x = z / Math.SQRT2;
  return x < 0 ? 0.5 * erfcPositive(-x) : 1 - 0.5 * erfcPositive(x);
}

/** log Φ(z), accurate in the lower tail (where Φ underflows). */
export function logNormalCdf(z: number): number {
  if (z === Infinity) return 0;
  if (z === -Infinity) return -Infinity;
  if (z > -5) return Math.log(normalCdf(z));
  if (z > -37) return Math.log(0.5 * erfcPositive(-z / Math.SQRT2));
  // Asymptotic series of the Mills ratio.
  const z2 = z * z;
  return -0.5 * z2 - Math.log(-z) - LOG_SQRT_2PI + Math.log(1 - 1 / z2 + 3 / (z2 * z2));
}

/** log φ(z), the standard normal log density. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** log(Φ(b) − Φ(a)) for a <= b, computed on the side where it does not cancel. */
export function logGaussMass(a: number, b: number): number {
  if (!(b > a)) return -Infinity;
  if (b <= 0) {
    const la = logNormalCdf(a);
    const lb = logNormalCdf(b);
    return lb + Math.log1p(-Math.exp(la - lb));
  }
  if (a >= 0) return logGaussMass(-b, -a);
  // Straddling zero: 1 − Φ(a) − Φ(−b), both terms at most 1/2.
  return Math.log1p(-normalCdf(a) - normalCdf(-b));
}

/**
 * Φ⁻¹(p): P. J. Acklam's rational approximation refined by one Halley step (relative error
 * near machine precision).
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step on Φ(x) − p.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

/**
 * A draw from the standard normal truncated to [a, b], by the inverse CDF; the side of zero with
 * the smaller tail mass is used so that draws far in a tail stay exact.
 */
export function truncatedNormalDraw(a: number, b: number, uniform: number): number {
  if (a > 0) return -truncatedNormalDraw(-b, -a, 1 - uniform);
  // Here a <= 0: work with Φ on the lower side.
  const pa = normalCdf(a);
  const pb = normalCdf(b);
  const x = normalQuantile(pa + uniform * (pb - pa));
  if (!Number.isFinite(x)) return uniform < 0.5 ? a : b;
  return Math.min(b, Math.max(a, x));
}

/** log density of N(mu, sigma²) truncated to [low, high], at x. */
export function truncatedNormalLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  return logNormalPdf((x - mu) / sigma) - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}
