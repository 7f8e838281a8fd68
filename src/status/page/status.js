// gapwatch's status page: a dataset's gaps as a heatmap, its last check, ready signal and next scheduled
// check, and its pipeline runs live, with a Repair of a selected range for operators. Everything here goes
// through the public GraphQL API (HTTP and graphql-ws) with the key this browser session holds.
import { Heatmap, STATE, STATES } from './heatmap.js';
import { drawMachine } from './machine.js';
import { gql, GraphQLRequestError, Live } from './graphql.js';

const $ = (id) => document.getElementById(id);

const RUN_FIELDS = `id name dataset mode from to status startedAt stoppedAt error cause input`;

const BOOT = `query StatusBoot {
  viewer { keyId role }
  datasets { name bucket groups timezone checkWindow maxWindow settle schedule }
  pipeline { stateMachineArn definition }
}`;

const FACTS = `query StatusFacts($dataset: String!) {
  dataset(name: $dataset) {
    name schedule nextCheckAt
    lastCheck { id status checkedAt trigger from to }
    lastReadySignal { at from to source { kind runId checkId } }
  }
  runs(dataset: $dataset, first: 20) { edges { node { ${RUN_FIELDS} } } }
}`;

/** The key of this browser session (session-key.js, shared with the explorer and other tabs). */
const sessionKey = globalThis.gapwatchKey;

const page = {
  key: null,
  viewer: null,
  datasets: [],
  dataset: null,
  from: '',
  to: '',
  zoom: null,
  runId: null,
  runs: new Map(),
  live: null,
  subscriptions: [],
  runSubscription: null,
  machine: null,
  definition: null,
  grid: null,
  loaded: false,
  job: 0,
  events: [],
};

// ---------------------------------------------------------------------------------------------- time

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Durations as the API writes them (`1h`, `15m`, `31d`, `1h30m`). */
function durationMs(text) {
  let ms = 0;
  for (const [, n, unit] of String(text).matchAll(/(\d+)(ms|d|h|m|s)/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}

function zoneFormat(zone, options) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', ...options });
}

function when(iso, zone = page.dataset?.timezone ?? 'UTC') {
  if (!iso) return '—';
  return `${zoneFormat(zone, { weekday: 'short', day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(Date.parse(iso))}`;
}

function ago(iso) {
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const abs = Math.abs(s);
  const text = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : abs < 172_800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} days`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

function span(fromMs, toMs, zone) {
  const day = zoneFormat(zone, { weekday: 'short', day: '2-digit', month: 'short' });
  const time = zoneFormat(zone, { hour: '2-digit', minute: '2-digit' });
  const tz = zoneFormat(zone, { timeZoneName: 'short' }).formatToParts(fromMs).find((p) => p.type === 'timeZoneName')?.value ?? zone;
  const sameDay = day.format(fromMs) === day.format(toMs - 1);
  return sameDay ? `${day.format(fromMs)} ${time.format(fromMs)}–${time.format(toMs)} ${tz}` : `${day.format(fromMs)} ${time.format(fromMs)} – ${day.format(toMs)} ${time.format(toMs)} ${tz}`;
}

// ---------------------------------------------------------------------------------------------- messages

let sayTimer = 0;
/** A message over the page; information goes by itself, an error stays until clicked away. */
function say(text, kind = 'error') {
  const box = $('message');
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
  clearTimeout(sayTimer);
  if (text && kind === 'info') sayTimer = setTimeout(() => (box.hidden = true), 8000);
}

function problem(err) {
  if (err instanceof GraphQLRequestError && err.code === 'UNAUTHENTICATED') {
    askKey(page.key ? 'gapwatch did not accept this key.' : 'This gapwatch needs an API key.');
    return;
  }
  say(err instanceof GraphQLRequestError && err.code ? `${err.message} (${err.code})` : String(err.message ?? err));
}

// ---------------------------------------------------------------------------------------------- the key

function askKey(reason) {
  const dialog = $('key-dialog');
  $('key-reason').textContent = reason ?? 'Enter the API key gapwatch gave you; it is kept for this browser session only.';
  $('key-input').value = '';
  if (!dialog.open) dialog.showModal();
  $('key-input').focus();
}

function setupKey() {
  $('message').addEventListener('click', () => say(''));
  $('key-button').addEventListener('click', () => askKey());
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key-input').value.trim();
    if (!key) return;
    sessionKey.set(key);
    page.key = key;
    $('key-dialog').close();
    void boot();
  });
  $('key-forget').addEventListener('click', () => {
    sessionKey.forget();
    page.key = null;
    $('key-dialog').close();
    void boot();
  });
}

// ---------------------------------------------------------------------------------------------- the URL

/** The view as the URL says it: dataset, window, zoom and selected run, so a link opens the same view. */
function readUrl() {
  const q = new URLSearchParams(location.search);
  return { dataset: q.get('dataset'), from: q.get('from'), to: q.get('to'), zoom: q.get('zoom'), run: q.get('run') };
}

function writeUrl(push = false) {
  const q = new URLSearchParams();
  if (page.dataset) q.set('dataset', page.dataset.name);
  if (page.from) q.set('from', page.from);
  if (page.to) q.set('to', page.to);
  if (page.zoom) q.set('zoom', page.zoom);
  if (page.runId) q.set('run', page.runId);
  const url = `${location.pathname}?${q.toString().replace(/%3A/g, ':')}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

// ---------------------------------------------------------------------------------------------- boot

async function boot() {
  say('');
  // A new key: every subscription starts again on a connection that carries it.
  for (const unsubscribe of page.subscriptions) unsubscribe();
  page.subscriptions = [];
  page.runSubscription?.();
  page.runSubscription = null;
  page.live?.dispose();
  page.live = null;
  page.dataset = null;
  let data;
  try {
    data = await gql(page.key, BOOT);
  } catch (err) {
    setLive('offline');
    return problem(err);
  }
  page.viewer = data.viewer;
  page.datasets = data.datasets;
  page.definition = data.pipeline?.definition ?? null;
  $('viewer').textContent = `${data.viewer.keyId} · ${data.viewer.role.toLowerCase()}`;
  $('key-button').textContent = page.key ? 'Change key' : 'API key';
  document.body.classList.toggle('operator', data.viewer.role === 'OPERATOR');
  if (data.viewer.role !== 'OPERATOR') $('repair')?.remove();
  page.live = new Live(page.key, {
    onState: setLive,
    onAuthFailure: (reason) => {
      setLive('offline');
      askKey(`gapwatch closed the live connection: ${reason}`);
    },
  });
  if (page.definition) {
    page.machine = drawMachine($('machine'), page.definition);
  }
  const select = $('dataset');
  select.replaceChildren(...data.datasets.map((d) => new Option(d.name, d.name)));
  if (data.datasets.length === 0) {
    say('This gapwatch has no datasets configured (datasets: in its config file).', 'info');
    return;
  }
  await applyUrl();
}

function setLive(state) {
  const el = $('live');
  el.textContent = { live: '● live', reconnecting: '○ reconnecting…', offline: '○ offline', connecting: '○ connecting…' }[state] ?? state;
  el.className = `live ${state}`;
}

/** Opens the view the URL names (after boot, and on back/forward). */
async function applyUrl() {
  const u = readUrl();
  const dataset = page.datasets.find((d) => d.name === u.dataset) ?? page.datasets[0];
  const changed = dataset !== page.dataset;
  page.dataset = dataset;
  $('dataset').value = dataset.name;
  page.zoom = u.zoom;
  page.runId = u.run;
  if (u.from && u.to) {
    page.from = u.from;
    page.to = u.to;
  } else {
    const w = await defaultWindow(dataset);
    page.from = w.from;
    page.to = w.to;
  }
  $('from').value = page.from;
  $('to').value = page.to;
  writeUrl();
  if (changed) subscribeDataset();
  await Promise.all([loadFacts(), loadMap()]);
}

/** No window asked for: the last check's, else the trailing checkWindow a scheduled check would judge. */
async function defaultWindow(dataset) {
  try {
    const data = await gql(page.key, 'query StatusLast($d: String!) { dataset(name: $d) { lastCheck { from to } } }', { d: dataset.name });
    const last = data.dataset?.lastCheck;
    if (last) return { from: last.from, to: last.to };
  } catch {
    // fall through to the trailing window
  }
  const bucket = durationMs(dataset.bucket);
  const to = Math.floor((Date.now() - durationMs(dataset.settle)) / bucket) * bucket;
  return { from: new Date(to - durationMs(dataset.checkWindow)).toISOString(), to: new Date(to).toISOString() };
}

// ---------------------------------------------------------------------------------------------- facts

async function loadFacts() {
  let data;
  try {
    data = await gql(page.key, FACTS, { dataset: page.dataset.name });
  } catch (err) {
    return problem(err);
  }
  showFacts(data.dataset);
  page.runs = new Map(data.runs.edges.map((e) => [e.node.id, e.node]));
  showRuns();
  const pick = page.runId && page.runs.has(page.runId) ? page.runId : [...page.runs.values()].find((r) => r.status === 'RUNNING')?.id ?? [...page.runs.keys()][0];
  if (pick) selectRun(pick, false);
  else showRun(null);
}

function showFacts(d) {
  const zone = page.dataset.timezone;
  const facts = $('facts');
  const row = (term, ...desc) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.append(...desc);
    return [dt, dd];
  };
  const check = d.lastCheck;
  const ready = d.lastReadySignal;
  const source = ready
    ? ready.source.kind === 'PIPELINE'
      ? runLink(ready.source.runId, 'pipeline run')
      : document.createTextNode(`an OK check of every group (${ready.source.checkId ?? 'check'})`)
    : null;
  facts.replaceChildren(
    ...row(
      'Last check',
      ...(check ? [badge(check.status), ` ${ago(check.checkedAt)}, ${triggerWords(check.trigger)}; window ${span(Date.parse(check.from), Date.parse(check.to), zone)}`] : ['none yet']),
    ),
    ...row('Last ready signal', ...(ready ? [`${ago(ready.at)} for ${span(Date.parse(ready.from), Date.parse(ready.to), zone)}, from `, source] : ['none yet'])),
    ...row('Next scheduled check', d.nextCheckAt ? `${when(d.nextCheckAt, zone)} (${ago(d.nextCheckAt)}), every ${d.schedule}` : d.schedule ? `every ${d.schedule}` : 'none: no schedule, checked when asked'),
  );
  // The full times, for whoever hovers.
  facts.children[1].title = check ? when(check.checkedAt, zone) : '';
  facts.children[3].title = ready ? when(ready.at, zone) : '';
}

function badge(status) {
  const b = document.createElement('span');
  b.className = `badge status-${status}`;
  b.textContent = status;
  return b;
}

function triggerWords(trigger) {
  return { API: 'asked over the API', SCHEDULE: 'scheduled', CLI: 'from gapwatch check', PIPELINE: 'by a pipeline run' }[trigger] ?? trigger;
}

function runLink(runId, text) {
  const a = document.createElement('a');
  a.href = `?${new URLSearchParams({ dataset: page.dataset.name, from: page.from, to: page.to, run: runId })}`;
  a.textContent = `${text} ${runId.split(':').at(-1)}`;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    selectRun(runId, true);
  });
  return a;
}

// ---------------------------------------------------------------------------------------------- the heatmap

let heatmap;
const worker = new Worker('/status/series-worker.js', { type: 'module' });

function setupMap() {
  const legend = $('legend');
  legend.replaceChildren(
    ...STATES.filter((s) => s.key !== 'LOADING').map((s) => {
      const li = document.createElement('li');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = s.color;
      const count = document.createElement('span');
      count.className = 'count';
      count.dataset.state = s.key;
      li.append(sw, ` ${s.label} `, count);
      li.title = s.words;
      return li;
    }),
  );
  heatmap = new Heatmap($('heatmap'), {
    describe,
    onSelect: showSelection,
    onZoom: (z0, z1) => {
      const g = page.grid;
      page.zoom = z0 === 0 && z1 === g.starts.length ? null : `${new Date(g.starts[z0]).toISOString()}..${new Date(g.ends[z1 - 1]).toISOString()}`;
      $('zoom-info').textContent = page.zoom ? `Showing ${span(g.starts[z0], g.ends[z1 - 1], page.dataset.timezone)}` : 'Whole window';
      writeUrl();
    },
    onFocusText: (text) => ($('cell-live').textContent = text),
  });
  $('zoom-sel').addEventListener('click', () => heatmap.zoomToSelection());
  $('zoom-out').addEventListener('click', () => heatmap.zoomOut());
  $('zoom-reset').addEventListener('click', () => heatmap.resetZoom());
  $('repair')?.addEventListener('click', () => void repairSelection());
  worker.onmessage = (e) => onSeries(e.data);
}

function describe(g, b) {
  const grid = page.grid;
  if (!grid) return '';
  const i = g * grid.starts.length + b;
  const state = STATES[heatmap.status[i]];
  const where = `${grid.groups[g]} · ${span(grid.starts[b], grid.ends[b], page.dataset.timezone)}`;
  if (state.key === 'LOADING') return `${where} · not loaded yet`;
  const count = heatmap.count[i];
  const expected = heatmap.expected[i];
  const numbers = state.key === 'CLOSED' ? `${count} rows, none expected` : `${count} of ${round(expected)} expected`;
  return `${where} · ${state.label} · ${numbers}`;
}

function round(n) {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Loads the window's series (all groups), or refreshes `only` these groups after a repair. */
function loadMap(only = null) {
  if (only && !page.loaded) only = null;
  page.job++;
  if (!only) {
    page.loaded = false;
    $('map-status').textContent = 'checking…';
  }
  const d = page.dataset;
  if (!only && d.groups) heatmap.reserve(d.groups.length);
  worker.postMessage({ id: page.job, key: page.key, dataset: d.name, from: page.from, to: page.to, bucketMs: durationMs(d.bucket), groups: d.groups ?? null, only });
}

function onSeries(m) {
  if (m.id !== page.job) return;
  switch (m.type) {
    case 'report':
      return;
    case 'shape': {
      page.grid = { groups: m.groups, index: new Map(m.groups.map((g, i) => [g, i])), starts: m.starts, ends: m.ends };
      heatmap.setShape(m.groups, m.starts, m.ends, m.report.timezone);
      heatmap.canvas.setAttribute(
        'aria-label',
        `Gap heatmap of ${page.dataset.name}: ${m.groups.length} groups by ${m.starts.length} buckets. Arrow keys move between cells, Shift with arrows selects a range, Enter zooms to it, minus zooms out, 0 shows the whole window, Escape clears the selection.`,
      );
      applyZoom();
      return;
    }
    case 'rows': {
      const B = page.grid.starts.length;
      m.groups.forEach((group, r) => {
        const g = page.grid.index.get(group);
        if (g === undefined) return;
        heatmap.setRows(g, m.status.subarray(r * B, (r + 1) * B), m.count.subarray(r * B, (r + 1) * B), m.expected.subarray(r * B, (r + 1) * B));
      });
      $('map-status').textContent = `${m.report.status} · checked ${ago(m.report.checkedAt)}`;
      countStates();
      showSelection(heatmap.selection);
      return;
    }
    case 'done':
      page.loaded = true;
      $('heatmap').dataset.loaded = 'true';
      countStates();
      markRepairs();
      return;
    case 'error':
      $('map-status').textContent = 'could not check';
      return problem(new GraphQLRequestError(m.message, { code: m.code }, m.status));
  }
}

function applyZoom() {
  const g = page.grid;
  if (!page.zoom || !g) return heatmap.resetZoom();
  const [a, b] = page.zoom.split('..').map((t) => Date.parse(t));
  let z0 = 0;
  while (z0 < g.starts.length - 1 && g.ends[z0] <= a) z0++;
  let z1 = z0 + 1;
  while (z1 < g.starts.length && g.starts[z1] < b) z1++;
  heatmap.setZoom(z0, z1);
}

function countStates() {
  const counts = new Array(STATES.length).fill(0);
  for (const s of heatmap.status) counts[s]++;
  for (const el of document.querySelectorAll('#legend .count')) el.textContent = `(${counts[STATE[el.dataset.state]].toLocaleString('en')})`;
}

/** The gap ranges inside a selection: each selected group's MISSING and UNDERFILLED buckets, merged. */
function rangesIn(sel) {
  const g = page.grid;
  const B = g.starts.length;
  const ranges = [];
  for (let row = sel.g0; row <= sel.g1; row++) {
    let open = -1;
    for (let b = sel.b0; b <= sel.b1 + 1; b++) {
      const s = b <= sel.b1 ? heatmap.status[row * B + b] : -1;
      const gap = s === STATE.MISSING || s === STATE.UNDERFILLED;
      if (gap && open < 0) open = b;
      if (!gap && open >= 0) {
        ranges.push({ group: g.groups[row], start: new Date(g.starts[open]).toISOString(), end: new Date(g.ends[b - 1]).toISOString() });
        open = -1;
      }
    }
  }
  return ranges;
}

function showSelection(sel) {
  const info = $('selection-info');
  $('zoom-sel').disabled = !sel;
  const repair = $('repair');
  if (!sel || !page.grid) {
    info.textContent = 'Drag over the map (or Shift + arrow keys) to select a range.';
    if (repair) repair.disabled = true;
    return;
  }
  const g = page.grid;
  const ranges = rangesIn(sel);
  const groups = sel.g1 - sel.g0 + 1;
  info.textContent = `Selected ${groups === 1 ? g.groups[sel.g0] : `${groups} groups`}, ${span(g.starts[sel.b0], g.ends[sel.b1], page.dataset.timezone)}: ${ranges.length} gap range${ranges.length === 1 ? '' : 's'}.`;
  if (repair) {
    repair.disabled = ranges.length === 0 || ranges.length > 200;
    repair.textContent = ranges.length > 200 ? 'Too many ranges (200 at most)' : `Repair ${ranges.length} range${ranges.length === 1 ? '' : 's'}`;
  }
}

async function repairSelection() {
  const sel = heatmap.selection;
  if (!sel) return;
  const ranges = rangesIn(sel);
  if (ranges.length === 0) return;
  const g = page.grid;
  const from = new Date(g.starts[sel.b0]).toISOString();
  const to = new Date(g.ends[sel.b1]).toISOString();
  $('repair').disabled = true;
  try {
    const data = await gql(
      page.key,
      `mutation StatusRepair($dataset: String!, $from: DateTime!, $to: DateTime!, $ranges: [GapRangeInput!]) {
        startRepair(dataset: $dataset, from: $from, to: $to, ranges: $ranges) { ${RUN_FIELDS} }
      }`,
      { dataset: page.dataset.name, from, to, ranges },
    );
    const run = data.startRepair;
    page.runs.set(run.id, run);
    showRuns();
    markRepairs();
    selectRun(run.id, true);
    say(`Repair started: ${ranges.length} range${ranges.length === 1 ? '' : 's'} (run ${run.name}).`, 'info');
  } catch (err) {
    problem(err);
  } finally {
    showSelection(heatmap.selection);
  }
}

/** Outlines the ranges a running run is repairing. */
function markRepairs() {
  const g = page.grid;
  if (!g || !heatmap) return;
  const marks = [];
  for (const run of page.runs.values()) {
    if (run.status !== 'RUNNING') continue;
    for (const r of run.input?.ranges ?? []) {
      const row = g.index.get(r.group);
      if (row === undefined) continue;
      const a = Date.parse(r.start);
      const b = Date.parse(r.end);
      let b0 = 0;
      while (b0 < g.starts.length && g.ends[b0] <= a) b0++;
      let b1 = b0;
      while (b1 + 1 < g.starts.length && g.starts[b1 + 1] < b) b1++;
      if (b0 < g.starts.length) marks.push({ g: row, b0, b1 });
    }
  }
  heatmap.setMarks(marks);
}

// ---------------------------------------------------------------------------------------------- runs

function subscribeDataset() {
  for (const unsubscribe of page.subscriptions) unsubscribe();
  const d = page.dataset.name;
  const live = page.live;
  page.subscriptions = [
    live.subscribe(`subscription StatusRuns($d: String) { runUpdated(dataset: $d) { ${RUN_FIELDS} } }`, { d }, {
      next: ({ runUpdated: run }) => {
        const before = page.runs.get(run.id);
        page.runs.set(run.id, { ...before, ...run });
        showRuns();
        markRepairs();
        // A run that starts while the selected one is over (or none is) becomes the one shown.
        const selected = page.runs.get(page.runId);
        if (!before && run.status === 'RUNNING' && (!selected || selected.status !== 'RUNNING')) selectRun(run.id, false);
        else if (run.id === page.runId) showRun(page.runs.get(run.id));
        if (run.status !== 'RUNNING') void loadFacts();
      },
      error: problem,
    }),
    live.subscribe(`subscription StatusReady($d: String) { datasetReady(dataset: $d) { at } }`, { d }, { next: () => void loadFacts(), error: problem }),
    live.subscribe(`subscription StatusChecks($d: String) { checkCompleted(dataset: $d) { id } }`, { d }, { next: () => void refreshFactsSoon(), error: problem }),
  ];
}

let factsTimer = 0;
/** Checks come in bursts (the page's own chunks, a run's Check and Validate): one facts reload per burst. */
function refreshFactsSoon() {
  clearTimeout(factsTimer);
  factsTimer = setTimeout(() => void loadFacts(), 400);
}

function showRuns() {
  const list = $('runs');
  const runs = [...page.runs.values()].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  list.replaceChildren(
    ...runs.map((run) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `run-item status-${run.status}`;
      button.dataset.runId = run.id;
      button.setAttribute('aria-pressed', String(run.id === page.runId));
      const zone = page.dataset.timezone;
      button.innerHTML = '';
      const status = document.createElement('span');
      status.className = 'run-status';
      status.textContent = run.status;
      const what = document.createElement('span');
      what.className = 'run-what';
      what.textContent = `${run.mode ?? '?'} ${run.from ? span(Date.parse(run.from), Date.parse(run.to), zone) : ''}`;
      const time = document.createElement('span');
      time.className = 'run-when';
      time.textContent = `started ${ago(run.startedAt)}${run.stoppedAt ? `, took ${Math.max(0, (Date.parse(run.stoppedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s` : ''}`;
      button.append(status, what, time);
      button.addEventListener('click', () => selectRun(run.id, true));
      li.append(button);
      return li;
    }),
  );
  if (runs.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No runs of this dataset yet.';
    list.append(li);
  }
}

function selectRun(id, push) {
  if (page.runId === id && page.runSubscription) return;
  page.runId = id;
  writeUrl(push);
  for (const b of document.querySelectorAll('.run-item')) b.setAttribute('aria-pressed', String(b.dataset.runId === id));
  page.runSubscription?.();
  page.runSubscription = null;
  page.events = [];
  $('events').replaceChildren();
  page.machine?.reset();
  showRun(page.runs.get(id));
  let last = 0;
  page.runSubscription = page.live.subscribe(
    `subscription StatusRunEvents($id: ID!) { runEvents(runId: $id) { id type state at } }`,
    { id },
    {
      next: ({ runEvents: e }) => {
        // A reconnect replays the history from the start: each id once.
        if (e.id <= last) return;
        last = e.id;
        onRunEvent(id, e);
      },
      error: problem,
      complete: () => void refreshRun(id),
    },
  );
}

function onRunEvent(runId, e) {
  if (runId !== page.runId) return;
  page.events.push(e);
  page.machine?.apply(e);
  const list = $('events');
  const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  const li = document.createElement('li');
  li.dataset.type = e.type;
  li.textContent = `#${e.id} ${e.type}${e.state ? ` · ${e.state}` : ''} · ${zoneFormat(page.dataset.timezone, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(Date.parse(e.at))}`;
  list.append(li);
  while (list.children.length > 1000) list.firstElementChild.remove();
  if (stick) list.scrollTop = list.scrollHeight;
  $('run-now').textContent = page.machine?.current ? `Now: ${page.machine.current}` : '';
  // Validate has re-checked the repaired windows: read the cells back from a check, as the API says them.
  if (e.state === 'Validate' && e.type.endsWith('StateExited')) refreshRepaired(runId);
}

function refreshRepaired(runId) {
  const run = page.runs.get(runId);
  const groups = [...new Set((run?.input?.ranges ?? []).map((r) => r.group))];
  loadMap(groups.length > 0 ? groups : page.grid?.groups ?? null);
}

async function refreshRun(id) {
  try {
    const data = await gql(page.key, `query StatusRun($id: ID!) { run(id: $id) { ${RUN_FIELDS} repairedRanges { group start end } } }`, { id });
    if (!data.run) return;
    page.runs.set(id, data.run);
    showRuns();
    markRepairs();
    if (id === page.runId) {
      showRun(data.run);
      page.machine?.end(data.run.status);
      $('run-now').textContent = page.machine?.current ? `Ended in ${page.machine.current}` : '';
    }
    if (data.run.status === 'SUCCEEDED' || data.run.status === 'FAILED') refreshRepaired(id);
    void loadFacts();
  } catch (err) {
    problem(err);
  }
}

function showRun(run) {
  const head = $('run-head');
  const cause = $('run-cause');
  if (!run) {
    head.textContent = 'No run selected.';
    cause.hidden = true;
    return;
  }
  const zone = page.dataset.timezone;
  head.textContent = `${run.name}: ${run.status}, mode ${run.mode ?? '?'}${run.from ? `, ${span(Date.parse(run.from), Date.parse(run.to), zone)}` : ''}, started ${when(run.startedAt, zone)}${run.stoppedAt ? `, ended ${when(run.stoppedAt, zone)}` : ''}`;
  head.dataset.status = run.status;
  const words = failureInWords(run);
  cause.hidden = !words;
  cause.textContent = words ?? '';
  const stop = $('stop-run');
  if (stop) stop.hidden = run.status !== 'RUNNING' || page.viewer?.role !== 'OPERATOR';
}

/** Why a run did not succeed, in words a person acts on; the API's error name and cause stay in it. */
export function failureInWords(run) {
  if (run.status === 'RUNNING' || run.status === 'SUCCEEDED') return null;
  const cause = run.cause ? run.cause.trim() : '';
  const tail = cause ? `: ${cause}` : '.';
  if (run.status === 'ABORTED') return `Stopped before it finished${tail}`;
  if (run.status === 'TIMED_OUT') return `The run took longer than the state machine allows and was ended${tail}`;
  const known = {
    'gapwatch.GapsRemain': 'Validate re-checked the repaired ranges and gaps remain',
    'gapwatch.RepairFailed': 'A range could not be repaired, even after retries',
    'gapwatch.RepairNotConfigured': 'This dataset has no repair action configured (repair: in the config file)',
    'gapwatch.TooManyRanges': 'The check found more gap ranges than one run repairs (200); repair narrower windows',
    'gapwatch.InvalidInput': 'The run was given input the pipeline refuses',
    'gapwatch.BackendUnavailable': 'Athena or Step Functions did not answer',
    'gapwatch.QueryFailed': 'A query of the check failed',
    'States.Timeout': 'A step took longer than its timeout',
    'States.TaskFailed': 'A step failed',
  };
  const lead = known[run.error] ?? `Failed with ${run.error ?? 'an unnamed error'}`;
  return `${lead}${tail}${run.error && known[run.error] ? ` (${run.error})` : ''}`;
}

async function stopRun() {
  const id = page.runId;
  if (!id) return;
  try {
    await gql(page.key, 'mutation StatusStop($id: ID!) { stopRun(id: $id, cause: "stopped from the status page") { id status } }', { id });
  } catch (err) {
    problem(err);
  }
}

// ---------------------------------------------------------------------------------------------- wiring

function setupForm() {
  $('view').addEventListener('submit', (e) => {
    e.preventDefault();
    page.dataset = page.datasets.find((d) => d.name === $('dataset').value) ?? page.dataset;
    page.from = $('from').value.trim();
    page.to = $('to').value.trim();
    page.zoom = null;
    writeUrl(true);
    void applyUrl();
  });
  $('dataset').addEventListener('change', () => {
    const d = page.datasets.find((x) => x.name === $('dataset').value);
    history.pushState(null, '', `${location.pathname}?dataset=${encodeURIComponent(d.name)}`);
    void applyUrl();
  });
  $('stop-run')?.addEventListener('click', () => void stopRun());
  window.addEventListener('popstate', () => void applyUrl());
}

setupKey();
setupMap();
setupForm();
showSelection(null);
setLive('connecting');
sessionKey.get().then((key) => {
  page.key = key;
  void boot();
});
