// The lifeline demo page. Uses the global `lifeline` from <script src="/lifeline.min.js">,
// the same IIFE users get, and only its public API: connect(), conn.on(), conn.send(),
// conn.state, conn.stats, lifeline.json. Plain browser JavaScript, no build step, no libraries.
//
// What it shows: state over time (timeline), reconnect countdown and attempt, heartbeat
// round trips (SVG chart), queue depth, messages in/out, a live ticker, and a chat box
// whose messages queue while offline and are acknowledged by the server after reconnect.
// The fault buttons call the demo server's /fault/* endpoints.
//
// With `?shared` in the address, every tab of the demo shares one connection (lifeline.shared):
// open it in several tabs and the server sees one socket; the header says which tab leads, and
// closing the leader tab shows another one taking over.
//
// With ?session=1 the same runs over a reliable session (lifeline.session(), the server's
// /session endpoint): chat messages are marked when the session acknowledges them and when
// they were sent again after a drop, and the ticks, numbered per session, are counted for
// gaps and repeats (there are none to see: that is the point).
//
// For tests, `window.demo` exposes the connection and a record of what happened.
(() => {
  'use strict';
  const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
  if (typeof lifeline === 'undefined') {
    const p = document.createElement('p');
    p.className = 'fatal';
    p.textContent = 'lifeline.min.js did not load: build it with `npm run build` (or start the demo with `npm run demo`) and reload.';
    document.querySelector('main').before(p);
    return;
  }
  const params = new URLSearchParams(location.search);
  // Shared tabs must dial the same URL: one client name for all of them.
  const sharedTabs = params.has('shared');
  const clientName = params.get('name') || (sharedTabs ? 'tabs' : 'web-' + Math.random().toString(36).slice(2, 6));
  const useSession = params.get('session') === '1';
  const wsUrl = params.get('ws') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/${useSession ? 'session' : ''}?client=${encodeURIComponent(clientName)}`;

  // Heartbeat: the server answers the text `ping` with `pong` (an app-level heartbeat, the
  // only kind a browser can send). A probe goes out after `interval` ms without inbound
  // traffic; no answer within `timeout` ms means the peer is gone (half-open), so the
  // connection is dropped and redialled: a half-open server is detected about
  // interval + timeout = 3.5 s after its last message. The ticker sends every 1.5 s, so
  // probes fill the idle gaps (the RTT chart has data), and a tick lands 2 s before a probe's
  // deadline: a busy page, browser or server does not look dead (with a 1 s margin, one
  // slow-reader burst in WebKit on a loaded CI machine was dropped as dead). Over a
  // session the heartbeat probes with the session's own ping instead of the `ping` message.
  const HEARTBEAT = { interval: 1000, timeout: 2500, message: 'ping' };
  const BACKOFF = { minDelay: 500, maxDelay: 5000, factor: 2 };
  const WINDOW_MS = 60_000;

  /** Record of what happened, for the page and for tests. */
  const rec = {
    heartbeat: HEARTBEAT,
    states: [], // {state, t}
    closes: [], // {code, reason, error, willReconnect, t}
    opens: [], // {protocol, extensions, t}
    rtts: [], // {rtt, t} and {miss: true, t}
    lastInbound: 0,
    faults: [], // {name, t}
    drains: 0,
    // Over a session: its events, and what the page counted.
    session: { events: [], resumes: 0, replayed: 0, lost: 0, acked: 0 },
    ticks: { seen: 0, missing: 0, repeated: 0, last: 0 },
  };

  const conn = lifeline.connect(wsUrl, {
    protocols: ['ticker.v2', 'ticker.v1'],
    // Both subprotocols carry JSON, and so does a connection where the server selects none.
    codec: lifeline.json,
    heartbeat: lifeline.heartbeat(HEARTBEAT),
    ...BACKOFF,
    // Room for the burst button's 16 MB while the server is a slow reader.
    maxQueued: 10_000,
    maxQueuedBytes: 64 << 20,
    ...(useSession ? { session: lifeline.session() } : {}),
    // (A role can be known during connect() itself, before the page below is set up: shown a moment later.)
    shared: sharedTabs && lifeline.shared({ key: 'demo', onRole: (info) => queueMicrotask(() => showRole(info)) }),
  });
  window.demo = { conn, rec, name: clientName, url: wsUrl, session: useSession, roles: [] };

  // ---------------------------------------------------------------- helpers
  const fmtBytes = (n) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`);
  const fmtMs = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
  const fmtDur = (ms) => {
    const s = Math.floor(ms / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} m ${s % 60} s`;
  };
  const clock = () => new Date().toTimeString().slice(0, 8);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = (tag, attrs) => {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  };

  const logList = $('log');
  function log(text, cls = '') {
    const li = el('li', cls);
    li.append(el('time', '', clock()), el('span', '', text));
    logList.prepend(li);
    while (logList.children.length > 200) logList.lastChild.remove();
  }

  // ---------------------------------------------------------------- connection events
  let nextRetryAt = 0;
  let attempt = 0;
  let protocol = '';
  let state = conn.state;
  rec.states.push({ state, t: Date.now() });

  conn.on('state', ({ to }) => {
    state = to;
    rec.states.push({ state: to, t: Date.now() });
    if (to !== 'waiting') nextRetryAt = 0;
    if (to === 'connecting') log(attempt ? `connecting (retry #${attempt})` : 'connecting');
    render();
  });
  conn.on('open', ({ protocol: p, extensions }) => {
    protocol = p;
    rec.opens.push({ protocol: p, extensions, t: Date.now() });
    const ext = extensions ? ` · ${extensions.split(';')[0]}` : '';
    log(`open: subprotocol ${p || '(none)'}${ext}${attempt ? ` on retry #${attempt}` : ''}`, 'good');
    attempt = 0;
    render();
  });
  conn.on('close', (e) => {
    const code = e.error && e.error.code;
    rec.closes.push({ code: e.code, reason: e.reason, error: code, willReconnect: e.willReconnect, t: Date.now() });
    let why = `closed ${e.code}${e.reason ? ` "${e.reason}"` : ''}`;
    if (code === 'WS_ERR_HEARTBEAT_TIMEOUT') {
      why = `heartbeat timeout: no answer within ${HEARTBEAT.timeout} ms, the server is half-open, dropping it`;
      rec.rtts.push({ miss: true, t: Date.now() });
      drawChart();
    } else if (code) why += ` (${code})`;
    else if (e.code === 1006 && state === 'connecting') why += ' (handshake failed: browsers hide the HTTP status)';
    log(why, 'bad');
  });
  conn.on('reconnecting', ({ attempt: a, delay }) => {
    attempt = a;
    nextRetryAt = Date.now() + delay;
    log(`retry #${a} in ${fmtMs(delay)} (backoff with full jitter)`, 'warn');
    render();
  });
  conn.on('heartbeat', ({ rtt }) => {
    rec.lastInbound = Date.now();
    rec.rtts.push({ rtt, t: Date.now() });
    if (rec.rtts.length > 200) rec.rtts.shift();
    drawChart();
  });
  conn.on('drain', () => {
    rec.drains++;
    log('socket buffer drained: queued messages flowing again', 'good');
  });
  conn.on('drop', ({ error }) => log(`message dropped: ${error.code || error.message}`, 'bad'));
  conn.on('error', (e) => {
    // Coded errors (failed attempts, heartbeat timeouts) also come as close events, logged there.
    if (e && e.code) return;
    log(`error: ${e && e.message ? e.message : e}`, 'bad');
  });
  conn.on('end', ({ reason }) => log(`stopped: ${reason}`, 'bad'));
  let sessionId = '';
  conn.on('session', (e) => {
    rec.session.events.push({ ...e, t: Date.now() });
    if (e.type === 'started') {
      sessionId = e.id;
      rec.ticks.last = 0; // a new session numbers its ticks from 1
      log(`session ${e.id} started`, 'good');
    } else if (e.type === 'resumed') {
      rec.session.resumes++;
      rec.session.replayed += e.replayed;
      log(`session resumed: ${e.replayed} message(s) sent again, nothing lost either way`, 'good');
      // What was sent and not yet acknowledged went again, in order.
      if (e.replayed) for (const li of mine.values()) if (li.dataset.status === 'sending') setStatus(li, 'replayed', '↻ sent again');
    } else if (e.type === 'lost') {
      rec.session.lost++;
      log(`session ${e.id} lost (the server restarted): ${e.rejected} unacknowledged message(s) rejected; a new session follows`, 'bad');
    } else log('the server does not speak the session protocol: a plain connection', 'warn');
    render();
  });

  // ---------------------------------------------------------------- messages
  const prices = {};
  let lastTick = 0;
  conn.on('message', (m) => {
    rec.lastInbound = Date.now();
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'tick':
        lastTick = Date.now();
        if (useSession && typeof m.n === 'number') countTick(m.n);
        for (const [sym, px] of Object.entries(m.prices)) {
          const prev = prices[sym];
          const d = m.changes ? m.changes[sym] : prev ? px - prev.px : 0;
          const hist = prev ? prev.hist : [];
          hist.push(px);
          if (hist.length > 40) hist.shift();
          prices[sym] = { px, d, hist };
        }
        drawTicker();
        break;
      case 'welcome':
        log(`server says welcome: connection #${m.id}, ${m.clients} client(s) online`);
        break;
      case 'ack':
        ack(m);
        break;
      case 'chat':
        addChat(`${m.from}: ${m.text}`, 'other', `#${m.n}`);
        break;
      case 'error':
        log(`server: ${m.message}`, 'bad');
        break;
    }
  });

  /** Over a session, tick `n` must be the next one: anything else is a gap or a repeat (none should show). */
  function countTick(n) {
    const t = rec.ticks;
    if (n <= t.last) t.repeated++;
    else {
      t.missing += n - t.last - 1;
      t.seen++;
      t.last = n;
    }
  }

  // ---------------------------------------------------------------- chat with acknowledgements
  const chatList = $('chat');
  const mine = new Map(); // id → <li>
  let chatSeq = 0;
  function addChat(text, cls, status, st = '') {
    const li = el('li', cls);
    li.append(el('span', 'txt', text), el('span', 'st', status));
    if (st) li.dataset.status = st;
    chatList.append(li);
    while (chatList.children.length > 100) chatList.firstChild.remove();
    chatList.scrollTop = chatList.scrollHeight;
    return li;
  }
  function setStatus(li, st, text) {
    li.dataset.status = st;
    li.querySelector('.st').textContent = text;
  }
  function ack(m) {
    if (m.bulk !== undefined) {
      burstDone(m);
      return;
    }
    const li = mine.get(m.id);
    if (!li) return;
    li.dataset.n = String(m.n);
    setStatus(li, 'acked', li.dataset.sessionAck ? `✓ acknowledged · server #${m.n}` : `✓ server #${m.n}`);
    if (!useSession || li.dataset.sessionAck) mine.delete(m.id);
  }
  function sendChat(text) {
    const id = `${clientName}-${++chatSeq}`;
    const queued = state !== 'open';
    const li = addChat(text, 'mine', queued ? 'queued (offline)' : 'sending…', queued ? 'queued' : 'sending');
    li.dataset.id = id;
    mine.set(id, li);
    conn.send({ type: 'chat', id, text }).then(
      () => {
        if (!useSession) return li.dataset.status !== 'acked' && setStatus(li, 'sent', 'sent, awaiting ack');
        // Over a session the promise resolves when the server's session layer acknowledged the message.
        rec.session.acked++;
        li.dataset.sessionAck = '1';
        if (li.dataset.n) {
          setStatus(li, 'acked', `✓ acknowledged · server #${li.dataset.n}`);
          mine.delete(id);
        } else setStatus(li, 'delivered', '✓ acknowledged');
      },
      (e) => setStatus(li, 'failed', `✗ ${e.code || e.message}`),
    );
    render();
  }
  $('send-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = $('send-input');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    sendChat(text);
  });

  // ---------------------------------------------------------------- burst (backpressure)
  let burst; // {id, t0, n, bytes}
  const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function randomText(n) {
    // Random text, so permessage-deflate cannot shrink the burst to nothing.
    const a = new Uint8Array(n);
    crypto.getRandomValues(a);
    let s = '';
    for (let i = 0; i < n; i++) s += CHARS[a[i] & 63];
    return s;
  }
  $('burst').addEventListener('click', () => {
    const count = 256;
    const size = 64 * 1024;
    const pad = randomText(size);
    const id = `${clientName}-burst-${++chatSeq}`;
    burst = { id, t0: Date.now(), n: count, bytes: count * size };
    $('burst').dataset.status = 'sending';
    for (let i = 0; i < count; i++) {
      // Vary each message a little so compression across messages (context takeover) cannot fold them.
      conn.send({ type: 'bulk', id, seq: i, last: i === count - 1, pad: randomText(16) + pad.slice(i) });
    }
    log(`burst: ${count} messages, ${fmtBytes(count * size)} handed to lifeline; ${conn.stats.queued} waiting in its queue`, 'warn');
    render();
  });
  function burstDone(m) {
    if (!burst || m.id !== burst.id) return;
    $('burst').dataset.status = 'delivered';
    log(`burst delivered: server read all ${burst.n} messages in ${fmtMs(Date.now() - burst.t0)}`, 'good');
    burst = undefined;
  }

  // ---------------------------------------------------------------- faults
  const faultMsg = $('fault-msg');
  async function fault(name, query = '') {
    rec.faults.push({ name, t: Date.now() });
    faultMsg.textContent = `${name}…`;
    try {
      const r = await fetch(`/fault/${name}${query}`, { method: 'POST' });
      const body = await r.json();
      const text = body.ok ? `server: ${body.message}` : `server: ${body.error}`;
      faultMsg.textContent = text;
      log(`fault → ${text}`, 'warn');
    } catch (e) {
      faultMsg.textContent = `could not reach the server (${e.message})`;
    }
  }
  for (const b of document.querySelectorAll('[data-fault]')) {
    b.addEventListener('click', () => {
      const name = b.dataset.fault;
      if (name === 'refuse') fault('refuse', `?status=${$('refuse-status').value}&seconds=${$('refuse-seconds').value}`);
      else if (name === 'restart') fault('restart', '?seconds=2');
      else if (name === 'slow') fault('slow', `?seconds=${$('slow-seconds').value}`);
      else if (name === 'close') fault('close', '?code=1012');
      else if (name === 'protocol') fault('protocol', `?name=${$('protocol-select').value}`);
      else fault(name);
    });
  }

  // ---------------------------------------------------------------- shared tabs (?shared)
  // A badge in the header: this tab leads (holds the socket) or follows, and how many sockets the
  // server sees (its /fault/stats); a link opens another tab, or turns sharing on.
  const roleBadge = el('span', 'sub mono');
  roleBadge.dataset.testid = 'role';
  const otherTab = el('a', 'sub');
  otherTab.target = '_blank';
  otherTab.href = sharedTabs ? location.href : `${location.pathname}?shared`;
  otherTab.textContent = sharedTabs ? 'open another tab ↗' : 'share one connection across tabs ↗';
  document.querySelector('[data-testid="status"]').append(roleBadge, otherTab);
  function showRole({ role, reason }) {
    window.demo.roles.push({ role, reason, t: Date.now() });
    if (role === 'leader') log(reason === 'took over' ? 'this tab took over: the leader tab left, this one holds the socket now' : 'this tab leads: it holds the socket for every tab', 'good');
    else if (role === 'follower') log('this tab follows: the leader tab holds the socket, messages come through it');
    else log(`sharing not possible here (${reason}): this tab has its own socket`, 'warn');
    roleBadge.dataset.role = role;
    renderRole();
  }
  let serverSockets;
  async function renderRole() {
    if (!sharedTabs) return;
    const role = roleBadge.dataset.role || 'joining';
    const label = role === 'leader' ? '★ leader tab' : role === 'follower' ? 'follower tab' : role;
    roleBadge.textContent = serverSockets === undefined ? label : `${label} · server sees ${serverSockets} socket${serverSockets === 1 ? '' : 's'}`;
  }
  if (sharedTabs) {
    const poll = async () => {
      try {
        serverSockets = (await (await fetch('/fault/stats', { cache: 'no-store' })).json()).connections.length;
      } catch {
        serverSockets = undefined;
      }
      renderRole();
    };
    poll();
    setInterval(poll, 2000);
  }

  // ---------------------------------------------------------------- rendering
  const pill = $('state');
  const LABEL = { open: 'open', connecting: 'connecting', waiting: 'reconnecting', closing: 'closing', closed: 'closed' };
  function render() {
    const now = Date.now();
    pill.dataset.state = state;
    pill.textContent = LABEL[state] || state;
    const s = conn.stats;
    let cd = '';
    if (state === 'waiting' && nextRetryAt) cd = `retry #${attempt} in ${Math.max(0, (nextRetryAt - now) / 1000).toFixed(1)} s`;
    else if (state === 'connecting') cd = attempt ? `retry #${attempt}: handshake…` : 'handshake…';
    else if (state === 'open') cd = `open ${fmtDur(s.uptime)}`;
    $('countdown').textContent = cd;
    $('protocol').textContent = state === 'open' ? `subprotocol ${protocol || '(none)'}` : '';
    $('attempt').textContent = String(attempt);
    $('reconnects').textContent = String(s.reconnects);
    $('rtt').textContent = s.rtt === undefined ? '–' : fmtMs(s.rtt);
    $('queue').textContent = s.queuedBytes ? `${s.queued} · ${fmtBytes(s.queuedBytes)}` : String(s.queued);
    $('bytes-out').textContent = fmtBytes(s.bytesOut);
    $('msgs-in').textContent = String(s.messagesIn);
    $('msgs-out').textContent = String(s.messagesOut);
    $('uptime').textContent = state === 'open' ? fmtDur(s.uptime) : '–';
    if (useSession) {
      $('session-id').textContent = sessionId ? `session ${sessionId}` : 'negotiating…';
      $('session-resumes').textContent = String(rec.session.resumes);
      $('session-replayed').textContent = String(rec.session.replayed);
      $('session-acked').textContent = String(rec.session.acked);
      $('session-lost').textContent = String(rec.session.lost);
      $('ticks-seen').textContent = String(rec.ticks.seen);
      $('ticks-missing').textContent = String(rec.ticks.missing);
      $('ticks-repeated').textContent = String(rec.ticks.repeated);
      $('chat-unacked').textContent = String([...mine.values()].filter((li) => !li.dataset.sessionAck && li.dataset.status !== 'failed').length);
    }
    $('ticker').classList.toggle('stale', !lastTick || now - lastTick > 4000);
    $('tick-age').textContent = lastTick ? `last tick ${fmtMs(now - lastTick)} ago` : 'waiting for data';
    drawTimeline(now);
  }

  const tl = $('timeline');
  function drawTimeline(now) {
    const from = now - WINDOW_MS;
    while (rec.states.length > 2 && rec.states[1].t < from) rec.states.shift();
    tl.replaceChildren();
    for (let i = 0; i < rec.states.length; i++) {
      const a = rec.states[i];
      const end = i + 1 < rec.states.length ? rec.states[i + 1].t : now;
      if (end < from) continue;
      const x0 = ((Math.max(a.t, from) - from) / WINDOW_MS) * 600;
      const x1 = ((end - from) / WINDOW_MS) * 600;
      // A connecting phase can last a few ms: keep it visible.
      const r = svg('rect', { x: x0.toFixed(1), y: 0, width: Math.max(1.5, x1 - x0).toFixed(1), height: 28, class: `s-${a.state}` });
      r.append(svg('title', {}));
      r.firstChild.textContent = `${a.state} for ${fmtMs(end - a.t)}`;
      tl.append(r);
    }
    for (const f of rec.faults) {
      if (f.t < from) continue;
      const x = (((f.t - from) / WINDOW_MS) * 600).toFixed(1);
      tl.append(svg('line', { x1: x, x2: x, y1: 0, y2: 28, class: 'fault' }));
    }
  }

  const chart = $('rtt-chart');
  $('hb-config').textContent = `probe after ${fmtMs(HEARTBEAT.interval)} idle · dead after ${fmtMs(HEARTBEAT.timeout)} silent`;
  function drawChart() {
    const W = 300, H = 110, L = 46, B = 16, T = 6;
    const pts = rec.rtts.slice(-40);
    chart.replaceChildren();
    const vals = pts.filter((p) => !p.miss).map((p) => p.rtt);
    const max = Math.max(10, ...vals.map((v) => v * 1.25));
    const top = max > 1000 ? Math.ceil(max / 1000) * 1000 : max > 100 ? Math.ceil(max / 100) * 100 : Math.ceil(max / 10) * 10;
    const y = (v) => T + (H - B - T) * (1 - Math.min(v, top) / top);
    for (const v of [0, top / 2, top]) {
      chart.append(svg('line', { x1: L, x2: W, y1: y(v), y2: y(v), class: 'grid' }));
      const t = svg('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end' });
      t.textContent = fmtMs(v);
      chart.append(t);
    }
    if (!pts.length) {
      const t = svg('text', { x: (W + L) / 2, y: H / 2, 'text-anchor': 'middle' });
      t.textContent = 'waiting for the first heartbeat';
      chart.append(t);
      return;
    }
    const step = (W - L - 8) / 39;
    const x = (i) => L + 4 + i * step;
    let d = '';
    pts.forEach((p, i) => {
      if (p.miss) return;
      d += `${d && !pts[i - 1]?.miss ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.rtt).toFixed(1)}`;
    });
    chart.append(svg('path', { d, class: 'line' }));
    pts.forEach((p, i) => {
      if (p.miss) {
        const t = svg('text', { x: x(i), y: T + 8, 'text-anchor': 'middle', class: 'miss' });
        t.textContent = '✕';
        t.setAttribute('style', 'fill:#ef4444;font-size:11px');
        chart.append(t);
      } else chart.append(svg('circle', { cx: x(i), cy: y(p.rtt), r: 2.2, class: 'dot' }));
    });
    const lbl = svg('text', { x: W - 2, y: H - 3, 'text-anchor': 'end' });
    lbl.textContent = `last ${fmtMs(vals.at(-1) ?? 0)} · ✕ = timeout`;
    chart.append(lbl);
  }

  const tickerList = $('ticker');
  function drawTicker() {
    tickerList.replaceChildren();
    for (const [sym, { px, d, hist }] of Object.entries(prices)) {
      const li = el('li');
      li.dataset.sym = sym;
      const cls = d > 0 ? 'up' : d < 0 ? 'down' : '';
      // Sparkline of the last 40 ticks.
      const lo = Math.min(...hist), hi = Math.max(...hist), span = hi - lo || 1;
      const spark = svg('svg', { class: 'spark', viewBox: '0 0 100 26', preserveAspectRatio: 'none' });
      spark.append(svg('polyline', { points: hist.map((v, i) => `${((i / 39) * 100).toFixed(1)},${(24 - ((v - lo) / span) * 22).toFixed(1)}`).join(' '), 'vector-effect': 'non-scaling-stroke' }));
      li.append(el('span', 'sym', sym), el('span', 'px', px.toFixed(2)), spark, el('span', cls, `${d > 0 ? '▲' : d < 0 ? '▼' : '•'} ${Math.abs(d).toFixed(2)}`));
      tickerList.append(li);
    }
  }

  $('url').textContent = wsUrl;
  if (useSession) {
    $('session-card').hidden = false;
    $('mode-link').textContent = 'Back to the plain connection';
    $('mode-link').href = '?';
  }
  log(`lifeline ${lifeline.version}: connecting to ${wsUrl}`);
  drawChart();
  render();
  setInterval(render, 200);
})();
