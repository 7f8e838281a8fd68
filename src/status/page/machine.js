// A run's state machine, drawn from the machine's own definition (Amazon States Language, as the API's
// `pipeline { definition }` gives it), with the states a run has entered marked and its current one lit as
// its history events arrive. Only state-level events are read (…StateEntered / …StateExited and the
// execution's own end): a Task's inner events differ between AWS's Lambda and other integrations, and the
// drawing must not depend on them.

const SVG = 'http://www.w3.org/2000/svg';
const NODE_W = 118;
const NODE_H = 30;
const GAP_X = 14;
const GAP_Y = 30;
const CHIP_H = 20;

/** The states a state can go to next, in a stable order. */
function successors(state) {
  const out = [];
  const add = (n) => n && !out.includes(n) && out.push(n);
  for (const c of state.Choices ?? []) add(c.Next);
  add(state.Next);
  add(state.Default);
  for (const c of state.Catch ?? []) add(c.Next);
  return out;
}

function inner(state) {
  return state.ItemProcessor ?? state.Iterator ?? null;
}

/** Ranks states by their longest path from StartAt (back edges ignored), so the flow reads top to bottom. */
function layout(definition) {
  const states = definition.States ?? {};
  const names = Object.keys(states);
  const rank = new Map([[definition.StartAt, 0]]);
  // Longest path on the forward graph: relax edges in BFS order, at most |V| rounds.
  for (let round = 0; round < names.length; round++) {
    let changed = false;
    for (const name of names) {
      if (!rank.has(name)) continue;
      for (const next of successors(states[name])) {
        if (!(next in states)) continue;
        const r = rank.get(name) + 1;
        if ((rank.get(next) ?? -1) < r && r < names.length) {
          rank.set(next, r);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  for (const name of names) if (!rank.has(name)) rank.set(name, 0);
  const rows = [];
  for (const name of names) (rows[rank.get(name)] ??= []).push(name);
  return { states, rows: rows.filter(Boolean) };
}

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Draws `definition` into `host` and returns a controller that marks states from run events:
 *   apply(event)  { type, state }  one history event, in id order
 *   end(status)   the run's final status (SUCCEEDED, FAILED, …)
 *   reset()       a new run
 * Each state is a <g data-state="Name"> with classes `visited`, `current`, `failed`, so a test or a style
 * sheet can read what is lit.
 */
export function drawMachine(host, definition) {
  host.replaceChildren();
  const { states, rows } = layout(definition);
  const parentOf = new Map();
  const innerStates = new Map();
  for (const [name, s] of Object.entries(states)) {
    const proc = inner(s);
    if (!proc) continue;
    innerStates.set(name, Object.keys(proc.States ?? {}));
    for (const child of Object.keys(proc.States ?? {})) parentOf.set(child, name);
  }
  const heightOf = (name) => NODE_H + (innerStates.has(name) ? innerStates.get(name).length * (CHIP_H + 4) + 6 : 0);
  const widest = Math.max(...rows.map((r) => r.length));
  const width = widest * NODE_W + (widest - 1) * GAP_X + 8;
  const preds = new Map();
  for (const [name, s] of Object.entries(states)) for (const next of successors(s)) (preds.get(next) ?? preds.set(next, []).get(next)).push(name);
  const pos = new Map();
  let y = 4;
  for (const row of rows) {
    // Each state under the states that lead to it (their mean x), so edges cross as little as a simple
    // layout manages; the end states (Fail, Succeed) go to the sides of their row.
    const placed = (name) => (preds.get(name) ?? []).map((p) => pos.get(p)).filter(Boolean);
    const centre = (name) => {
      const from = placed(name);
      return from.length ? from.reduce((a, p) => a + p.x + p.w / 2, 0) / from.length : width / 2;
    };
    const terminal = (name) => states[name].Type === 'Fail' || states[name].Type === 'Succeed';
    const middle = row.filter((n) => !terminal(n)).sort((a, b) => centre(a) - centre(b));
    const ends = row.filter(terminal).sort((a, b) => centre(a) - centre(b));
    const left = ends.filter((n) => centre(n) < width / 2);
    const ordered = [...left, ...middle, ...ends.filter((n) => !left.includes(n))];
    const rowW = ordered.length * NODE_W + (ordered.length - 1) * GAP_X;
    let x = (width - rowW) / 2;
    const h = Math.max(...ordered.map(heightOf));
    for (const name of ordered) {
      pos.set(name, { x, y, w: NODE_W, h: heightOf(name) });
      x += NODE_W + GAP_X;
    }
    y += h + GAP_Y;
  }
  const svg = el('svg', { viewBox: `0 0 ${width} ${y - GAP_Y + 8}`, width, height: y - GAP_Y + 8, role: 'img', class: 'machine' });
  const defs = el('defs');
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(el('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#777' }));
  defs.append(marker);
  svg.append(defs);

  const edges = el('g', { class: 'edges' });
  for (const [name, s] of Object.entries(states)) {
    const a = pos.get(name);
    for (const next of successors(s)) {
      const b = pos.get(next);
      if (!a || !b) continue;
      const x1 = a.x + a.w / 2;
      const y1 = a.y + a.h;
      const x2 = b.x + b.w / 2;
      const y2 = b.y;
      const back = y2 <= y1;
      const d = back
        ? `M${a.x + a.w},${a.y + a.h / 2} C${a.x + a.w + 40},${a.y + a.h / 2} ${b.x + b.w + 40},${b.y + b.h / 2} ${b.x + b.w},${b.y + b.h / 2}`
        : `M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}`;
      edges.append(el('path', { d, class: 'edge', 'marker-end': 'url(#arrow)', 'data-from': name, 'data-to': next }));
    }
  }
  svg.append(edges);

  const nodes = new Map();
  for (const [name, s] of Object.entries(states)) {
    const p = pos.get(name);
    const g = el('g', { class: `state type-${s.Type}`, 'data-state': name, transform: `translate(${p.x},${p.y})` });
    g.append(el('title', {}, `${name} (${s.Type})${s.Comment ? `: ${s.Comment}` : ''}`));
    g.append(el('rect', { width: p.w, height: p.h, rx: s.Type === 'Choice' ? 14 : 5 }));
    g.append(el('text', { x: p.w / 2, y: 19, 'text-anchor': 'middle' }, name));
    let cy = NODE_H;
    for (const child of innerStates.get(name) ?? []) {
      const c = el('g', { class: 'state chip', 'data-state': child, transform: `translate(8,${cy})` });
      c.append(el('title', {}, `${child}, inside ${name}`));
      c.append(el('rect', { width: p.w - 16, height: CHIP_H, rx: 4 }));
      c.append(el('text', { x: (p.w - 16) / 2, y: 14, 'text-anchor': 'middle' }, child));
      g.append(c);
      nodes.set(child, c);
      cy += CHIP_H + 4;
    }
    nodes.set(name, g);
  }
  for (const g of [...nodes.values()].filter((n) => !n.classList.contains('chip'))) svg.append(g);
  host.append(svg);

  let current = null;
  const path = [];
  const light = (name) => {
    for (const n of nodes.values()) n.classList.remove('current');
    current = name;
    if (!name) return;
    nodes.get(name)?.classList.add('current');
    const parent = parentOf.get(name);
    if (parent) nodes.get(parent)?.classList.add('current');
  };
  const label = (status) => {
    const trail = path.length ? path.join(' → ') : 'not started';
    svg.setAttribute('aria-label', `State machine: ${trail}${current ? `; now in ${current}` : ''}${status ? `; run ${status}` : ''}`);
  };
  label();

  return {
    reset() {
      path.length = 0;
      for (const n of nodes.values()) n.classList.remove('current', 'visited', 'failed', 'succeeded');
      current = null;
      label();
    },
    apply(event) {
      const name = event.state;
      if (!name || !nodes.has(name)) {
        if (/^Execution(Failed|TimedOut|Aborted)$/.test(event.type)) this.end(event.type === 'ExecutionFailed' ? 'FAILED' : event.type === 'ExecutionTimedOut' ? 'TIMED_OUT' : 'ABORTED');
        else if (event.type === 'ExecutionSucceeded') this.end('SUCCEEDED');
        return;
      }
      if (event.type.endsWith('StateEntered')) {
        nodes.get(name).classList.add('visited');
        const parent = parentOf.get(name);
        if (parent) nodes.get(parent)?.classList.add('visited');
        if (!parent && path.at(-1) !== name) path.push(name);
        light(name);
        label();
      }
    },
    end(status) {
      if (current) nodes.get(current)?.classList.add(status === 'SUCCEEDED' ? 'succeeded' : 'failed');
      const parent = current && parentOf.get(current);
      if (parent) nodes.get(parent)?.classList.add(status === 'SUCCEEDED' ? 'succeeded' : 'failed');
      label(status);
    },
    get current() {
      return current;
    },
  };
}
