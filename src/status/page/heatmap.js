// The gap heatmap: one row per group, one column per bucket, drawn on a canvas.
//
// Cells are kept as one pixel each in an off-screen canvas (groups × buckets) and the visible canvas draws
// the zoomed part of it scaled up in a single drawImage, so 500 groups × 744 buckets is one draw call, not
// 372,000 elements: nothing to lay out, and a hover or a zoom redraws in well under a frame. The canvas has
// a fixed size for a given shape (groups, width), so the page does not move as data arrives.

/**
 * Bucket states as the page shows them: the API's BucketState, with NOT_EXPECTED split into "before the
 * series starts" (expected > 0) and "calendar closed" (expected = 0). Colours: Okabe–Ito, whose hues stay
 * apart under the common colour-vision deficiencies, ordered by lightness so that the worse a state, the
 * darker it is (the order also holds in greyscale).
 */
export const STATES = [
  { key: 'OK', label: 'OK', color: '#dcefe6', words: 'complete' },
  { key: 'UNDERFILLED', label: 'Underfilled', color: '#e69f00', words: 'under-filled' },
  { key: 'MISSING', label: 'Missing', color: '#b4480a', words: 'missing: no rows' },
  { key: 'PARTIAL_EDGE', label: 'Partial edge', color: '#cc79a7', words: 'partial edge: the series started inside this bucket' },
  { key: 'SETTLING', label: 'Settling', color: '#56b4e9', words: 'settling: still filling, not judged yet' },
  { key: 'BEFORE_START', label: 'Before series start', color: '#c8c8c8', words: 'before the series starts' },
  { key: 'CLOSED', label: 'Calendar closed', color: '#f6f6f6', words: 'calendar closed: nothing expected' },
  { key: 'LOADING', label: 'Loading', color: '#eef1f5', words: 'not loaded yet' },
];
export const STATE = Object.fromEntries(STATES.map((s, i) => [s.key, i]));

/** The page's state of one bucket from the API's status and expected count. */
export function stateOf(status, expected) {
  if (status === 'NOT_EXPECTED') return expected > 0 ? STATE.BEFORE_START : STATE.CLOSED;
  return STATE[status] ?? STATE.LOADING;
}

const RGBA = STATES.map((s) => {
  const n = parseInt(s.color.slice(1), 16);
  // ImageData is RGBA bytes; a Uint32 view of it on little-endian machines (all browsers run on) reads ABGR.
  return (0xff << 24) | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff);
});

const AXIS_H = 24;
const PAD_R = 8;
const MIN_LABEL_SPACING = 78;

export class Heatmap {
  /**
   * @param {HTMLElement} host  receives the canvas and the tooltip
   * @param {{ describe(g: number, b: number): string, onSelect(sel: object | null): void, onZoom(z0: number, z1: number): void, onFocusText(text: string): void }} hooks
   */
  constructor(host, hooks) {
    this.host = host;
    this.hooks = hooks;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heatmap-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-roledescription', 'gap heatmap');
    this.tip = document.createElement('div');
    this.tip.className = 'heatmap-tip';
    this.tip.hidden = true;
    this.tip.setAttribute('aria-hidden', 'true');
    host.append(this.canvas, this.tip);
    this.cells = document.createElement('canvas');
    this.groups = [];
    this.starts = new Float64Array(0);
    this.ends = new Float64Array(0);
    this.zone = 'UTC';
    this.hover = null;
    this.focus = { g: 0, b: 0 };
    this.anchor = null;
    this.selection = null;
    this.marks = [];
    this.z0 = 0;
    this.z1 = 0;
    this.dragging = false;
    this.frame = 0;
    this.cssWidth = 0;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(host);
  }

  /** A new grid: every cell LOADING until setRows fills it. */
  setShape(groups, starts, ends, zone) {
    this.groups = groups;
    this.starts = starts;
    this.ends = ends;
    this.zone = zone;
    const G = groups.length;
    const B = starts.length;
    this.status = new Uint8Array(G * B).fill(STATE.LOADING);
    this.count = new Float64Array(G * B);
    this.expected = new Float64Array(G * B);
    this.cells.width = Math.max(1, B);
    this.cells.height = Math.max(1, G);
    this.image = new ImageData(this.cells.width, this.cells.height);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.pixels.fill(RGBA[STATE.LOADING]);
    this.selection = null;
    this.anchor = null;
    this.hover = null;
    this.marks = [];
    this.focus = { g: 0, b: 0 };
    this.z0 = 0;
    this.z1 = B;
    this.formatter = new Intl.DateTimeFormat('en-GB', { timeZone: zone, month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    this.dayFormatter = new Intl.DateTimeFormat('en-GB', { timeZone: zone, month: 'short', day: '2-digit' });
    this.timeFormatter = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    this.labelW = this.measureLabels();
    this.resize(true);
  }

  /** Rows `first…` from packed arrays (status: page states, one per bucket per row). */
  setRows(first, status, count, expected) {
    const B = this.starts.length;
    const rows = status.length / B;
    this.status.set(status, first * B);
    this.count.set(count, first * B);
    this.expected.set(expected, first * B);
    for (let i = 0; i < status.length; i++) this.pixels[first * B + i] = RGBA[status[i]];
    this.cells.getContext('2d').putImageData(this.image, 0, 0, 0, first, B, rows);
    this.draw();
  }

  /** Outlined areas (a run's ranges being repaired): [{ g, b0, b1 }], drawn over the cells. */
  setMarks(marks) {
    this.marks = marks;
    this.draw();
  }

  setZoom(z0, z1) {
    const B = this.starts.length;
    z0 = Math.max(0, Math.min(B - 1, Math.floor(z0)));
    z1 = Math.max(z0 + 1, Math.min(B, Math.ceil(z1)));
    if (z0 === this.z0 && z1 === this.z1) return;
    this.z0 = z0;
    this.z1 = z1;
    this.focus.b = Math.min(Math.max(this.focus.b, z0), z1 - 1);
    this.hooks.onZoom(z0, z1);
    this.draw();
  }

  zoomToSelection() {
    if (this.selection) this.setZoom(this.selection.b0, this.selection.b1 + 1);
  }

  zoomOut() {
    const span = this.z1 - this.z0;
    const mid = (this.z0 + this.z1) / 2;
    this.setZoom(Math.max(0, mid - span), Math.min(this.starts.length, mid + span));
  }

  resetZoom() {
    this.setZoom(0, this.starts.length);
  }

  clearSelection() {
    this.selection = null;
    this.anchor = null;
    this.hooks.onSelect(null);
    this.draw();
  }

  /** Keeps room for `groups` rows before they arrive, so the page below does not move when they do. */
  reserve(groups) {
    this.host.style.minHeight = `${AXIS_H + groups * rowHeight(groups) + 12}px`;
  }

  /** Row height: readable rows for a few groups, at least 2 px for many (500 groups → a 1,000 px tall map). */
  get rowH() {
    return rowHeight(this.groups.length);
  }

  measureLabels() {
    const ctx = this.canvas.getContext('2d');
    ctx.font = this.font(11);
    let w = 0;
    for (const g of this.groups.slice(0, 2000)) w = Math.max(w, ctx.measureText(g).width);
    return Math.min(160, Math.ceil(w) + 12);
  }

  font(px) {
    return `${px}px system-ui, -apple-system, "Segoe UI", sans-serif`;
  }

  /** Sizes the canvas to its host's width and the grid's height; only a new shape or width changes it. */
  resize(force = false) {
    const width = Math.floor(this.host.clientWidth);
    if (!force && width === this.cssWidth) return;
    this.cssWidth = width;
    const height = AXIS_H + this.groups.length * this.rowH + 2;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.draw();
  }

  get plot() {
    const x = this.labelW;
    const w = Math.max(1, this.cssWidth - x - PAD_R);
    return { x, y: AXIS_H, w, h: this.groups.length * this.rowH, cell: w / Math.max(1, this.z1 - this.z0) };
  }

  /** The cell under a point of the canvas (CSS pixels), or null outside the grid. */
  cellAt(px, py, clamp = false) {
    const p = this.plot;
    let b = this.z0 + Math.floor((px - p.x) / p.cell);
    let g = Math.floor((py - p.y) / this.rowH);
    if (clamp) {
      b = Math.max(this.z0, Math.min(this.z1 - 1, b));
      g = Math.max(0, Math.min(this.groups.length - 1, g));
    } else if (px < p.x || b < this.z0 || b >= this.z1 || g < 0 || g >= this.groups.length) {
      return null;
    }
    return { g, b };
  }

  draw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  paint() {
    const ctx = this.canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssWidth, this.canvas.height / dpr);
    const G = this.groups.length;
    const B = this.starts.length;
    if (G === 0 || B === 0) return;
    const p = this.plot;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.cells, this.z0, 0, this.z1 - this.z0, G, p.x, p.y, p.w, p.h);

    // Row separators when rows are tall enough to read, column separators when buckets are wide enough.
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (this.rowH >= 8) for (let g = 1; g < G; g++) line(ctx, p.x, p.y + g * this.rowH, p.x + p.w, p.y + g * this.rowH);
    if (p.cell >= 6) for (let b = 1; b < this.z1 - this.z0; b++) line(ctx, p.x + b * p.cell, p.y, p.x + b * p.cell, p.y + p.h);
    ctx.stroke();

    this.paintLabels(ctx, p);
    this.paintAxis(ctx, p);

    for (const m of this.marks) this.outline(ctx, p, m.g, m.g, m.b0, m.b1, '#0072b2', 2, [4, 2]);
    if (this.selection) {
      const s = this.selection;
      const r = this.rect(p, s.g0, s.g1, s.b0, s.b1);
      if (r) {
        ctx.fillStyle = 'rgba(0, 114, 178, 0.18)';
        ctx.fillRect(r.x, r.y, r.w, r.h);
      }
      this.outline(ctx, p, s.g0, s.g1, s.b0, s.b1, '#003e63', 2);
    }
    const cursor = this.hover ?? (document.activeElement === this.canvas ? this.focus : null);
    if (cursor) this.outline(ctx, p, cursor.g, cursor.g, cursor.b, cursor.b, '#000', 2);
  }

  paintLabels(ctx, p) {
    const G = this.groups.length;
    ctx.fillStyle = '#222';
    ctx.font = this.font(Math.min(12, Math.max(9, this.rowH - 4)));
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    // Every label when rows are tall enough, else every k-th.
    const every = Math.max(1, Math.ceil(12 / this.rowH));
    for (let g = 0; g < G; g += every) {
      ctx.fillText(truncate(ctx, this.groups[g], p.x - 8), p.x - 6, p.y + g * this.rowH + this.rowH / 2);
    }
  }

  paintAxis(ctx, p) {
    // A label every `step` buckets, step a round multiple so labels land on round times.
    const want = Math.max(1, Math.ceil(MIN_LABEL_SPACING / p.cell));
    const step = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 168, 336, 720, 1440].find((s) => s >= want) ?? want;
    ctx.fillStyle = '#333';
    ctx.font = this.font(11);
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.strokeStyle = '#888';
    ctx.beginPath();
    let lastDay = '';
    for (let b = this.z0; b < this.z1; b++) {
      if (b % step !== 0) continue;
      const x = p.x + (b - this.z0) * p.cell;
      if (x > p.x + p.w - 30) break;
      // The date where it changes (and first), the time of day in between.
      const day = this.dayFormatter.format(this.starts[b]);
      const label = day !== lastDay ? this.formatter.format(this.starts[b]) : this.timeFormatter.format(this.starts[b]);
      lastDay = day;
      line(ctx, x + 0.5, AXIS_H - 6, x + 0.5, AXIS_H);
      ctx.fillText(label, x + 2, AXIS_H - 9);
    }
    ctx.stroke();
  }

  rect(p, g0, g1, b0, b1) {
    const lo = Math.max(b0, this.z0);
    const hi = Math.min(b1, this.z1 - 1);
    if (hi < lo) return null;
    return { x: p.x + (lo - this.z0) * p.cell, y: p.y + g0 * this.rowH, w: (hi - lo + 1) * p.cell, h: (g1 - g0 + 1) * this.rowH };
  }

  outline(ctx, p, g0, g1, b0, b1, color, width, dash = []) {
    const r = this.rect(p, g0, g1, b0, b1);
    if (!r) return;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.strokeRect(r.x + 0.5, r.y + 0.5, Math.max(1, r.w - 1), Math.max(1, r.h - 1));
    ctx.restore();
  }

  /** Shows the tooltip for a cell beside it; hides it for null. */
  showTip(cell) {
    if (!cell) {
      this.tip.hidden = true;
      return;
    }
    const p = this.plot;
    this.tip.textContent = this.hooks.describe(cell.g, cell.b);
    this.tip.hidden = false;
    const x = p.x + (cell.b - this.z0 + 1) * p.cell + 8;
    const y = p.y + cell.g * this.rowH;
    const w = this.tip.offsetWidth;
    this.tip.style.left = `${x + w > this.cssWidth ? Math.max(0, x - w - p.cell - 16) : x}px`;
    this.tip.style.top = `${y + this.canvas.offsetTop}px`;
  }

  select(a, b) {
    this.selection = { g0: Math.min(a.g, b.g), g1: Math.max(a.g, b.g), b0: Math.min(a.b, b.b), b1: Math.max(a.b, b.b) };
    this.hooks.onSelect(this.selection);
    this.draw();
  }

  moveFocus(dg, db, extend) {
    const G = this.groups.length;
    if (G === 0) return;
    if (extend && !this.anchor) this.anchor = { ...this.focus };
    if (!extend) this.anchor = null;
    this.focus = {
      g: Math.max(0, Math.min(G - 1, this.focus.g + dg)),
      b: Math.max(this.z0, Math.min(this.z1 - 1, this.focus.b + db)),
    };
    if (extend) this.select(this.anchor, this.focus);
    this.announce();
    this.draw();
  }

  announce() {
    const text = this.hooks.describe(this.focus.g, this.focus.b);
    this.hooks.onFocusText(text);
    this.showTip(this.focus);
  }

  listen() {
    const c = this.canvas;
    const at = (e, clamp) => {
      const r = c.getBoundingClientRect();
      return this.cellAt(e.clientX - r.left, e.clientY - r.top, clamp);
    };
    c.addEventListener('pointermove', (e) => {
      if (this.dragging) {
        const cell = at(e, true);
        if (cell) this.select(this.anchor, cell);
        return;
      }
      const cell = at(e, false);
      if (cell?.g === this.hover?.g && cell?.b === this.hover?.b) return;
      this.hover = cell;
      this.showTip(cell);
      this.draw();
    });
    c.addEventListener('pointerleave', () => {
      this.hover = null;
      this.showTip(null);
      this.draw();
    });
    c.addEventListener('pointerdown', (e) => {
      const cell = at(e, false);
      if (!cell || e.button !== 0) return;
      c.setPointerCapture(e.pointerId);
      this.dragging = true;
      this.anchor = cell;
      this.focus = { ...cell };
      this.select(cell, cell);
    });
    c.addEventListener('pointerup', () => {
      this.dragging = false;
    });
    c.addEventListener('focus', () => this.announce());
    c.addEventListener('blur', () => {
      this.showTip(this.hover);
      this.draw();
    });
    c.addEventListener('keydown', (e) => {
      const page = Math.max(1, Math.floor((this.z1 - this.z0) / 8));
      const keys = {
        ArrowLeft: () => this.moveFocus(0, -1, e.shiftKey),
        ArrowRight: () => this.moveFocus(0, 1, e.shiftKey),
        ArrowUp: () => this.moveFocus(-1, 0, e.shiftKey),
        ArrowDown: () => this.moveFocus(1, 0, e.shiftKey),
        PageUp: () => this.moveFocus(-10, 0, e.shiftKey),
        PageDown: () => this.moveFocus(10, 0, e.shiftKey),
        Home: () => this.moveFocus(0, -(this.focus.b - this.z0), e.shiftKey),
        End: () => this.moveFocus(0, this.z1 - 1 - this.focus.b, e.shiftKey),
        '[': () => this.moveFocus(0, -page, e.shiftKey),
        ']': () => this.moveFocus(0, page, e.shiftKey),
        ' ': () => this.select(this.focus, this.focus),
        Enter: () => this.zoomToSelection(),
        '+': () => this.zoomToSelection(),
        '-': () => this.zoomOut(),
        0: () => this.resetZoom(),
        Escape: () => this.clearSelection(),
      };
      const action = keys[e.key];
      if (!action) return;
      e.preventDefault();
      action();
    });
  }
}

function rowHeight(groups) {
  return groups <= 24 ? 22 : Math.max(2, Math.min(16, Math.floor(720 / groups)));
}

function line(ctx, x0, y0, x1, y1) {
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
}

function truncate(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > width) s = s.slice(0, -1);
  return `${s}…`;
}
