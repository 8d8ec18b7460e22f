// kubesim's report viewer: step through a run at any virtual moment. Reads the JSON that
// kubesim embeds in the page (class "kubesim-data"); no network, no framework.
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  var blobs = document.querySelectorAll('script.kubesim-data');
  if (!root || !blobs.length) return;

  // ---- formatting, as kubectl and Go print ----
  // duration.HumanDuration (k8s.io/apimachinery), as `kubesim get pods` writes AGE.
  function human(ms) {
    var s = Math.floor(Math.max(0, ms) / 1000);
    if (s < 120) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 10) return s % 60 === 0 ? m + 'm' : m + 'm' + (s % 60) + 's';
    if (m < 180) return m + 'm';
    var h = Math.floor(m / 60);
    if (h < 8) return m % 60 === 0 ? h + 'h' : h + 'h' + (m % 60) + 'm';
    if (h < 48) return h + 'h';
    var d = Math.floor(h / 24);
    if (h < 24 * 8) return h % 24 === 0 ? d + 'd' : d + 'd' + (h % 24) + 'h';
    if (h < 24 * 365 * 2) return d + 'd';
    var y = Math.floor(d / 365), dy = d % 365;
    if (h < 24 * 365 * 8) return dy === 0 ? y + 'y' : y + 'y' + dy + 'd';
    return y + 'y';
  }
  // Go's time.Duration String for whole milliseconds (7m45s, 1m2.5s, 0s).
  function goDur(ms) {
    if (ms === 0) return '0s';
    var h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = (ms % 60000) / 1000;
    var secs = String(Number(s.toFixed(3)));
    return (h ? h + 'h' : '') + (h || m ? m + 'm' : '') + secs + 's';
  }
  function secs(ms) { return (ms / 1000).toFixed(3) + 's'; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function cum(d) { var out = new Array(d.length), t = 0; for (var i = 0; i < d.length; i++) { t += d[i]; out[i] = t; } return out; }
  function group(keys, n, shift) {
    var out = new Array(n);
    for (var i = 0; i < n; i++) out[i] = [];
    for (var j = 0; j < keys.length; j++) { var k = keys[j] - shift; if (k >= 0 && k < n) out[k].push(j); }
    return out;
  }
  // The last index in `list` whose time is <= T (lists are in time order), or -1.
  function lastAt(list, times, T) {
    var lo = 0, hi = list.length - 1, r = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (times[list[mid]] <= T) { r = list[mid]; lo = mid + 1; } else hi = mid - 1; }
    return r;
  }

  // The last index in start..start+n whose time is <= T, or -1.
  function lastInRange(start, n, times, T) {
    var lo = start, hi = start + n - 1, r = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (times[mid] <= T) { r = mid; lo = mid + 1; } else hi = mid - 1; }
    return r;
  }

  // ---- the data ----
  function load(blob) {
    var D = JSON.parse(blob.textContent);
    D.label = blob.getAttribute('data-label') || D.name;
    var S = D.strings, P = D.pods, X = D.snaps;
    D.node_snaps.t = cum(D.node_snaps.dt);
    var nP = P.name.length, nN = D.nodes.name.length, m = X.dt.length;
    if (!P.order.length) for (var o = 0; o < nP; o++) P.order.push(o);
    // Unpack the snapshots (grouped by pod) into flat arrays; per pod, its range of them.
    X.podNode = X.node; X.t = new Array(m); X.node = new Array(m); X.restarts = new Array(m); X.gone = new Array(m);
    X.ipOf = new Array(m); X.lastAt = new Array(m).fill(0); X.start = new Array(nP);
    var k = 0;
    for (var p = 0; p < nP; p++) {
      X.start[p] = k;
      var t = 0, ip = '';
      for (var j = 0; j < X.n[p]; j++, k++) {
        t += X.dt[k];
        X.t[k] = t;
        X.node[k] = X.f[k] & 1 ? X.podNode[p] : 0;
        X.gone[k] = X.f[k] & 2;
        X.restarts[k] = Math.floor(X.f[k] / 4);
        if (X.ip[k]) ip = X.ips[X.ip[k] - 1];
        X.ipOf[k] = ip;
      }
    }
    X.last.forEach(function (x) { X.lastAt[x[0]] = x[1] + 1; });
    D.nodeSnaps = group(D.node_snaps.n, nN, 0);
    D.descBy = group(D.describes.p, nP, 0);
    D.podEvents = group(D.events.pod, nP, 1);
    D.rowParts = X.rows.map(function (r) { return r.split('\t'); });
    D.row = function (s) { return D.rowParts[X.row[s]]; };
    // Every pod outside `default`: the table is `get pods -A` (a NAMESPACE column).
    D.allNs = P.ns.some(function (x) { return S[x] !== 'default'; });
    // Each series' repeats, to count them up to the moment.
    var E = D.events, rt = 0;
    E.reps = {};
    for (var r = 0; r < E.rep_e.length; r++) { rt += E.rep_dt[r]; (E.reps[E.rep_e[r]] = E.reps[E.rep_e[r]] || []).push(rt); }
    return D;
  }
  var runs = Array.prototype.map.call(blobs, load);
  var END = Math.max.apply(null, runs.map(function (D) { return D.end; }));
  // Every moment something changed, for the arrow keys.
  var ticks = (function () {
    var n = 2;
    runs.forEach(function (D) { n += D.events.t.length + D.snaps.t.length; });
    var all = new Float64Array(n), k = 0;
    all[k++] = 0; all[k++] = END;
    runs.forEach(function (D) {
      D.events.t.forEach(function (t) { all[k++] = t; });
      D.snaps.t.forEach(function (t) { all[k++] = t; });
    });
    all.sort();
    var out = [];
    for (var i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]);
    return out;
  })();

  // The cluster at T: visible pods (in `get pods` order) and nodes, each with its snapshot.
  function at(D, T) {
    var P = D.pods, pods = [], nodes = [];
    for (var i = 0; i < P.order.length; i++) {
      var id = P.order[i];
      if (P.created[id] > T) continue;
      var s = lastInRange(D.snaps.start[id], D.snaps.n[id], D.snaps.t, T);
      if (s < 0 || D.snaps.gone[s]) continue;
      pods.push({ id: id, s: s });
    }
    for (var n = 0; n < D.nodes.name.length; n++) {
      var x = lastAt(D.nodeSnaps[n], D.node_snaps.t, T);
      if (x < 0 || (D.node_snaps.flags[x] & 4)) continue;
      nodes.push({ id: n, s: x });
    }
    return { pods: pods, nodes: nodes };
  }
  function podRow(D, p, T) {
    var r = D.row(p.s), n = D.snaps.restarts[p.s], last = D.snaps.lastAt[p.s];
    var restarts = n > 0 && last > 0 ? n + ' (' + human(T - (last - 1)) + ' ago)' : String(n);
    var row = [D.pods.name[p.id], r[0], r[1], restarts, human(T - D.pods.created[p.id])];
    if (D.allNs) row.unshift(D.strings[D.pods.ns[p.id]]);
    return row;
  }
  // An event's (count, last seen) at T: its series' repeats so far (the final ones when the
  // page has none of its repeats).
  function seen(D, i, T) {
    var E = D.events, r = E.reps[i];
    if (!r) return { count: E.count[i], last: Math.min(E.last[i], T) };
    var n = 0;
    while (n < r.length && r[n] <= T) n++;
    return { count: 1 + n, last: n ? r[n - 1] : E.t[i] };
  }
  function nodeStatus(D, s) {
    var st = D.node_snaps.ready[s] === 0 ? 'Ready' : 'NotReady';
    if (D.node_snaps.flags[s] & 1) st += ',SchedulingDisabled';
    return st;
  }
  // A colour family per STATUS (Okabe-Ito colours, safe for colour-blind readers); a Running
  // pod whose containers are not all ready is drawn apart (READY "0/1").
  function statusClass(status, phase, ready) {
    if (status === 'Running') {
      var rd = (ready || '').split('/');
      return rd.length === 2 && rd[0] !== rd[1] ? 'st-notready' : 'st-run';
    }
    if (status === 'Terminating') return 'st-term';
    if (status === 'Completed' || phase === 'Succeeded') return 'st-done';
    if (/ImagePull|ErrImage|InvalidImageName/.test(status)) return 'st-pull';
    if (status === 'Pending') return 'st-pend';
    if (/ContainerCreating|PodInitializing|^Init:\d/.test(status)) return 'st-create';
    if (status === 'NotReady') return 'st-notready';
    if (phase === 'Failed') return 'st-failed';
    return 'st-crash';
  }

  // A symbol per colour family, so that the chips differ by more than their colour.
  var SYMBOL = { 'st-run': '\u25B6', 'st-notready': '\u25B7', 'st-create': '+', 'st-pend': '\u2026', 'st-pull': '\u21E9', 'st-crash': '\u21BB', 'st-term': '\u2715', 'st-done': '\u2713', 'st-failed': '!' };
  // A chip's label: the whole name when short, else its start and its last five characters.
  function shortName(name) { return name.length <= 16 ? name : name.slice(0, 8) + '\u2026' + name.slice(-5); }

  // ---- the page ----
  var state = { T: 0, playing: false, speed: 60, selected: null };
  var head = el('div', { class: 'v-head' });
  head.appendChild(el('h2', { id: 'viewer-title' }, 'Step through the run'));
  head.appendChild(el('p', { class: 'v-help' }, 'Drag the slider or use the keys (with the focus in this box): \u2190/\u2192 the previous/next change, Shift+\u2190/\u2192 10 s, PageUp/PageDown 1 min, Home/End, Space plays, Escape closes the pod. Click a pod for its causes and describe; click an event, a fault or a chart to jump to its time.'));
  root.appendChild(head);
  runs.forEach(function (D) {
    if (D.dropped.length) head.appendChild(el('p', { class: 'note' }, (runs.length > 1 ? D.label + ': ' : '') + 'this page leaves out ' + D.dropped.join('; ') + '.'));
  });
  var bar = el('div', { class: 'v-bar' });
  var play = el('button', { id: 'v-play', type: 'button', 'aria-label': 'play' }, '\u25B6 play');
  var speed = el('select', { id: 'v-speed', 'aria-label': 'speed' });
  [10, 60, 300, 1800].forEach(function (x) { var o = el('option', { value: x }, x + '\u00D7'); if (x === 60) o.selected = true; speed.appendChild(o); });
  var clock = el('output', { id: 'v-clock' });
  var big = el('button', { type: 'button', id: 'v-big', 'aria-pressed': 'false' }, 'A+');
  var track = el('div', { class: 'v-track' });
  var slider = el('input', { id: 'v-time', type: 'range', min: 0, max: END, step: 1, value: 0, 'aria-label': 'virtual time (ms)' });
  track.appendChild(slider);
  // The faults of every run shown (once each): a band while one lasts (to the end when it has
  // no end), a tick for an operator's action; below the track, a button for each.
  var ACTIONS = /^(set-image|rollout-restart|scale|add-nodes|node-drain|node-cordon|node-uncordon|taint-node|untaint-node|delete-node|pod-kill|apply|delete)$/;
  var faults = [], seenFault = {};
  runs.forEach(function (D) {
    D.faults.forEach(function (f) { var k = f[0] + f[2]; if (!seenFault[k]) { seenFault[k] = 1; faults.push(f); } });
  });
  faults.sort(function (a, b) { return a[0] - b[0]; });
  var faultList = el('p', { class: 'v-faults' });
  faults.forEach(function (f) {
    var tick = ACTIONS.test(f[2]), a = f[0] / END * 100;
    var b = tick ? a : (f[1] < 0 ? 100 : Math.max(f[1], f[0] + END / 200) / END * 100);
    var m = el('div', { class: tick ? 'v-fault tick' : 'v-fault', title: f[2] + ' at ' + goDur(f[0]) });
    m.style.left = a + '%';
    m.style.width = (tick ? 0 : Math.max(0.4, Math.min(100, b) - a)) + '%';
    track.appendChild(m);
    var btn = el('button', { type: 'button', class: 'v-fault-btn' }, (tick ? '\u25CF ' : '\u26A1 ') + f[2] + ' ' + goDur(f[0]) + (f[1] >= 0 && !tick ? '\u2013' + goDur(f[1]) : ''));
    btn.addEventListener('click', function () { seek(f[0]); });
    faultList.appendChild(btn);
  });
  [play, speed, clock, big].forEach(function (x) { bar.appendChild(x); });
  root.appendChild(bar);
  root.appendChild(track);
  if (faults.length) root.appendChild(faultList);
  var legend = el('p', { class: 'v-legend' });
  [['st-run', 'Running'], ['st-notready', 'Running, not ready'], ['st-create', 'ContainerCreating / Init'], ['st-pend', 'Pending'], ['st-pull', 'image pull back-off'], ['st-crash', 'CrashLoopBackOff / Error'], ['st-term', 'Terminating'], ['st-done', 'Completed'], ['st-failed', 'Failed']].forEach(function (x) {
    var item = el('span', { class: 'v-legend-item' });
    item.appendChild(el('span', { class: 'chip ' + x[0] }, SYMBOL[x[0]]));
    item.appendChild(document.createTextNode(' ' + x[1]));
    legend.appendChild(item);
  });
  root.appendChild(legend);
  var panesBox = el('div', { class: runs.length > 1 ? 'v-panes v-two' : 'v-panes' });
  root.appendChild(panesBox);

  function makePane(k) {
    var pane = { run: Math.min(k, runs.length - 1), page: 0, key: 'p' + k + '-' };
    var box = el('div', { class: 'v-pane', 'data-pane': k });
    if (runs.length > 1) {
      var lab = el('label', { class: 'v-variant-label' }, (k === 0 ? 'Left' : 'Right') + ': variant ');
      var sel = el('select', { class: 'v-variant' });
      runs.forEach(function (D, i) { var o = el('option', { value: i }, D.label); if (i === pane.run) o.selected = true; sel.appendChild(o); });
      sel.addEventListener('change', function () {
        if (state.selected && state.selected.run === pane.run && panes.every(function (q) { return q === pane || q.run !== pane.run; })) state.selected = null;
        pane.run = +sel.value;
        render();
      });
      pane.select = sel;
      lab.appendChild(sel);
      box.appendChild(lab);
      pane.ended = el('p', { class: 'note' });
      box.appendChild(pane.ended);
    }
    pane.nodes = el('div', { class: 'v-nodes' });
    pane.tableBox = el('div', { class: 'v-table' });
    pane.filter = el('input', { type: 'text', class: 'v-filter', placeholder: 'filter pods (name, status, node)', 'aria-label': 'filter pods' });
    pane.filter.addEventListener('input', function () { pane.page = 0; render(); });
    pane.evFilter = el('input', { type: 'text', class: 'v-filter', placeholder: 'filter events by object (pod/web, node/worker-1)', 'aria-label': 'filter events' });
    pane.evFilter.addEventListener('input', render);
    pane.events = el('div', { class: 'v-events' });
    pane.detail = el('div', { class: 'v-detail' });
    box.appendChild(el('h3', {}, 'Nodes and their pods'));
    box.appendChild(pane.nodes);
    box.appendChild(el('h3', {}, 'kubectl get pods'));
    box.appendChild(pane.filter);
    box.appendChild(pane.tableBox);
    box.appendChild(pane.detail);
    box.appendChild(el('h3', {}, 'Events so far, newest first'));
    box.appendChild(pane.evFilter);
    box.appendChild(pane.events);
    panesBox.appendChild(box);
    pane.box = box;
    return pane;
  }
  var panes = [makePane(0)];
  if (runs.length > 1) panes.push(makePane(1));

  var BIG = 1500, MAX_CARDS = 200, PAGE = 200, MAX_EVENTS = 200;
  function isSelected(pane, id) { return state.selected && state.selected.run === pane.run && state.selected.pod === id; }
  function pick(pane, id) { state.selected = { run: pane.run, pod: id }; render(); pane.detail.scrollIntoView({ block: 'nearest' }); }
  function chip(D, p, T, pane) {
    var r = D.row(p.s), name = D.pods.name[p.id], cls = statusClass(r[1], r[2], r[0]), sel = isSelected(pane, p.id);
    var b = el('button', { type: 'button', class: 'chip ' + cls + (sel ? ' selected' : ''), 'data-pod': name, 'data-status': r[1], 'data-focus': pane.key + 'chip' + p.id, 'aria-pressed': sel ? 'true' : 'false', title: name + ': ' + r[1] + ' ' + r[0], 'aria-label': name + ' ' + r[1] + ' ' + r[0] }, SYMBOL[cls] + ' ' + shortName(name));
    b.addEventListener('click', function () { pick(pane, p.id); });
    return b;
  }
  function renderNodes(pane, D, now, T) {
    var box = pane.nodes;
    box.textContent = '';
    var byNode = {}, pending = [], compact = now.pods.length > BIG || now.nodes.length > 100;
    now.pods.forEach(function (p) {
      var n = D.snaps.node[p.s];
      if (n === 0) pending.push(p); else (byNode[n - 1] = byNode[n - 1] || []).push(p);
    });
    if (pending.length) {
      var lane = el('div', { class: 'card pending', 'data-node': '(pending)' });
      lane.appendChild(el('div', { class: 'card-h' }, 'Pending, not on a node: ' + pending.length));
      var box1 = el('div', { class: 'chips' });
      pending.slice(0, compact ? 50 : BIG).forEach(function (p) { box1.appendChild(chip(D, p, T, pane)); });
      lane.appendChild(box1);
      box.appendChild(lane);
    }
    now.nodes.slice(0, MAX_CARDS).forEach(function (n) {
      var st = nodeStatus(D, n.s), pods = byNode[n.id] || [], name = D.strings[D.nodes.name[n.id]];
      var pressure = D.node_snaps.flags[n.s] & 2;
      var card = el('div', { class: 'card' + (st.indexOf('NotReady') === 0 ? ' down' : st !== 'Ready' ? ' cordoned' : ''), 'data-node': name, 'data-status': st });
      var h = el('div', { class: 'card-h' });
      h.appendChild(el('b', {}, name));
      h.appendChild(el('span', { class: 'badge ' + (st.indexOf('NotReady') === 0 ? 'bad' : 'good'), title: D.node_snaps.ready[n.s] === 2 ? 'Ready condition Unknown: the node stopped posting its status' : '' }, st));
      if (pressure) h.appendChild(el('span', { class: 'badge warn' }, 'MemoryPressure'));
      card.appendChild(h);
      var cpu = 0, mem = 0, live = 0;
      pods.forEach(function (p) { if (!/Succeeded|Failed/.test(D.row(p.s)[2])) { cpu += D.pods.cpu[p.id]; mem += D.pods.mem_mi[p.id]; live++; } });
      card.appendChild(el('div', { class: 'use' }, 'cpu ' + cpu + 'm / ' + D.nodes.cpu[n.id] + 'm \u00B7 memory ' + mem + 'Mi / ' + D.nodes.mem_mi[n.id] + 'Mi \u00B7 pods ' + live + ' / ' + D.nodes.pods[n.id]));
      var meter = el('div', { class: 'meter', title: 'cpu requested' });
      var fill = el('div');
      fill.style.width = Math.min(100, D.nodes.cpu[n.id] ? cpu / D.nodes.cpu[n.id] * 100 : 0) + '%';
      meter.appendChild(fill);
      card.appendChild(meter);
      var chips = el('div', { class: 'chips' });
      if (compact) {
        var counts = {};
        pods.forEach(function (p) { var s = D.row(p.s)[1]; counts[s] = (counts[s] || 0) + 1; });
        Object.keys(counts).sort().forEach(function (s) { var c = statusClass(s, ''); chips.appendChild(el('span', { class: 'chip wide ' + c }, SYMBOL[c] + ' ' + s + ' ' + counts[s])); });
      } else pods.forEach(function (p) { chips.appendChild(chip(D, p, T, pane)); });
      card.appendChild(chips);
      box.appendChild(card);
    });
    if (now.nodes.length > MAX_CARDS) box.appendChild(el('p', { class: 'note' }, '\u2026 and ' + (now.nodes.length - MAX_CARDS) + ' more nodes (the table below lists every pod).'));
  }
  function renderTable(pane, D, now, T) {
    var box = pane.tableBox, q = pane.filter.value.trim().toLowerCase();
    box.textContent = '';
    var rows = now.pods;
    if (q) rows = rows.filter(function (p) {
      var n = D.snaps.node[p.s], node = n ? D.strings[D.nodes.name[n - 1]] : '';
      return (podRow(D, p, T).join(' ') + ' ' + node).toLowerCase().indexOf(q) >= 0;
    });
    if (!rows.length) { box.appendChild(el('p', { class: 'note' }, now.pods.length ? 'No pod matches.' : 'No resources found' + (D.allNs ? '' : ' in default namespace') + '.')); return; }
    var pages = Math.ceil(rows.length / PAGE);
    pane.page = Math.min(pane.page, pages - 1);
    var t = el('table', { class: 'v-pods' }), hr = el('tr');
    (D.allNs ? ['NAMESPACE'] : []).concat(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']).forEach(function (c) { hr.appendChild(el('th', {}, c)); });
    t.appendChild(hr);
    rows.slice(pane.page * PAGE, (pane.page + 1) * PAGE).map(function (p) { return { p: p, r: podRow(D, p, T) }; }).forEach(function (x) {
      var sel = isSelected(pane, x.p.id), rr = D.row(x.p.s);
      var tr = el('tr', { 'data-pod': D.pods.name[x.p.id], tabindex: 0, 'data-focus': pane.key + 'row' + x.p.id, class: sel ? 'selected' : '', 'aria-selected': sel ? 'true' : 'false' });
      x.r.forEach(function (c, i) { var td = el('td', {}, c); if (i === x.r.length - 3) td.className = statusClass(c, rr[2], rr[0]) + ' st-cell'; tr.appendChild(td); });
      tr.addEventListener('click', function () { pick(pane, x.p.id); });
      tr.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); e.stopPropagation(); pick(pane, x.p.id); } });
      t.appendChild(tr);
    });
    box.appendChild(t);
    if (pages > 1) {
      var nav = el('div', { class: 'pager' });
      var prev = el('button', { type: 'button' }, '\u2190 previous'), next = el('button', { type: 'button' }, 'next \u2192');
      prev.disabled = pane.page === 0; next.disabled = pane.page === pages - 1;
      prev.addEventListener('click', function () { pane.page--; render(); });
      next.addEventListener('click', function () { pane.page++; render(); });
      nav.appendChild(prev);
      nav.appendChild(el('span', {}, ' rows ' + (pane.page * PAGE + 1) + '\u2013' + Math.min(rows.length, (pane.page + 1) * PAGE) + ' of ' + rows.length + ' '));
      nav.appendChild(next);
      box.appendChild(nav);
    }
  }
  function eventLine(D, i) {
    var E = D.events, S = D.strings;
    return secs(E.t[i]) + '  ' + S[E.reason[i]] + '  ' + S[E.obj[i]] + ': ' + S[E.msg[i]];
  }
  function renderEvents(pane, D, T) {
    var E = D.events, S = D.strings, box = pane.events, q = pane.evFilter.value.trim().toLowerCase();
    box.textContent = '';
    var shown = 0, matching = 0, list = el('ul', { class: 'v-evlist' });
    for (var i = E.t.length - 1; i >= 0; i--) {
      if (E.t[i] > T) continue;
      if (q && S[E.obj[i]].toLowerCase().indexOf(q) < 0) continue;
      matching++;
      if (shown >= MAX_EVENTS) continue;
      shown++;
      var li = el('li', { class: E.warn[i] ? 'warn' : '' });
      var b = el('button', { type: 'button', class: 'ev-time', title: 'jump to this time', 'data-focus': pane.key + 'ev' + i }, secs(E.t[i]));
      (function (t, pod) { b.addEventListener('click', function () { if (pod) state.selected = { run: pane.run, pod: pod - 1 }; seek(t); if (pod) pane.detail.scrollIntoView({ block: 'nearest' }); }); })(E.t[i], E.pod[i]);
      li.appendChild(b);
      var x = seen(D, i, T), count = x.count > 1 ? ' (x' + x.count + ', last at ' + secs(x.last) + ')' : '';
      li.appendChild(el('span', {}, ' ' + (E.warn[i] ? 'Warning' : 'Normal') + '  ' + S[E.reason[i]] + '  ' + S[E.obj[i]] + ': ' + S[E.msg[i]] + count));
      list.appendChild(li);
    }
    if (!shown) box.appendChild(el('p', { class: 'note' }, q ? 'No event about a matching object yet.' : 'No events yet.'));
    else box.appendChild(list);
    if (matching > shown) box.appendChild(el('p', { class: 'note' }, 'The newest ' + shown + ' of ' + matching + ' events so far; filter by object to see others (events.csv has them all).'));
  }
  // kubectl's tabwriter for a block of tab-separated lines (padding 2 after each cell but the last).
  function tabs(lines, indent) {
    var w = [];
    lines.forEach(function (l) { l.forEach(function (c, i) { if (i < l.length - 1) w[i] = Math.max(w[i] || 0, c.length + 2); }); });
    return lines.map(function (l) { return indent + l.map(function (c, i) { return i < l.length - 1 ? c + ' '.repeat(w[i] - c.length) : c; }).join(''); }).join('\n') + '\n';
  }
  // The pod's events as describe aggregates them (type, reason, source, message), by last seen.
  function describeEvents(D, pod, T) {
    var E = D.events, S = D.strings, aggs = [], byKey = {};
    D.podEvents[pod].forEach(function (i) {
      if (E.t[i] > T) return;
      var key = E.warn[i] + '|' + E.reason[i] + '|' + E.src[i] + '|' + E.msg[i], x = seen(D, i, T);
      var a = byKey[key];
      if (a) { a.count += x.count; a.last = Math.max(a.last, x.last); }
      else { a = byKey[key] = { i: i, count: x.count, first: E.t[i], last: x.last }; aggs.push(a); }
    });
    if (!aggs.length) return null;
    aggs.sort(function (a, b) { return a.last - b.last; });
    var lines = [['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------']];
    aggs.forEach(function (a) {
      var age = a.count > 1 ? human(T - a.last) + ' (x' + a.count + ' over ' + human(T - a.first) + ')' : human(T - a.first);
      lines.push([E.warn[a.i] ? 'Warning' : 'Normal', S[E.reason[a.i]], age, S[E.src[a.i]], S[E.msg[a.i]]]);
    });
    return 'Events:\n' + tabs(lines, '  ');
  }
  // `get events --why` for the pod's latest event so far: the chain of causes to its root.
  function why(D, pod, T) {
    var E = D.events, S = D.strings, list = D.podEvents[pod], i = lastAt(list, E.t, T);
    if (i < 0) return 'No events about this pod yet.';
    var out = '';
    for (var k = 0; i >= 0 && k < 64; k++) {
      out += (k ? '  <- ' : '') + eventLine(D, i) + '\n';
      if (S[E.why[i]]) out += '          because: ' + S[E.why[i]] + '\n';
      i = E.cause[i] - 1;
    }
    return out;
  }
  function renderDetail(pane, D, now, T) {
    var box = pane.detail;
    box.textContent = '';
    var sel = state.selected;
    if (!sel || sel.run !== pane.run) return;
    var p = null;
    now.pods.forEach(function (x) { if (x.id === sel.pod) p = x; });
    var name = D.pods.name[sel.pod];
    box.appendChild(el('h3', {}, 'pod/' + name + ' at ' + goDur(T)));
    var close = el('button', { type: 'button', class: 'v-close', 'aria-label': 'close' }, '\u00D7');
    close.addEventListener('click', function () { state.selected = null; render(); });
    box.appendChild(close);
    if (!p) { box.appendChild(el('p', { class: 'note' }, 'The pod does not exist at this moment.')); }
    var text;
    var d = lastAt(D.descBy[sel.pod], D.describes.t, T);
    if (p && d >= 0) {
      text = D.strings[D.describes.text[d]].replace('\u0001', human(T - (D.describes.del[d] - 1)));
    } else if (p) {
      var r = D.row(p.s), n = D.snaps.node[p.s];
      text = 'Name:         ' + name + '\nNamespace:    ' + D.strings[D.pods.ns[p.id]] + '\nNode:         ' + (n ? D.strings[D.nodes.name[n - 1]] : '<none>') +
        '\nStatus:       ' + r[2] + '\nIP:           ' + D.snaps.ipOf[p.s] +
        '\nReady:        ' + r[0] + '  (kubectl STATUS ' + r[1] + ')\nEvents:       <none>\n';
    }
    box.appendChild(el('h4', {}, 'Why: kubesim get events --why (its latest event so far)'));
    box.appendChild(el('pre', { class: 'v-why' }, why(D, sel.pod, T)));
    if (text !== undefined) {
      box.appendChild(el('h4', {}, 'kubectl describe pod ' + name));
      // The describe ends with "Events: <none>" aligned as kubectl aligns it; the events of
      // the moment replace that line when there are some.
      var evs = describeEvents(D, sel.pod, T);
      if (evs !== null) text = text.replace(/Events:[ \t]*<none>\n$/, '') + evs;
      box.appendChild(el('pre', { class: 'v-describe' }, text));
    }
  }

  // ---- the charts: a cursor at T; a click moves T ----
  var charts = [];
  document.querySelectorAll('figure[data-t1]').forEach(function (fig) {
    var svg = fig.querySelector('svg');
    if (!svg) return;
    var x0 = +fig.getAttribute('data-x0'), x1 = +fig.getAttribute('data-x1'), t1 = +fig.getAttribute('data-t1');
    var vb = svg.viewBox && svg.viewBox.baseVal, h = vb && vb.height ? vb.height : 600;
    var line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    line.setAttribute('class', 'v-cursor');
    line.setAttribute('y1', 0);
    line.setAttribute('y2', h);
    svg.appendChild(line);
    svg.style.cursor = 'crosshair';
    svg.addEventListener('click', function (e) {
      var m = svg.getScreenCTM();
      if (!m) return;
      var pt = svg.createSVGPoint();
      pt.x = e.clientX; pt.y = e.clientY;
      var x = pt.matrixTransform(m.inverse()).x;
      seek(Math.round(Math.max(0, Math.min(1, (x - x0) / (x1 - x0))) * t1));
    });
    charts.push({ line: line, x0: x0, x1: x1, t1: t1 });
  });

  function render() {
    var T = state.T;
    // Keep the focus where it was: the panes are drawn anew.
    var f = document.activeElement, focusKey = f && f.getAttribute && f.getAttribute('data-focus');
    slider.value = T;
    slider.setAttribute('aria-valuetext', goDur(T));
    clock.textContent = goDur(T) + ' (' + secs(T) + ') of ' + goDur(END);
    panes.forEach(function (pane) {
      // A variant that ended earlier stays at its end.
      var D = runs[pane.run], Tp = Math.min(T, D.end), now = at(D, Tp);
      if (pane.ended) pane.ended.textContent = T > D.end ? 'This variant\'s run ended at ' + goDur(D.end) + ': shown as it was then.' : '';
      renderNodes(pane, D, now, Tp);
      renderTable(pane, D, now, Tp);
      renderDetail(pane, D, now, Tp);
      renderEvents(pane, D, Tp);
    });
    if (focusKey) {
      var g = root.querySelector('[data-focus="' + focusKey + '"]');
      if (g) g.focus({ preventScroll: true });
    }
    charts.forEach(function (c) {
      var x = c.x0 + (c.x1 - c.x0) * Math.min(1, T / Math.max(1, c.t1));
      c.line.setAttribute('x1', x); c.line.setAttribute('x2', x);
    });
    root.setAttribute('data-t', T);
    if (!state.playing) remember();
  }
  function seek(T) { state.T = Math.max(0, Math.min(END, Math.round(T))); render(); }
  window.kubesimViewer = { seek: seek, at: function () { return state.T; } };

  slider.addEventListener('input', function () { seek(+slider.value); });
  speed.addEventListener('change', function () { state.speed = +speed.value; });
  big.addEventListener('click', function () {
    var on = document.body.classList.toggle('v-large');
    big.setAttribute('aria-pressed', on ? 'true' : 'false');
  });
  var lastFrame = 0;
  function frame(ts) {
    if (!state.playing) return;
    if (lastFrame) seek(state.T + (ts - lastFrame) * state.speed);
    lastFrame = ts;
    if (state.T >= END) { toggle(); return; }
    requestAnimationFrame(frame);
  }
  function toggle() {
    state.playing = !state.playing;
    play.textContent = state.playing ? '\u23F8 pause' : '\u25B6 play';
    play.setAttribute('aria-label', state.playing ? 'pause' : 'play');
    if (state.playing) { if (state.T >= END) state.T = 0; lastFrame = 0; requestAnimationFrame(frame); }
    else render();
  }
  play.addEventListener('click', toggle);
  function step(dir) {
    var T = state.T, i;
    if (dir > 0) { for (i = 0; i < ticks.length && ticks[i] <= T; i++); seek(i < ticks.length ? ticks[i] : END); }
    else { for (i = ticks.length - 1; i >= 0 && ticks[i] >= T; i--); seek(i >= 0 ? ticks[i] : 0); }
  }
  // The keys act while the focus is in the viewer (or nowhere, with the viewer on screen), and
  // leave the browser's own shortcuts (Alt, Ctrl, Meta) alone.
  document.addEventListener('keydown', function (e) {
    var t = e.target, k = e.key;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var inViewer = t && root.contains(t);
    if (!inViewer) {
      var r = root.getBoundingClientRect();
      if (t !== document.body || r.bottom < 0 || r.top > window.innerHeight) return;
    }
    if (t && (t.tagName === 'INPUT' && t.type === 'text' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) {
      if (k === 'Escape' && state.selected) { state.selected = null; render(); }
      return;
    }
    var done = true;
    if (k === ' ' && !(t && t.tagName === 'BUTTON')) toggle();
    else if (k === 'ArrowRight') e.shiftKey ? seek(state.T + 10000) : step(1);
    else if (k === 'ArrowLeft') e.shiftKey ? seek(state.T - 10000) : step(-1);
    else if (k === 'PageDown') seek(state.T + 60000);
    else if (k === 'PageUp') seek(state.T - 60000);
    else if (k === 'Home') seek(0);
    else if (k === 'End') seek(END);
    else if (k === 'Escape') { state.selected = null; render(); }
    else done = false;
    if (done) e.preventDefault();
  });
  // The address keeps the moment, the variants shown and the pod (#t=480000&v=0,1&pod=NAME):
  // a link opens the page there.
  function address() {
    var sel = state.selected;
    return '#t=' + state.T + (runs.length > 1 ? '&v=' + panes.map(function (p) { return p.run; }).join(',') : '') +
      (sel ? '&pod=' + encodeURIComponent(runs[sel.run].pods.name[sel.pod]) : '');
  }
  function remember() {
    try { history.replaceState(null, '', address()); } catch (e) { /* some file: pages refuse; the page works on */ }
  }
  function follow() {
    var h = location.hash, m = /(?:^|[#&])t=(\d+)/.exec(h), v = /[#&]v=([\d,]+)/.exec(h), q = /[#&]pod=([^&]+)/.exec(h);
    if (v) v[1].split(',').forEach(function (x, i) {
      if (panes[i] && +x < runs.length) { panes[i].run = +x; if (panes[i].select) panes[i].select.value = x; }
    });
    state.selected = null;
    if (q) {
      // The pod of that name created last by the moment (a name can come back).
      var wanted = decodeURIComponent(q[1]), T0 = m ? +m[1] : 0;
      panes.some(function (p) {
        var P = runs[p.run].pods, id = -1;
        P.name.forEach(function (n, i) { if (n === wanted && (id < 0 || P.created[i] <= T0)) id = i; });
        if (id >= 0) state.selected = { run: p.run, pod: id };
        return id >= 0;
      });
    }
    seek(m ? +m[1] : 0);
  }
  window.addEventListener('hashchange', function () { if (location.hash !== address()) follow(); });
  follow();
  root.setAttribute('data-ready', '1');
})();
