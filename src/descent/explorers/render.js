import { compute, status, fmt, quadraticContours, contourLines, lossGap, noisyFloor, rateMap, COLORS } from "./compute.js";

// The renderer of every explorer: the controls of `spec.controls` and the panels of
// `spec.kind`, drawn on a <canvas> to look like the book's Matplotlib figures.
//
// Two entry points: anywidget's `render({ model, el })` (JupyterLab, Notebook 7, Colab,
// VS Code: the kernel computes each `result`) and `mount(el)` for a static page (this
// module computes it with `compute`). Both draw through one `ExplorerView`.
//
// What a slider move costs: `compute` (static page), `status`, and drawing the curves.
// Everything that does not move with a slider (axes, ticks, labels, contours) sits on a
// cached layer (`base`), and the markers and legends that go over the curves on another
// (`top`); a redraw copies `base`, draws the curves, copies `top`. Input events are
// coalesced on requestAnimationFrame, and a redraw reads no layout.

const FONT = '"DejaVu Sans", "Bitstream Vera Sans", Verdana, "Helvetica Neue", Arial, sans-serif';
const AXIS_BOUNDS = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
const WIDE = 760; // CSS px from which the panels sit side by side…
const PANEL_MIN = 330; // …as long as each gets this much; else two per row.
const TWO_COLUMNS = 640; // CSS px from which the controls take two columns.
const KERNEL_WAIT = 400; // ms without a kernel result before computing here.
const MARGIN = { left: 66, right: 14, top: 28, bottom: 46 }; // Around each panel's axes.
const SIZE = { tick: 12, power: 13, exponent: 11, label: 13, title: 13, legend: 11, key: 11 };

// Matplotlib's greys ("0.25", "0.55") and black, per theme; red stays red.
const THEMES = {
  light: {
    fg: "#000000", grey25: "#404040", grey55: "#8c8c8c", legendBg: "rgba(255,255,255,0.72)",
    legendEdge: "#cccccc", contourLift: 0, alert: "#b00020",
  },
  dark: {
    fg: "#e3e3e3", grey25: "#bdbdbd", grey55: "#8c8c8c", legendBg: "rgba(20,24,30,0.72)",
    legendEdge: "#5a5a5a", contourLift: 0.28, alert: "#ff7b7b",
  },
};

const CSS = `
.dx-root { font-family: var(--pst-font-family-base, var(--jp-ui-font-family, system-ui, sans-serif));
  font-size: 14px; line-height: 1.4; max-width: 100%; box-sizing: border-box; margin: 0.6em 0; }
.dx-root * { box-sizing: border-box; }
.dx-root.dx-dark { color-scheme: dark; }
.dx-root.dx-own-bg { background: #1b1d21; color: #e3e3e3; padding: 0.5em; border-radius: 4px; }
.dx-controls { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0.15em 1.5em; margin-bottom: 0.3em; }
.dx-root.dx-two .dx-controls { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.dx-control { display: grid; grid-template-columns: minmax(6em, 9.5em) minmax(4em, 1fr) minmax(5.4em, max-content);
  align-items: center; gap: 0 0.6em; min-height: 2.1em; }
.dx-control[hidden] { display: none; }
.dx-control > label { overflow-wrap: anywhere; }
.dx-control input[type=range] { width: 100%; min-width: 0; margin: 0; accent-color: #1f77b4; }
.dx-control input[type=checkbox] { justify-self: start; margin: 0; width: 1.1em; height: 1.1em; }
.dx-control select { grid-column: 2 / 4; min-width: 0; max-width: 100%; font: inherit; padding: 0.1em 0.2em; }
.dx-readout { font-variant-numeric: tabular-nums; white-space: nowrap; text-align: right; }
.dx-status { font-size: 13px; line-height: 1.35; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.2em 0; }
.dx-status > div:empty { display: none; }
.dx-status sub { font-size: 11px; line-height: 0; }
.dx-nowrap { white-space: nowrap; }
.dx-status > .dx-alert:empty { display: block; }
.dx-alert { color: ${THEMES.light.alert}; font-weight: bold; min-height: 1.35em; }
.dx-dark .dx-alert, .dx-dark .dx-error { color: ${THEMES.dark.alert}; }
.dx-figure { position: relative; width: 100%; }
.dx-figure canvas { display: block; }
.dx-error { color: ${THEMES.light.alert}; font-family: monospace; font-size: 13px; white-space: pre-wrap;
  overflow-wrap: anywhere; margin: 0.3em 0; }
.dx-error:empty { display: none; }
`;

// ------------------------------------------------------------------------------------
// Small helpers.

const asNumber = (v) => (typeof v === "number" ? v : NaN); // JSON null (not finite) → NaN.
const finite = Number.isFinite;
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const stepBound = (steps) => AXIS_BOUNDS.find((b) => b >= steps) ?? Math.trunc(steps);
const MINUS = "\u2212";

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** Status text as HTML: "α_B", "λ_max", "x_{ij}" get real subscripts, never underscores. */
function statusHtml(text) {
  return escapeHtml(text)
    .replace(/(^|[^A-Za-z0-9_])([A-Za-zα-ωΑ-Ωŵ])_(\{([^}]*)\}|[A-Za-z0-9]+)/g, // λ_max, α_B, w_t; not my_adam.
      (_, before, base, sub, braced) => `${before}${base}<sub>${braced ?? sub}</sub>`)
    .replace(/\d(?:\.\d+)?e[-+]\d+/g, (n) => `<span class="dx-nowrap">${n}</span>`); // Never "2.2e-" / "16".
}

function hexToRgb(hex) {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** viridis(t) for t in [0, 1], by linear interpolation between COLORS.viridis's stops. */
function viridis(t, lift) {
  const stops = COLORS.viridis;
  const u = clamp(lift + (1 - lift) * (finite(t) ? t : 0), 0, 1) * (stops.length - 1);
  const i = Math.min(Math.floor(u), stops.length - 2);
  const a = hexToRgb(stops[i]), b = hexToRgb(stops[i + 1]), f = u - i;
  const c = a.map((x, k) => Math.round(x + (b[k] - x) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function color(name) {
  return COLORS[name] ?? name;
}

/** The page's theme: the book's pydata theme, JupyterLab's, else the system's. */
function pageTheme() {
  const root = document.documentElement;
  const theme = root.dataset.theme;
  if (theme === "dark" || theme === "light") return { dark: theme === "dark", explicit: true };
  const lab = document.body && document.body.dataset.jpThemeLight;
  if (lab === "false" || lab === "true") return { dark: lab === "false", explicit: true };
  const media = typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
  return { dark: !!media, explicit: false };
}

/** The explorers' CSS, once per page (replaced, not duplicated, when the module reloads). */
function addStyle() {
  let style = document.getElementById("descent-explorer-style");
  if (!style) {
    style = document.createElement("style");
    style.id = "descent-explorer-style";
    document.head.appendChild(style);
  }
  if (style.textContent !== CSS) style.textContent = CSS;
}

let counter = 0;

// ------------------------------------------------------------------------------------
// Scales and ticks (Matplotlib's linear, log and symlog).

function makeScale(kind, lo, hi, p0, p1, linthresh = 1) {
  if (kind === "log") {
    const a = Math.log10(lo), b = Math.log10(hi), k = (p1 - p0) / (b - a);
    return { kind, lo, hi, p0, p1, t: (v) => Math.log10(v), map: (v) => (v > 0 && v < Infinity ? p0 + (Math.log10(v) - a) * k : NaN) };
  }
  if (kind === "symlog") { // Matplotlib's, base 10, linscale 1.
    const adj = 1 / (1 - 1 / 10);
    const t = (v) => (Math.abs(v) <= linthresh ? v * adj / linthresh
      : Math.sign(v) * (adj + Math.log10(Math.abs(v) / linthresh)));
    const a = t(lo), b = t(hi), k = (p1 - p0) / (b - a);
    return { kind, lo, hi, p0, p1, linthresh, t, map: (v) => (finite(v) ? p0 + (t(v) - a) * k : NaN) };
  }
  const k = (p1 - p0) / (hi - lo);
  return { kind, lo, hi, p0, p1, t: (v) => v, map: (v) => (finite(v) ? p0 + (v - lo) * k : NaN) };
}

/** Decades between labelled ticks on a log axis: 1, 2, 3, 4, 5, 10, 20… */
function niceStride(raw) {
  return [1, 2, 3, 4, 5, 10, 20, 50, 100].find((s) => s >= raw) ?? Math.ceil(raw);
}

/** Ticks {value, text, power?} of a scale, at most about `count` of them. */
function ticks(scale, count) {
  const { kind, lo, hi } = scale;
  if (kind === "linear") {
    const raw = (hi - lo) / Math.max(count, 1);
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => s >= raw * (1 - 1e-9));
    let decimals = 0;
    while (decimals < 12 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++;
    const out = [];
    for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
      const v = k * step;
      let text = (Math.abs(v) < step * 1e-9 ? 0 : v).toFixed(decimals);
      if (text.startsWith("-")) text = MINUS + text.slice(1);
      out.push({ value: v, text });
    }
    return out;
  }
  if (kind === "log") {
    const a = Math.ceil(Math.log10(lo) - 1e-9), b = Math.floor(Math.log10(hi) + 1e-9);
    const stride = niceStride((b - a + 1) / Math.max(count, 2));
    const out = [];
    for (let e = a; e <= b; e++) {
      if (e % stride === 0) out.push({ value: 10 ** e, power: ["10", String(e).replace("-", MINUS)] });
    }
    return out;
  }
  // symlog: 0 and ± the decades beyond linthresh, thinned to `count`.
  const e0 = Math.round(Math.log10(scale.linthresh));
  const top = hi > 0 ? Math.floor(Math.log10(hi) + 1e-9) : e0 - 1;
  const bottom = lo < 0 ? Math.floor(Math.log10(-lo) + 1e-9) : e0 - 1;
  const span = Math.max(top - e0 + 1, 0) + Math.max(bottom - e0 + 1, 0) + 1;
  const stride = niceStride(span / Math.max(count, 2));
  const out = [];
  if (lo <= 0 && hi >= 0) out.push({ value: 0, text: "0" });
  for (let e = e0; e <= Math.max(top, bottom); e++) {
    if (e % stride !== 0) continue;
    const exp = String(e).replace("-", MINUS);
    if (e <= top) out.push({ value: 10 ** e, power: ["10", exp] });
    if (e <= bottom) out.push({ value: -(10 ** e), power: [MINUS + "10", exp] });
  }
  return out;
}

// ------------------------------------------------------------------------------------
// Canvas drawing primitives (coordinates in CSS px; the context is scaled by the DPR).

function font(size, weight = "") {
  return `${weight ? weight + " " : ""}${size}px ${FONT}`;
}

/** A tick label; `power` = [base, exponent] draws base with a raised exponent. */
function drawTickLabel(ctx, tick, x, y, align, baseline) {
  if (!tick.power) {
    ctx.font = font(SIZE.tick);
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    ctx.fillText(tick.text, x, y);
    return;
  }
  const [base, exp] = tick.power;
  ctx.font = font(SIZE.power);
  const wb = ctx.measureText(base).width;
  ctx.font = font(SIZE.exponent);
  const we = ctx.measureText(exp).width;
  const w = wb + we + 1;
  const left = align === "right" ? x - w : align === "center" ? x - w / 2 : x;
  // Baseline of the whole label: middle → +5, top → +13.
  const yb = baseline === "middle" ? y + 5 : y + SIZE.power;
  ctx.textAlign = "left";
  ctx.textBaseline = "alphabetic";
  ctx.font = font(SIZE.power);
  ctx.fillText(base, left, yb);
  ctx.font = font(SIZE.exponent);
  ctx.fillText(exp, left + wb + 1, yb - 6);
}

/** Text with `_{…}` subscripts and `^{…}` superscripts (legends, labels). */
function drawRich(ctx, text, x, y, size, align = "left", weight = "") {
  const parts = [];
  const re = /([_^])\{([^}]*)\}/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) parts.push([text.slice(last, m.index), 0]);
    parts.push([m[2], m[1] === "_" ? 1 : -1]);
    last = re.lastIndex;
  }
  if (last < text.length) parts.push([text.slice(last), 0]);
  const small = Math.max(11, Math.round(size * 0.8));
  let width = 0;
  const widths = parts.map(([s, shift]) => {
    ctx.font = font(shift ? small : size, weight);
    const w = ctx.measureText(s).width;
    width += w;
    return w;
  });
  let cx = align === "right" ? x - width : align === "center" ? x - width / 2 : x;
  ctx.textAlign = "left";
  parts.forEach(([s, shift], i) => {
    ctx.font = font(shift ? small : size, weight);
    ctx.fillText(s, cx, y + shift * size * 0.32);
    cx += widths[i];
  });
  return width;
}

function richWidth(ctx, text, size) {
  const plain = text.replace(/[_^]\{([^}]*)\}/g, "$1");
  ctx.font = font(size);
  return ctx.measureText(plain).width;
}

/** Break `text` into lines no wider than `width`. */
function wrapLines(ctx, text, width, size) {
  ctx.font = font(size);
  const words = text.split(" ");
  const lines = [];
  let line = "";
  for (const word of words) {
    const next = line ? line + " " + word : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

const DASHES = { "-": [], "--": [3.7, 1.6], ":": [1, 1.65], "-.": [6.4, 1.6, 1, 1.6] };

function stroke(ctx, style, lw, dash = "-") {
  ctx.strokeStyle = style;
  ctx.lineWidth = lw;
  ctx.setLineDash(DASHES[dash].map((d) => d * lw));
  ctx.stroke();
  ctx.setLineDash([]);
}

const FAR = 1e5; // Pixel coordinates are clamped to ±FAR: huge numbers only leave the box.

/** A polyline through points [[x, y], …] (data), broken where a point is not finite. */
function tracePoints(ctx, points, sx, sy) {
  let pen = false;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const x = p ? sx.map(asNumber(p[0])) : NaN, y = p ? sy.map(asNumber(p[1])) : NaN;
    if (!(finite(x) && finite(y))) { pen = false; continue; }
    const cx = clamp(x, -FAR, FAR), cy = clamp(y, -FAR, FAR);
    if (pen) ctx.lineTo(cx, cy); else ctx.moveTo(cx, cy);
    pen = true;
  }
}

/** A curve y_t against t = 0, 1, …, broken where y_t is not finite (or ≤ 0 on a log axis). */
function traceSeries(ctx, ys, sx, sy) {
  let pen = false;
  for (let t = 0; t < ys.length; t++) {
    const y = sy.map(asNumber(ys[t]));
    if (!finite(y)) { pen = false; continue; }
    const cx = sx.map(t), cy = clamp(y, -FAR, FAR);
    if (pen) ctx.lineTo(cx, cy); else ctx.moveTo(cx, cy);
    pen = true;
  }
}

/** Dots of radius r at the points inside `rect`. */
function traceDots(ctx, points, sx, sy, r, rect) {
  const x0 = rect.x - r, x1 = rect.x + rect.w + r, y0 = rect.y - r, y1 = rect.y + rect.h + r;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!p) continue;
    const x = sx.map(asNumber(p[0])), y = sy.map(asNumber(p[1]));
    if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1)) continue;
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
}

/** A marker of `kind` ("o", "+", "*", "v") at (x, y); `outline`, if given, edges the star. */
function marker(ctx, kind, x, y, size, style, outline) {
  ctx.beginPath();
  ctx.fillStyle = style;
  ctx.strokeStyle = style;
  if (kind === "o") {
    ctx.arc(x, y, size / 2, 0, 2 * Math.PI);
    ctx.fill();
  } else if (kind === "+") {
    ctx.moveTo(x - size / 2, y); ctx.lineTo(x + size / 2, y);
    ctx.moveTo(x, y - size / 2); ctx.lineTo(x, y + size / 2);
    ctx.lineWidth = 2;
    ctx.stroke();
  } else if (kind === "*") {
    const R = size / 2, r = R * 0.4;
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r : R;
      const px = x + rr * Math.cos(a), py = y + rr * Math.sin(a);
      if (k) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    }
    ctx.closePath();
    ctx.fill();
    if (outline) {
      ctx.strokeStyle = outline;
      ctx.lineWidth = 1.2;
      ctx.stroke();
    }
  } else if (kind === "v") {
    ctx.moveTo(x - size / 2, y - size / 2); ctx.lineTo(x + size / 2, y - size / 2); ctx.lineTo(x, y + size / 2);
    ctx.closePath();
    ctx.fill();
  }
}

/** The frame, ticks, tick labels, title and axis labels of one panel. */
function drawAxes(ctx, panel, th) {
  const { rect, sx, sy } = panel;
  ctx.strokeStyle = th.fg;
  ctx.fillStyle = th.fg;
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(Math.round(rect.x) + 0.5, Math.round(rect.y) + 0.5, Math.round(rect.w) - 1, Math.round(rect.h) - 1);
  const xt = ticks(sx, clamp(Math.floor(rect.w / 60), 3, 10));
  const yt = ticks(sy, Math.max(3, Math.floor(rect.h / 34)));
  ctx.beginPath();
  const bottom = rect.y + rect.h, left = rect.x;
  for (const t of xt) {
    const x = Math.round(sx.map(t.value)) + 0.5;
    ctx.moveTo(x, bottom); ctx.lineTo(x, bottom + 4);
  }
  const yPlaced = [];
  for (const t of yt) {
    const y = sy.map(t.value);
    if (!(y >= rect.y - 0.5 && y <= bottom + 0.5)) continue;
    ctx.moveTo(left, Math.round(y) + 0.5); ctx.lineTo(left - 4, Math.round(y) + 0.5);
  }
  ctx.stroke();
  // Tick labels, skipping any that would overlap one already placed (0 first on symlog).
  let lastRight = -Infinity;
  for (const t of xt) {
    const x = sx.map(t.value);
    const w = t.power ? 28 : (ctx.font = font(SIZE.tick), ctx.measureText(t.text).width);
    if (x - w / 2 < lastRight + 4) continue;
    drawTickLabel(ctx, t, x, bottom + 6, "center", "top");
    lastRight = x + w / 2;
  }
  const order = [...yt].sort((a, b) => (a.value === 0 ? -1 : b.value === 0 ? 1 : 0));
  for (const t of order) {
    const y = sy.map(t.value);
    if (!(y >= rect.y - 0.5 && y <= bottom + 0.5)) continue;
    if (yPlaced.some((p) => Math.abs(p - y) < 15)) continue;
    yPlaced.push(y);
    drawTickLabel(ctx, t, left - 6, y, "right", "middle");
  }
  ctx.fillStyle = th.fg;
  ctx.textBaseline = "alphabetic";
  if (panel.title) drawRich(ctx, panel.title, rect.x + rect.w / 2, rect.y - 8, SIZE.title, "center");
  if (panel.xlabel) drawRich(ctx, panel.xlabel, rect.x + rect.w / 2, bottom + 38, SIZE.label, "center");
  if (panel.ylabel) {
    ctx.save();
    ctx.translate(Math.max(panel.cell.x + 15, rect.x - MARGIN.left + 15), rect.y + rect.h / 2);
    ctx.rotate(-Math.PI / 2);
    drawRich(ctx, panel.ylabel, 0, 0, SIZE.label, "center");
    ctx.restore();
  }
}

/** A legend box: items {label, color, lw, dash} at a corner ("upper right"…) of the axes. */
function drawLegend(ctx, panel, items, loc, th) {
  const { rect } = panel;
  const pad = 5, handle = 26, gap = 6, row = 16;
  const width = pad * 2 + handle + gap + Math.max(...items.map((it) => richWidth(ctx, it.label, SIZE.legend)));
  const height = pad * 2 + row * items.length - 2;
  const x = loc.includes("right") ? rect.x + rect.w - width - 6 : rect.x + 6;
  const y = loc.includes("upper") ? rect.y + 6 : rect.y + rect.h - height - 6;
  ctx.save();
  ctx.beginPath();
  ctx.roundRect ? ctx.roundRect(x, y, width, height, 3) : ctx.rect(x, y, width, height);
  ctx.fillStyle = th.legendBg;
  ctx.fill();
  ctx.strokeStyle = th.legendEdge;
  ctx.lineWidth = 1;
  ctx.stroke();
  items.forEach((it, i) => {
    const cy = y + pad + row * i + row / 2 - 1;
    ctx.beginPath();
    ctx.moveTo(x + pad, cy);
    ctx.lineTo(x + pad + handle, cy);
    stroke(ctx, it.color, it.lw ?? 2, it.dash ?? "-");
    ctx.fillStyle = th.fg;
    ctx.textBaseline = "middle";
    drawRich(ctx, it.label, x + pad + handle + gap, cy, SIZE.legend);
  });
  ctx.restore();
}

// A quadratic's contours (quadraticContours), coloured by level, and its eigen-axes dashed.
function drawQuadraticContours(ctx, p, { segments, values, axes }, th, width) {
  const levels = values.filter(finite);
  const lo = Math.min(...levels), hi = Math.max(...levels);
  ctx.save();
  clipTo(ctx, p.rect);
  segments.forEach((seg, i) => {
    ctx.beginPath();
    tracePoints(ctx, seg, p.sx, p.sy);
    stroke(ctx, viridis(hi > lo ? (values[i] - lo) / (hi - lo) : 0.5, th.contourLift), width);
  });
  ctx.beginPath();
  for (const seg of axes) tracePoints(ctx, seg, p.sx, p.sy);
  stroke(ctx, th.grey55, width, "--");
  ctx.restore();
}

function clipTo(ctx, rect) {
  ctx.beginPath();
  ctx.rect(rect.x, rect.y, rect.w, rect.h);
  ctx.clip();
}

/** A curve y_t against t in `panel`, clipped to its box. */
function plotSeries(ctx, panel, ys, style, lw, dash = "-") {
  ctx.save();
  clipTo(ctx, panel.rect);
  ctx.beginPath();
  traceSeries(ctx, ys, panel.sx, panel.sy);
  stroke(ctx, style, lw, dash);
  ctx.restore();
}

/** A path through points [[x, y], …] in `panel`, clipped to its box; with dots of radius
 * `dots` at the points, if given. */
function plotPath(ctx, panel, points, style, lw, { dash = "-", dots = 0 } = {}) {
  ctx.save();
  clipTo(ctx, panel.rect);
  ctx.beginPath();
  tracePoints(ctx, points, panel.sx, panel.sy);
  stroke(ctx, style, lw, dash);
  if (dots > 0) {
    ctx.beginPath();
    traceDots(ctx, points, panel.sx, panel.sy, dots, panel.rect);
    ctx.fillStyle = style;
    ctx.fill();
  }
  ctx.restore();
}

// ------------------------------------------------------------------------------------
// Layout: the panels' rectangles for a width.

const KINDS = {
  quadratic: { ratios: [1, 1, 1], square: [true, false, false] },
  race: { ratios: [1.05, 1], square: [false, false] },
  minibatch: { ratios: [1, 1.15], square: [true, false] },
  noisy: { ratios: [1, 1.15], square: [true, false] },
  schedule: { ratios: [1, 1.15], square: [false, false] },
  // images: the panels that show a picture whose colours are data (Goh's map), not ink.
  momentum: { ratios: [1, 1, 1.3], square: [true, false, false], phone: [0, 0, 0.8], images: [2] },
};

function layout(kind, W) {
  const { ratios, square, phone } = KINDS[kind];
  const { left, right, top, bottom } = MARGIN;
  const cells = [];
  let H;
  const n = ratios.length;
  if (W >= Math.max(WIDE, n * PANEL_MIN)) { // All side by side.
    const total = ratios.reduce((a, b) => a + b, 0);
    H = clamp(Math.round((W / n) * 0.78), 260, 440);
    let x = 0;
    for (const r of ratios) {
      const w = (W * r) / total;
      cells.push({ x, y: 0, w, h: H });
      x += w;
    }
  } else if (W >= WIDE) { // Two per row; the last row's panels share its width.
    const h = clamp(Math.round((W / 2) * 0.78), 260, 440);
    for (let i = 0; i < n; i += 2) {
      const row = Math.min(2, n - i);
      for (let j = 0; j < row; j++) cells.push({ x: (W / row) * j, y: (i / 2) * (h + 8), w: W / row, h });
    }
    H = cells[cells.length - 1].y + h;
  } else { // Stacked, one panel per row (a phone).
    let y = 0;
    const pw = W - left - right;
    ratios.forEach((_, i) => {
      const ph = square[i] ? Math.min(pw, 440)
        : phone?.[i] ? clamp(Math.round(pw * phone[i]), 190, 440) // A kind's own height on a phone.
        : kind === "race" && i === 0 ? clamp(Math.round(pw * 0.85), 200, 420)
          : clamp(Math.round(pw * 0.62), 190, 300);
      const h = ph + top + bottom;
      cells.push({ x: 0, y, w: W, h });
      y += h + 6;
    });
    H = y - 6;
  }
  const rects = cells.map((c, i) => {
    let x = c.x + left, y = c.y + top, w = c.w - left - right, h = c.h - top - bottom;
    if (square[i]) {
      const s = Math.min(w, h);
      x += (w - s) / 2;
      y += (h - s) / 2;
      w = h = s;
    }
    return { x, y, w, h };
  });
  return { W, H, cells, rects, wide: W >= WIDE };
}

// ------------------------------------------------------------------------------------
// The panels of each kind: `base` (axes, contours), `top` (markers, legends), `curves`.

function quadraticAxes(values, result) {
  if (result && Array.isArray(result.lam) && Array.isArray(result.R)) return { lam: result.lam.map(asNumber), R: result.R.map((r) => r.map(asNumber)) };
  const l2 = values.saddle ? -values.lambda2 : values.lambda2;
  const a = (values.angle * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a);
  return { lam: [values.lambda1, l2], R: [[c, -s], [s, c]] };
}

const PANELS = {
  quadratic: {
    frame(view) {
      const { spec, values, result, geometry } = view;
      const ok = result && !result.error && Array.isArray(result.trajectory);
      const steps = ok ? result.trajectory.length - 1 : values.steps;
      const { lam, R } = quadraticAxes(values, ok ? result : null);
      const definite = lam[0] > 0 && lam[1] > 0;
      const bound = stepBound(steps);
      const h = spec.half;
      const [r0, r1, r2] = geometry.rects;
      const panels = [
        { rect: r0, sx: makeScale("linear", -h, h, r0.x, r0.x + r0.w), sy: makeScale("linear", -h, h, r0.y + r0.h, r0.y),
          title: "trajectory on the contours of L", xlabel: "θ₁", ylabel: "θ₂" },
        { rect: r1, sx: makeScale("linear", 0, bound, r1.x, r1.x + r1.w),
          sy: definite ? makeScale("log", 1e-16, 1e4, r1.y + r1.h, r1.y) : makeScale("symlog", -1e20, 1e4, r1.y + r1.h, r1.y, 1e-2),
          title: "loss", xlabel: "step t", ylabel: definite ? "L(θₜ) / L(θ₀)" : "L(θₜ) / |L(θ₀)|" },
        { rect: r2, sx: makeScale("linear", 0, bound, r2.x, r2.x + r2.w), sy: makeScale("log", h * 1e-12, h * 1e5, r2.y + r2.h, r2.y),
          title: "error along each eigenvector", xlabel: "step t", ylabel: "|yᵢ|,  y = Rᵀθₜ" },
      ];
      geometry.cells.forEach((c, i) => { panels[i].cell = c; });
      return { panels, key: JSON.stringify([definite, bound]), midKey: JSON.stringify([lam, R]), lam, R, definite, steps };
    },
    base(view, ctx, f) {
      for (const p of f.panels) drawAxes(ctx, p, view.theme);
    },
    mid(view, ctx, f) { // The contours: redrawn only when λ or the angle moves.
      drawQuadraticContours(ctx, f.panels[0], quadraticContours(f.lam, f.R, view.spec.half),
                            view.theme, 1.1);
    },
    top(view, ctx, f) {
      const th = view.theme;
      const p = f.panels[0];
      const init = view.spec.init;
      marker(ctx, "+", p.sx.map(0), p.sy.map(0), 12, th.fg);
      marker(ctx, "o", p.sx.map(init[0]), p.sy.map(init[1]), 7, th.fg);
      drawLegend(ctx, f.panels[2], [
        { label: "along λ₁'s eigenvector", color: color("C0") },
        { label: "along λ₂'s", color: color("C1") },
        { label: "predicted rate", color: th.fg, lw: 1.6, dash: ":" },
      ], "upper right", th);
    },
    curves(view, ctx, f) {
      const { result, spec } = view;
      const th = view.theme;
      const [pp, pl, pe] = f.panels;
      const traj = result.trajectory, losses = result.losses;
      const T = traj.length - 1;
      // (1) The trajectory, red, with small dots.
      plotPath(ctx, pp, traj, COLORS.red, 1.6, { dots: 1.8 });
      // (2) L(θ_t) / |L(θ₀)|; the steps where L is exactly 0 as ▼ at the bottom.
      const L0 = asNumber(result.L0);
      const scale = finite(L0) && L0 !== 0 ? Math.abs(L0) : 1;
      const ratio = new Array(losses.length);
      const zeros = [];
      for (let t = 0; t < losses.length; t++) {
        const l = asNumber(losses[t]);
        ratio[t] = l / scale;
        if (f.definite && l === 0) zeros.push(t);
      }
      plotSeries(ctx, pl, ratio, COLORS.red, 2);
      if (zeros.length) {
        const y = pl.sy.map(1e-16 * 10 ** 0.4);
        for (const t of zeros) marker(ctx, "v", pl.sx.map(t), y, 6, COLORS.red);
        ctx.fillStyle = COLORS.red;
        const lines = view.wrap("▼  L(θₜ) = 0 in float64: off the log axis", pl.rect.w * 0.92, SIZE.key);
        ctx.font = font(SIZE.key);
        ctx.textAlign = "right";
        ctx.textBaseline = "alphabetic";
        lines.forEach((line, i) => ctx.fillText(line, pl.rect.x + pl.rect.w * 0.97,
          pl.rect.y + pl.rect.h * 0.95 - (lines.length - 1 - i) * (SIZE.key + 3)));
      }
      // (3) |y_i| = |(θ_t R)_i| and, for linear methods, the predicted |y_i(0)| r_i^t.
      const R = f.R;
      const y1 = new Array(traj.length), y2 = new Array(traj.length);
      for (let t = 0; t < traj.length; t++) {
        const p = traj[t], a = p ? asNumber(p[0]) : NaN, b = p ? asNumber(p[1]) : NaN;
        y1[t] = Math.abs(a * R[0][0] + b * R[1][0]);
        y2[t] = Math.abs(a * R[0][1] + b * R[1][1]);
      }
      plotSeries(ctx, pe, y1, color("C0"), 2);
      plotSeries(ctx, pe, y2, color("C1"), 2);
      if (Array.isArray(result.rates)) {
        const init = spec.init;
        for (let i = 0; i < 2; i++) {
          const y0 = Math.abs(init[0] * R[0][i] + init[1] * R[1][i]);
          const r = asNumber(result.rates[i]);
          const pred = new Array(T + 1);
          for (let t = 0; t <= T; t++) pred[t] = Math.min(y0 * r ** t, 1e300);
          plotSeries(ctx, pe, pred, th.fg, 1.6, ":");
        }
      }
    },
  },

  race: {
    frame(view) {
      const { spec, geometry } = view;
      const [xmin, xmax, ymin, ymax] = spec.window;
      const [r0, r1] = geometry.rects;
      const Lstar = spec.minimum_value == null ? null : asNumber(spec.minimum_value);
      const L0 = view.raceL0();
      let sy, title;
      if (Lstar !== null) {
        const gap0 = Math.max(finite(L0) ? L0 - Lstar : 1, 1e-12);
        sy = makeScale("log", Math.max(gap0 * 1e-12, 1e-30), gap0 * 1e3, r1.y + r1.h, r1.y);
        title = "L(θₜ) − L*";
      } else {
        const s = Math.max(finite(L0) ? Math.abs(L0) : 1, 1e-3);
        sy = makeScale("symlog", -1e6 * s, 10 * s, r1.y + r1.h, r1.y, s / 10);
        title = "L(θₜ)  (unbounded below)";
      }
      const panels = [
        { rect: r0, sx: makeScale("linear", xmin, xmax, r0.x, r0.x + r0.w), sy: makeScale("linear", ymin, ymax, r0.y + r0.h, r0.y),
          title: `${spec.problem_name}: the optimizers' paths`, xlabel: "θ₁", ylabel: "θ₂" },
        { rect: r1, sx: makeScale("linear", 0, spec.steps, r1.x, r1.x + r1.w), sy, title, xlabel: "step t" },
      ];
      geometry.cells.forEach((c, i) => { panels[i].cell = c; });
      return { panels, key: JSON.stringify([L0]), Lstar };
    },
    base(view, ctx, f) {
      const th = view.theme;
      for (const p of f.panels) drawAxes(ctx, p, th);
      const p = f.panels[0];
      const lines = view.raceContours();
      const n = Math.max((view.spec.levels || []).length - 1, 1);
      ctx.save();
      clipTo(ctx, p.rect);
      for (const { level_index: k, paths } of lines) {
        ctx.beginPath();
        for (const path of paths) tracePoints(ctx, path, p.sx, p.sy);
        stroke(ctx, viridis(k / n, th.contourLift), 0.95);
      }
      ctx.restore();
    },
    top(view, ctx, f) {
      const { spec } = view;
      const th = view.theme;
      const p = f.panels[0];
      ctx.save();
      clipTo(ctx, p.rect);
      marker(ctx, "o", p.sx.map(spec.init[0]), p.sy.map(spec.init[1]), 7, th.fg);
      if (spec.minimum) marker(ctx, "*", p.sx.map(spec.minimum[0]), p.sy.map(spec.minimum[1]), 16, th.fg);
      if (spec.saddle_point) marker(ctx, "+", p.sx.map(spec.saddle_point[0]), p.sy.map(spec.saddle_point[1]), 13, th.fg);
      ctx.restore();
      drawLegend(ctx, f.panels[1], spec.entries.map((e) => ({ label: e.label, color: color(e.color) })), "upper right", th);
    },
    curves(view, ctx, f) {
      const { spec, result } = view;
      const [pp, pl] = f.panels;
      const [xmin, xmax, ymin, ymax] = spec.window;
      const span = Math.max(xmax - xmin, ymax - ymin);
      const runs = (result.runs || []).map((run, i) => ({ run, entry: spec.entries[i] || spec.entries.find((e) => e.label === run.label) }));
      // The run whose slider moved last goes on top.
      const last = runs.findIndex((r) => r.run.label === view.lastMoved);
      if (last >= 0) runs.push(runs.splice(last, 1)[0]);
      for (const { run, entry } of runs) {
        if (run.error || !Array.isArray(run.trajectory)) continue;
        const c = color(entry ? entry.color : "C0");
        const shown = run.trajectory.map((p) => p && [clamp(asNumber(p[0]), -1e6 * span, 1e6 * span), clamp(asNumber(p[1]), -1e6 * span, 1e6 * span)]);
        plotPath(ctx, pp, shown, c, 1.6, { dots: 1.5 });
        const gap = f.Lstar === null ? run.losses : run.losses.map((l) => asNumber(l) - f.Lstar);
        plotSeries(ctx, pl, gap, c, 2);
      }
    },
  },

  minibatch: {
    frame(view) {
      const { spec, geometry } = view;
      const [r0, r1] = geometry.rects;
      const m = spec.minimum, half = 4;
      const panels = [
        { rect: r0, sx: makeScale("linear", m[0] - half, m[0] + half, r0.x, r0.x + r0.w),
          sy: makeScale("linear", m[1] - half, m[1] + half, r0.y + r0.h, r0.y),
          title: "paths on the contours of L  (★: ŵ)", xlabel: "w₁", ylabel: "w₂" },
        { rect: r1, sx: makeScale("linear", 0, spec.steps, r1.x, r1.x + r1.w), sy: makeScale("log", 1e-6, 1e2, r1.y + r1.h, r1.y),
          title: "loss gap", xlabel: "step t", ylabel: "L(wₜ) − L(ŵ)" },
      ];
      geometry.cells.forEach((c, i) => { panels[i].cell = c; });
      return { panels, key: "" };
    },
    base(view, ctx, f) {
      const th = view.theme;
      for (const p of f.panels) drawAxes(ctx, p, th);
      // The ellipses ½ eᵀQe = c, 12 levels from 10⁻³·max to the max over the ±4 window.
      const { Q, minimum: m } = view.spec;
      const a = Q[0][0], b = (Q[0][1] + Q[1][0]) / 2, d = Q[1][1];
      const gapAt = (u, v) => 0.5 * (a * u * u + 2 * b * u * v + d * v * v);
      const top = Math.max(gapAt(4, 4), gapAt(4, -4));
      const mean = (a + d) / 2, rad = Math.hypot((a - d) / 2, b);
      const l1 = mean - rad, l2 = mean + rad; // Eigenvalues, l1 ≤ l2.
      const phi = 0.5 * Math.atan2(2 * b, a - d); // l2's eigenvector is (cos φ, sin φ).
      const c = Math.cos(phi), s = Math.sin(phi);
      const p = f.panels[0];
      ctx.save();
      clipTo(ctx, p.rect);
      for (let k = 0; k < 12; k++) {
        const level = top * 10 ** (-3 + (3 * k) / 11);
        const r2 = Math.sqrt((2 * level) / l2), r1 = Math.sqrt((2 * level) / l1);
        ctx.beginPath();
        for (let j = 0; j <= 160; j++) {
          const t = (2 * Math.PI * j) / 160;
          const u = r2 * Math.cos(t), v = r1 * Math.sin(t); // Along l2's, along l1's eigenvector.
          const x = p.sx.map(m[0] + u * c - v * s), y = p.sy.map(m[1] + u * s + v * c);
          if (j) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        }
        stroke(ctx, viridis(k / 11, th.contourLift), 1.1);
      }
      ctx.restore();
    },
    top(view, ctx, f) {
      const th = view.theme;
      const { spec } = view;
      const [pp, pl] = f.panels;
      marker(ctx, "o", pp.sx.map(spec.init[0]), pp.sy.map(spec.init[1]), 7, th.fg);
      marker(ctx, "*", pp.sx.map(spec.minimum[0]), pp.sy.map(spec.minimum[1]), 14, th.fg);
      drawLegend(ctx, pp, [
        { label: "minibatch SGD", color: COLORS.red, lw: 1.2 },
        { label: "gradient descent (B = N)", color: th.grey25, lw: 1.6, dash: "--" },
      ], "lower left", th);
      drawLegend(ctx, pl, [
        { label: "minibatch SGD", color: COLORS.red, lw: 1.3 },
        { label: "gradient descent", color: th.grey25, lw: 1.6, dash: "--" },
        { label: "noise floor E[L] − L(ŵ)", color: th.fg, lw: 2.1, dash: ":" },
        { label: "fixed-noise formula (for α ≪ α_{B})", color: th.grey55, lw: 1.5, dash: "-." },
      ], "upper right", th); // Above the floor, where the curves have left: nothing hidden.
    },
    curves(view, ctx, f) {
      const { spec, result } = view;
      const th = view.theme;
      const [pp, pl] = f.panels;
      const m = spec.minimum;
      const T = spec.steps;
      for (const [key, style, lw, dash] of [["gd", th.grey25, 1.6, "--"], ["sgd", COLORS.red, 1.2, "-"]]) {
        const path = result[key];
        if (!Array.isArray(path)) continue;
        const rows = path.map((p) => (p ? [asNumber(p[0]), asNumber(p[1])] : [NaN, NaN]));
        const shown = rows.map(([x, y]) => [clamp(x, m[0] - 1e6, m[0] + 1e6), clamp(y, m[1] - 1e6, m[1] + 1e6)]);
        plotPath(ctx, pp, shown, style, lw, { dash });
        const gaps = lossGap(spec, shown);
        const curve = rows.map(([x, y], t) => (finite(x) && finite(y) ? asNumber(gaps[t]) : NaN));
        plotSeries(ctx, pl, curve, style, key === "sgd" ? 1.3 : 1.6, dash);
      }
      ctx.save();
      clipTo(ctx, pl.rect);
      for (const [key, style, lw, dash] of [["floor", th.fg, 2.1, ":"], ["fixed", th.grey55, 1.5, "-."]]) {
        const v = asNumber(result[key]);
        if (!(v > 0 && v < Infinity)) continue;
        const y = pl.sy.map(v);
        ctx.beginPath();
        ctx.moveTo(pl.sx.map(0), y);
        ctx.lineTo(pl.sx.map(T), y);
        stroke(ctx, style, lw, dash);
      }
      ctx.restore();
    },
  },

  noisy: {
    frame(view) {
      const { spec, values, geometry } = view;
      const [r0, r1] = geometry.rects;
      const h = spec.half, T = spec.steps;
      const lam = [values.lambda1, values.lambda2], y0 = spec.init_eigen;
      const L0 = 0.5 * (lam[0] * y0[0] * y0[0] + lam[1] * y0[1] * y0[1]);
      const top = Math.ceil(Math.log10(L0)) + 2; // Ten decades down from 100·L(θ₀).
      const constant = values.decay === "off";
      const panels = [
        { rect: r0, sx: makeScale("linear", -h, h, r0.x, r0.x + r0.w), sy: makeScale("linear", -h, h, r0.y + r0.h, r0.y),
          title: "the runs on the contours of L", xlabel: "θ₁", ylabel: "θ₂" },
        { rect: r1, sx: makeScale("linear", 0, T, r1.x, r1.x + r1.w), sy: makeScale("log", 10 ** (top - 10), 10 ** top, r1.y + r1.h, r1.y),
          title: "loss", xlabel: "step t", ylabel: "L(θₜ)" },
      ];
      geometry.cells.forEach((c, i) => { panels[i].cell = c; });
      return { panels, key: JSON.stringify([top, constant]), midKey: JSON.stringify(lam), lam, constant };
    },
    base(view, ctx, f) {
      for (const p of f.panels) drawAxes(ctx, p, view.theme);
    },
    mid(view, ctx, f) { // The contours: redrawn only when λ moves.
      drawQuadraticContours(ctx, f.panels[0],
                            quadraticContours(f.lam, view.spec.R, view.spec.half), view.theme, 1.0);
    },
    top(view, ctx, f) {
      const th = view.theme, { spec } = view;
      const [pp, pl] = f.panels;
      ctx.save();
      clipTo(ctx, pp.rect);
      marker(ctx, "o", pp.sx.map(spec.init[0]), pp.sy.map(spec.init[1]), 7, th.fg);
      marker(ctx, "+", pp.sx.map(0), pp.sy.map(0), 12, th.fg);
      ctx.restore();
      drawLegend(ctx, pp, [
        { label: `${spec.paths} of the runs; • every run's θ_{T}`, color: color("C0"), lw: 1.2 },
        { label: "their mean", color: COLORS.red, lw: 2.2 },
        { label: f.constant ? "noise ball ±2σ (stationary)" : "predicted ±2σ at step T", color: th.fg, lw: 1.5, dash: "--" },
      ], "lower left", th);
      drawLegend(ctx, pl, [
        { label: "the runs' mean loss", color: color("C0"), lw: 1.3 },
        { label: "exact E[L_{t}]", color: th.fg, lw: 1.8, dash: "--" },
        { label: "floor of the constant α", color: th.grey55, lw: 2, dash: ":" },
      ], "upper right", th);
    },
    curves(view, ctx, f) {
      const { result, spec } = view;
      const th = view.theme;
      const [pp, pl] = f.panels;
      const R = spec.R, T = spec.steps;
      // A path is drawn until it leaves the window by far: one line out, not a band of
      // segments between points at ±10¹⁰⁰ (the texts say what happened).
      const far = 4 * spec.half;
      const shown = (path) => {
        const out = [];
        for (const p of path) {
          const x = p ? asNumber(p[0]) : NaN, y = p ? asNumber(p[1]) : NaN;
          if (!(finite(x) && finite(y))) break;
          out.push([x, y]);
          if (Math.abs(x) > far || Math.abs(y) > far) break;
        }
        return out;
      };
      // (1) A few runs' paths, faint; every run's θ_T as a dot.
      ctx.save();
      clipTo(ctx, pp.rect);
      ctx.globalAlpha = 0.35;
      ctx.beginPath();
      for (const path of result.paths || []) tracePoints(ctx, shown(path), pp.sx, pp.sy);
      stroke(ctx, color("C0"), 0.9);
      ctx.globalAlpha = 0.8;
      ctx.beginPath();
      traceDots(ctx, result.final || [], pp.sx, pp.sy, 2.2, pp.rect);
      ctx.fillStyle = color("C0");
      ctx.fill();
      ctx.restore();
      // (2) The ±2σ ellipse: the stationary ball around θ* (constant α), else θ_T's exact one.
      const v = (f.constant ? result.stationary_variance : result.variance_T) || [NaN, NaN];
      const m = f.constant ? [0, 0] : (result.mean_T || [NaN, NaN]).map(asNumber);
      const a = 2 * Math.sqrt(asNumber(v[0])), b = 2 * Math.sqrt(asNumber(v[1]));
      if (finite(a) && finite(b) && finite(m[0]) && finite(m[1])) {
        const ring = [];
        for (let j = 0; j <= 120; j++) {
          const u = (2 * Math.PI * j) / 120, y0 = m[0] + a * Math.cos(u), y1 = m[1] + b * Math.sin(u);
          ring.push([R[0][0] * y0 + R[0][1] * y1, R[1][0] * y0 + R[1][1] * y1]); // θ = R y.
        }
        plotPath(ctx, pp, ring, th.fg, 1.5, { dash: "--" });
      }
      // (3) The cloud's mean path, bold.
      plotPath(ctx, pp, shown(result.mean_path || []), COLORS.red, 2.2);
      // (4) The loss: the runs' mean, the exact E[L_t], the constant α's floor.
      plotSeries(ctx, pl, result.mean_loss || [], color("C0"), 1.3);
      plotSeries(ctx, pl, result.expected_loss || [], th.fg, 1.8, "--");
      const floor = asNumber(result.floor);
      if (floor > 0 && floor < Infinity) plotSeries(ctx, pl, new Array(T + 1).fill(floor), th.grey55, 2, ":");
    },
  },

  schedule: {
    frame(view) {
      const { spec, geometry } = view;
      const [r0, r1] = geometry.rects;
      const T = spec.steps, lam = spec.eigenvalues, y0 = spec.init_eigen;
      const L0 = 0.5 * (lam[0] * y0[0] * y0[0] + lam[1] * y0[1] * y0[1]);
      const top = Math.ceil(Math.log10(L0)) + 2;
      const panels = [
        { rect: r0, sx: makeScale("linear", 0, T, r0.x, r0.x + r0.w), sy: makeScale("log", 1e-5, 10, r0.y + r0.h, r0.y),
          title: "the schedule", xlabel: "step t", ylabel: "α_{t}" },
        { rect: r1, sx: makeScale("linear", 0, T, r1.x, r1.x + r1.w), sy: makeScale("log", 10 ** (top - 9), 10 ** top, r1.y + r1.h, r1.y),
          title: "loss on the noisy quadratic", xlabel: "step t", ylabel: "L(θₜ)" },
      ];
      geometry.cells.forEach((c, i) => { panels[i].cell = c; });
      return { panels, key: "" };
    },
    base(view, ctx, f) {
      const th = view.theme;
      for (const p of f.panels) drawAxes(ctx, p, th);
      const p = f.panels[0], limit = 2 / Math.max(...view.spec.eigenvalues);
      ctx.save();
      clipTo(ctx, p.rect);
      ctx.beginPath();
      ctx.moveTo(p.rect.x, p.sy.map(limit));
      ctx.lineTo(p.rect.x + p.rect.w, p.sy.map(limit));
      stroke(ctx, COLORS.red, 1.3, "--");
      ctx.restore();
    },
    top(view, ctx, f) {
      const th = view.theme;
      const [ps, pl] = f.panels;
      drawLegend(ctx, ps, [
        { label: "α_{t}", color: color("C0"), lw: 2 },
        { label: "2/λ_{max}: above it the runs grow", color: COLORS.red, lw: 1.3, dash: "--" },
      ], "lower left", th);
      drawLegend(ctx, pl, [
        { label: "the runs' mean loss", color: color("C0"), lw: 1.3 },
        { label: "exact E[L_{t}]", color: th.fg, lw: 1.8, dash: "--" },
        { label: "floor of a constant α = α_{t}", color: th.grey55, lw: 2, dash: ":" },
      ], "upper right", th);
    },
    curves(view, ctx, f) {
      const { result, spec } = view;
      const th = view.theme;
      const [ps, pl] = f.panels;
      const rates = result.learning_rates || [];
      plotSeries(ctx, ps, rates, color("C0"), 2);
      const lam = spec.eigenvalues, s = spec.noise;
      plotSeries(ctx, pl, rates.map((alpha) => noisyFloor(asNumber(alpha), lam, s)), th.grey55, 2, ":");
      plotSeries(ctx, pl, result.mean_loss || [], color("C0"), 1.3);
      plotSeries(ctx, pl, result.expected_loss || [], th.fg, 1.8, "--");
    },
  },

  momentum: {
    frame(view) {
      const { spec, values, result, geometry } = view;
      const ok = !!(result && !result.error && Array.isArray(result.trajectory));
      const shown = (ok && view.resultValues) || values; // The values the result answers.
      const steps = ok ? result.trajectory.length - 1 : values.steps;
      const bound = stepBound(steps);
      const lam = ok ? result.lam.map(asNumber) : [values.lambda1, values.lambda2];
      const a = (spec.angle * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a);
      const R = ok ? result.R.map((row) => row.map(asNumber)) : [[c, -s], [s, c]];
      const h = spec.half, [lo, hi] = spec.loss_range;
      const alphas = spec.map_alphas, betas = spec.map_betas;
      const [r0, r1, r2] = geometry.rects;
      const rm = { ...r2, w: r2.w - COLORBAR.room }; // The map; its colour bar to the right.
      const panels = [
        { rect: r0, sx: makeScale("linear", -h, h, r0.x, r0.x + r0.w), sy: makeScale("linear", -h, h, r0.y + r0.h, r0.y),
          title: "trajectory on the contours of L", xlabel: "θ₁", ylabel: "θ₂" },
        { rect: r1, sx: makeScale("linear", 0, bound, r1.x, r1.x + r1.w), sy: makeScale("log", lo, hi, r1.y + r1.h, r1.y),
          title: "loss", xlabel: "step t", ylabel: "L(θₜ) / L(θ₀)" },
        { rect: rm, sx: makeScale("log", alphas[0], alphas[alphas.length - 1], rm.x, rm.x + rm.w),
          sy: makeScale("linear", betas[0], betas[betas.length - 1], rm.y + rm.h, rm.y),
          title: "ρ over (α, β):  ★ optimum,  red ● now", xlabel: "learning rate α", ylabel: "momentum β" },
      ];
      geometry.cells.forEach((cell, i) => { panels[i].cell = cell; });
      return { panels, key: JSON.stringify([bound, shown.optimizer]), midKey: JSON.stringify([lam, shown.optimizer, ok]),
               lam, R, method: shown.optimizer, ok };
    },
    base(view, ctx, f) {
      const th = view.theme;
      for (const p of f.panels) drawAxes(ctx, p, th);
      drawRateColorbar(ctx, f.panels[2], th);
    },
    mid(view, ctx, f) { // Contours and Goh's map: redrawn only when λ or the method moves.
      const th = view.theme, [pc, , pm] = f.panels, { result, spec } = view;
      drawQuadraticContours(ctx, pc, quadraticContours(f.lam, f.R, spec.half), th, 1.1);
      if (!f.ok || !Array.isArray(result.map)) return;
      const betas = spec.map_betas, top = betas[betas.length - 1];
      const lamMax = Math.max(...f.lam), many = 120;
      const limit = (beta) => (f.method === "gd" ? 2 / lamMax : f.method === "heavy_ball" ? (2 * (1 + beta)) / lamMax
        : (2 * (1 + beta)) / ((1 + 2 * beta) * lamMax)); // The largest stable α at β.
      drawRateMap(ctx, pm, spec, result.map, th, limit);
      ctx.save();
      clipTo(ctx, pm.rect);
      // Critical damping of each eigencomponent: the roots of its recurrence meet.
      if (f.method !== "gd") {
        ctx.beginPath();
        for (const l of f.lam) {
          const curve = [];
          for (let k = 0; k <= many; k++) {
            const alpha = 10 ** (Math.log10(pm.sx.lo) + ((Math.log10(pm.sx.hi) - Math.log10(pm.sx.lo)) * k) / many);
            const root = Math.sqrt(alpha * l);
            const beta = f.method === "heavy_ball" ? (1 - root) ** 2 : root <= 1 ? (1 - root) / (1 + root) : NaN;
            const inside = finite(beta) && beta <= top && alpha < limit(beta); // Where ρ < 1 only.
            curve.push(inside ? [alpha, beta] : [NaN, NaN]);
          }
          tracePoints(ctx, curve, pm.sx, pm.sy);
        }
        stroke(ctx, CRITICAL_COLOR, 1.4, "--");
      }
      // ρ = 1, the edge of the convergence region: α = limit(β) for λ_max.
      const edge = [];
      for (let k = 0; k <= many; k++) {
        const beta = (top * k) / many;
        edge.push([limit(beta), beta]);
      }
      ctx.beginPath();
      tracePoints(ctx, edge, pm.sx, pm.sy);
      stroke(ctx, th.fg, 1.8);
      ctx.restore();
      ctx.strokeStyle = th.fg; // The frame again, over the map's edge.
      ctx.lineWidth = 1;
      const r = pm.rect;
      ctx.strokeRect(Math.round(r.x) + 0.5, Math.round(r.y) + 0.5, Math.round(r.w) - 1, Math.round(r.h) - 1);
      // The optimum of the method: a white star edged in black, seen on every colour (whole,
      // also at β = 0, on the frame).
      const [bestAlpha, bestBeta] = result.optimal.map(asNumber);
      const sx = pm.sx.map(bestAlpha), sy = pm.sy.map(bestBeta);
      if (sx >= r.x && sx <= r.x + r.w && finite(sy)) marker(ctx, "*", sx, sy, 17, "#ffffff", "#000000"); // White, edged in black.
    },
    /**
     * A kernel's MomentumExplorer sends Goh's map only when λ or the method changed
     * (MomentumExplorer._on_the_wire): a result without one reuses the last map received for
     * the same λ and method, or computes it here (the same numbers: the parity test).
     */
    received(view, result) {
      if (result.error || !Array.isArray(result.lam)) return result;
      const method = result._values ? result._values.optimizer : view.values.optimizer;
      const key = JSON.stringify([result.lam, method]);
      if (Array.isArray(result.map)) {
        view.kernelMap = { key, map: result.map };
        return result;
      }
      const map = view.kernelMap && view.kernelMap.key === key ? view.kernelMap.map
        : rateMap(view.spec, result.lam.map(asNumber), method);
      return { ...result, map };
    },
    top(view, ctx, f) {
      const th = view.theme, { spec } = view;
      const [pc, pl, pm] = f.panels;
      marker(ctx, "+", pc.sx.map(0), pc.sy.map(0), 12, th.fg);
      marker(ctx, "o", pc.sx.map(spec.init[0]), pc.sy.map(spec.init[1]), 7, th.fg);
      drawLegend(ctx, pl, [
        { label: "L(θ_{t}) / L(θ_{0})", color: COLORS.red, lw: 2 },
        { label: "C ρ^{2t}: the predicted rate", color: th.fg, lw: 1.6, dash: "--" },
      ], "upper right", th);
      drawLegend(ctx, pm, [
        { label: "ρ = 1: edge of convergence", color: th.fg, lw: 1.8 },
        ...(f.method === "gd" ? [] // First order: no damping regimes.
          : [{ label: "critical damping of λ_{1}, λ_{2}", color: CRITICAL_COLOR, lw: 1.4, dash: "--" }]),
      ], "upper left", th);
    },
    curves(view, ctx, f) {
      const { result, values } = view;
      const th = view.theme;
      const [pc, pl, pm] = f.panels;
      const traj = result.trajectory, losses = result.losses;
      plotPath(ctx, pc, traj, COLORS.red, 1.6, { dots: 1.8 });
      const L0 = asNumber(result.L0);
      const ratio = losses.map((l) => asNumber(l) / L0);
      plotSeries(ctx, pl, ratio, COLORS.red, 2);
      // The predicted rate: L ∝ ρ^{2t}, scaled by the smallest C that lies on or above the
      // loss over the last half of the steps it is drawn (so the slopes can be compared).
      const rho = asNumber(result.rate);
      if (rho > 0 && finite(rho)) {
        const log = Math.log(rho) * 2;
        let last = -1;
        for (let t = 0; t < ratio.length; t++) if (ratio[t] > 0 && finite(ratio[t])) last = t;
        let C = 0; // log C.
        if (last >= 0) {
          C = -Infinity;
          for (let t = Math.floor(last / 2); t <= last; t++) {
            if (ratio[t] > 0 && finite(ratio[t])) C = Math.max(C, Math.log(ratio[t]) - log * t);
          }
        }
        const predicted = ratio.map((_, t) => Math.exp(Math.min(C + log * t, 700)));
        plotSeries(ctx, pl, predicted, th.fg, 1.6, "--");
      }
      // Where (α, β) is on the map: β = 0 for gradient descent, which has none.
      const alpha = asNumber(values.learning_rate), beta = values.optimizer === "gd" ? 0 : asNumber(values.momentum);
      const x = pm.sx.map(alpha), y = pm.sy.map(beta);
      if (finite(x) && finite(y)) {
        ctx.save();
        clipTo(ctx, { x: pm.rect.x - 6, y: pm.rect.y - 6, w: pm.rect.w + 12, h: pm.rect.h + 12 });
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.fillStyle = COLORS.red;
        ctx.fill();
        ctx.lineWidth = 1.6;
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
        ctx.restore();
      }
    },
  },
};

// ------------------------------------------------------------------------------------
// Goh's map of a MomentumExplorer: ρ over (α, β) as an image, and its colour bar.

const COLORBAR = { room: 62, gap: 10, width: 11 }; // CSS px right of the map: gap, bar, labels.
const CRITICAL_COLOR = "#ff7f0e"; // C1: seen on every colour of viridis but its yellow end.
const DIVERGED = { light: [205, 205, 205], dark: [88, 88, 88] }; // ρ ≥ 1: no convergence.
const RATE_DECADES = 4; // The colour scale: log₁₀(1 − ρ) from −4 (ρ = 0.9999) to 0 (ρ = 0).
let VIRIDIS_RGB = null;

/** viridis at 256 levels, as [r, g, b] (no lift: the map looks the same in both themes). */
function viridisTable() {
  if (VIRIDIS_RGB) return VIRIDIS_RGB;
  const stops = COLORS.viridis.map(hexToRgb);
  VIRIDIS_RGB = Array.from({ length: 256 }, (_, k) => {
    const u = (k / 255) * (stops.length - 1), i = Math.min(Math.floor(u), stops.length - 2), f = u - i;
    return stops[i].map((x, j) => Math.round(x + (stops[i + 1][j] - x) * f));
  });
  return VIRIDIS_RGB;
}

/** The colour of a rate: viridis by log₁₀(1 − ρ), bright = fast; grey where ρ ≥ 1. */
function rateColor(rho, dark) {
  if (!(rho < 1)) return DIVERGED[dark ? "dark" : "light"];
  const t = clamp(1 + Math.log10(1 - rho) / RATE_DECADES, 0, 1);
  return viridisTable()[Math.round(t * 255)];
}

/** The height on the colour bar (0 bottom, 1 top) of a rate ρ < 1: its log₁₀(1 − ρ). */
const barPosition = (rho) => clamp(-Math.log10(1 - rho) / RATE_DECADES, 0, 1);

/**
 * ρ over the spec's grid (rows β, columns α) as an image in the panel, cell centres on the
 * grid, smoothed; grey outside the convergence region {α < limit(β)}, whose edge is drawn
 * exactly (a grid of cells would draw it as a staircase).
 */
function drawRateMap(ctx, panel, spec, map, th, limit) {
  const nb = map.length, na = map[0].length;
  const image = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(na, nb) : document.createElement("canvas");
  image.width = na;
  image.height = nb;
  const ictx = image.getContext("2d");
  const data = ictx.createImageData(na, nb);
  const dark = th === THEMES.dark;
  for (let j = 0; j < nb; j++) {
    const row = map[nb - 1 - j]; // The top row of the image is the largest β.
    let inside = viridisTable()[0];
    for (let i = 0; i < na; i++) {
      // A cell past the edge (ρ ≥ 1) repeats its row's last colour inside: the smoothing then
      // blends no band of grey or of ρ → 1 into the region, whose edge the clip draws.
      const rho = asNumber(row[i]);
      const rgb = rho < 1 ? (inside = rateColor(rho, dark)) : inside, o = 4 * (j * na + i);
      data.data[o] = rgb[0];
      data.data[o + 1] = rgb[1];
      data.data[o + 2] = rgb[2];
      data.data[o + 3] = 255;
    }
  }
  ictx.putImageData(data, 0, 0);
  const alphas = spec.map_alphas, betas = spec.map_betas;
  const x0 = panel.sx.map(alphas[0]), x1 = panel.sx.map(alphas[na - 1]);
  const y0 = panel.sy.map(betas[0]), y1 = panel.sy.map(betas[nb - 1]);
  const cw = (x1 - x0) / (na - 1), ch = (y0 - y1) / (nb - 1);
  ctx.save();
  clipTo(ctx, panel.rect);
  const [r, g, b] = DIVERGED[dark ? "dark" : "light"];
  ctx.fillStyle = `rgb(${r},${g},${b})`;
  ctx.fillRect(panel.rect.x, panel.rect.y, panel.rect.w, panel.rect.h);
  ctx.beginPath(); // The convergence region: left of α = limit(β).
  ctx.moveTo(panel.rect.x - 1, y0 + 1);
  for (let k = 0; k <= 120; k++) {
    const beta = betas[0] + ((betas[nb - 1] - betas[0]) * k) / 120;
    ctx.lineTo(clamp(panel.sx.map(limit(beta)), -FAR, FAR), panel.sy.map(beta) + (k === 0 ? 1 : k === 120 ? -1 : 0));
  }
  ctx.lineTo(panel.rect.x - 1, y1 - 1);
  ctx.closePath();
  ctx.clip();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, x0 - cw / 2, y1 - ch / 2, na * cw, nb * ch);
  ctx.restore();
}

/** The colour bar of ρ right of the map, with "ρ ≥ 1" in grey above it. */
function drawRateColorbar(ctx, panel, th) {
  const { rect } = panel;
  const x = rect.x + rect.w + COLORBAR.gap, w = COLORBAR.width;
  const swatch = 16, top = rect.y + swatch + 6, h = rect.y + rect.h - top;
  const dark = th === THEMES.dark;
  for (let k = 0; k < h; k++) { // One line per pixel, from ρ = 0 (bottom) up.
    const u = (h - k - 0.5) / h, rho = 1 - 10 ** (-RATE_DECADES * u);
    const [r, g, b] = rateColor(rho, dark);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, top + k, w, 1.5);
  }
  const [r, g, b] = DIVERGED[dark ? "dark" : "light"];
  ctx.fillStyle = `rgb(${r},${g},${b})`;
  ctx.fillRect(x, rect.y, w, swatch);
  ctx.strokeStyle = th.fg;
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, top + 0.5, w - 1, h - 1);
  ctx.strokeRect(x + 0.5, rect.y + 0.5, w - 1, swatch - 1);
  ctx.fillStyle = th.fg;
  ctx.font = font(SIZE.tick);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  ctx.fillText("≥ 1", x + w + 4, rect.y + swatch / 2);
  for (const rho of [0, 0.9, 0.99, 0.999]) {
    const y = top + h - barPosition(rho) * h;
    ctx.beginPath();
    ctx.moveTo(x + w, Math.round(y) + 0.5);
    ctx.lineTo(x + w + 3, Math.round(y) + 0.5);
    ctx.stroke();
    ctx.fillText(String(rho), x + w + 4, y);
  }
  ctx.textBaseline = "alphabetic";
  drawRich(ctx, "ρ", x + w / 2, rect.y + rect.h + 38, SIZE.label, "center"); // Level with the α label.
}

// ------------------------------------------------------------------------------------
// The controls.

function controlText(control, value) {
  if (control.type === "checkbox") return value ? "on" : "off";
  if (control.type === "select") return String(value);
  if (control.type === "int" || control.type === "choice") return String(value);
  const unit = control.unit ?? (control.name === "angle" ? "°" : "");
  return fmt(value) + unit;
}

/** One control: label, native input, readout. Returns {row, set(value), shown(values)}. */
function makeControl(control, initial, onChange) {
  const id = `dx-${++counter}-${String(control.name).replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const row = document.createElement("div");
  row.className = `dx-control dx-${control.type}`;
  row.dataset.name = control.name;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = control.label ?? control.name;
  row.appendChild(label);
  const name = control.label ?? control.name;
  let input, readout = null, read, write;
  if (control.type === "select") {
    input = document.createElement("select");
    control.options.forEach((option, i) => {
      const o = document.createElement("option");
      o.value = String(option);
      o.textContent = String(control.labels?.[i] ?? option); // A menu's own text for a value, if given.
      input.appendChild(o);
    });
    read = () => input.value;
    write = (v) => { input.value = String(v); };
  } else if (control.type === "checkbox") {
    input = document.createElement("input");
    input.type = "checkbox";
    read = () => input.checked;
    write = (v) => { input.checked = !!v; };
  } else {
    input = document.createElement("input");
    input.type = "range";
    readout = document.createElement("output");
    readout.className = "dx-readout";
    readout.htmlFor = id;
    if (control.type === "log") { // Positions k: value = 10^(log10(initial) + k·step).
      const step = control.step ?? 0.01;
      const center = Math.log10(initial);
      const kmin = -Math.floor((center - Math.log10(control.min)) / step + 1e-9);
      const kmax = Math.floor((Math.log10(control.max) - center) / step + 1e-9);
      Object.assign(input, { min: kmin, max: kmax, step: 1 });
      read = () => { const k = Number(input.value); return k === 0 ? initial : 10 ** (center + k * step); };
      write = (v) => { input.value = String(clamp(Math.round((Math.log10(v) - center) / step), kmin, kmax)); };
    } else if (control.type === "choice") {
      Object.assign(input, { min: 0, max: control.options.length - 1, step: 1 });
      read = () => control.options[Number(input.value)];
      write = (v) => { const i = control.options.indexOf(v); input.value = String(i >= 0 ? i : 0); };
    } else { // linear, int
      Object.assign(input, { min: control.min, max: control.max, step: control.step ?? (control.type === "int" ? 1 : "any") });
      read = () => (control.type === "int" ? Math.round(Number(input.value)) : Number(input.value));
      write = (v) => { input.value = String(v); };
    }
  }
  input.id = id;
  input.setAttribute("aria-label", name);
  row.appendChild(input);
  if (readout) row.appendChild(readout);
  else if (control.type === "checkbox") row.appendChild(document.createElement("span"));
  const show = (v) => {
    if (!readout) return;
    const text = controlText(control, v);
    readout.textContent = text;
    const symbol = control.symbol ?? control.label ?? control.name;
    input.setAttribute("aria-valuetext", `${symbol} = ${text}`);
  };
  write(initial);
  show(initial);
  const event = input.type === "range" ? "input" : "change";
  input.addEventListener(event, () => {
    const v = read();
    show(v);
    onChange(control.name, v);
  });
  return {
    row,
    input,
    set(v) { write(v); show(v); },
    shown(values) {
      // Shown only while the control `shown_by` (the optimizer menu unless named) is one of
      // `shown_for`: the β's of an optimizer, the warm-up of a schedule.
      if (!control.shown_for) return;
      const on = control.shown_for.includes(values[control.shown_by ?? "optimizer"]);
      row.hidden = !on;
      input.disabled = !on;
    },
  };
}

// ------------------------------------------------------------------------------------
// The view: one explorer on the page.

class ExplorerView {
  constructor(host, spec, values, model = null, result = null) {
    addStyle();
    if (!PANELS[spec.kind]) throw new Error(`descent explorer: unknown kind ${JSON.stringify(spec.kind)}`);
    this.host = host;
    this.spec = spec;
    this.values = { ...values };
    this.model = model;
    this.result = this.received(result);
    this.lastMoved = null;
    this.timings = [];
    this.frameKey = null;
    this.pending = 0;
    this.timer = 0;
    this.width = 0;
    this.wrapCache = new Map();
    this.cleanups = [];

    const root = (this.root = document.createElement("div"));
    root.className = "dx-root";
    // JupyterLab's command-mode shortcuts (arrow keys move between cells) must not take the
    // keys a reader presses on a slider: Lumino skips events from inside such an element.
    root.setAttribute("data-lm-suppress-shortcuts", "true");
    root.setAttribute("data-p-suppress-shortcuts", "true");
    // And its notebook must not see them at all (it cancels arrow keys in command mode and
    // takes the focus back to its active cell): the keys that move a control stay in the
    // explorer. Others (Ctrl+S, Shift+Enter…) go on to the notebook.
    const own = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown", " "]);
    for (const type of ["keydown", "keypress", "keyup"]) {
      root.addEventListener(type, (event) => {
        if (own.has(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) event.stopPropagation();
      });
    }
    const controls = document.createElement("div");
    controls.className = "dx-controls";
    this.controls = {};
    for (const control of spec.controls || []) {
      if (!(control.name in this.values)) this.values[control.name] = control.type === "choice" ? control.options[0] : control.min ?? false;
      const c = makeControl(control, this.values[control.name], (name, v) => this.onInput(name, v));
      this.controls[control.name] = c;
      controls.appendChild(c.row);
    }
    const statusBox = document.createElement("div");
    statusBox.className = "dx-status";
    this.texts = {};
    for (const part of ["facts", "info", "alert"]) {
      const div = document.createElement("div");
      div.className = `dx-${part}`;
      if (part === "alert") div.setAttribute("aria-live", "polite");
      statusBox.appendChild(div);
      this.texts[part] = { div, text: null };
    }
    const figure = document.createElement("div");
    figure.className = "dx-figure";
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", spec.title || "explorer");
    figure.appendChild(this.canvas);
    this.errorBox = document.createElement("div");
    this.errorBox.className = "dx-error";
    this.errorBox.setAttribute("role", "alert");
    root.append(controls, statusBox, figure, this.errorBox);
    host.appendChild(root);
    this.ctx = this.canvas.getContext("2d");
    this.syncShown();

    this.theme = THEMES.light;
    this.applyTheme();
    const onTheme = () => { if (this.applyTheme()) { this.frameKey = null; this.schedule(); } };
    const observer = new MutationObserver(onTheme);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (document.body) observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
    this.cleanups.push(() => observer.disconnect());
    if (typeof matchMedia === "function") {
      const media = matchMedia("(prefers-color-scheme: dark)");
      media.addEventListener?.("change", onTheme);
      this.cleanups.push(() => media.removeEventListener?.("change", onTheme));
    }
    if (typeof ResizeObserver === "function") {
      const resize = new ResizeObserver((entries) => {
        const w = Math.floor(entries[entries.length - 1].contentRect.width);
        if (w > 0 && w !== this.width) this.resize(w);
      });
      resize.observe(root);
      this.cleanups.push(() => resize.disconnect());
    }
    this.resize(Math.floor(root.clientWidth) || 0, true);
  }

  /** Follow the page's theme; true if it changed. */
  applyTheme() {
    const { dark, explicit } = pageTheme();
    const theme = dark ? THEMES.dark : THEMES.light;
    this.root.classList.toggle("dx-dark", dark);
    this.root.classList.toggle("dx-own-bg", dark && !explicit);
    const changed = theme !== this.theme;
    this.theme = theme;
    return changed;
  }

  resize(width, now = false) {
    if (!(width > 0)) return;
    this.width = width;
    this.root.classList.toggle("dx-two", width >= TWO_COLUMNS);
    this.frameKey = null;
    if (now) this.redraw(); else this.schedule();
  }

  syncShown() {
    for (const c of Object.values(this.controls)) c.shown(this.values);
  }

  // -- Values in, results in -----------------------------------------------------------

  onInput(name, value) {
    this.values = { ...this.values, [name]: value };
    if (this.spec.kind === "race") this.lastMoved = name;
    if (name === "optimizer" || (this.spec.controls || []).some((c) => c.shown_by === name)) this.syncShown();
    if (this.model) {
      this.model.set("values", { ...this.values });
      this.model.save_changes();
      clearTimeout(this.timer);
      if (this.silent) this.computeHere(); // No kernel answered the last move: don't wait again.
      else this.timer = setTimeout(() => { this.silent = true; this.computeHere(); }, KERNEL_WAIT);
    } else this.schedule();
  }

  /** Set a control as the reader would (tests): the value, the slider, then redraw now. */
  setValue(name, value) {
    if (!(name in this.controls)) throw new Error(`no control named ${JSON.stringify(name)}`);
    this.controls[name].set(value);
    this.onInput(name, value);
    if (!this.model) this.redraw();
  }

  /** Values set from elsewhere (the kernel): move the controls, keep the result coming. */
  setValues(values) {
    this.values = { ...values };
    for (const [name, c] of Object.entries(this.controls)) if (name in values) c.set(values[name]);
    this.syncShown();
  }

  setResult(result) {
    this.resultAt = performance.now(); // When the kernel's answer arrived (benchmarks).
    clearTimeout(this.timer);
    this.silent = false;
    this.localCompute = false;
    this.result = this.received(result);
    this.schedule();
  }

  /** A kernel's result, completed by its kind's `received` when the kernel sends less. */
  received(result) {
    const complete = PANELS[this.spec.kind].received;
    return complete && result ? complete(this, result) : result;
  }

  /** No kernel answered (or there is none): compute here. */
  computeHere() {
    this.localCompute = true;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.redraw();
    });
  }

  // -- Drawing ------------------------------------------------------------------------

  wrap(text, width, size) {
    const key = `${size}|${Math.round(width)}|${text}`;
    let lines = this.wrapCache.get(key);
    if (!lines) {
      lines = wrapLines(this.ctx, text, width, size);
      if (this.wrapCache.size > 64) this.wrapCache.clear();
      this.wrapCache.set(key, lines);
    }
    return lines;
  }

  raceContours() {
    if (!this.contours) this.contours = contourLines(this.spec);
    return this.contours;
  }

  raceL0() {
    if (finite(this.L0)) return this.L0;
    for (const run of (this.result && this.result.runs) || []) {
      const l = run.losses ? asNumber(run.losses[0]) : NaN;
      if (finite(l)) return (this.L0 = l);
    }
    return NaN;
  }

  /** The canvas layer `slot`, the size of the figure, drawn by `draw(ctx)` in CSS px. */
  layer(slot, draw) {
    const c = this.layerCanvas(slot);
    const ctx = c.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.geometry.W, this.geometry.H);
    draw(ctx);
    return c;
  }

  layerCanvas(slot) {
    const w = this.canvas.width, h = this.canvas.height;
    this.layers ??= {};
    let c = this.layers[slot];
    if (c && c.width === w && c.height === h) return c;
    c = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(w, h) : document.createElement("canvas");
    c.width = w;
    c.height = h;
    return (this.layers[slot] = c);
  }

  /** Compute (if it is ours to), then draw: the whole redraw of one slider move.
   *
   * Options (for tests and benchmarks): `local` computes here even with a kernel; `full`
   * drops every cached layer and the contours first, as a renderer without caches would.
   * After drawing, the root element dispatches a `descent:drawn` event whose detail says
   * where the result came from ("local" or "kernel"), the ms spent here, and the kernel's. */
  redraw({ local = false, full = false } = {}) {
    if (!(this.width > 0)) return;
    const start = performance.now();
    let source = "kernel";
    try {
      if (full) {
        this.frameKey = null;
        this.midKey = null;
        this.contours = null;
        this.layers = {};
        this.wrapCache.clear();
      }
      if (!this.model || this.localCompute || !this.result || local) {
        this.localCompute = false;
        this.result = compute(this.spec, this.values);
        this.resultValues = { ...this.values };
        source = "local";
      } else {
        this.resultValues = this.result._values ? { ...this.result._values } : { ...this.values };
      }
      this.draw();
      this.errorBox.textContent = "";
    } catch (error) {
      this.fail(error);
    }
    const ms = performance.now() - start;
    if (this.timings.length < 100000) this.timings.push(ms);
    this.host.dispatchEvent(new CustomEvent("descent:drawn", {
      bubbles: true,
      detail: {
        source, ms, arrived: source === "kernel" ? this.resultAt : undefined,
        kernel_ms: source === "kernel" && this.result ? this.result._kernel_ms : undefined,
      },
    }));
  }

  fail(error) {
    this.errorBox.textContent = `The explorer could not draw these values: ${error && error.name ? error.name + ": " : ""}${error && error.message ? error.message : error}`;
    try { // Never a silent wrong picture: no curves, the axes alone.
      this.ctx.setTransform(1, 0, 0, 1, 0, 0);
      this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      if (this.base) this.ctx.drawImage(this.base, 0, 0);
    } catch (_) { /* Nothing more to draw. */ }
    if (typeof console !== "undefined") console.error(error);
  }

  draw() {
    const spec = this.spec, kind = PANELS[spec.kind];
    const dpr = Math.max(1, Math.min(window.devicePixelRatio || 1, 4));
    if (!this.geometry || this.geometry.W !== this.width || this.dpr !== dpr) {
      this.dpr = dpr;
      this.geometry = layout(spec.kind, this.width);
      const { W, H } = this.geometry;
      this.canvas.width = Math.round(W * dpr);
      this.canvas.height = Math.round(H * dpr);
      this.canvas.style.width = `${W}px`;
      this.canvas.style.height = `${H}px`;
      // Where the canvas shows data as colour, in CSS px: checks of the theme's ink skip it.
      this.canvas.dataset.images = JSON.stringify((KINDS[spec.kind].images || []).map((i) => this.geometry.rects[i]));
      this.frameKey = null;
    }
    const result = this.result || {};
    const frame = kind.frame(this);
    const key = `${this.theme === THEMES.dark}|${frame.key}`;
    if (key !== this.frameKey) {
      this.base = this.layer("base", (ctx) => kind.base(this, ctx, frame));
      this.top = this.layer("top", (ctx) => kind.top(this, ctx, frame));
      this.frameKey = key;
      this.midKey = null;
    }
    if (kind.mid && frame.midKey !== this.midKey) {
      this.mid = this.layer("mid", (ctx) => kind.mid(this, ctx, frame));
      this.midKey = frame.midKey;
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.base, 0, 0);
    if (kind.mid) ctx.drawImage(this.mid, 0, 0);
    let texts;
    if (result.error) {
      texts = { facts: "", info: "", alert: String(result.error) };
    } else {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      kind.curves(this, ctx, frame);
      texts = status(spec, this.values, result);
      const errors = (result.runs || []).filter((r) => r.error && !(texts.alert || "").includes(r.error));
      if (errors.length) {
        texts = { ...texts, alert: [texts.alert, ...errors.map((r) => `${r.label}: ${r.error}`)].filter(Boolean).join("; ") };
      }
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.top, 0, 0);
    for (const part of ["facts", "info", "alert"]) {
      const t = this.texts[part], text = texts[part] || "";
      if (t.text !== text) {
        t.div.innerHTML = statusHtml(text);
        t.text = text;
      }
    }
  }

  destroy() {
    clearTimeout(this.timer);
    if (this.pending) cancelAnimationFrame(this.pending);
    for (const f of this.cleanups) f();
    this.root.remove();
  }
}

/** What tests and benchmarks see on the root element: el.descentExplorer. */
function expose(el, view) {
  el.descentExplorer = {
    get values() { return view.values; },
    get result() { return view.result; },
    get resultValues() { return view.resultValues; },
    get timings() { return view.timings; },
    redraw: (options) => view.redraw(options),
    setValue: (name, value) => view.setValue(name, value),
    view,
  };
  return el.descentExplorer;
}

function showFailure(el, error) {
  addStyle();
  const box = document.createElement("div");
  box.className = "dx-error";
  box.setAttribute("role", "alert");
  box.textContent = `The explorer could not start: ${error && error.name ? error.name + ": " : ""}${error && error.message ? error.message : error}`;
  el.appendChild(box);
  if (typeof console !== "undefined") console.error(error);
}

// ------------------------------------------------------------------------------------
// Entry points.

/** anywidget: the kernel computes each `result`; drawn when it arrives. */
function render({ model, el }) {
  let view;
  try {
    const result = model.get("result"); // The last one, also in a saved notebook; else computed here.
    view = new ExplorerView(el, model.get("spec"), model.get("values") || {}, model,
      result && Object.keys(result).length ? result : null);
  } catch (error) {
    showFailure(el, error);
    return () => {};
  }
  expose(el, view);
  const onResult = () => view.setResult(model.get("result"));
  const onValues = () => {
    const values = model.get("values") || {};
    if (JSON.stringify(values) !== JSON.stringify(view.values)) view.setValues(values);
  };
  model.on("change:result", onResult);
  model.on("change:values", onValues);
  return () => {
    model.off("change:result", onResult);
    model.off("change:values", onValues);
    view.destroy();
  };
}

// ------------------------------------------------------------------------------------
// Kind "adaptive": KINDS.adaptive = …; PANELS.adaptive = … (owned by the adaptive-explorer helper)
// The contours with the run and the eigenvectors, the loss (log), and each coordinate's
// effective step ηᵢ (log) against the diagonal Newton steps 1/Qᵢᵢ, dashed in its colour.

KINDS.adaptive = { ratios: [1, 1, 1.1], square: [true, false, false] };

const ADAPTIVE_LEGEND = 4 * 16 + 22; // The effective-step legend's height and its margins, CSS px.

/** The b2 control says what it is for the optimizer picked: "β₂ (decay)", "β₂ (Zeiler's ρ)" or "β₂". */
function adaptiveRelabel(view) {
  const c = view.controls.b2, control = (view.spec.controls || []).find((k) => k.name === "b2");
  const pair = control && control.labels_for && control.labels_for[view.values.optimizer];
  if (!c || !pair) return;
  const label = c.row.querySelector("label"), readout = c.row.querySelector("output");
  if (label.textContent !== pair[0]) {
    label.textContent = pair[0];
    c.input.setAttribute("aria-label", pair[0]);
  }
  const text = `${pair[1]} = ${readout ? readout.textContent : ""}`;
  if (c.input.getAttribute("aria-valuetext") !== text) c.input.setAttribute("aria-valuetext", text);
}

/**
 * [lo, hi] of the effective-step axis: whole decades around the steps and 1/Qᵢᵢ (at least
 * 10³ apart), and above them enough decades that the legend, upper right, covers no curve.
 */
function adaptiveStepRange(effective, newton, height) {
  let lo = Infinity, hi = -Infinity;
  const take = (v) => { if (v > 0 && v < Infinity) { lo = Math.min(lo, v); hi = Math.max(hi, v); } };
  for (const row of effective || []) for (const v of row) take(asNumber(v));
  for (const v of newton) take(v);
  if (!(lo <= hi)) { lo = 1e-3; hi = 1; }
  let a = Math.floor(Math.log10(lo) + 1e-9) - 1, b = Math.ceil(Math.log10(hi) - 1e-9);
  if (b - a < 3) a = b - 3;
  const room = Math.max(height - ADAPTIVE_LEGEND, 40); // px for the curves under the legend.
  b += Math.max(1, Math.ceil((ADAPTIVE_LEGEND * (b - a)) / room));
  return [10 ** clamp(a, -300, 290), 10 ** clamp(b, -290, 300)];
}

PANELS.adaptive = {
  frame(view) {
    const { spec, values, result, geometry } = view;
    adaptiveRelabel(view);
    const ok = !!(result && !result.error && Array.isArray(result.trajectory));
    const steps = ok ? result.trajectory.length - 1 : values.steps;
    const bound = stepBound(steps);
    const lam = ok ? result.lam.map(asNumber) : [values.lambda1, values.lambda2];
    const a = (values.angle * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a);
    const R = ok ? result.R.map((row) => row.map(asNumber)) : [[c, -s], [s, c]];
    const newton = ok ? result.newton.map(asNumber) : [NaN, NaN];
    const h = spec.half, [lo, hi] = spec.loss_range;
    const [r0, r1, r2] = geometry.rects;
    const [elo, ehi] = adaptiveStepRange(ok ? result.effective : [], newton, r2.h);
    const panels = [
      { rect: r0, sx: makeScale("linear", -h, h, r0.x, r0.x + r0.w), sy: makeScale("linear", -h, h, r0.y + r0.h, r0.y),
        title: "trajectory on the contours of L", xlabel: "θ₁", ylabel: "θ₂" },
      { rect: r1, sx: makeScale("linear", 0, bound, r1.x, r1.x + r1.w), sy: makeScale("log", lo, hi, r1.y + r1.h, r1.y),
        title: "loss", xlabel: "step t", ylabel: "L(θₜ) / L(θ₀)" },
      { rect: r2, sx: makeScale("linear", 0, bound, r2.x, r2.x + r2.w), sy: makeScale("log", elo, ehi, r2.y + r2.h, r2.y),
        title: "effective step of each coordinate", xlabel: "step t", ylabel: "ηᵢ" },
    ];
    geometry.cells.forEach((cell, i) => { panels[i].cell = cell; });
    // The curves of the third panel, t = 1…T (η_t moves θ_{t−1} to θ_t), and where the legend goes.
    const series = [0, 1].map((i) => [NaN, ...(ok ? result.effective.map((row) => asNumber(row[i])) : [])]);
    const flat = newton.map((n) => new Array(bound + 1).fill(n)); // The dashed 1/Qᵢᵢ, across the panel.
    return { panels, key: JSON.stringify([bound, elo, ehi]), midKey: JSON.stringify([lam, R]),
             lam, R, newton, series, flat, bound };
  },
  base(view, ctx, f) {
    for (const p of f.panels) drawAxes(ctx, p, view.theme);
  },
  mid(view, ctx, f) { // The contours and the eigenvectors: redrawn only when λ or the angle moves.
    const th = view.theme, p = f.panels[0], h = view.spec.half;
    drawQuadraticContours(ctx, p, quadraticContours(f.lam, f.R, h), th, 1.1);
    ctx.save(); // Name each eigenvector near its end, inside the window.
    ctx.fillStyle = th.grey25;
    ctx.textBaseline = "middle";
    for (let i = 0; i < 2; i++) {
      const x = p.sx.map(0.86 * h * f.R[0][i]), y = p.sy.map(0.86 * h * f.R[1][i]);
      drawRich(ctx, `λ_{${i + 1}}`, x + 5 * (i === 0 ? 0 : 1), y - 9, SIZE.legend + 1, "left");
    }
    ctx.restore();
  },
  top(view, ctx, f) {
    const th = view.theme, { spec } = view;
    const [pc, pl, pe] = f.panels;
    marker(ctx, "+", pc.sx.map(0), pc.sy.map(0), 12, th.fg);
    marker(ctx, "o", pc.sx.map(spec.init[0]), pc.sy.map(spec.init[1]), 7, th.fg);
    drawLegend(ctx, pl, [
      { label: "L(θ_{t}) / L(θ_{0})", color: COLORS.red, lw: 2 },
      { label: "10^{−6}: the status line's target", color: th.grey55, lw: 1.4, dash: ":" },
    ], "lower left", th);
    drawLegend(ctx, pe, [
      { label: "η_{1}: the step of θ_{1}", color: color("C0"), lw: 3.2 },
      { label: "η_{2}: the step of θ_{2}", color: color("C1"), lw: 1.5 },
      { label: "1/Q_{11}: diagonal Newton's for θ_{1}", color: color("C0"), lw: 2.6, dash: "--" },
      { label: "1/Q_{22}: diagonal Newton's for θ_{2}", color: color("C1"), lw: 1.4, dash: "--" },
    ], "upper right", th);
  },
  curves(view, ctx, f) {
    const { result } = view;
    const [pc, pl, pe] = f.panels;
    plotPath(ctx, pc, result.trajectory, COLORS.red, 1.6, { dots: 1.8 });
    const L0 = asNumber(result.L0);
    plotSeries(ctx, pl, result.losses.map((l) => asNumber(l) / L0), COLORS.red, 2);
    plotSeries(ctx, pl, new Array(f.bound + 1).fill(asNumber(view.spec.accuracy)), view.theme.grey55, 1.4, ":");
    // θ₁'s lines wider, under θ₂'s: where the two are equal (SGD; Q₁₁ = Q₂₂ at 45°) both stay seen.
    f.flat.forEach((ys, i) => plotSeries(ctx, pe, ys, color(i ? "C1" : "C0"), i ? 1.4 : 2.6, "--"));
    plotSeries(ctx, pe, f.series[0], color("C0"), 3.2);
    plotSeries(ctx, pe, f.series[1], color("C1"), 1.5);
    if (f.series[0].length <= 2) { // T = 1: one step, a point, no line.
      f.series.forEach((ys, i) => {
        const x = pe.sx.map(1), y = pe.sy.map(ys[1]);
        if (finite(y)) marker(ctx, "o", x, y, i ? 5 : 8, color(i ? "C1" : "C0"));
      });
    }
  },
};



// ------------------------------------------------------------------------------------
// Kind "softlabel": KINDS.softlabel = …; PANELS.softlabel = … (owned by the softlabel-explorer helper)
// LossCurveExplorer: both targets' KL loss (log axis, down to spec.floor: smaller losses,
// rounding noise that can even be ≤ 0, are drawn on the bottom edge) and both logit gaps
// Δs_t = s₂ − s₁ against the soft target's optimum Δs* (dashed). Hard: C0, soft: C1.

KINDS.softlabel = { ratios: [1, 1], square: [false, false], phone: [0.85, 0.7] };

/** The smallest of 1, 2, 5 × 10ⁿ at or above v > 0 (a round axis bound). */
function roundAbove(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((b) => b >= v * (1 - 1e-12));
}

PANELS.softlabel = {
  frame(view) {
    const { spec, values, result, geometry } = view;
    const ok = !!(result && !result.error && Array.isArray(result.losses));
    const T = ok ? result.losses[0].length - 1 : values.steps;
    const bound = stepBound(T), floor = spec.floor;
    const targets = ok ? result.targets.map((t) => t.map(asNumber)) : [spec.hard, [values.soft, 1 - values.soft]];
    let top = 1, high = 1, low = 0; // The loss axis's top; the gap axis's range.
    if (ok) {
      for (const curve of result.losses) for (const L of curve) if (finite(L) && L > top) top = L;
      for (const curve of result.gaps) {
        for (const g of curve) {
          if (finite(g) && g > high) high = g;
          if (finite(g) && g < low) low = g;
        }
      }
      const star = asNumber(result.optimal_gaps[1]);
      if (finite(star)) high = Math.max(high, 1.5 * star);
    }
    const lossTop = 10 ** Math.ceil(Math.log10(top) - 1e-9);
    const gapTop = roundAbove(high), gapBottom = low < 0 ? -roundAbove(-low) : 0;
    const [r0, r1] = geometry.rects;
    const panels = [
      { rect: r0, sx: makeScale("linear", 0, bound, r0.x, r0.x + r0.w), sy: makeScale("log", floor, lossTop, r0.y + r0.h, r0.y),
        title: `KL(y ‖ p_{t}) (below ${fmt(floor)}: on the bottom edge)`, xlabel: "step t", ylabel: "KL(y ‖ p_{t})" },
      { rect: r1, sx: makeScale("linear", 0, bound, r1.x, r1.x + r1.w), sy: makeScale("linear", gapBottom, gapTop, r1.y + r1.h, r1.y),
        title: "logit gap Δs = s₂ − s₁", xlabel: "step t", ylabel: "Δs_{t}" },
    ];
    geometry.cells.forEach((cell, i) => { panels[i].cell = cell; });
    const names = targets.map((t) => `target (${fmt(t[0])}, ${fmt(t[1])})`);
    return { panels, key: JSON.stringify([bound, lossTop, gapBottom, gapTop, names]), names };
  },
  base(view, ctx, f) {
    for (const p of f.panels) drawAxes(ctx, p, view.theme);
  },
  top(view, ctx, f) {
    const th = view.theme, [pl, pg] = f.panels;
    drawLegend(ctx, pl, [
      { label: f.names[0], color: color("C0"), lw: 2 },
      { label: f.names[1], color: color("C1"), lw: 2 },
    ], "upper right", th);
  },
  curves(view, ctx, f) {
    const { result, spec } = view;
    const [pl, pg] = f.panels, floor = spec.floor, colors = [color("C0"), color("C1")];
    // The optimum Δs* of the soft target (and of the first, if finite): dashed, under the
    // curves; its value above the line at the right, on a backdrop, over them.
    const stars = [];
    result.optimal_gaps.forEach((star, i) => {
      const s = asNumber(star), y = pg.sy.map(s);
      if (!finite(s) || !(y >= pg.rect.y && y <= pg.rect.y + pg.rect.h)) return;
      ctx.beginPath();
      ctx.moveTo(pg.rect.x, y);
      ctx.lineTo(pg.rect.x + pg.rect.w, y);
      stroke(ctx, colors[i], 1.4, "--");
      stars.push([s, y, colors[i]]);
    });
    result.losses.forEach((curve, i) => {
      const ys = curve.map((L) => { const v = asNumber(L); return finite(v) ? Math.max(v, floor) : NaN; });
      plotSeries(ctx, pl, ys, colors[i], 1.8);
    });
    result.gaps.forEach((curve, i) => plotSeries(ctx, pg, curve, colors[i], 1.8));
    const size = SIZE.legend + 1, th = view.theme;
    for (const [s, y, style] of stars) {
      const text = `Δs* = log(y₂/y₁) = ${fmt(s)}`, w = richWidth(ctx, text, size);
      const right = pg.rect.x + pg.rect.w - 6, above = y - pg.rect.y > 24;
      const base = above ? y - 5 : y + 5 + size; // The text's alphabetic baseline.
      ctx.fillStyle = th.legendBg;
      ctx.fillRect(right - w - 3, base - size, w + 6, size + 4);
      ctx.fillStyle = style;
      ctx.textBaseline = "alphabetic";
      drawRich(ctx, text, right, base, size, "right");
    }
  },
};


/** A static page: `el` holds <script type="application/json">{spec, values}</script>. */
export function mount(el) {
  if (el.descentExplorer) return el.descentExplorer;
  try {
    const script = el.querySelector('script[type="application/json"]');
    const { spec, values } = JSON.parse(script.textContent);
    const view = new ExplorerView(el, spec, values || {});
    return expose(el, view);
  } catch (error) {
    el.descentExplorer = { error };
    showFailure(el, error);
    return el.descentExplorer;
  }
}

function mountAll() {
  for (const el of document.querySelectorAll("div.descent-explorer")) {
    if (!el.descentExplorer && el.querySelector('script[type="application/json"]')) mount(el);
  }
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
}

export default { render };
