// The explorers' computation in the browser: a float64 port of what `descent` computes.
//
// On a static page (or a notebook reopened without a kernel) the renderer calls
// `compute(spec, values)` to get the same `result` that Python sends from a kernel: the run
// of the optimizer on the explorer's problem, and the theory numbers. In both modes the
// renderer calls `status(spec, values, result)` for the texts: they are made only here.
//
// Each part ports one piece of Python, the same arithmetic in the same order, so that a run
// here equals `descent.runner.run` under `jax.enable_x64(True)`: bit for bit on the
// quadratic (every optimizer) and on Rosenbrock and the saddle (every optimizer but
// Adadelta), because the port also copies what XLA's CPU compiler does to the arithmetic
// (fused multiply-adds, x/s as x·(1/s), subnormals flushed to zero; see "Fused
// multiply-add" below). Elsewhere it agrees to rounding, which a chaotic run amplifies.
//
//   problems      descent.problems: quadratic, rosenbrock, beale, saddle, monkey_saddle
//   optimizers    descent.optimizers: sgd … adadelta, precondition (one function each)
//   run           descent.runner.run: _run, _update, _mask (freezing, NaN, diverged_at)
//   quadratic     QuadraticExplorer.run and ._rates of the old descent/explorers.py
//   race          Explorer.run
//   minibatch     the shared batch generator (mulberry32), the minibatch SGD path,
//                 descent.theory.sgd_noise_floor (from spec.floor_parts),
//                 MinibatchExplorer.predicted_floor and .standard_error
//   noisy, schedule  SGD on the noisy quadratic (descent/explorers/noisy.py): the shared
//                 normals (mulberry32 per run and step, Box–Muller), the cloud of runs,
//                 theory.noisy_quadratic_moments and noise_ball_variance, and the schedules
//                 of descent.schedules a ScheduleExplorer offers
//   momentum      descent.theory's closed forms (momentum_spectral_radius with its factored
//                 discriminant, momentum_rate over the (α, β) grid: Goh's map, the optima)
//                 and MomentumExplorer's run of gd / heavy ball / Nesterov
//   texts         _fmt, _measured_rate, _above_from, _blowup, _resolution and the _draw,
//                 _rate_text and _warning of each old explorer, float32 → float64
//   contours      QuadraticExplorer._contour_segments in closed form; marching squares
//
// Exports (render.js imports them):
//   compute(spec, values)            -> result (see CONTRACT: same structure as Python's)
//   status(spec, values, result)     -> {facts, info, alert}, strings ("" when empty)
//   fmt(x)                           -> Python's f"{x:.3g}"; "—" for null/NaN/−∞, "∞" for +∞
//   quadraticContours(lam, R, half)  -> {segments, values, axes}
//   contourLines(spec)               -> [{level_index, paths}] for a race (non-empty levels only)
//   lossGap(spec, path)              -> ½(w−ŵ)ᵀQ(w−ŵ) per row of a minibatch path
//   noisyFloor(α, λ, s)              -> Σ αsᵢ/(2(2 − αλᵢ)), ∞ if αλ_max ≥ 2 (the constant α's floor)
//   scheduleRates(name, α, W, D, T)  -> α_0 … α_{T−1} of a ScheduleExplorer menu entry
//   rateMap(spec, λ, method)         -> ρ over a MomentumExplorer's (α, β) grid (cached)
//   COLORS                           -> {C0..C9, red, grey, viridis: [16 stops]}
//   also: isFiniteNumber(x) (false for null, NaN, ±∞), roundBound(steps) (old _round_bound), SCHEDULE_NAMES,
//   quadraticOf(values) -> {lam, R, Q} (the quadratic a QuadraticExplorer state describes),
//   entryColor(i) (C0, C1, C2, then C4…: red is skipped), OPTIMIZERS (name → factory).
//
// Conventions: numbers that are not finite may arrive as null (JSON from Python) or as
// NaN/±Infinity (computed here); every function below reads null as NaN. A masked step of a
// run is [NaN, NaN] here and [null, null] from Python.

// ---------------------------------------------------------------------------------------
// Numbers and their text.

const STEP_BOUNDS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
const TINY = 2.2250738585072014e-308; // The smallest normal float64 (old _TINY, float32's).
const JUMP = 1e-10; // One step that divides the loss by 10¹⁰ or more went to the minimum itself.

/** A number, or NaN for null/undefined (non-finite numbers travel as null in JSON). */
function num(x) {
  return x === null || x === undefined ? NaN : Number(x);
}

/** True for a finite number; false for null, NaN and ±Infinity. */
export function isFiniteNumber(x) {
  return x !== null && x !== undefined && Number.isFinite(Number(x));
}

/** The x-axis limit for `steps` steps: the next round number (old _round_bound). */
export function roundBound(steps) {
  for (const b of STEP_BOUNDS) if (b >= steps) return b;
  return Math.trunc(steps);
}

/**
 * The exact decimal digits of a positive finite double: value = 0.DIGITS × 10^(point).
 * A double is m·2^e exactly; for e < 0 it is m·5^−e / 10^−e, so BigInt gives every digit.
 */
function exactDecimal(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0), low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let e2;
  if (biased === 0) {
    e2 = -1074; // Subnormal.
  } else {
    mantissa |= 1n << 52n;
    e2 = biased - 1075;
  }
  let digits, fraction;
  if (e2 >= 0) {
    digits = (mantissa << BigInt(e2)).toString();
    fraction = 0;
  } else {
    digits = (mantissa * 5n ** BigInt(-e2)).toString();
    fraction = -e2; // Digits after the decimal point.
  }
  return { digits, exponent: digits.length - 1 - fraction }; // x = d.ddd × 10^exponent.
}

/**
 * Python's format(x, ".{precision}g"): round to `precision` significant digits (half to
 * even, on the exact binary value), then fixed notation when −4 ≤ exponent < precision,
 * else scientific with a two-digit exponent; trailing zeros removed.
 */
function formatG(x, precision) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  x = Math.abs(x);
  if (x === 0) return sign + "0";
  let { digits, exponent } = exactDecimal(x);
  let head = digits.slice(0, precision).padEnd(precision, "0");
  const rest = digits.slice(precision);
  let up = false;
  if (rest.length > 0) {
    if (rest[0] > "5") up = true;
    else if (rest[0] === "5") {
      up = /[1-9]/.test(rest.slice(1)) || Number(head[head.length - 1]) % 2 === 1;
    }
  }
  if (up) {
    head = (BigInt(head) + 1n).toString();
    if (head.length > precision) {
      head = head.slice(0, precision);
      exponent += 1;
    }
  }
  let text;
  if (exponent >= -4 && exponent < precision) {
    if (exponent >= precision - 1) text = head + "0".repeat(exponent - precision + 1);
    else if (exponent >= 0) text = head.slice(0, exponent + 1) + "." + head.slice(exponent + 1);
    else text = "0." + "0".repeat(-exponent - 1) + head;
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  } else {
    let mantissa = head[0] + "." + head.slice(1);
    mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    const e = Math.abs(exponent).toString().padStart(2, "0");
    text = mantissa + "e" + (exponent < 0 ? "-" : "+") + e;
  }
  return sign + text;
}

/** A number for a label, 3 significant digits: Python's f"{x:.3g}" (old _fmt). */
export function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(Number(x))) {
    return x !== null && x !== undefined && Number(x) > 0 ? "∞" : "—";
  }
  return formatG(Number(x), 3);
}

// ---------------------------------------------------------------------------------------
// Colours: Matplotlib's tab10 cycle and viridis, as the book's static figures use them.

export const COLORS = {
  C0: "#1f77b4", C1: "#ff7f0e", C2: "#2ca02c", C3: "#d62728", C4: "#9467bd",
  C5: "#8c564b", C6: "#e377c2", C7: "#7f7f7f", C8: "#bcbd22", C9: "#17becf",
  red: "#d62728", // The trajectory of a QuadraticExplorer, minibatch SGD.
  alert: "#b00020", // The warning line.
  grey: "#8c8c8c", // Matplotlib's "0.55": the eigenvector axes.
  viridis: [
    "#440154", "#481a6c", "#472f7d", "#414487", "#39568c", "#31688e", "#2a788e", "#23888e",
    "#1f988b", "#22a884", "#35b779", "#54c568", "#7ad151", "#a5db36", "#d2e21b", "#fde725",
  ],
};

/** The colour of race entry i: C0, C1, C2, then C4, C5…: red is the warning colour. */
export function entryColor(i) {
  return COLORS[`C${i < 3 ? i : (i + 1) % 10}`];
}

// ---------------------------------------------------------------------------------------
// Fused multiply-add. XLA compiles `descent`'s loops for the CPU with floating-point
// contraction on: wherever a product feeds a sum in the same kernel, LLVM computes
// a·b + c as one fused multiply-add, rounded once (and NumPy's matrix products do the same
// through OpenBLAS). JavaScript has no Math.fma, so `fma` below computes RN(a·b + c)
// exactly: Dekker's exact product and three TwoSums give a·b + c = r + q + w, and r is the
// answer unless q + w could move it across a rounding boundary, which BigInt arithmetic
// then settles. The ports below call fma exactly where the compiled Python fuses, so that
// a run here equals the kernel's bit for bit, chaotic runs included.

const bits = new DataView(new ArrayBuffer(8));

/** x = M · 2^E exactly, M a signed BigInt. */
function binary(x) {
  bits.setFloat64(0, x);
  const high = bits.getUint32(0), low = bits.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let M = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let E = -1074;
  if (biased !== 0) {
    M |= 1n << 52n;
    E = biased - 1075;
  }
  return [x < 0 ? -M : M, E];
}

/** RN(N · 2^E), ties to even, for a BigInt N ≠ 0. */
function roundBinary(N, E) {
  const negative = N < 0n;
  if (negative) N = -N;
  let shift = N.toString(2).length - 53;
  if (E + shift < -1074) shift = -1074 - E; // Subnormal: the last bit is 2^−1074.
  let value;
  if (shift <= 0) {
    value = Number(N) * 2 ** E; // Exact.
  } else {
    let m = N >> BigInt(shift);
    const rest = N - (m << BigInt(shift)), half = 1n << BigInt(shift - 1);
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
    const k = E + shift;
    value = k > 1023 ? Infinity : Number(m) * 2 ** k;
  }
  return negative ? -value : value;
}

/** RN(a·b + c) by exact integer arithmetic. */
function exactFma(a, b, c) {
  const [Ma, Ea] = binary(a), [Mb, Eb] = binary(b), [Mc, Ec] = binary(c);
  const Ep = Ea + Eb, E = Math.min(Ep, Ec);
  const N = ((Ma * Mb) << BigInt(Ep - E)) + (Mc << BigInt(Ec - E));
  return N === 0n ? a * b + c : roundBinary(N, E);
}

/** Half the smaller gap between |r| and its neighbours (r finite, ≠ 0). */
function halfUlp(r) {
  bits.setFloat64(0, r);
  const high = bits.getUint32(0), biased = (high >>> 20) & 0x7ff;
  if (biased <= 1) return 2 ** -1075;
  const power = (high & 0xfffff) === 0 && bits.getUint32(4) === 0; // The gap below is half.
  return 2 ** (biased - 1076 - (power ? 1 : 0));
}

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter.

/** fma(a, b, c) = RN(a·b + c), rounded once, as the hardware instruction. */
function fma(a, b, c) {
  const p = a * b;
  if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c))) return p + c;
  if (c === 0) return p === 0 && a !== 0 && b !== 0 ? exactFma(a, b, c) : p;
  if (a === 0 || b === 0) return p + c;
  const size = Math.abs(p);
  if (!(size < 1e300) || size < 2 ** -968 || Math.abs(a) > 2 ** 995 || Math.abs(b) > 2 ** 995) {
    return exactFma(a, b, c); // Outside the range where the splitting is exact.
  }
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl; // a·b = p + e exactly.
  const s = p + c; // TwoSum(p, c) = s + t.
  let z = s - p;
  t = p - (s - z) + (c - z);
  const u = t + e; // TwoSum(t, e) = u + w.
  z = u - t;
  const w = t - (u - z) + (e - z);
  const r = s + u; // TwoSum(s, u) = r + q: a·b + c = r + q + w.
  z = r - s;
  const q = s - (r - z) + (u - z);
  if (w === 0) return r; // r = RN(s + u), and s + u is all of it.
  if (r === 0) return w + q;
  if (Number.isFinite(r) && Math.abs(q) + Math.abs(w) < halfUlp(r)) return r;
  return exactFma(a, b, c);
}

/**
 * XLA's CPU kernels flush subnormal results to zero: so does this, on the numbers a run
 * keeps (θ, L, β^t).
 */
function flush(x) {
  return Math.abs(x) < 2.2250738585072014e-308 ? x * 0 : x;
}

let ddHi = 0, ddLo = 0; // The result of ddMul.

/** (ddHi, ddLo) = (ah + al)·(bh + bl) in double-double arithmetic (Dekker). */
function ddMul(ah, al, bh, bl) {
  const p = ah * bh;
  let t = SPLIT * ah;
  const xh = t - (t - ah), xl = ah - xh;
  t = SPLIT * bh;
  const yh = t - (t - bh), yl = bh - yh;
  const e = xh * yh - p + xh * yl + xl * yh + xl * yl + (ah * bl + al * bh);
  ddHi = p + e;
  ddLo = e - (ddHi - p);
}

/**
 * β^t for an integer t ≥ 0, correctly rounded (to ~2^−100, by double-double squaring), as
 * XLA's pow (glibc's, correctly rounded in practice) gives it; Math.pow is not.
 */
function powInt(b, t) {
  if (!Number.isFinite(b) || Math.abs(b) > 1e150 || (b !== 0 && Math.abs(b) < 1e-150)) return flush(Math.pow(b, t));
  let rh = 1, rl = 0, bh = b, bl = 0;
  for (let n = t; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) {
      ddMul(rh, rl, bh, bl);
      rh = ddHi;
      rl = ddLo;
      if (rh !== 0 && Math.abs(rh) < 1e-280) return flush(Math.pow(b, t)); // Underflowing.
    }
    if (n > 1) {
      ddMul(bh, bl, bh, bl);
      bh = ddHi;
      bl = ddLo;
    }
  }
  return flush(rh + rl);
}

// ---------------------------------------------------------------------------------------
// Problems (descent.problems): the loss and its gradient as the compiled JAX computes them
// (autodiff's order of operations, the contractions of its kernels). A problem is
// {loss(θ), valueAndGrad(θ) -> [L, g]}; θ is [x, y].

/**
 * R and Q = R diag(λ) Rᵀ for a rotation by `angle` DEGREES, as descent.problems.quadratic
 * given angle·π/180 radians: c, s = cos, sin; Q = (RΛ)Rᵀ, then symmetrized, (Q + Qᵀ)/2.
 */
function quadraticMatrices(lam, angle) {
  const radians = (angle * Math.PI) / 180; // θ = angle·π/180, as the Python side writes it.
  const c = Math.cos(radians), s = Math.sin(radians);
  const R = [[c, -s], [s, c]];
  const RL = [[R[0][0] * lam[0], R[0][1] * lam[1]], [R[1][0] * lam[0], R[1][1] * lam[1]]];
  const P = [[0, 0], [0, 0]];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) P[i][j] = fma(RL[i][1], R[j][1], RL[i][0] * R[j][0]); // (RΛ)Rᵀ, as OpenBLAS.
  }
  const Q = [
    [(P[0][0] + P[0][0]) / 2, (P[0][1] + P[1][0]) / 2],
    [(P[1][0] + P[0][1]) / 2, (P[1][1] + P[1][1]) / 2],
  ];
  return { R, Q };
}

/** The quadratic of a QuadraticExplorer state: λ = (λ₁, ±|λ₂|), R and Q. */
export function quadraticOf(values) {
  const lam = [Number(values.lambda1), values.saddle ? -Number(values.lambda2) : Number(values.lambda2)];
  return { lam, ...quadraticMatrices(lam, Number(values.angle)) };
}

/**
 * L(θ) = 0.5 * θ @ Q @ θ, i.e. d = (0.5θ)ᵀQ and L = d·θ; ∇L = d + 0.5·Qθ, as JAX computes
 * it (each 2-term dot product a fused multiply-add).
 */
function quadraticProblem(Q) {
  const half = (theta) => {
    const a0 = 0.5 * theta[0], a1 = 0.5 * theta[1];
    return [fma(a1, Q[1][0], a0 * Q[0][0]), fma(a1, Q[1][1], a0 * Q[0][1])]; // (0.5θ)ᵀQ.
  };
  const loss = (theta) => {
    const [d0, d1] = half(theta);
    return fma(theta[1], d1, theta[0] * d0);
  };
  const valueAndGrad = (theta) => {
    const [d0, d1] = half(theta);
    const h0 = fma(theta[1], Q[0][1], theta[0] * Q[0][0]); // Qθ.
    const h1 = fma(theta[1], Q[1][1], theta[0] * Q[1][0]);
    return [fma(theta[1], d1, theta[0] * d0), [d0 + 0.5 * h0, d1 + 0.5 * h1]];
  };
  return { loss, valueAndGrad };
}

/** (a − x)² + b(y − x²)² (descent.problems._rosenbrock_loss). */
function rosenbrockProblem(a, b) {
  const loss = ([x, y]) => {
    const u = a - x, w = fma(-x, x, y); // y − x².
    return fma(u, u, b * (w * w));
  };
  const valueAndGrad = ([x, y]) => {
    const u = a - x, w = fma(-x, x, y);
    const bw = b * (2 * w); // ∂/∂w of b w².
    return [fma(u, u, b * (w * w)), [-bw * (2 * x) - 2 * u, bw]];
  };
  return { loss, valueAndGrad };
}

/** (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)² (descent.problems._beale_loss). */
function bealeProblem() {
  const terms = (x, y) => {
    const y2 = y * y, y3 = y * y2;
    return [y2, y3, 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3];
  };
  const loss = ([x, y]) => {
    const [, , A, B, C] = terms(x, y);
    return A * A + B * B + C * C;
  };
  const valueAndGrad = ([x, y]) => {
    const [y2, y3, A, B, C] = terms(x, y);
    const gA = 2 * A, gB = 2 * B, gC = 2 * C;
    const gx = -gA + gA * y + (-gB + gB * y2) + (-gC + gC * y3);
    const gy = x * gA + (x * gB) * (2 * y) + (x * gC) * (3 * y2);
    return [A * A + B * B + C * C, [gx, gy]];
  };
  return { loss, valueAndGrad };
}

/** x² − y² (descent.problems._saddle_loss). */
function saddleProblem() {
  const loss = ([x, y]) => fma(x, x, -(y * y));
  return { loss, valueAndGrad: ([x, y]) => [loss([x, y]), [2 * x, -(2 * y)]] };
}

/** x³ − 3xy² (descent.problems._monkey_saddle_loss). */
function monkeySaddleProblem() {
  const loss = ([x, y]) => x * (x * x) - 3 * x * (y * y);
  const valueAndGrad = ([x, y]) => [
    x * (x * x) - 3 * x * (y * y),
    [3 * (x * x) - 3 * (y * y), -((3 * x) * (2 * y))],
  ];
  return { loss, valueAndGrad };
}

/** The problem a race's spec.problem names, or null ("custom": only Python has its loss). */
function raceProblem(description) {
  switch (description.name) {
    case "rosenbrock": return rosenbrockProblem(num(description.a ?? 1.0), num(description.b ?? 100.0));
    case "beale": return bealeProblem();
    case "saddle": return saddleProblem();
    case "monkey_saddle": return monkeySaddleProblem();
    case "quadratic": return quadraticProblem(description.Q.map((row) => row.map(num)));
    default: return null;
  }
}

// ---------------------------------------------------------------------------------------
// Optimizers (descent.optimizers): optax's design, init(params) -> state and
// update(grads, state, params) -> [updates, state], over parameter vectors. Each update is
// the Python one, line by line, per coordinate (what _per_leaf does per leaf), with fma
// where the compiled kernel fuses. An update u = ∓α·x also returns x and has
// apply(θ, x) = fma(∓α, x, θ): the step θ + u as the kernel takes it. The count t is the
// number of steps taken. A division by a scalar, m/(1 − β₁ᵗ), is a product with its
// reciprocal, as XLA rewrites it; β^t is powInt, correctly rounded like XLA's pow.

/** [f(a₀, b₀, …), f(a₁, b₁, …), …]: the update of one coordinate applied to each. */
function map(f, a, b, c, d) {
  const out = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], b?.[i], c?.[i], d?.[i]);
  return out;
}
const zeros = (params) => params.map(() => 0);

/** θ ← θ − α g. */
function sgd({ learning_rate }) {
  const alpha = learning_rate;
  return {
    init: () => ({ count: 0 }),
    update: (grads, state) => [grads.map((g) => -alpha * g), { count: state.count + 1 }, grads],
    apply: (theta, g) => fma(-alpha, g, theta), // θ + (−α g), fused.
  };
}

/** v ← βv + g, θ ← θ − α v (heavy ball). */
function momentum({ learning_rate, momentum = 0.9 }) {
  const alpha = learning_rate, beta = momentum;
  return {
    init: (params) => ({ count: 0, v: zeros(params) }),
    update: (grads, state) => {
      const v = map((g, v) => fma(beta, v, g), grads, state.v); // Velocity: v ← βv + g.
      return [v.map((v) => -alpha * v), { count: state.count + 1, v }, v]; // θ ← θ − α v.
    },
    apply: (theta, v) => fma(-alpha, v, theta),
  };
}

/** v ← βv + g, θ ← θ − α (g + βv) (Nesterov, Sutskever et al.'s form). */
function nesterov({ learning_rate, momentum = 0.9 }) {
  const alpha = learning_rate, beta = momentum;
  return {
    init: (params) => ({ count: 0, v: zeros(params) }),
    update: (grads, state) => {
      const v = map((g, v) => fma(beta, v, g), grads, state.v); // Velocity: v ← βv + g.
      const step = map((g, v) => fma(beta, v, g), grads, v); // g + βv: a step past v.
      return [step.map((x) => -alpha * x), { count: state.count + 1, v }, step];
    },
    apply: (theta, step) => fma(-alpha, step, theta),
  };
}

/** v ← v + g², θ ← θ − α g / (√v + ε). */
function adagrad({ learning_rate, initial_accumulator_value = 0.0, eps = 1e-8 }) {
  const alpha = learning_rate;
  return {
    init: (params) => ({ count: 0, v: params.map(() => initial_accumulator_value) }),
    update: (grads, state) => {
      const v = map((g, v) => fma(g, g, v), grads, state.v); // Sum of squared gradients.
      const updates = map((g, v) => (-alpha * g) / (Math.sqrt(v) + eps), grads, v);
      return [updates, { count: state.count + 1, v }];
    },
  };
}

/** v ← ρv + (1 − ρ)g², θ ← θ − α g / (√v + ε). */
function rmsprop({ learning_rate, decay = 0.9, eps = 1e-8 }) {
  const alpha = learning_rate, rho = decay;
  return {
    init: (params) => ({ count: 0, v: zeros(params) }),
    update: (grads, state) => {
      const v = map((g, v) => fma(rho, v, (1 - rho) * (g * g)), grads, state.v); // Moving average.
      const updates = map((g, v) => (-alpha * g) / (Math.sqrt(v) + eps), grads, v);
      return [updates, { count: state.count + 1, v }];
    },
  };
}

/** E[g²], Δθ = −√(E[Δθ²] + ε)/√(E[g²] + ε)·g, E[Δθ²], θ ← θ + αΔθ. */
function adadelta({ learning_rate = 1.0, rho = 0.95, eps = 1e-6 }) {
  const alpha = learning_rate;
  return {
    init: (params) => ({ count: 0, v: zeros(params), u: zeros(params) }),
    update: (grads, state) => {
      const v = map((g, v) => fma(rho, v, (1 - rho) * (g * g)), grads, state.v); // E[g²].
      const delta = map((g, v, u) => (-Math.sqrt(u + eps) / Math.sqrt(v + eps)) * g, grads, v, state.u);
      const u = map((d, u) => fma(rho, u, (1 - rho) * (d * d)), delta, state.u); // E[Δθ²].
      return [delta.map((d) => alpha * d), { count: state.count + 1, v, u }, delta];
    },
    apply: (theta, delta) => fma(alpha, delta, theta), // θ + αΔθ.
  };
}

/** Adam: m, v, bias corrections m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), θ ← θ − α m̂/(√v̂ + ε). */
function adam({ learning_rate = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8 }) {
  const alpha = learning_rate;
  return {
    init: (params) => ({ count: 0, m: zeros(params), v: zeros(params) }),
    update: (grads, state) => {
      const t = state.count + 1; // This is step t = 1, 2, …
      const m = map((g, m) => fma(b1, m, (1 - b1) * g), grads, state.m); // First moment.
      const v = map((g, v) => fma(b2, v, (1 - b2) * (g * g)), grads, state.v); // Second moment.
      const c1 = 1 / (1 - powInt(b1, t)), c2 = 1 / (1 - powInt(b2, t)); // XLA: x/s = x·(1/s).
      const updates = map((m, v) => {
        const mHat = m * c1; // Bias corrections.
        const vHat = v * c2;
        return (-alpha * mHat) / (Math.sqrt(vHat) + eps);
      }, m, v);
      return [updates, { count: t, m, v }];
    },
  };
}

/** Nadam: m̂ = β₁m/(1 − β₁^{t+1}) + (1 − β₁)g/(1 − β₁ᵗ), the rest as Adam. */
function nadam({ learning_rate, b1 = 0.9, b2 = 0.999, eps = 1e-8 }) {
  const alpha = learning_rate;
  return {
    init: (params) => ({ count: 0, m: zeros(params), v: zeros(params) }),
    update: (grads, state) => {
      const t = state.count + 1;
      const m = map((g, m) => fma(b1, m, (1 - b1) * g), grads, state.m); // First moment.
      const v = map((g, v) => fma(b2, v, (1 - b2) * (g * g)), grads, state.v); // Second moment.
      const c0 = 1 / (1 - powInt(b1, t + 1)), c1 = 1 / (1 - powInt(b1, t)), c2 = 1 / (1 - powInt(b2, t));
      const updates = map((g, m, v) => {
        const mHat = fma(b1 * m, c0, (1 - b1) * g * c1); // Look ahead.
        const vHat = v * c2; // Bias correction.
        return (-alpha * mHat) / (Math.sqrt(vHat) + eps);
      }, grads, m, v);
      return [updates, { count: t, m, v }];
    },
  };
}

/** AMSGrad: Adam with v̂_max ← max(v̂_max, v/(1 − β₂ᵗ)) in place of v̂. */
function amsgrad({ learning_rate, b1 = 0.9, b2 = 0.999, eps = 1e-8 }) {
  const alpha = learning_rate;
  return {
    init: (params) => ({ count: 0, m: zeros(params), v: zeros(params), v_max: zeros(params) }),
    update: (grads, state) => {
      const t = state.count + 1;
      const m = map((g, m) => fma(b1, m, (1 - b1) * g), grads, state.m); // First moment.
      const v = map((g, v) => fma(b2, v, (1 - b2) * (g * g)), grads, state.v); // Second moment.
      const c1 = 1 / (1 - powInt(b1, t)), c2 = 1 / (1 - powInt(b2, t));
      const v_max = map((v, vm) => Math.max(vm, v * c2), v, state.v_max); // The largest v̂ so far.
      const updates = map((m, vm) => (-alpha * (m * c1)) / (Math.sqrt(vm) + eps), m, v_max);
      return [updates, { count: t, m, v, v_max }];
    },
  };
}

/** AdamW: θ ← θ − α (m̂/(√v̂ + ε) + λθ). */
function adamw({ learning_rate, b1 = 0.9, b2 = 0.999, eps = 1e-8, weight_decay = 1e-4 }) {
  const alpha = learning_rate;
  return {
    init: (params) => ({ count: 0, m: zeros(params), v: zeros(params) }),
    update: (grads, state, params) => {
      const t = state.count + 1;
      const m = map((g, m) => fma(b1, m, (1 - b1) * g), grads, state.m); // First moment.
      const v = map((g, v) => fma(b2, v, (1 - b2) * (g * g)), grads, state.v); // Second moment.
      const c1 = 1 / (1 - powInt(b1, t)), c2 = 1 / (1 - powInt(b2, t));
      const step = map((m, v, theta) => {
        const adamStep = (m * c1) / (Math.sqrt(v * c2) + eps);
        return fma(weight_decay, theta, adamStep); // Step and decay.
      }, m, v, params);
      return [step.map((x) => -alpha * x), { count: t, m, v }, step];
    },
    apply: (theta, step) => fma(-alpha, step, theta),
  };
}

/** θ ← θ − α P g, P an n × n matrix (rows). */
function precondition({ P, learning_rate = 1.0 }) {
  const alpha = learning_rate;
  return {
    init: () => ({ count: 0 }),
    update: (grads, state) => {
      const Pg = P.map((row) => row.reduce((sum, p, j) => (j === 0 ? p * grads[0] : fma(p, grads[j], sum)), 0));
      return [Pg.map((x) => -alpha * x), { count: state.count + 1 }, Pg];
    },
    apply: (theta, Pg) => fma(-alpha, Pg, theta),
  };
}

/** descent.optimizers by name. */
export const OPTIMIZERS = {
  sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, nadam, amsgrad, adamw, precondition,
};

// ---------------------------------------------------------------------------------------
// The run (descent.runner.run): T steps from θ₀, frozen at the last finite point once a
// step leaves the finite numbers, and NaN from then on.

const allFinite = (params) => params.every(Number.isFinite);

/**
 * `steps` steps of `optimizer` on `problem` from `init`: {trajectory, losses, diverged_at}.
 * Port of runner._run with _update and _mask: alive_t = every θ_s finite and L(θ_s) finite
 * for s ≤ t; a step whose new θ is not finite is not taken (θ and the state stay), and
 * every θ_t, L(θ_t) with alive_t false is NaN. diverged_at: the first t not alive, or null.
 */
function run(problem, optimizer, steps, init) {
  let params = init.map(Number);
  let state = optimizer.init(params);
  let alive = allFinite(params);
  const trajectory = [], losses = [], alives = [];
  for (let t = 0; t < steps; t++) {
    const [raw, grads] = problem.valueAndGrad(params); // L(θ_t) and g_t.
    const value = flush(raw);
    alive = alive && Number.isFinite(value);
    trajectory.push(params);
    losses.push(value);
    alives.push(alive);
    const [updates, newState, factor] = optimizer.update(grads, state, params); // _update.
    // θ_{t+1} = θ_t + u_t. Where u_t = ∓α·x is a product, the kernel fuses it into the sum:
    // the optimizer's apply(θ, x) = fma(∓α, x, θ), x the third value update returns.
    const newParams = optimizer.apply
      ? map(optimizer.apply, params, factor)
      : map((theta, u) => theta + u, params, updates);
    for (let i = 0; i < newParams.length; i++) newParams[i] = flush(newParams[i]);
    const accept = alive && allFinite(newParams);
    if (accept) {
      params = newParams;
      state = newState;
    }
    alive = accept;
  }
  const value = flush(problem.loss(params)); // L(θ_T).
  alive = alive && Number.isFinite(value);
  trajectory.push(params);
  losses.push(value);
  alives.push(alive);
  const first = alives.indexOf(false);
  return {
    trajectory: trajectory.map((p, t) => (alives[t] ? p : p.map(() => NaN))), // _mask.
    losses: losses.map((L, t) => (alives[t] ? L : NaN)),
    diverged_at: first < 0 ? null : first,
  };
}

// ---------------------------------------------------------------------------------------
// Small linear algebra: 2 × 2 eigenvalues, a 2 × 2 inverse, a solve with partial pivoting.

/** The eigenvalues of a real 2 × 2 matrix: {re: [μ₁, μ₂], im: [ν₁, ν₂]}. */
function eigenvalues2(M) {
  const [[a, b], [c, d]] = M;
  const half = (a + d) / 2, gap = (a - d) / 2;
  const disc = gap * gap + b * c; // ((tr/2)² − det), without the cancellation.
  if (disc >= 0) {
    const root = Math.sqrt(disc);
    // The larger in magnitude first, the other from det/μ₁ (no cancellation).
    const mu1 = half >= 0 ? half + root : half - root;
    const det = a * d - b * c;
    const mu2 = mu1 !== 0 ? det / mu1 : half - (mu1 - half);
    return { re: [mu1, mu2], im: [0, 0] };
  }
  const root = Math.sqrt(-disc);
  return { re: [half, half], im: [root, -root] };
}

/** The largest |μ| over the eigenvalues of a 2 × 2 matrix. */
function spectralRadius2(M) {
  const { re, im } = eigenvalues2(M);
  return Math.max(Math.hypot(re[0], im[0]), Math.hypot(re[1], im[1]));
}

/** Q⁻¹ for a 2 × 2 Q, by the cofactor formula. */
function inverse2(Q) {
  const det = Q[0][0] * Q[1][1] - Q[0][1] * Q[1][0];
  return [[Q[1][1] / det, -Q[0][1] / det], [-Q[1][0] / det, Q[0][0] / det]];
}

/** x with A x = b (A n × n, rows), Gaussian elimination with partial pivoting. */
function solve(A, b) {
  const n = b.length;
  const M = A.map((row, i) => [...row.map(Number), Number(b[i])]);
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i][k]) > Math.abs(M[pivot][k])) pivot = i;
    [M[k], M[pivot]] = [M[pivot], M[k]];
    for (let i = k + 1; i < n; i++) {
      const f = M[i][k] / M[k][k];
      for (let j = k; j <= n; j++) M[i][j] -= f * M[k][j];
    }
  }
  const x = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i][n];
    for (let j = i + 1; j < n; j++) s -= M[i][j] * x[j];
    x[i] = s / M[i][i];
  }
  return x;
}

// ---------------------------------------------------------------------------------------
// kind "quadratic": one optimizer on ½ θᵀQθ (old QuadraticExplorer.run, ._rates).

/** The exact error text of the old QuadraticExplorer.run, or "" when P can be built. */
function diagonalError(Q) {
  const largest = Math.max(...Q.flat().map(Math.abs));
  const d = [Q[0][0], Q[1][1]];
  if (d.some((q) => Math.abs(q) < 1e-9 * largest)) {
    return "the diagonal preconditioner P = diag(1/Q₁₁, 1/Q₂₂) needs Qᵢᵢ ≠ 0, " +
      `and here diag(Q) = (${fmt(d[0])}, ${fmt(d[1])}): rotate the eigenvectors a little`;
  }
  return "";
}

/** The optimizer a QuadraticExplorer menu entry stands for, with its hyperparameters. */
function quadraticOptimizer(name, values, Q) {
  const lr = Number(values.learning_rate), beta = Number(values.momentum);
  switch (name) {
    case "gd": return sgd({ learning_rate: lr });
    case "momentum": return momentum({ learning_rate: lr, momentum: beta });
    case "nesterov": return nesterov({ learning_rate: lr, momentum: beta });
    case "adagrad": return adagrad({ learning_rate: lr });
    case "rmsprop": return rmsprop({ learning_rate: lr });
    case "adam": return adam({ learning_rate: lr, b1: Number(values.b1), b2: Number(values.b2) });
    case "preconditioned (Q⁻¹)": return precondition({ P: inverse2(Q), learning_rate: lr });
    case "preconditioned (diagonal)":
      return precondition({ P: [[1.0 / Q[0][0], 0], [0, 1.0 / Q[1][1]]], learning_rate: lr });
    default: throw new Error(`no optimizer named ${JSON.stringify(name)} in the menu`);
  }
}

/**
 * Per-eigenvector rates, the overall predicted rate and the limit (old _rates): on a
 * quadratic GD, heavy ball, Nesterov and a fixed preconditioner are linear maps, whose
 * spectral radius is the rate; adaptive methods have none: [null, null, null].
 */
function rates(name, lam, lr, beta, PQ) {
  const lamMax = Math.max(...lam);
  if (name === "gd") {
    const r = lam.map((l) => Math.abs(1 - lr * l)); // theory.gd_contraction.
    return [r, Math.max(...r), [2 / Math.max(...lam.filter((l) => l > 0)), "2/λ_max"]];
  }
  if (name === "momentum" || name === "nesterov") {
    const r = lam.map((l) => spectralRadius2(name === "momentum"
      ? [[1 - lr * l, -lr * beta], [l, beta]]
      : [[1 - lr * l * (1 + beta), -lr * beta ** 2], [l, beta]]));
    const limit = name === "momentum"
      ? [2 * (1 + beta) / lamMax, "2(1+β)/λ_max"]
      : [2 * (1 + beta) / ((1 + 2 * beta) * lamMax), "2(1+β)/((1+2β)λ_max)"];
    return [r, Math.max(...r), limit];
  }
  if (name === "preconditioned (Q⁻¹)") {
    const r = [Math.abs(1 - lr), Math.abs(1 - lr)];
    return [r, r[0], [2.0, "2"]];
  }
  if (name === "preconditioned (diagonal)" && PQ !== null) {
    const { re, im } = eigenvalues2(PQ);
    const overall = Math.max(...re.map((m, i) => Math.hypot(1 - lr * m, -lr * im[i])));
    const muMax = Math.max(...re);
    return [null, overall, muMax > 0 ? [2 / muMax, "2/λ_max(PQ)"] : null];
  }
  return [null, null, null];
}

function computeQuadratic(spec, values) {
  const { lam, R, Q } = quadraticOf(values);
  const name = values.optimizer;
  const lr = Number(values.learning_rate), beta = Number(values.momentum);
  if (name === "preconditioned (diagonal)") {
    const error = diagonalError(Q);
    if (error) return { error };
  }
  const init = spec.init.map(Number);
  const result = run(quadraticProblem(Q), quadraticOptimizer(name, values, Q), Number(values.steps), init);
  const PQ = name === "preconditioned (diagonal)"
    ? Q.map((row, i) => row.map((q) => (1.0 / Q[i][i]) * q))
    : null;
  let [r, predicted, limit] = rates(name, lam, lr, beta, PQ);
  if (predicted !== null && predicted < 1e-12) predicted = 0.0; // 1 − αμ as 5.6e-16: zero.
  const positive = lam.filter((l) => l > 0);
  const Qinit = [Q[0][0] * init[0] + Q[0][1] * init[1], Q[1][0] * init[0] + Q[1][1] * init[1]];
  const L0 = 0.5 * (init[0] * Qinit[0] + init[1] * Qinit[1]); // ½ θ₀·(Qθ₀).
  return {
    ...result,
    lam, R, Q, L0,
    rates: r, predicted, limit,
    gd_limit: 2 / Math.max(...positive),
    optimal: lam.every((l) => l > 0) ? 2 / (Math.min(...lam) + Math.max(...lam)) : null,
  };
}

// ---------------------------------------------------------------------------------------
// kind "race": several optimizers on one 2-D problem (old Explorer.run).

const KERNEL = "needs a running kernel: launch the chapter in Binder or Colab with the " +
  "rocket button at the top of the page";

function computeRace(spec, values) {
  const problem = raceProblem(spec.problem);
  const runs = spec.entries.map((entry) => {
    const label = entry.label;
    if (problem === null) {
      return { label, error: `${label} on a problem of your own ${KERNEL}` };
    }
    const factory = entry.optimizer ? OPTIMIZERS[entry.optimizer] : undefined;
    if (!factory || entry.optimizer === "precondition") {
      return { label, error: `${label} is an optimizer of your own: it ${KERNEL}` };
    }
    const hyper = { ...(entry.hyper || {}), learning_rate: Number(values[label]) };
    return { label, ...run(problem, factory(hyper), Number(spec.steps), spec.init.map(Number)) };
  });
  return { runs };
}

// ---------------------------------------------------------------------------------------
// kind "minibatch": SGD on least squares, batches from the generator both languages share.

/**
 * The examples of step t's batch for `seed`: B distinct indices of 0..n−1, in order.
 * The state is (imul(s+1, 0x9E3779B9) ^ imul(t+1, 0x85EBCA6B)) >>> 0, then mulberry32
 * draws a partial Fisher–Yates shuffle of 0..n−1 (the CONTRACT's generator, verbatim).
 */
function batchIndices(seed, t, n, B) {
  let st = (Math.imul(seed + 1, 0x9E3779B9) ^ Math.imul(t + 1, 0x85EBCA6B)) >>> 0;
  function next() { // A float in [0, 1).
    st = (st + 0x6D2B79F5) >>> 0;
    let z = st;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < B; i++) {
    const j = i + Math.floor(next() * (n - i));
    const swap = idx[i];
    idx[i] = idx[j];
    idx[j] = swap;
  }
  return idx.subarray(0, B);
}

/**
 * w_0, …, w_T: w ← w − α g_B(w), g_B = (Σ_k x_k (x_k·w − y_k)) / B over the batch in its
 * order. `sampled` false: every example in order 0..n−1 at every step (gradient descent).
 * No masking: the path may overflow.
 */
function minibatchPath(spec, B, alpha, seed, sampled) {
  const X = spec.X, y = spec.y, n = Number(spec.n), steps = Number(spec.steps);
  let w0 = Number(spec.init[0]), w1 = Number(spec.init[1]);
  const path = [[w0, w1]];
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < steps; t++) {
    const batch = sampled ? batchIndices(seed, t, n, B) : all;
    let g0 = 0, g1 = 0;
    for (let k = 0; k < batch.length; k++) {
      const x = X[batch[k]];
      const r = x[0] * w0 + x[1] * w1 - y[batch[k]]; // x·w − y.
      g0 += x[0] * r;
      g1 += x[1] * r;
    }
    g0 /= batch.length;
    g1 /= batch.length;
    w0 = w0 - alpha * g0;
    w1 = w1 - alpha * g1;
    path.push([w0, w1]);
  }
  return path;
}

/**
 * E[L(w_t)] − L(ŵ) once SGD has settled (theory.sgd_noise_floor, replace=False), from
 * spec.floor_parts[B] = {K, M, Sigma}: T = I − αK + α²M, (I − T) vec(S) = α² Sigma,
 * floor = ½ tr(QS). ∞ outside (0, α_B); 0 at B = n.
 */
function noiseFloor(spec, B, alpha) {
  if (B >= Number(spec.n)) return 0.0;
  const limit = num(spec.limits[String(B)]);
  if (alpha <= 0 || alpha >= limit) return Infinity;
  const { K, M, Sigma } = spec.floor_parts[String(B)];
  const m = Sigma.length;
  const I = (i, j) => (i === j ? 1.0 : 0.0);
  const T = K.map((row, i) => row.map((k, j) => I(i, j) - alpha * k + alpha * alpha * M[i][j]));
  const A = T.map((row, i) => row.map((x, j) => I(i, j) - x));
  const s = solve(A, Sigma.map((x) => alpha * alpha * x));
  const d = Math.round(Math.sqrt(m)); // S is d × d, vec(S) row by row.
  const Q = spec.Q;
  let trace = 0;
  for (let i = 0; i < d; i++) {
    let QS = 0;
    for (let k = 0; k < d; k++) QS += Q[i][k] * s[k * d + i];
    trace += QS;
  }
  return 0.5 * trace;
}

/** The fixed-noise floor Σᵢ α sᵢ / (2(2 − αλᵢ)) (old MinibatchExplorer.predicted_floor). */
function predictedFloor(spec, B, alpha) {
  const n = Number(spec.n);
  const scale = (n - B) / (B * (n - 1));
  const V = spec.eigenvectors, C = spec.covariance, lam = spec.eigenvalues;
  const s = lam.map((_, i) => {
    let total = 0;
    for (let j = 0; j < V.length; j++) {
      for (let k = 0; k < V.length; k++) total += V[j][i] * (C[j][k] * scale) * V[k][i];
    }
    return total;
  });
  if (lam.some((l) => alpha * l >= 2)) return Infinity;
  return lam.reduce((sum, l, i) => sum + (alpha * s[i]) / (2 * (2 - alpha * l)), 0);
}

/** L(w_t) − L(ŵ) = ½ (w_t − ŵ)ᵀ Q (w_t − ŵ) for each row w_t of `path` (old loss_gap). */
export function lossGap(spec, path) {
  const Q = spec.Q, w = spec.minimum;
  return path.map((row) => {
    const e0 = num(row[0]) - w[0], e1 = num(row[1]) - w[1];
    return 0.5 * (e0 * (Q[0][0] * e0 + Q[0][1] * e1) + e1 * (Q[1][0] * e0 + Q[1][1] * e1));
  });
}

function computeMinibatch(spec, values) {
  const B = Number(values.batch_size), alpha = Number(values.learning_rate), seed = Number(values.seed);
  const n = Number(spec.n);
  const lamMax = spec.eigenvalues[spec.eigenvalues.length - 1];
  return {
    sgd: minibatchPath(spec, B, alpha, seed, true),
    gd: minibatchPath(spec, n, alpha, seed, false),
    floor: noiseFloor(spec, B, alpha),
    fixed: B < n ? predictedFloor(spec, B, alpha) : 0.0,
    limit_B: num(spec.limits[String(B)]),
    gd_limit: 2 / lamMax,
    standard_error: (spec.sigma / Math.sqrt(B)) * Math.sqrt((n - B) / (n - 1)),
  };
}

// ---------------------------------------------------------------------------------------
// kinds "noisy" and "schedule": SGD on the noisy quadratic (descent/explorers/noisy.py).
// In Q's eigenbasis y = Rᵀθ a step is yᵢ ← (1 − α_t λᵢ) yᵢ − α_t √sᵢ zᵢ, sᵢ = σ²λᵢ/B; the
// normals z come from the generator both languages share (mulberry32 seeded per run and
// step, Box–Muller); the exact moments are descent.theory.noisy_quadratic_moments.

const NOISY_DECAYS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, "off"];
const SIZES_1024 = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
export const SCHEDULE_NAMES = [
  "constant", "step ÷10", "exponential", "1/t", "1/√t", "cosine", "linear warm-up + cosine",
  "warmup–stable–decay",
];
const NORMALS = new Map(); // "runs|steps" → the normals (they depend on no slider).
let RUNS_BUFFER = new Float64Array(0); // noisyRuns' y, overwritten by the next call.

/**
 * The standard normals of every step and run, z[(t·runs + r)·2 + i]: run r at step t seeds
 * mulberry32 with imul(r + 1, 0x9E3779B9) ^ imul(t + 1, 0x85EBCA6B), draws u₁, u₂, and
 * Box–Muller gives ρ = √(−2 ln(1 − u₁)), z₁ = ρ cos(2πu₂), z₂ = ρ sin(2πu₂) (noisy.normals).
 */
function noisyNormals(runs, steps) {
  const key = `${runs}|${steps}`;
  let z = NORMALS.get(key);
  if (z) return z;
  z = new Float64Array(steps * runs * 2);
  for (let r = 0; r < runs; r++) {
    for (let t = 0; t < steps; t++) {
      let st = (Math.imul(r + 1, 0x9E3779B9) ^ Math.imul(t + 1, 0x85EBCA6B)) >>> 0;
      const u = [0, 0];
      for (let k = 0; k < 2; k++) { // mulberry32, two numbers in [0, 1).
        st = (st + 0x6D2B79F5) >>> 0;
        let x = st;
        x = Math.imul(x ^ (x >>> 15), x | 1);
        x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
        u[k] = ((x ^ (x >>> 14)) >>> 0) / 4294967296;
      }
      const rho = Math.sqrt(-2.0 * Math.log(1.0 - u[0]));
      const angle = 2 * Math.PI * u[1];
      z[(t * runs + r) * 2] = rho * Math.cos(angle);
      z[(t * runs + r) * 2 + 1] = rho * Math.sin(angle);
    }
  }
  NORMALS.set(key, z);
  return z;
}

/**
 * R runs of SGD in the eigenbasis, y[(t·runs + r)·2 + i] for t = 0…T; a run is NaN from the
 * step one of its components leaves |yᵢ| ≤ spec.left (NoisyQuadratic.runs_in_eigenbasis).
 */
function noisyRuns(spec, lam, s, rates) {
  const runs = Number(spec.runs), T = Number(spec.steps), left = Number(spec.left);
  const z = noisyNormals(runs, T);
  const size = (T + 1) * runs * 2;
  if (!(RUNS_BUFFER.length === size)) RUNS_BUFFER = new Float64Array(size); // Reused: no garbage per move.
  const y = RUNS_BUFFER;
  const q0 = Math.sqrt(s[0]), q1 = Math.sqrt(s[1]);
  const inside = (a, b) => Math.abs(a) <= left && Math.abs(b) <= left;
  for (let r = 0; r < runs; r++) {
    let a = Number(spec.init_eigen[0]), b = Number(spec.init_eigen[1]);
    let alive = inside(a, b);
    y[r * 2] = alive ? a : NaN;
    y[r * 2 + 1] = alive ? b : NaN;
    for (let t = 0; t < T; t++) {
      const alpha = rates[t], k = (t * runs + r) * 2;
      a = (1 - alpha * lam[0]) * a - alpha * (q0 * z[k]); // θ ← θ − α (Qθ + ξ), per component.
      b = (1 - alpha * lam[1]) * b - alpha * (q1 * z[k + 1]);
      alive = alive && inside(a, b);
      const o = ((t + 1) * runs + r) * 2;
      y[o] = alive ? a : NaN;
      y[o + 1] = alive ? b : NaN;
    }
  }
  return y;
}

/** sᵢ = σ²λᵢ/B (theory.noisy_quadratic_noise_variances). */
const noiseVariances = (scale, lam, B) => lam.map((l) => (scale * l) / B);

/**
 * The exact moments (theory.noisy_quadratic_moments and _expected_loss): m = y₀ ∏(1 − αλ),
 * v ← (1 − αλ)² v + α² s; E[L_t] = ½ Σ λ (m² + v), ∞ where m or v is not finite.
 * Returns {expected (T + 1), mean and variance at T}.
 */
function noisyMoments(lam, s, rates, y0) {
  const T = rates.length;
  const expected = new Array(T + 1);
  const p = [1, 1], m = [Number(y0[0]), Number(y0[1])], v = [0, 0];
  const loss = () => (Number.isFinite(m[0]) && Number.isFinite(m[1]) && Number.isFinite(v[0]) && Number.isFinite(v[1])
    ? 0.5 * (lam[0] * (m[0] * m[0] + v[0]) + lam[1] * (m[1] * m[1] + v[1])) : Infinity);
  expected[0] = loss();
  for (let t = 0; t < T; t++) {
    const alpha = rates[t];
    for (let i = 0; i < 2; i++) {
      const f = 1 - alpha * lam[i]; // (1 − α_t λᵢ).
      p[i] = t === 0 ? f : p[i] * f;
      m[i] = Number(y0[i]) * p[i]; // m_t = m₀ ∏ (1 − α_j λᵢ).
      v[i] = f * f * v[i] + alpha * alpha * s[i]; // v ← (1 − αλ)² v + α² s.
    }
    expected[t + 1] = loss();
  }
  return { expected, mean: [...m], variance: [...v] };
}

/** The stationary variances α sᵢ/(λᵢ(2 − αλᵢ)), ∞ where αλᵢ ≥ 2 (theory.noise_ball_variance). */
function noiseBall(alpha, lam, s) {
  return lam.map((l, i) => {
    const room = 2 - alpha * l;
    return room > 0 ? (alpha * s[i]) / (l * room) : Infinity;
  });
}

/** E[L] at a constant α once settled: ½ Σ λᵢ vᵢ = Σ α sᵢ/(2(2 − αλᵢ)); ∞ if αλ_max ≥ 2. */
export function noisyFloor(alpha, lam, s) {
  const v = noiseBall(alpha, lam, s);
  return v.every(Number.isFinite) ? 0.5 * (lam[0] * v[0] + lam[1] * v[1]) : Infinity;
}

/** The cloud's loss: L = ½ Σ λᵢ yᵢ² per run, their mean per step (numpy's pairwise mean). */
function cloudLoss(spec, lam, y) {
  const runs = Number(spec.runs), T = Number(spec.steps);
  const losses = new Float64Array(runs);
  const meanLoss = new Array(T + 1);
  let divergedAt = null;
  for (let t = 0; t <= T; t++) {
    for (let r = 0; r < runs; r++) {
      const a = y[(t * runs + r) * 2], b = y[(t * runs + r) * 2 + 1];
      losses[r] = 0.5 * (lam[0] * a * a + lam[1] * b * b);
    }
    meanLoss[t] = mean(losses);
    if (divergedAt === null && !Number.isFinite(meanLoss[t])) divergedAt = t;
  }
  return { meanLoss, divergedAt };
}

/** A positive finite number, or the error text NoisyQuadratic's compute raises. */
function positive(where, label, x) {
  return typeof x === "number" && x > 0 && x < Infinity ? "" : `ValueError: ${where}: ${label} must be a positive number, got ${show(x)}`;
}

/** A value in a message: fmt for numbers, "…" for strings (noisy._fmt). */
function show(x) {
  return typeof x === "string" ? `"${x}"` : fmt(x);
}

function computeNoisy(spec, values) {
  const where = "NoisyQuadraticExplorer";
  const lr = values.learning_rate, B = values.batch_size, decay = values.decay;
  const error = positive(where, "learning rate α", lr) || positive(where, "eigenvalue λ₁", values.lambda1) ||
    positive(where, "eigenvalue λ₂", values.lambda2) ||
    (typeof B === "number" && SIZES_1024.includes(B) ? ""
      : `ValueError: ${where}: batch size B must be one of 1, 2, 4, …, 1024, got ${show(B)}`) ||
    ((typeof decay === "number" || decay === "off") && NOISY_DECAYS.includes(decay) ? ""
      : `ValueError: ${where}: decay k₀ must be one of 1, 2, 5, …, 1000 or "off", got ${show(decay)}`);
  if (error) return { error };
  const T = Number(spec.steps), runs = Number(spec.runs), K = Number(spec.paths), R = spec.R;
  const lam = [values.lambda1, values.lambda2];
  const s = noiseVariances(Number(spec.noise_scale), lam, B);
  // α_t: descent.schedules.constant(α), or inverse_time_decay(α, k₀) = α/(1 + t/k₀).
  const perK = 1 / decay; // XLA's t/k₀ is t·(1/k₀).
  const rates = Array.from({ length: T }, (_, t) => (decay === "off" ? lr : lr / (1 + t * perK)));
  const y = noisyRuns(spec, lam, s, rates);
  const { meanLoss, divergedAt } = cloudLoss(spec, lam, y);
  const theta = (t, r) => { // θ = R y.
    const a = y[(t * runs + r) * 2], b = y[(t * runs + r) * 2 + 1];
    return [R[0][0] * a + R[0][1] * b, R[1][0] * a + R[1][1] * b];
  };
  const meanPath = new Array(T + 1);
  for (let t = 0; t <= T; t++) {
    let x0 = 0, x1 = 0; // Summed run by run, as numpy's mean over the runs' axis.
    for (let k = t * runs * 2; k < (t + 1) * runs * 2; k += 2) {
      x0 += R[0][0] * y[k] + R[0][1] * y[k + 1]; // θ = R y.
      x1 += R[1][0] * y[k] + R[1][1] * y[k + 1];
    }
    meanPath[t] = [x0 / runs, x1 / runs];
  }
  const paths = Array.from({ length: K }, (_, r) => Array.from({ length: T + 1 }, (_, t) => theta(t, r)));
  const moments = noisyMoments(lam, s, rates, spec.init_eigen);
  const ball = noiseBall(lr, lam, s);
  return {
    learning_rates: rates,
    mean_path: meanPath,
    paths,
    final: Array.from({ length: runs }, (_, r) => theta(T, r)),
    mean_loss: meanLoss,
    expected_loss: moments.expected,
    mean_T: moments.mean,
    variance_T: moments.variance,
    stationary_variance: ball.every(Number.isFinite) ? ball : null,
    floor: noisyFloor(lr, lam, s),
    noise: s,
    limit: 2 / Math.max(...lam),
    diverged_at: divergedAt,
  };
}

/**
 * α_0, …, α_{T−1} of a ScheduleExplorer menu entry: the formulas of descent.schedules, in
 * the order of operations of its jnp code (step decay's 0.1^k correctly rounded, as XLA's pow).
 */
export function scheduleRates(name, peak, W, D, T) {
  const S = Math.max(D, W); // warmup–stable–decay: the cool-down starts after the warm-up.
  // x/c for an array x and a number c: XLA computes x·(1/c), so does this.
  const perD = 1 / D, perT = 1 / T, perW = 1 / Math.max(W, 1), perCool = 1 / (T - W), perDecay = 1 / (T - S);
  const rate = (t) => {
    switch (name) {
      case "constant": return peak;
      // XLA flushes a subnormal product to 0: so does flush.
      case "step ÷10": return flush(peak * powInt(0.1, Math.floor(t * perD))); // step_decay(α, D, 0.1).
      case "exponential": return flush(peak * Math.pow(0.1, t * perD)); // exponential_decay(α, 0.1, D).
      case "1/t": return peak / (1 + t * perD); // inverse_time_decay(α, D).
      case "1/√t": return peak / Math.sqrt(1 + t * perD); // inverse_sqrt_decay(α, D).
      case "cosine": { // cosine_decay(α, T).
        const progress = Math.min(t, T) * perT;
        return peak * (0.5 * (1 + Math.cos(Math.PI * progress)));
      }
      case "linear warm-up + cosine": { // warmup_cosine(α, W, T).
        if (t < W) return peak * t * perW;
        const progress = Math.min(Math.max(t - W, 0), T - W);
        return peak * (0.5 * (1 + Math.cos(Math.PI * progress * perCool)));
      }
      case "warmup–stable–decay": { // warmup_stable_decay(α, W, S, T − S).
        if (t < W) return peak * t * perW;
        const progress = Math.min(Math.max(t - S, 0), T - S) * perDecay;
        return peak + -peak * progress;
      }
      default: return NaN;
    }
  };
  return Array.from({ length: T }, (_, t) => rate(t));
}

/** A whole number in [low, high], or the error text ScheduleExplorer's compute raises. */
function whole(where, label, x, low, high) {
  return typeof x === "number" && Number.isInteger(x) && x >= low && x <= high ? ""
    : `ValueError: ${where}: ${label} must be a whole number in [${low}, ${high}], got ${show(x)}`;
}

function computeSchedule(spec, values) {
  const where = "ScheduleExplorer", T = Number(spec.steps);
  const error = positive(where, "peak learning rate α", values.peak) ||
    whole(where, "warm-up W", values.warmup, 0, Math.floor(T / 2)) ||
    whole(where, "decay point D", values.decay_point, 1, T - 1) ||
    (SCHEDULE_NAMES.includes(values.schedule) ? ""
      : `ValueError: ${where}: schedule must be one of ${SCHEDULE_NAMES.join(", ")}; got ${show(values.schedule)}`);
  if (error) return { error };
  const lam = spec.eigenvalues.map(Number), s = spec.noise.map(Number), peak = values.peak;
  const rates = scheduleRates(values.schedule, peak, values.warmup, values.decay_point, T);
  const y = noisyRuns(spec, lam, s, rates);
  const { meanLoss, divergedAt } = cloudLoss(spec, lam, y);
  return {
    learning_rates: rates,
    mean_loss: meanLoss,
    expected_loss: noisyMoments(lam, s, rates, spec.init_eigen).expected,
    floor: noisyFloor(peak, lam, s),
    limit: 2 / Math.max(...lam),
    diverged_at: divergedAt,
  };
}

// ---------------------------------------------------------------------------------------
// kind "momentum": gradient descent, heavy ball or Nesterov on ½ θᵀQθ, and Goh's map of the
// rate over (α, β) (descent/explorers/momentum.py; the closed forms of descent.theory).

const MOMENTUM_METHODS = ["gd", "heavy_ball", "nesterov"]; // descent.theory.METHODS.
const MOMENTUM_FACTORY = { gd: "sgd", heavy_ball: "momentum", nesterov: "nesterov" };
const CRITICAL = 1e-6; // |a² + 4b| at or below this: a double root (theory.damping's tolerance).
const RATE_MAPS = new WeakMap(); // spec → Map("λ₁|λ₂|method" → ρ over the grid).

/**
 * (a, b, a² + 4b) of one eigencomponent's recurrence x_{t+1} = a x_t + b x_{t−1}
 * (theory._recurrence): the discriminant factored, so that it does not cancel where the
 * roots meet, in the same order of operations as the Python.
 */
function recurrence(alpha, beta, lam, method) {
  const step = alpha * lam;
  if (method === "gd") {
    const a = 1 - step;
    return [a, 0, a * a];
  }
  if (method === "heavy_ball") { // a² − 4β = ((1 − √β)² − αλ)((1 + √β)² − αλ).
    const root = Math.sqrt(beta), u = 1 - root, w = 1 + root;
    return [1 + beta - step, -beta, (u * u - step) * (w * w - step)];
  }
  const q = 1 - step, p = 1 + beta, m = 1 - beta; // Nesterov, from the look-ahead point.
  return [p * q, -beta * q, q * (m * m - p * p * step)];
}

/** ρ(R(α, β, λ)): √(−b) for complex roots, else (|a| + √(a² + 4b))/2 (theory.momentum_spectral_radius). */
function momentumRadius(alpha, beta, lam, method) {
  const [a, b, disc] = recurrence(alpha, beta, lam, method);
  return disc < 0 ? Math.sqrt(Math.max(-b, 0)) : (Math.abs(a) + Math.sqrt(Math.max(disc, 0))) / 2;
}

/** "under", "critical" or "over" damped (theory.damping); "monotone" or "alternating" for gd (momentum.regime). */
function dampingOf(alpha, beta, lam, method) {
  const [a, , disc] = recurrence(alpha, beta, lam, method);
  if (method === "gd") return a >= 0 ? "monotone" : "alternating";
  if (Math.abs(disc) <= CRITICAL) return "critical";
  return disc < 0 ? "under" : "over";
}

/** (α*, β*, ρ*) of a method (theory.optimal_learning_rate/_rate, heavy_ball_*, nesterov_*). */
function momentumOptimum(lam, method) {
  const lo = Math.min(...lam), hi = Math.max(...lam), kappa = hi / lo;
  if (method === "gd") return [2 / (lo + hi), 0.0, (kappa - 1) / (kappa + 1)];
  if (method === "heavy_ball") {
    const low = Math.sqrt(lo), high = Math.sqrt(hi), rk = Math.sqrt(kappa);
    const a = 2 / (high + low), b = (high - low) / (high + low);
    return [a * a, b * b, (rk - 1) / (rk + 1)];
  }
  const root = Math.sqrt((3 * hi) / lo + 1);
  return [4 / (3 * hi + lo), (root - 2) / (root + 2), 1 - 2 / Math.sqrt(3 * kappa + 1)];
}

/** The largest stable α at β: [value, text] (MomentumExplorer.limit). */
function momentumLimit(beta, lamMax, method) {
  if (method === "gd") return [2 / lamMax, "2/λ_max"];
  if (method === "heavy_ball") return [(2 * (1 + beta)) / lamMax, "2(1+β)/λ_max"];
  return [(2 * (1 + beta)) / ((1 + 2 * beta) * lamMax), "2(1+β)/((1+2β)λ_max)"];
}

/**
 * Goh's map: ρ = max_i ρ(R(α, β, λᵢ)) over the spec's grid, rows β, columns α
 * (theory.momentum_rate); cached per (λ₁, λ₂, method), so that α and β moves reuse it.
 */
export function rateMap(spec, lam, method) {
  let maps = RATE_MAPS.get(spec);
  if (!maps) RATE_MAPS.set(spec, (maps = new Map()));
  const key = `${lam[0]}|${lam[1]}|${method}`;
  let map = maps.get(key);
  if (map) return map;
  const alphas = spec.map_alphas.map(Number), betas = spec.map_betas.map(Number);
  map = betas.map((beta) => alphas.map((alpha) =>
    Math.max(momentumRadius(alpha, beta, lam[0], method), momentumRadius(alpha, beta, lam[1], method))));
  if (maps.size > 64) maps.clear();
  maps.set(key, map);
  return map;
}

function computeMomentum(spec, values) {
  const where = "MomentumExplorer", method = values.optimizer;
  const number = (x) => typeof x === "number" && Number.isFinite(x);
  const T = values.steps, maxSteps = Number(spec.max_steps);
  const error = (MOMENTUM_METHODS.includes(method) ? ""
    : `ValueError: ${where}: optimizer must be one of ${MOMENTUM_METHODS.join(", ")}, got ${show(method)}`) ||
    (number(values.learning_rate) && values.learning_rate > 0 ? ""
      : `ValueError: ${where}: learning rate α must be a positive number, got ${show(values.learning_rate)}`) ||
    (number(values.momentum) && values.momentum >= 0 && values.momentum < 1 ? ""
      : `ValueError: ${where}: momentum β must be in [0, 1), got ${show(values.momentum)}`) ||
    (number(values.lambda1) && values.lambda1 > 0 ? ""
      : `ValueError: ${where}: eigenvalue λ₁ must be a positive number, got ${show(values.lambda1)}`) ||
    (number(values.lambda2) && values.lambda2 > 0 ? ""
      : `ValueError: ${where}: eigenvalue λ₂ must be a positive number, got ${show(values.lambda2)}`) ||
    (number(T) && Number.isInteger(T) && T >= 1 && T <= maxSteps ? ""
      : `ValueError: ${where}: steps T must be a whole number in [1, ${maxSteps}], got ${show(T)}`);
  if (error) return { error };
  const lam = [values.lambda1, values.lambda2];
  const { R, Q } = quadraticMatrices(lam, Number(spec.angle));
  const alpha = values.learning_rate, beta = values.momentum;
  const hyper = method === "gd" ? { learning_rate: alpha } : { learning_rate: alpha, momentum: beta };
  const init = spec.init.map(Number);
  const result = run(quadraticProblem(Q), OPTIMIZERS[MOMENTUM_FACTORY[method]](hyper), T, init);
  const Qinit = [Q[0][0] * init[0] + Q[0][1] * init[1], Q[1][0] * init[0] + Q[1][1] * init[1]];
  const rates = lam.map((l) => momentumRadius(alpha, beta, l, method));
  return {
    ...result,
    lam, R,
    L0: 0.5 * (init[0] * Qinit[0] + init[1] * Qinit[1]), // ½ θ₀·(Qθ₀).
    rates,
    rate: Math.max(...rates),
    optimal: momentumOptimum(lam, method),
    limit: momentumLimit(beta, Math.max(...lam), method),
    damping: lam.map((l) => dampingOf(alpha, beta, l, method)),
    map: rateMap(spec, lam, method),
  };
}

// ---------------------------------------------------------------------------------------
// Kind "adaptive" (AdaptiveExplorer). (section owned by the adaptive-explorer helper)
// One optimizer of descent.optimizers on ½ θᵀQθ and each coordinate's effective step,
// recomputed from the trajectory's gradients g_t = Qθ_t with the optimizer's recurrences
// (descent/explorers/adaptive.py: effective_steps, the same operations in the same order).

const ADAPTIVE_OPTIMIZERS = ["sgd", "adagrad", "rmsprop", "adadelta", "adam", "nadam", "amsgrad"];
const ADAPTIVE_WHERE = "AdaptiveExplorer";

/** The factory's hyperparameters, α aside (adaptive._hyper). */
function adaptiveHyper(name, b1, b2, eps) {
  if (name === "sgd") return {};
  if (name === "adagrad") return { eps };
  if (name === "rmsprop") return { decay: b2, eps };
  if (name === "adadelta") return { rho: b2, eps };
  return { b1, b2, eps };
}

/** η_t per coordinate, t = 1…T, from g_0…g_{T−1} (adaptive.effective_steps). */
function effectiveSteps(name, gradients, alpha, b1, b2, eps) {
  const n = gradients.length ? gradients[0].length : 0;
  let v = new Array(n).fill(0), u = new Array(n).fill(0); // u: Adadelta's E[Δθ²], AMSGrad's v̂_max.
  return gradients.map((g, t) => {
    if (name === "sgd") return g.map(() => alpha);
    if (name === "adagrad") {
      v = v.map((vi, i) => vi + g[i] * g[i]); // G_t.
      return v.map((vi) => alpha / (Math.sqrt(vi) + eps));
    }
    v = v.map((vi, i) => b2 * vi + (1 - b2) * (g[i] * g[i])); // The moving average of g².
    if (name === "rmsprop") return v.map((vi) => alpha / (Math.sqrt(vi) + eps));
    if (name === "adadelta") {
      const ratio = v.map((vi, i) => Math.sqrt(u[i] + eps) / Math.sqrt(vi + eps)); // RMS[Δθ]_{t−1}/RMS[g]_t.
      u = u.map((ui, i) => {
        const delta = -ratio[i] * g[i];
        return b2 * ui + (1 - b2) * (delta * delta); // E[Δθ²].
      });
      return ratio.map((r) => alpha * r);
    }
    const c2 = 1 / (1 - powInt(b2, t + 1)); // Bias correction of step t + 1.
    let vHat = v.map((vi) => vi * c2);
    if (name === "amsgrad") vHat = u = u.map((ui, i) => Math.max(ui, vHat[i])); // The largest v̂ so far.
    return vHat.map((vh) => alpha / (Math.sqrt(vh) + eps));
  });
}

function computeAdaptive(spec, values) {
  const where = ADAPTIVE_WHERE, name = values.optimizer;
  const number = (x) => typeof x === "number" && Number.isFinite(x);
  const T = values.steps, maxSteps = Number(spec.max_steps);
  const unit = (key, label) => (number(values[key]) && values[key] >= 0 && values[key] < 1 ? ""
    : `ValueError: ${where}: ${label} must be in [0, 1), got ${show(values[key])}`);
  const error = (ADAPTIVE_OPTIMIZERS.includes(name) ? ""
    : `ValueError: ${where}: optimizer must be one of ${ADAPTIVE_OPTIMIZERS.join(", ")}, got ${show(name)}`) ||
    (number(values.learning_rate) && values.learning_rate > 0 ? ""
      : `ValueError: ${where}: learning rate α must be a positive number, got ${show(values.learning_rate)}`) ||
    unit("b1", "β₁") || unit("b2", "β₂ (ρ)") ||
    (number(values.lambda1) && values.lambda1 > 0 ? ""
      : `ValueError: ${where}: eigenvalue λ₁ must be a positive number, got ${show(values.lambda1)}`) ||
    (number(values.lambda2) && values.lambda2 > 0 ? ""
      : `ValueError: ${where}: eigenvalue λ₂ must be a positive number, got ${show(values.lambda2)}`) ||
    (number(values.angle) && values.angle >= 0 && values.angle <= 90 ? ""
      : `ValueError: ${where}: angle must be in [0, 90] degrees, got ${show(values.angle)}`) ||
    (number(T) && Number.isInteger(T) && T >= 1 && T <= maxSteps ? ""
      : `ValueError: ${where}: steps T must be a whole number in [1, ${maxSteps}], got ${show(T)}`);
  if (error) return { error };
  const lam = [values.lambda1, values.lambda2];
  const { R, Q } = quadraticMatrices(lam, values.angle);
  const alpha = values.learning_rate, b1 = values.b1, b2 = values.b2, eps = Number(spec.eps);
  const init = spec.init.map(Number);
  const result = run(quadraticProblem(Q), OPTIMIZERS[name]({ learning_rate: alpha, ...adaptiveHyper(name, b1, b2, eps) }),
    T, init);
  const gradients = result.trajectory.slice(0, T).map(([x, y]) => [Q[0][0] * x + Q[0][1] * y, Q[1][0] * x + Q[1][1] * y]);
  const effective = effectiveSteps(name, gradients, alpha, b1, b2, eps)
    .map((row, t) => (result.trajectory[t].every(Number.isFinite) ? row : row.map(() => NaN))); // From divergence on.
  const [x0, y0] = init;
  const L0 = 0.5 * (x0 * (Q[0][0] * x0 + Q[0][1] * y0) + y0 * (Q[1][0] * x0 + Q[1][1] * y0)); // ½ θ₀·(Qθ₀).
  const losses = result.losses, accuracy = Number(spec.accuracy);
  let reached = null; // runner.first_step_below(losses, accuracy): NaN never counts.
  if (losses[0] > 0) {
    const t = losses.findIndex((L) => L <= accuracy * losses[0]);
    reached = t < 0 ? null : t;
  }
  const last = effective[T - 1];
  const ratio = last.every(Number.isFinite) && last[1] > 0 ? last[0] / last[1] : null;
  return {
    ...result,
    effective,
    lam, R, Q, L0,
    newton: [1.0 / Q[0][0], 1.0 / Q[1][1]],
    reached,
    ratio: ratio !== null && Number.isFinite(ratio) ? ratio : null,
  };
}

const ADAPTIVE_NAMES = { sgd: "SGD", adagrad: "AdaGrad", rmsprop: "RMSProp", adadelta: "Adadelta", adam: "Adam",
  nadam: "Nadam", amsgrad: "AMSGrad" };

/** The texts: the problem, the setting, the loss reached, the effective steps against diagonal Newton. */
function statusAdaptive(spec, values, result) {
  const lam = result.lam.map(num), name = values.optimizer, label = ADAPTIVE_NAMES[name] ?? name;
  const lr = Number(values.learning_rate), b1 = Number(values.b1), b2 = Number(values.b2);
  const T = Number(values.steps);
  const losses = result.losses.map(num), L0 = num(result.L0);
  const trajectory = result.trajectory.map((p) => p.map(num));
  const divergedAt = result.diverged_at ?? null;
  const [n1, n2] = result.newton.map(num);
  const Q = result.Q.map((row) => row.map(num));
  const setting = [`α = ${fmt(lr)}`];
  if (["adam", "nadam", "amsgrad"].includes(name)) setting.push(`β₁ = ${fmt(b1)}`, `β₂ = ${fmt(b2)}`);
  if (name === "rmsprop" || name === "adadelta") setting.push(`β₂ = ${fmt(b2)}`);
  const final = losses[T] / L0;
  const reached = result.reached === null || result.reached === undefined ? `not within T = ${T}`
    : `first at step ${result.reached}`;
  const eta = result.effective[T - 1].map(num);
  const ratio = result.ratio === null || result.ratio === undefined ? NaN : num(result.ratio);
  const etaText = name === "sgd" ? `η₁ = η₂ = α = ${fmt(lr)}: SGD scales no coordinate`
    : `η₁ = ${fmt(eta[0])}, η₂ = ${fmt(eta[1])}, η₁/η₂ = ${fmt(ratio)}`;
  // Divergence: SGD's closed form (|1 − αλᵢ| per step, stable for α < 2/λ_max); the others have none.
  const R = result.R.map((row) => row.map(num));
  const [x0, y0] = trajectory[0];
  const y = [Math.abs(x0 * R[0][0] + y0 * R[1][0]), Math.abs(x0 * R[0][1] + y0 * R[1][1])];
  const rates = name === "sgd" ? lam.map((l) => Math.abs(1 - lr * l)) : null;
  const limit = name === "sgd" ? [2 / Math.max(...lam), "2/λ_max"] : null;
  let alert = warning(lam, lr, rates ? Math.max(...rates) : null, rates, limit, losses, divergedAt, y, name);
  if (!alert && losses[T] > L0) {
    alert = `L(θ_T) = ${fmt(final)}·L(θ₀): the run ends above where it started; α = ${fmt(lr)} is too large ` +
      `for ${label} here`;
  }
  return {
    facts: `λ = (${fmt(lam[0])}, ${fmt(lam[1])}), λ₂/λ₁ = ${fmt(lam[1] / lam[0])}, eigenvectors at ` +
      `${fmt(Number(values.angle))}°   diagonal Newton steps 1/Q₁₁ = ${fmt(n1)}, 1/Q₂₂ = ${fmt(n2)} ` +
      `(Q₂₂/Q₁₁ = ${fmt(Q[1][1] / Q[0][0])})   ε\u00a0=\u00a0${fmt(Number(spec.eps))}`, // Never broken after "=".
    info: `${label}: ${setting.join(", ")}   L(θ_T)/L(θ₀) = ${fmt(final)} at T = ${T};  ` +
      `L < 10⁻⁶·L(θ₀): ${reached}\n` +
      `effective steps at step T: ${etaText}  (λ₂/λ₁ = ${fmt(lam[1] / lam[0])})`,
    alert,
  };
}


// ---------------------------------------------------------------------------------------
// Kind "softlabel" (LossCurveExplorer). (section owned by the softlabel-explorer helper)
// descent/explorers/softlabel.py: one optimizer of descent.optimizers on
// descent.problems.soft_label_classifier(t, x) for a hard and a soft target (k, 1 − k), the
// same hyperparameters for both; each run's KL losses, logit gaps Δs = s₂ − s₁, Δs* and
// ripples. The loss and its gradient are JAX's autodiff of log_softmax as XLA fuses it.

const SOFTLABEL_OPTIMIZERS = ["adam", "sgd", "momentum"]; // LossCurveExplorer.OPTIMIZERS.
const SOFTLABEL_NAMES = { adam: "Adam", sgd: "gradient descent", momentum: "heavy ball" };
const SOFTLABEL_FLOOR = 1e-15; // softlabel.FLOOR: the KL's rounding in float64.
const SOFTLABEL_SHOWN = 1e-12; // Below it a loss's three digits would be rounding: "< 1e-12".

/**
 * soft_label_classifier(t, x), two classes, over θ = [W₁₁ … W₁d, W₂₁ … W₂d, b₁, b₂] (the
 * pytree's leaves, W row-major, then b). z = Wx + b, m = max z, e = exp(z − m), s = Σe;
 * L = Σ t (log t − ((z − m) − log s)); ∇_z L = (Σt/s)·e − t, ∇W = ∇_z L xᵀ, ∇b = ∇_z L:
 * the compiled value_and_grad, with its fused multiply-adds.
 */
function softLabelProblem(target, x) {
  const d = x.length, t = target.map(Number);
  const logT = t.map((ti) => Math.log(ti > 0 ? ti : 1)); // 0 log 0 = 0.
  const sumT = t[0] + t[1]; // Σt, the cotangent of log s.
  const logits = (theta) => [0, 1].map((i) => {
    if (d === 1) return fma(theta[i], x[0], theta[2 + i]); // W x + b, fused.
    let dot = theta[i * d] * x[0];
    for (let j = 1; j < d; j++) dot = fma(theta[i * d + j], x[j], dot);
    return dot + theta[2 * d + i];
  });
  const forward = (theta) => {
    const z = logits(theta);
    const m = Math.max(z[0], z[1]); // Stopped gradient: max z.
    const e = [Math.exp(z[0] - m), Math.exp(z[1] - m)];
    const s = e[0] + e[1];
    const logS = Math.log(s);
    const a0 = logT[0] - ((z[0] - m) - logS), a1 = logT[1] - ((z[1] - m) - logS); // log t − log p.
    return { e, s, value: fma(t[1], a1, t[0] * a0) }; // Σ t (log t − log p).
  };
  const loss = (theta) => forward(theta).value;
  const valueAndGrad = (theta) => {
    const { e, s, value } = forward(theta);
    const q = sumT / s;
    const gz = [fma(q, e[0], -t[0]), fma(q, e[1], -t[1])]; // ∇_z L = (Σt/s) e − t.
    const grads = new Array(2 * d + 2);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < d; j++) grads[i * d + j] = gz[i] * x[j]; // ∇W = ∇_z L xᵀ.
      grads[2 * d + i] = gz[i]; // ∇b.
    }
    return [value, grads];
  };
  return { loss, valueAndGrad };
}

/** Δs_t = s₂ − s₁ of each θ_t, summed as softlabel.logit_gaps sums (no fused multiply-add). */
function logitGaps(trajectory, x) {
  const d = x.length;
  return trajectory.map((theta) => {
    const z = [0, 1].map((i) => {
      let dot = theta[i * d] * x[0];
      for (let j = 1; j < d; j++) dot = dot + theta[i * d + j] * x[j];
      return dot + theta[2 * d + i];
    });
    return z[1] - z[0];
  });
}

/**
 * The ripples of a loss curve (softlabel.ripples): the steps 0 < t < T at which it rises and
 * then falls, each by more than ε_t = 10⁻¹⁵·max(1, L_t); non-finite losses never count.
 */
export function ripples(losses) {
  let count = 0;
  for (let t = 1; t + 1 < losses.length; t++) {
    const a = num(losses[t - 1]), L = num(losses[t]), b = num(losses[t + 1]);
    const eps = SOFTLABEL_FLOOR * Math.max(1, L);
    if (L - a > eps && L - b > eps) count++;
  }
  return count;
}

function computeSoftlabel(spec, values) {
  const where = "LossCurveExplorer", method = values.optimizer;
  const number = (x) => typeof x === "number" && Number.isFinite(x);
  const T = values.steps, maxSteps = Number(spec.max_steps), k = values.soft;
  const fraction = (key, label) => (number(values[key]) && values[key] >= 0 && values[key] < 1 ? ""
    : `ValueError: ${where}: ${label} must be in [0, 1), got ${show(values[key])}`);
  const error = (SOFTLABEL_OPTIMIZERS.includes(method) ? ""
    : `ValueError: ${where}: optimizer must be one of ${SOFTLABEL_OPTIMIZERS.join(", ")}, got ${show(method)}`) ||
    (number(values.learning_rate) && values.learning_rate > 0 ? ""
      : `ValueError: ${where}: learning rate α must be a positive number, got ${show(values.learning_rate)}`) ||
    fraction("b1", "Adam's β₁") || fraction("b2", "Adam's β₂") || fraction("momentum", "momentum β") ||
    (number(k) && k > 0 && k < 0.5 ? "" : `ValueError: ${where}: soft target k must be in (0, 0.5), got ${show(k)}`) ||
    (number(T) && Number.isInteger(T) && T >= 1 && T <= maxSteps ? ""
      : `ValueError: ${where}: steps T must be a whole number in [1, ${maxSteps}], got ${show(T)}`);
  if (error) return { error };
  const x = spec.x.map(Number), alpha = values.learning_rate;
  const hyper = method === "adam" ? { learning_rate: alpha, b1: values.b1, b2: values.b2, eps: Number(spec.eps) }
    : method === "momentum" ? { learning_rate: alpha, momentum: values.momentum } : { learning_rate: alpha };
  const targets = [spec.hard.map(Number), [k, 1 - k]]; // LossCurveExplorer.soft_target.
  const out = { targets, losses: [], gaps: [], diverged_at: [], optimal_gaps: [], ripples: [] };
  for (const target of targets) {
    const init = new Array(2 * x.length + 2).fill(0); // W = 0, b = 0: p uniform.
    const run_ = run(softLabelProblem(target, x), OPTIMIZERS[method](hyper), T, init);
    out.losses.push(run_.losses);
    out.gaps.push(logitGaps(run_.trajectory, x));
    out.diverged_at.push(run_.diverged_at);
    out.optimal_gaps.push(target[0] > 0 && target[1] > 0 ? Math.log(target[1] / target[0]) : NaN); // Δs*.
    out.ripples.push(ripples(run_.losses));
  }
  return out;
}

/** "(0.3, 0.7)". */
const targetText = (t) => `(${fmt(t[0])}, ${fmt(t[1])})`;

function statusSoftlabel(spec, values, result) {
  const method = values.optimizer, T = Number(values.steps);
  const targets = result.targets.map((t) => t.map(num));
  const [hard, soft] = targets.map(targetText);
  const losses = result.losses.map((c) => c.map(num)), gaps = result.gaps.map((c) => c.map(num));
  const star = result.optimal_gaps.map(num), diverged = result.diverged_at;
  const a = fmt(Number(values.learning_rate));
  const setting = method === "adam" ? `α = ${a}, β₁ = ${fmt(Number(values.b1))}, β₂ = ${fmt(Number(values.b2))}`
    : method === "momentum" ? `α = ${a}, β = ${fmt(Number(values.momentum))}` : `α = ${a}`;
  const infinite = (i) => (targets[i][0] === 0 ? "+∞" : "−∞"); // Where a one-hot target's optimum is.
  const oneHot = !Number.isFinite(star[0]);
  const other = oneHot ? `the hard one's is at Δs = ${infinite(0)} (one-hot: the loss only tends to 0 as |Δs| grows)`
    : `the other's is Δs* = ${fmt(star[0])}`;
  const final = (i) => {
    const L = losses[i][losses[i].length - 1];
    if (!Number.isFinite(L)) return "—";
    return L < SOFTLABEL_SHOWN ? `< ${fmt(SOFTLABEL_SHOWN)}` : fmt(L);
  };
  const last = gaps[1][gaps[1].length - 1], off = last - star[1];
  const distance = !Number.isFinite(off) ? "" : Math.abs(off) < 1e-6 ? ", Δs* to within 1e-6"
    : `, Δs_T − Δs* = ${fmt(off)}`;
  const hardGap = gaps[0][gaps[0].length - 1];
  let alert = "";
  const names = [hard, soft];
  diverged.forEach((at, i) => {
    if (at !== null && at !== undefined && !alert) {
      alert = `target ${names[i]}: the parameters or the loss left float64's finite numbers at step ${at} ` +
        `(α = ${a} is far too large): its curves stop there`;
    }
  });
  if (!alert) {
    const worse = [0, 1].filter((i) => {
      const L = losses[i], end = L[L.length - 1];
      return L.length > 1 && Number.isFinite(end) && end > L[0];
    });
    if (worse.length) {
      const i = worse[worse.length - 1], L = losses[i];
      alert = `α = ${a} is too large: target ${names[i]}'s loss ends above where it started ` +
        `(L_T = ${fmt(L[L.length - 1])} > L_0 = ${fmt(L[0])}): the steps overshoot the optimum`;
    }
  }
  return {
    facts: `targets ${hard}${oneHot ? " (hard)" : ""} and ${soft} (soft, k = ${fmt(targets[1][0])}): the soft ` +
      `optimum Δs* = log(y₂/y₁) = ${fmt(star[1])}; ${other}`,
    info: `${SOFTLABEL_NAMES[method]}: ${setting}, T = ${T}   final loss: ${hard} ${final(0)}, ${soft} ${final(1)}\n` +
      `soft run: Δs_T = ${fmt(last)}${distance}   ripples of the soft loss: ${result.ripples[1]} ` +
      `(steps where it rises and falls)   hard run: Δs_T = ${fmt(hardGap)}`,
    alert,
  };
}


// ---------------------------------------------------------------------------------------
// compute: the result for `values`, the same structure as Python's.

export function compute(spec, values) {
  switch (spec.kind) {
    case "quadratic": return computeQuadratic(spec, values);
    case "race": return computeRace(spec, values);
    case "minibatch": return computeMinibatch(spec, values);
    case "noisy": return computeNoisy(spec, values);
    case "schedule": return computeSchedule(spec, values);
    case "momentum": return computeMomentum(spec, values);
    case "softlabel": return computeSoftlabel(spec, values);
    case "adaptive": return computeAdaptive(spec, values);
    default: throw new Error(`unknown explorer kind ${JSON.stringify(spec.kind)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Reading a run (the old module's helpers, float64).

/**
 * The average factor per step by which the distance shrank over the second half, measured
 * over the steps whose distance is ≥ 1e-30 (old _measured_rate); null when none.
 */
function measuredRate(distances) {
  const ok = distances.map((d) => Number.isFinite(d) && d >= 1e-30);
  if (!ok[0]) return null;
  const firstBad = ok.indexOf(false);
  const last = firstBad < 0 ? ok.length - 1 : firstBad - 1;
  if (last < 1) return null;
  const first = Math.floor(last / 2);
  return Math.pow(distances[last] / distances[first], 1.0 / (last - first));
}

/** The first step t ≥ 1 from which L(θ_s) > L(θ₀) for every s ≥ t, or null (_above_from). */
function aboveFrom(losses) {
  const above = losses.map((L) => !(L <= losses[0])); // NaN: above.
  above[0] = false;
  if (!above[above.length - 1]) return null;
  return above.lastIndexOf(false) + 1;
}

/** "below" (L → −∞), "above", or null if the run stayed finite (old _blowup). */
function blowup(losses, divergedAt) {
  if (divergedAt === null || divergedAt === undefined) return null;
  const at = losses[divergedAt];
  if (at === -Infinity) return "below";
  const before = losses.slice(0, divergedAt).filter(Number.isFinite);
  const scale = before.length ? Math.max(Math.abs(before[0]), 1.0) : 1.0;
  if (at !== Infinity && before.length && before[before.length - 1] < -1e6 * scale) return "below";
  return "above";
}

/**
 * Where a loss gap left what float64 resolves (old _resolution): ["minimum", t] when step t
 * divided it by 10¹⁰ or more, ["underflow", t] when it fell below the smallest normal
 * float64 after step t, or null.
 */
function resolution(gaps) {
  for (let t = 1; t < gaps.length; t++) {
    const previous = gaps[t - 1], gap = gaps[t];
    if (!(Number.isFinite(previous) && Number.isFinite(gap))) return null;
    if (previous >= 1e-30 && gap <= JUMP * previous) return ["minimum", t];
    if (gap < TINY) return ["underflow", t - 1];
  }
  return null;
}

/** numpy's pairwise sum (pairwise_sum_DOUBLE), so that a mean agrees with np.mean. */
function pairwiseSum(a, start, n) {
  if (n < 8) {
    let res = 0.0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = a.slice(start, start + 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

const mean = (a) => pairwiseSum(a, 0, a.length) / a.length;

// ---------------------------------------------------------------------------------------
// status: the texts (old _draw of each explorer, with float64 in place of float32).

/** The predicted and measured rates, or that the run reached the minimum (old _rate_text). */
function rateText(name, predicted, trajectory, losses) {
  const reached = losses !== null ? resolution(losses) : null;
  const predictedText = predicted !== null ? `predicted ${fmt(predicted)}` : "";
  if (reached !== null && reached[0] === "minimum") {
    const steps = `${reached[1]} step` + (reached[1] > 1 ? "s" : "");
    return `rate: ${predictedText ? predictedText + "; " : ""}reached the minimum in ${steps}`;
  }
  const measured = measuredRate(trajectory.map(([x, y]) => Math.sqrt(x * x + y * y)));
  const measuredText = measured !== null ? fmt(measured) : "—";
  let text = predictedText
    ? `rate: ${predictedText}, measured ${measuredText}`
    : `rate: measured ${measuredText} (no closed form for ${name})`;
  if (reached !== null) text += `;  L below float64 resolution after step ${reached[1]}`;
  return text;
}

/** The red line: how the run went wrong, read from the run itself, or "" (old _warning). */
function warning(lam, lr, predicted, r, limit, losses, divergedAt, y, name) {
  const definite = lam.every((l) => l > 0);
  const tooLarge = limit !== null && lr > limit[0];
  const reason = tooLarge ? `α = ${fmt(lr)} > ${limit[1]} = ${fmt(limit[0])}` : "";
  const kind = blowup(losses, divergedAt);
  if (kind === "below") {
    return `ran off to infinity at step ${divergedAt}: λ₂ < 0, L is unbounded below ` +
      "and θ escapes the saddle along λ₂'s eigenvector";
  }
  const step = aboveFrom(losses);
  if (kind === "above" || (tooLarge && step !== null)) {
    let alert = `diverged at step ${step === null ? "None" : step}`;
    const details = reason ? [reason] : [];
    const up = kind === "above" ? "L → +∞" : "L climbs"; // Seen to the end, or up to T.
    if (definite && predicted !== null && predicted > 1) {
      details.push(`the error grows ×${fmt(predicted)} per step`);
    } else if (!definite && r !== null && r[0] > 1) {
      details.push(`the error along λ₁'s eigenvector grows ×${fmt(r[0])} per step (λ₂ < 0, yet ${up})`);
    } else if (!definite) {
      details.push(`λ₂ < 0, yet ${up}`);
    }
    if (details.length) alert += ": " + details.join(", ");
    if (kind === "above") alert += `; float64 overflow at step ${divergedAt}`;
    return alert;
  }
  if (divergedAt !== null || !losses.every(Number.isFinite)) return "non-finite numbers in the run";
  if (tooLarge && definite) return `${reason}: the error grows ×${fmt(predicted)} per step`;
  if (!definite) {
    let alert = "λ₂ < 0: 0 is a saddle point and L is unbounded below";
    if (y[1] > 0 && name !== "preconditioned (Q⁻¹)") alert += "; the error along λ₂'s eigenvector grows";
    return alert;
  }
  return "";
}

function statusQuadratic(spec, values, result) {
  const lam = result.lam.map(num), R = result.R.map((row) => row.map(num));
  const name = values.optimizer, lr = Number(values.learning_rate), beta = Number(values.momentum);
  const definite = lam.every((l) => l > 0);
  const trajectory = result.trajectory.map((p) => p.map(num));
  const losses = result.losses.map(num);
  const divergedAt = result.diverged_at ?? null;
  const predicted = result.predicted === null || result.predicted === undefined ? null : num(result.predicted);
  const r = result.rates ? result.rates.map(num) : null;
  const limit = result.limit ? [num(result.limit[0]), result.limit[1]] : null;
  const [x0, y0] = trajectory[0];
  const y = [Math.abs(x0 * R[0][0] + y0 * R[1][0]), Math.abs(x0 * R[0][1] + y0 * R[1][1])]; // |θ₀ R|.

  const facts = [`λ = (${fmt(lam[0])}, ${fmt(lam[1])})`, `GD stable below 2/λ_max = ${fmt(result.gd_limit)}`];
  if (definite) facts.push(`optimal 2/(λ_min+λ_max) = ${fmt(result.optimal)}`);
  const parts = [`${name}:  α = ${fmt(lr)}`];
  if (name === "momentum" || name === "nesterov") parts.push(`β = ${fmt(beta)}`);
  else if (name === "adam") parts.push(`β₁ = ${fmt(Number(values.b1))}, β₂ = ${fmt(Number(values.b2))}`);
  return {
    facts: facts.join("   "),
    info: parts.join("   ") + "   " + rateText(name, predicted, trajectory, definite ? losses : null),
    alert: warning(lam, lr, predicted, r, limit, losses, divergedAt, y, name),
  };
}

function statusRace(spec, values, result) {
  const Lstar = spec.minimum_value === null || spec.minimum_value === undefined ? null : num(spec.minimum_value);
  const infos = [], alerts = [];
  for (const entry of result.runs) {
    const label = entry.label, lr = Number(values[label]);
    if (entry.error) {
      infos.push(`${label}: α = ${fmt(lr)}, L(θ_T) = —`);
      alerts.push(entry.error);
      continue;
    }
    const losses = entry.losses.map(num);
    const divergedAt = entry.diverged_at ?? null;
    const finite = losses.filter(Number.isFinite);
    const final = finite.length ? fmt(finite[finite.length - 1]) : "—";
    let info = `${label}: α = ${fmt(lr)}, L(θ_T) = ${final}`;
    const reached = Lstar !== null ? resolution(losses.map((L) => L - Lstar)) : null;
    if (reached !== null && reached[0] === "minimum") info += ` (reached the minimum at step ${reached[1]})`;
    else if (reached !== null) info += ` (L − L* below float64 resolution after step ${reached[1]})`;
    infos.push(info);
    const kind = blowup(losses, divergedAt); // Down (L → −∞, the escape) or up.
    if (kind === "below") {
      alerts.push(`${label} ran off to infinity at step ${divergedAt} (L is unbounded below)`);
    } else if (kind === "above") {
      alerts.push(`${label} diverged at step ${aboveFrom(losses)} (α = ${fmt(lr)}; ` +
        `L not finite from step ${divergedAt})`);
    }
  }
  const init = spec.init.map(num);
  return {
    facts: "",
    info: infos.join("    ") + `\nafter T = ${spec.steps} steps from θ₀ = (${fmt(init[0])}, ${fmt(init[1])})`,
    alert: alerts.join("; "),
  };
}

function statusMinibatch(spec, values, result) {
  const B = Number(values.batch_size), lr = Number(values.learning_rate), n = Number(spec.n);
  const limit = num(result.gd_limit), limitB = num(result.limit_B);
  const alerts = [];
  let final = Infinity, sgdDiverged = false;
  for (const [name, path] of [["sgd", result.sgd], ["gd", result.gd]]) {
    const rows = path.map((p) => p.map(num));
    const gap = lossGap(spec, rows);
    const grown = rows.map((p, t) => !p.every(Number.isFinite) || !(gap[t] <= 1e6 * Math.max(gap[0], 1e-12)));
    const last = grown[grown.length - 1];
    if (last) { // It ends far above where it started: from when on, read off the run.
      const at = grown.lastIndexOf(false) + 1;
      if (name === "gd") {
        const reason = lr > limit ? `: α = ${fmt(lr)} > 2/λ_max = ${fmt(limit)}` : "";
        alerts.push(`gradient descent diverged at step ${at}${reason}`);
      } else if (B < n) { // At B = n the red run is the dashed one: named once.
        const reason = lr > limitB
          ? ` (α = ${fmt(lr)} > α_B = ${fmt(limitB)}, its mean-square limit at B = ${B})` : "";
        alerts.push(`minibatch SGD diverged at step ${at}${reason}`);
      }
    }
    if (name === "sgd") {
      final = last ? Infinity : mean(gap.slice(Math.floor(gap.length / 2)));
      sgdDiverged = last;
    }
  }
  if (B < n && lr >= limitB && !sgdDiverged) {
    alerts.unshift(`α = ${fmt(lr)} ≥ α_B = ${fmt(limitB)}, SGD's mean-square limit at B = ${B}: ` +
      "the mean E[L(w_t)] has no floor; a single run keeps coming back");
  }
  const asInfinity = (x) => (x === null || x === undefined ? Infinity : Number(x)); // null: ∞.
  const floor = asInfinity(result.floor), fixed = asInfinity(result.fixed);
  let stability, floors;
  if (B === n) {
    stability = `B = N is gradient descent: stable for α < 2/λ_max = ${fmt(limit)}`;
    floors = "no noise, no floor";
  } else {
    stability = `SGD at this B is stable in mean square for α < α_B = ${fmt(limitB)}  ` +
      `(gradient descent: α < 2/λ_max = ${fmt(limit)})`;
    floors = floor < Infinity ? `floor E[L] − L(ŵ) = ${fmt(floor)}` : "the mean has no floor (α ≥ α_B)";
    floors += `;  fixed-noise formula ${fmt(fixed)}, which holds only for α ≪ α_B`;
  }
  return {
    facts: "",
    info: `B = ${B} of N = ${n}:  standard error of g_B at ŵ = √(tr Σ/B)·√((N−B)/(N−1)) = ` +
      `${fmt(result.standard_error)}   (√tr Σ = ${fmt(spec.sigma)})\n` +
      `α = ${fmt(lr)}:  ${stability}\n` +
      `SGD's mean loss gap over the second half ${fmt(final)};  ${floors}`,
    alert: alerts.join("; "),
  };
}

/**
 * What α_t ≥ 2/λ_max does to the runs, or "": the steps where it holds, the largest growth
 * factor |1 − α_t λ_max| there, and the step a run left the picture (shared by both kinds).
 */
function noisyInstability(rates, limit, lamMax, divergedAt, constant) {
  const bad = [];
  let grow = 0;
  rates.forEach((alpha, t) => {
    if (alpha * lamMax >= 2) {
      bad.push(t);
      grow = Math.max(grow, Math.abs(1 - alpha * lamMax));
    }
  });
  if (!bad.length) return "";
  const growth = grow > 1 ? `grow ×${fmt(grow)} per step` : "do not contract (|1 − αλ_max| = 1)";
  let alert;
  if (constant) {
    alert = `α = ${fmt(rates[0])} ≥ 2/λ_max = ${fmt(limit)}: along λ_max's eigenvector the runs ${growth}: ` +
      "no noise ball, E[L_t] grows without bound";
  } else if (bad.length === rates.length) {
    alert = `α_t ≥ 2/λ_max = ${fmt(limit)} at every step: along λ_max's eigenvector the runs ${growth}`;
  } else {
    const first = bad[0], last = bad[bad.length - 1];
    const steps = first === last ? `at step ${first}` : `at ${bad.length} steps from t = ${first} to ${last}`;
    alert = `α_t ≥ 2/λ_max = ${fmt(limit)} ${steps}: there the runs ${growth} along λ_max's eigenvector`;
  }
  if (divergedAt !== null && divergedAt !== undefined) {
    alert += `; a run passed |θ| = 10¹⁰⁰ at step ${divergedAt}: from there no run and no mean is drawn`;
  }
  return alert;
}

/** E[L_t] as a number: not finite only by overflow, so null (JSON) is +∞. */
const expectedAt = (x) => (x === null || x === undefined ? Infinity : Number(x));

/**
 * The runs' mean loss over the last quarter of the steps, and the exact E[L] there, as
 * text: none for the mean once a run has left (diverged_at), "∞" for an E[L] that overflowed.
 */
function lastQuarter(result) {
  const measured = result.mean_loss.map(num), expected = result.expected_loss.map(expectedAt);
  const from = Math.floor((3 * (measured.length - 1)) / 4);
  const average = mean(measured.slice(from));
  return {
    steps: measured.length - from,
    measured: Number.isFinite(average) ? fmt(average) : "none (a run has left)",
    expected: fmt(mean(expected.slice(from))),
  };
}

function statusNoisy(spec, values, result) {
  const lam = [Number(values.lambda1), Number(values.lambda2)], B = values.batch_size;
  const lr = Number(values.learning_rate), decay = values.decay, constant = decay === "off";
  const s = result.noise.map(num), limit = num(result.limit), T = Number(spec.steps);
  const rates = result.learning_rates.map(num);
  const facts = `λ = (${fmt(lam[0])}, ${fmt(lam[1])}), σ² = ${fmt(spec.noise_scale)}, B = ${B}: ` +
    `gradient noise sᵢ = σ²λᵢ/B = (${fmt(s[0])}, ${fmt(s[1])})   GD stable below 2/λ_max = ${fmt(limit)}`;
  const floor = num(result.floor);
  const floorText = Number.isFinite(floor) ? fmt(floor) : "∞ (α λ_max ≥ 2)";
  let first;
  if (constant) {
    const v = result.stationary_variance;
    const ball = v ? `noise ball ±2√vᵢ = (±${fmt(2 * Math.sqrt(num(v[0])))}, ±${fmt(2 * Math.sqrt(num(v[1])))}), ` +
      "vᵢ = αsᵢ/(λᵢ(2 − αλᵢ));  " : "";
    first = `α = ${fmt(lr)}, constant:  ${ball}floor E[L] = Σ αsᵢ/(2(2 − αλᵢ)) = ${floorText}`;
  } else {
    const ET = expectedAt(result.expected_loss[T]);
    first = `α_t = α/(1 + t/k₀), α = ${fmt(lr)}, k₀ = ${decay}:  α_T = ${fmt(rates[T - 1])};  ` +
      `E[L_T] = ${fmt(ET)}` + (Number.isFinite(floor) ? `, against the floor of a constant α: ${fmt(floor)}` : "");
  }
  const q = lastQuarter(result);
  const second = `the ${spec.runs} runs' mean loss over the last ${q.steps} steps: ${q.measured};  ` +
    `exact E[L_t] there: ${q.expected}`;
  return {
    facts,
    info: first + "\n" + second,
    alert: noisyInstability(rates, limit, Math.max(...lam), result.diverged_at, constant),
  };
}

/** The schedule a ScheduleExplorer state draws, in words and numbers. */
function scheduleText(values, T) {
  const a = fmt(Number(values.peak)), W = values.warmup, D = values.decay_point;
  switch (values.schedule) {
    case "constant": return `constant: α_t = α = ${a}`;
    case "step ÷10": return `step ÷10: α_t = α·0.1^⌊t/D⌋, α = ${a}, divided by 10 every D = ${D} steps`;
    case "exponential": return `exponential: α_t = α·0.1^(t/D), α = ${a}, divided by 10 every D = ${D} steps, smoothly`;
    case "1/t": return `1/t: α_t = α/(1 + t/D), α = ${a}, halved at t = D = ${D}`;
    case "1/√t": return `1/√t: α_t = α/√(1 + t/D), α = ${a}, halved at t = 3D = ${3 * D}`;
    case "cosine": return `cosine: α_t = α·½(1 + cos(πt/T)), from α = ${a} to 0 over T = ${T} steps`;
    case "linear warm-up + cosine":
      return `linear warm-up + cosine: α_t rises from 0 to α = ${a} over W = ${W} steps, ` +
        `then α·½(1 + cos(π(t − W)/(T − W))) down to 0 at T = ${T}`;
    case "warmup–stable–decay": {
      const S = Math.max(D, W);
      const rise = W > 0 ? `rises from 0 to α = ${a} over W = ${W} steps, holds it` : `holds α = ${a}`;
      const late = D < W ? ` (D = ${D} < W: the cool-down starts when the warm-up ends)` : "";
      return `warmup–stable–decay: α_t ${rise} until S = ${S}, then falls linearly to 0 at T = ${T}${late}`;
    }
    default: return String(values.schedule);
  }
}

function statusSchedule(spec, values, result) {
  const lam = spec.eigenvalues.map(Number), s = spec.noise.map(Number), T = Number(spec.steps);
  const limit = num(result.limit), rates = result.learning_rates.map(num), floor = num(result.floor);
  const facts = `noisy quadratic: λ = (${fmt(lam[0])}, ${fmt(lam[1])}), σ² = ${fmt(spec.noise_scale)}, ` +
    `B = ${spec.batch_size}: sᵢ = σ²λᵢ/B = (${fmt(s[0])}, ${fmt(s[1])});  T = ${T} steps, ${spec.runs} runs   ` +
    `GD stable below 2/λ_max = ${fmt(limit)}`;
  const q = lastQuarter(result);
  const settle = Number.isFinite(floor) ? `a constant α = ${fmt(Number(values.peak))} would settle at ${fmt(floor)}`
    : `a constant α = ${fmt(Number(values.peak))} would diverge`;
  const second = `α_T = ${fmt(rates[T - 1])};  E[L_T] = ${fmt(expectedAt(result.expected_loss[T]))};  ` +
    `the runs' mean loss over the last ${q.steps} steps ${q.measured} (exact ${q.expected});  ${settle}`;
  return {
    facts,
    info: scheduleText(values, T) + "\n" + second,
    alert: noisyInstability(rates, limit, Math.max(...lam), result.diverged_at, false),
  };
}

const MOMENTUM_NAMES = { gd: "gradient descent", heavy_ball: "heavy ball", nesterov: "Nesterov" };
const DAMPING_TEXT = {
  under: "under-damped (complex roots: it oscillates, |r| = √β)",
  critical: "critically damped (a double root)",
  over: "over-damped (real roots)",
  monotone: "monotone (1 − αλ ≥ 0)",
  alternating: "alternating (1 − αλ < 0: its sign flips every step)",
};

function statusMomentum(spec, values, result) {
  const lam = result.lam.map(num), method = values.optimizer, name = MOMENTUM_NAMES[method];
  const lr = Number(values.learning_rate), beta = Number(values.momentum);
  const trajectory = result.trajectory.map((p) => p.map(num));
  const losses = result.losses.map(num);
  const divergedAt = result.diverged_at ?? null;
  const rho = num(result.rate), r = result.rates.map(num);
  const [bestAlpha, bestBeta, best] = result.optimal.map(num);
  const limit = [num(result.limit[0]), result.limit[1]];
  const kappa = Math.max(...lam) / Math.min(...lam);
  const optimum = method === "gd" ? `α* = 2/(λ_min+λ_max) = ${fmt(bestAlpha)}`
    : `α* = ${fmt(bestAlpha)}, β* = ${fmt(bestBeta)}`;
  const setting = method === "gd" ? `α = ${fmt(lr)}` : `α = ${fmt(lr)}, β = ${fmt(beta)}`;
  const R = result.R.map((row) => row.map(num));
  const [x0, y0] = trajectory[0];
  const y = [Math.abs(x0 * R[0][0] + y0 * R[1][0]), Math.abs(x0 * R[0][1] + y0 * R[1][1])];
  let alert = warning(lam, lr, rho, r, limit, losses, divergedAt, y, method);
  if (!alert && rho >= 1) alert = `ρ = ${fmt(rho)} ≥ 1 (α = ${fmt(lr)} at ${limit[1]} = ${fmt(limit[0])}): the error does not shrink`;
  const regimes = result.damping.map((d, i) => `λ${i ? "₂" : "₁"} = ${fmt(lam[i])} ${DAMPING_TEXT[d] ?? d}`);
  return {
    facts: `λ = (${fmt(lam[0])}, ${fmt(lam[1])}), κ = λ_max/λ_min = ${fmt(kappa)}   ` +
      `${name} at its best: ${optimum}, optimal ρ* = ${fmt(best)}`,
    info: `${name}: ${setting}   ρ = max(ρ₁, ρ₂) = ${fmt(rho)}  (ρ₁ = ${fmt(r[0])}, ρ₂ = ${fmt(r[1])}): ` +
      `the loss ${rho < 1 ? "shrinks" : "grows"} like ρ²ᵗ   ${rateText(name, rho, trajectory, losses)}\n` +
      `${regimes.join(";  ")}   stable for α < ${limit[1]} = ${fmt(limit[0])}`,
    alert,
  };
}

/** The texts for `result`: {facts, info, alert}; not called when result.error is set. */
export function status(spec, values, result) {
  switch (spec.kind) {
    case "quadratic": return statusQuadratic(spec, values, result);
    case "race": return statusRace(spec, values, result);
    case "minibatch": return statusMinibatch(spec, values, result);
    case "noisy": return statusNoisy(spec, values, result);
    case "schedule": return statusSchedule(spec, values, result);
    case "momentum": return statusMomentum(spec, values, result);
    case "softlabel": return statusSoftlabel(spec, values, result);
    case "adaptive": return statusAdaptive(spec, values, result);
    default: throw new Error(`unknown explorer kind ${JSON.stringify(spec.kind)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Contours.

const linspace = (a, b, n) => Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
const geomspace = (a, b, n) => linspace(Math.log10(a), Math.log10(b), n).map((e, i) =>
  (i === 0 ? a : i === n - 1 ? b : 10 ** e));

/**
 * The level sets ½ θᵀQθ = c in closed form and the eigenvector axes (old
 * _contour_segments): ellipses when λ₁, λ₂ > 0; at a saddle hyperbolas on both sides and
 * the asymptotes L = 0. Returns {segments: polylines, values: one colour value per
 * polyline (log c, signed at a saddle), axes: the two eigenvector lines ±2·half}.
 */
export function quadraticContours(lam, R, half) {
  const [l1, l2] = lam.map(Number);
  const h = Number(half);
  const rotate = (y0, y1) => [R[0][0] * y0 + R[0][1] * y1, R[1][0] * y0 + R[1][1] * y1]; // y Rᵀ.
  const top = Math.max(Math.abs(l1), Math.abs(l2)) * h * h; // The level whose smallest radius is √2 h.
  const segments = [], values = [];
  if (l1 > 0 && l2 > 0) {
    const s = linspace(0, 2 * Math.PI, 160);
    for (const c of geomspace(top * 1e-4, top, 14)) {
      const a = Math.sqrt((2 * c) / l1), b = Math.sqrt((2 * c) / l2);
      segments.push(s.map((u) => rotate(a * Math.cos(u), b * Math.sin(u))));
      values.push(Math.log(c));
    }
  } else { // λ₁ > 0 > λ₂: hyperbolas, L > 0 along λ₁'s eigenvector, L < 0 along λ₂'s.
    const levels = [...geomspace(top * 1e-3, top, 7), ...geomspace(top * 1e-3, top, 7).map((c) => -c)];
    for (const c of levels) {
      const a = Math.sqrt((2 * Math.abs(c)) / l1), b = Math.sqrt((2 * Math.abs(c)) / Math.abs(l2));
      const stop = c > 0
        ? Math.min(Math.acosh(Math.max((2 * h) / a, 1.0)), Math.asinh((2 * h) / b))
        : Math.min(Math.acosh(Math.max((2 * h) / b, 1.0)), Math.asinh((2 * h) / a));
      const u = linspace(-stop, stop, 80);
      for (const sign of [1, -1]) {
        segments.push(u.map((v) => (c > 0
          ? rotate(sign * a * Math.cosh(v), b * Math.sinh(v))
          : rotate(a * Math.sinh(v), sign * b * Math.cosh(v)))));
        values.push(Math.sign(c) * Math.log((Math.abs(c) / top) * 1e4 + 1));
      }
    }
    const slope = Math.sqrt(l1 / Math.abs(l2)); // L = 0: the asymptotes.
    for (const sign of [1, -1]) {
      segments.push([rotate(-2 * h, -2 * h * sign * slope), rotate(2 * h, 2 * h * sign * slope)]);
      values.push(0.0);
    }
  }
  const axes = [0, 1].map((i) => [[-2 * h * R[0][i], -2 * h * R[1][i]], [2 * h * R[0][i], 2 * h * R[1][i]]]);
  return { segments, values, axes };
}

/**
 * Marching squares: the polylines where the grid Z (Z[i][j] at (xs[j], ys[i])) crosses
 * `level`, segments joined end to end (a closed line ends at its first point). A cell with
 * a non-finite corner draws nothing; a saddle cell is split by its centre value.
 */
function marchingSquares(xs, ys, Z, level) {
  const nx = xs.length, ny = ys.length;
  // Edge ids: 2(i·nx + j) the edge from (i, j) to (i, j+1); 2(i·nx + j) + 1 to (i+1, j).
  const H = (i, j) => 2 * (i * nx + j), V = (i, j) => 2 * (i * nx + j) + 1;
  const point = (edge) => {
    const k = edge >> 1, i = Math.floor(k / nx), j = k % nx;
    const [i2, j2] = edge & 1 ? [i + 1, j] : [i, j + 1];
    const za = Z[i][j], zb = Z[i2][j2];
    const t = (level - za) / (zb - za);
    return [xs[j] + t * (xs[j2] - xs[j]), ys[i] + t * (ys[i2] - ys[i])];
  };
  const segments = [];
  for (let i = 0; i < ny - 1; i++) {
    for (let j = 0; j < nx - 1; j++) {
      const a = Z[i][j], b = Z[i][j + 1], c = Z[i + 1][j + 1], d = Z[i + 1][j];
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(d))) continue;
      const index = (a >= level ? 1 : 0) | (b >= level ? 2 : 0) | (c >= level ? 4 : 0) | (d >= level ? 8 : 0);
      if (index === 0 || index === 15) continue;
      const bottom = H(i, j), top = H(i + 1, j), left = V(i, j), right = V(i, j + 1);
      const centre = (a + b + c + d) / 4 >= level;
      switch (index) {
        case 1: case 14: segments.push([left, bottom]); break;
        case 2: case 13: segments.push([bottom, right]); break;
        case 3: case 12: segments.push([left, right]); break;
        case 4: case 11: segments.push([right, top]); break;
        case 6: case 9: segments.push([bottom, top]); break;
        case 7: case 8: segments.push([left, top]); break;
        case 5: // a and c above.
          if (centre) segments.push([bottom, right], [top, left]);
          else segments.push([left, bottom], [right, top]);
          break;
        case 10: // b and d above.
          if (centre) segments.push([left, bottom], [right, top]);
          else segments.push([bottom, right], [top, left]);
          break;
      }
    }
  }
  // Join: every edge is shared by at most two segments (its two cells).
  const at = new Map();
  segments.forEach(([p, q], k) => {
    for (const e of [p, q]) {
      if (!at.has(e)) at.set(e, []);
      at.get(e).push(k);
    }
  });
  const used = new Uint8Array(segments.length);
  const follow = (chain, end) => { // Extend `chain` from its last edge `end`.
    for (;;) {
      const next = (at.get(end) || []).find((k) => !used[k]);
      if (next === undefined) return;
      used[next] = 1;
      const [p, q] = segments[next];
      end = p === end ? q : p;
      chain.push(end);
    }
  };
  const paths = [];
  segments.forEach(([p, q], k) => {
    if (used[k]) return;
    used[k] = 1;
    const forward = [p, q];
    follow(forward, q);
    const backward = [p];
    follow(backward, p);
    const chain = backward.slice(1).reverse().concat(forward);
    paths.push(chain.map(point));
  });
  return paths;
}

/**
 * A race's contour lines: the loss on a 160 × 160 grid over spec.window (or spec.grid for a
 * problem of the reader's own), cut at spec.levels. Returns [{level_index, paths}] for the
 * levels that cross the window, level_index into spec.levels (viridis by index).
 */
export function contourLines(spec) {
  let xs, ys, Z;
  if (spec.grid) {
    xs = spec.grid.x.map(num);
    ys = spec.grid.y.map(num);
    Z = spec.grid.z.map((row) => row.map(num));
  } else {
    const problem = raceProblem(spec.problem);
    const [xmin, xmax, ymin, ymax] = spec.window.map(Number);
    xs = linspace(xmin, xmax, 160);
    ys = linspace(ymin, ymax, 160);
    Z = ys.map((y) => xs.map((x) => problem.loss([x, y])));
  }
  const lines = [];
  spec.levels.forEach((level, level_index) => {
    const paths = marchingSquares(xs, ys, Z, num(level));
    if (paths.length) lines.push({ level_index, paths });
  });
  return lines;
}
