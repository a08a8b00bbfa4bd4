// The Strata dashboard: one sample a second by server-sent events, four panels bottom-up,
// hand-drawn canvas charts. No libraries, no network beyond the page's own server.
(function () {
  'use strict';
  var HISTORY = 300;
  var COLORS = ['#58a6ff', '#f85149', '#d29922', '#a371f7', '#3fb950', '#db61a2'];
  var LAYERS = ['L4', 'L3', 'L2', 'L1'];
  var COLUMNS = {
    L1: [['name', 'dependency'], ['connects', 'connects/s', rate], ['connectFailures', 'connect fail/s', rate],
         ['resets', 'resets/s', rate], ['stale', 'stale/s', rate], ['dns', 'DNS fail/s', rate]],
    L2: [['name', 'pool / limiter'], ['active', 'active', int], ['idle', 'idle', int], ['pending', 'pending', int],
         ['max', 'max', int], ['waitP99Ms', 'wait p99', ms], ['timeouts', 'timeouts/s', rate], ['value', 'value', num]],
    L3: [['name', 'dependency'], ['breaker', 'breaker', text], ['calls', 'calls/s', rate], ['failed', 'failed/s', rate],
         ['retryRate', 'retried', pct], ['budget', 'budget', num], ['bulkhead', 'bulkhead', text],
         ['limit', 'limit', text], ['throttle', 'throttled', pct], ['fallbacks', 'fallbacks/s', rate], ['rejected', 'rejected/s', rate]],
    L4: [['name', 'item'], ['value', 'value', text]]
  };
  var samples = [];
  var source = null;
  var reconnectTimer = null;

  function rate(v) { return v == null ? '–' : (Math.round(v * 10) / 10).toFixed(1); }
  function int(v) { return v == null ? '–' : String(Math.round(v)); }
  function num(v) { return v == null ? '–' : (Math.round(v * 10) / 10).toString(); }
  function ms(v) { return v == null ? '–' : (v < 10 ? v.toFixed(2) : Math.round(v)) + ' ms'; }
  function pct(v) { return v == null ? '–' : Math.round(v * 100) + '%'; }
  function text(v) { return v == null ? '–' : typeof v === 'number' ? num(v) : String(v); }

  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (content != null) { e.textContent = content; }
    return e;
  }

  function renderTable(layer, panel) {
    var rows = panel.rows || [];
    var box = document.querySelector('#panel-' + layer + ' .table');
    box.textContent = '';
    if (rows.length === 0) { box.appendChild(el('p', { 'class': 'empty' }, 'nothing bound on this layer yet')); return; }
    var columns = COLUMNS[layer].filter(function (c) {
      return c[0] === 'name' || rows.some(function (r) { return r[c[0]] != null || (c[0] === 'bulkhead' && r.bulkheadMax != null); });
    });
    var table = el('table');
    var head = el('tr');
    columns.forEach(function (c) { head.appendChild(el('th', null, c[1])); });
    table.appendChild(head);
    rows.forEach(function (r) {
      var tr = el('tr', { 'data-dependency': r.name, 'data-status': r.status || 'healthy' });
      columns.forEach(function (c) {
        var v = c[0] === 'bulkhead' ? (r.bulkheadMax != null ? int(r.bulkheadActive) + '/' + int(r.bulkheadMax) : null) : r[c[0]];
        var td = el('td', null, c[0] === 'name' ? r.name : (c[2] || text)(v));
        if (c[0] === 'breaker') { td.setAttribute('data-breaker', r.name); td.className = 'state-' + v; }
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function drawChart(layer) {
    var canvas = document.querySelector('#panel-' + layer + ' canvas');
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (w === 0 || h === 0) { return; }
    if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
    var g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    var last = samples[samples.length - 1];
    if (!last) { return; }
    var names = Object.keys(last.layers[layer].series || {});
    var max = 0;
    samples.forEach(function (s) {
      var series = s.layers[layer].series || {};
      names.forEach(function (n) { if (series[n] > max) { max = series[n]; } });
    });
    max = max <= 0 ? 1 : max * 1.15;
    var left = 34, top = 16, bottom = h - 14, right = w - 4;
    g.strokeStyle = '#30363d'; g.lineWidth = 1; g.fillStyle = '#8b949e'; g.font = '10px system-ui, sans-serif';
    for (var i = 0; i <= 2; i++) {
      var y = bottom - (bottom - top) * i / 2;
      g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
      g.fillText(num(max * i / 2), 2, y + 3);
    }
    // The x axis spans the last minute until there is more history, then up to five minutes.
    var span = Math.min(HISTORY, Math.max(60, samples.length));
    g.fillText(span >= HISTORY ? '-5m' : '-' + span + 's', left, h - 2); g.fillText('now', right - 20, h - 2);
    var step = (right - left) / (span - 1);
    var offset = span - samples.length;
    var lx = left;
    names.forEach(function (n, k) {
      var color = COLORS[k % COLORS.length];
      g.strokeStyle = color; g.lineWidth = 1.5; g.beginPath();
      samples.forEach(function (s, j) {
        var v = (s.layers[layer].series || {})[n] || 0;
        var x = left + (offset + j) * step, y2 = bottom - (bottom - top) * v / max;
        if (j === 0) { g.moveTo(x, y2); } else { g.lineTo(x, y2); }
      });
      g.stroke();
      g.fillStyle = color; g.fillRect(lx, 3, 8, 8);
      g.fillStyle = '#e6e6e6'; g.fillText(n, lx + 11, 11);
      lx += g.measureText(n).width + 22;
    });
  }

  function renderVerdicts(list) {
    var box = document.getElementById('verdicts');
    box.textContent = '';
    if (!list || list.length === 0) { box.hidden = true; return; }
    list.forEach(function (v) {
      box.appendChild(el('p', { 'data-layer': v.layer || '' },
        (v.layer ? v.layer + ' ' : '') + (v.dependency ? '[' + v.dependency + '] ' : '') + (v.text || '')
          + (v.fix ? ' — fix: ' + v.fix : '')));
    });
    box.hidden = false;
  }

  function render() {
    var last = samples[samples.length - 1];
    if (!last) { return; }
    renderVerdicts(last.verdicts);
    LAYERS.forEach(function (layer) {
      var panel = last.layers[layer];
      var section = document.getElementById('panel-' + layer);
      section.setAttribute('data-status', panel.status);
      section.querySelector('.badge').textContent = panel.status;
      section.setAttribute('data-has-data', String((panel.rows || []).length > 0));
      renderTable(layer, panel);
      drawChart(layer);
    });
  }

  function add(sample) {
    samples.push(sample);
    while (samples.length > HISTORY) { samples.shift(); }
  }

  function connect() {
    if (source) { source.close(); }
    source = new EventSource('/strata/dashboard/events');
    source.addEventListener('history', function (e) {
      samples = [];
      JSON.parse(e.data).forEach(add);
      render();
    });
    source.onmessage = function (e) { add(JSON.parse(e.data)); render(); };
    source.onopen = function () { setConn('live', 'live'); };
    source.onerror = function () {
      setConn('reconnecting', 'reconnecting…');
      // EventSource retries by itself while the server is reachable; if it gave up, start over.
      if (source.readyState === EventSource.CLOSED && !reconnectTimer) {
        reconnectTimer = setTimeout(function () { reconnectTimer = null; connect(); }, 2000);
      }
    };
  }

  function setConn(state, label) {
    var c = document.getElementById('conn');
    c.setAttribute('data-state', state);
    c.textContent = label;
  }

  window.addEventListener('resize', function () { LAYERS.forEach(drawChart); });
  connect();
})();
