// Burnroom operators' page: polls /ops/samples (one small sample per cluster node, relayed over the event bus)
// and draws live uPlot charts per node. No inline script or style: served under a strict CSP.
'use strict';

(() => {
  const POLL_MS = 1000;
  const KEEP = 300; // points kept per series: 5 minutes at one poll per second
  const COLORS = ['#ff6a3d', '#3da5ff', '#7bd88f', '#f2c94c', '#bb86fc', '#4dd0e1'];
  const METRICS = ['rooms', 'members', 'msgRate', 'ebPending', 'ebRate', 'lateness'];

  const times = [];
  const series = new Map(); // node id -> { metric -> array aligned with times }
  const previous = new Map(); // node id -> last raw sample, to turn totals into rates
  const plots = new Map(); // metric -> uPlot
  let nodeOrder = [];
  let polls = 0;

  function rate(now, before, field) {
    if (!before || now.time <= before.time) return null;
    return Math.max(0, (now[field] - before[field]) * 1000 / (now.time - before.time));
  }

  function lateness(now, before) {
    if (!before) return null;
    const burns = now.burns - before.burns;
    return burns > 0 ? (now.burnLatenessTotalMs - before.burnLatenessTotalMs) / burns : null;
  }

  function valuesOf(sample, before) {
    return {
      rooms: sample.rooms,
      members: sample.members,
      msgRate: rate(sample, before, 'messages'),
      ebPending: sample.ebPending,
      ebRate: rate(sample, before, 'ebProcessed'),
      lateness: lateness(sample, before),
    };
  }

  function emptySeries() {
    const s = {};
    for (const m of METRICS) s[m] = times.map(() => null);
    return s;
  }

  function record(body) {
    times.push(body.time / 1000);
    const seen = new Set();
    for (const sample of body.nodes) {
      seen.add(sample.node);
      if (!series.has(sample.node)) series.set(sample.node, emptySeries());
      const s = series.get(sample.node);
      const v = valuesOf(sample, previous.get(sample.node));
      for (const m of METRICS) s[m].push(v[m]);
      previous.set(sample.node, sample);
    }
    for (const [node, s] of series) {
      if (!seen.has(node)) {
        for (const m of METRICS) s[m].push(null);
        previous.delete(node);
      }
    }
    if (times.length > KEEP) {
      times.shift();
      for (const s of series.values()) for (const m of METRICS) s[m].shift();
    }
    for (const [node, s] of series) {
      if (s.rooms.every((x) => x === null)) series.delete(node);
    }
  }

  function shortId(node) {
    return node.slice(0, 8);
  }

  function makePlot(figure, metric) {
    const opts = {
      width: Math.max(320, figure.clientWidth - 16),
      height: 200,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: '#8a8f98', grid: { stroke: '#2a2e35' }, ticks: { stroke: '#2a2e35' } },
        { stroke: '#8a8f98', grid: { stroke: '#2a2e35' }, ticks: { stroke: '#2a2e35' } },
      ],
      series: [{}].concat(nodeOrder.map((node, i) => ({
        label: shortId(node),
        stroke: COLORS[i % COLORS.length],
        width: 2,
        spanGaps: metric === 'lateness',
        points: { show: metric === 'lateness' },
      }))),
      legend: { show: true },
    };
    return new uPlot(opts, dataFor(metric), figure);
  }

  function dataFor(metric) {
    return [times.slice()].concat(nodeOrder.map((node) => series.get(node)[metric].slice()));
  }

  function render() {
    const order = Array.from(series.keys()).sort();
    const rebuild = order.join(',') !== nodeOrder.join(',');
    nodeOrder = order;
    for (const figure of document.querySelectorAll('figure.plot')) {
      const metric = figure.dataset.metric;
      if (rebuild && plots.has(metric)) {
        plots.get(metric).destroy();
        plots.delete(metric);
      }
      if (!plots.has(metric)) {
        plots.set(metric, makePlot(figure, metric));
      } else {
        plots.get(metric).setData(dataFor(metric));
      }
      const latest = nodeOrder.reduce((sum, node) => sum + (last(series.get(node)[metric]) || 0), 0);
      figure.dataset.latest = String(latest);
      figure.dataset.points = String(times.length);
    }
  }

  function last(arr) {
    for (let i = arr.length - 1; i >= 0; i--) if (arr[i] !== null) return arr[i];
    return null;
  }

  function fmt(x, digits) {
    return x === null || x === undefined ? '–' : Number(x).toFixed(digits);
  }

  function renderTable(body) {
    const tbody = document.querySelector('#nodes tbody');
    tbody.replaceChildren();
    for (const sample of body.nodes.slice().sort((a, b) => a.node.localeCompare(b.node))) {
      const s = series.get(sample.node);
      const tr = document.createElement('tr');
      const idCell = document.createElement('td');
      const swatch = document.createElement('span');
      swatch.className = 'swatch swatch-' + (nodeOrder.indexOf(sample.node) % COLORS.length);
      idCell.append(swatch, shortId(sample.node) + (sample.self ? ' (this node)' : ''));
      tr.append(idCell);
      for (const text of [fmt(sample.rooms, 0), fmt(sample.members, 0), fmt(last(s.msgRate), 1),
        fmt(sample.ebPending, 0), fmt(last(s.ebRate), 1), fmt(sample.burnLatenessMaxMs, 0) + ' ms']) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tbody.append(tr);
    }
  }

  async function poll() {
    try {
      const res = await fetch('/ops/samples', { cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const body = await res.json();
      record(body);
      render();
      renderTable(body);
      polls++;
      document.body.dataset.polls = String(polls);
      document.body.dataset.nodes = String(body.nodes.length);
      document.getElementById('status').textContent = body.nodes.length + ' node' + (body.nodes.length === 1 ? '' : 's')
        + ' · updated ' + new Date(body.time).toLocaleTimeString();
    } catch (e) {
      document.getElementById('status').textContent = 'No samples: ' + e.message;
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  // Read-only view for tests and the console: the latest value of a metric for every node, in node order.
  window.burnroomOps = Object.freeze({
    latestPerNode: (metric) => nodeOrder.map((node) => last(series.get(node)[metric])),
  });

  poll();
})();
