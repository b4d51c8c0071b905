// Live updates over the WebSocket API (same origin: /ws). One socket for the app, always
// anonymous (events are public, API.md: so an expired access token can never keep a
// wall from reconnecting, and a member's sockets never count against their cap).
// Subscriptions are counted per tournament id ("*" is the lobby) and sent again after
// every reconnect; reconnects back off 0.5 s → 1 s → 2 s … 10 s with full jitter (a
// venue's Wi-Fi blip must not bring every wall back in the same millisecond); events are
// deduplicated by event_id (delivery is at least once).
//
// "Live" is a promise that the screen is current. Events missed while the socket was
// down are gone, so after every (re)connect, and whenever the tab becomes visible again,
// each view reloads what it shows (its `resync`) before the indicator says "Live"; until
// then it says "Updating…". An event that arrives while a view reloads makes it reload
// once more, so a reload that started before that event cannot hide it.

export interface LiveEvent {
  type: string;
  event_id: string;
  tournament_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

export type LiveState = 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'offline';

type Handler = (e: LiveEvent) => void;
type Resync = () => Promise<unknown>;

const handlers = new Map<string, Set<Handler>>();
const resyncs = new Set<Resync>();
const stateListeners = new Set<(s: LiveState) => void>();
const seen = new Set<string>();
const seenOrder: string[] = [];

let ws: WebSocket | null = null;
let state: LiveState = 'connecting';
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let ping: ReturnType<typeof setInterval> | null = null;
/** Bumped by every sync; a sync that is no longer the latest never says "Live". */
let generation = 0;
/** Events that arrived while a sync was running (so the sync runs again). */
let eventsDuringSync = 0;
let syncing = false;

function setState(s: LiveState) {
  if (s === state) return;
  state = s;
  for (const l of stateListeners) l(s);
}

export function liveState(): LiveState {
  return state;
}

export function onLiveState(l: (s: LiveState) => void): () => void {
  stateListeners.add(l);
  return () => stateListeners.delete(l);
}

function url(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/ws`;
}

function sendJson(msg: unknown) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reloads every view's data, then says "Live" (if the socket is still open and no newer
 * sync started). A failed reload is retried with backoff while the socket stays open.
 */
async function sync() {
  const mine = ++generation;
  syncing = true;
  setState('syncing');
  for (let round = 0; ; round++) {
    eventsDuringSync = 0;
    const ok = await Promise.all([...resyncs].map((f) => f().then(() => true, () => false)));
    if (mine !== generation) return;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      syncing = false;
      return;
    }
    if (ok.every(Boolean) && (eventsDuringSync === 0 || round >= 3)) break;
    if (!ok.every(Boolean)) await wait(Math.min(5000, 300 * 2 ** round) * Math.random() + 200);
    if (mine !== generation) return;
  }
  syncing = false;
  setState('live');
}

function connect() {
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
  if (!navigator.onLine) {
    setState('offline');
    return;
  }
  const socket = new WebSocket(url());
  ws = socket;
  socket.onopen = () => {
    if (ws !== socket) return;
    attempt = 0;
    for (const id of handlers.keys()) sendJson({ action: 'subscribe', tournament_id: id });
    if (ping) clearInterval(ping);
    ping = setInterval(() => sendJson({ action: 'ping' }), 25_000);
    // Subscribed first, then reloaded: anything that happens after the reload's reads
    // arrives as an event.
    void sync();
  };
  socket.onmessage = (m) => {
    let e: LiveEvent;
    try {
      e = JSON.parse(String(m.data));
    } catch {
      return;
    }
    if (!e.event_id || !e.tournament_id) return; // subscribed / pong / error replies
    if (seen.has(e.event_id)) return;
    seen.add(e.event_id);
    seenOrder.push(e.event_id);
    if (seenOrder.length > 2000) seen.delete(seenOrder.shift() as string);
    if (syncing) eventsDuringSync += 1;
    handlers.get(e.tournament_id)?.forEach((h) => h(e));
    if (e.type.startsWith('tournament.')) handlers.get('*')?.forEach((h) => h(e));
  };
  socket.onclose = () => {
    if (ws !== socket) return;
    ws = null;
    generation += 1;
    syncing = false;
    if (ping) clearInterval(ping);
    ping = null;
    if (!navigator.onLine) {
      setState('offline');
      return;
    }
    setState('reconnecting');
    timer = setTimeout(connect, reconnectDelay(attempt));
    attempt += 1;
  };
}

/**
 * Full jitter over an exponential cap: a uniformly random delay in [0, min(10 s, 0.5 s × 2^n)],
 * at least 100 ms. Thousands of walls that lose the venue's Wi-Fi together come back spread
 * over the whole window instead of in one burst (AWS Architecture Blog, "Exponential
 * Backoff And Jitter").
 */
export function reconnectDelay(n: number): number {
  return 100 + Math.random() * Math.min(10_000, 500 * 2 ** n);
}

function drop() {
  const s = ws;
  ws = null;
  generation += 1;
  syncing = false;
  if (ping) clearInterval(ping);
  ping = null;
  s?.close();
}

/** Starts the socket once; reacts to the browser going off- and online and to the tab. */
export function startLive() {
  if (ws || timer) return;
  window.addEventListener('offline', () => {
    drop();
    if (timer) clearTimeout(timer);
    timer = null;
    setState('offline');
  });
  window.addEventListener('online', () => {
    attempt = 0;
    if (ws) return;
    setState('connecting');
    // A short random wait: a whole room comes back online at once.
    if (timer) clearTimeout(timer);
    timer = setTimeout(connect, Math.random() * 400);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    // A hidden tab may have been frozen with its socket apparently open: reload first.
    if (ws && ws.readyState === WebSocket.OPEN) void sync();
    else if (!ws && !timer && navigator.onLine) connect();
  });
  connect();
}

export function subscribe(tournamentId: string, h: Handler): () => void {
  let set = handlers.get(tournamentId);
  if (!set) {
    set = new Set();
    handlers.set(tournamentId, set);
    sendJson({ action: 'subscribe', tournament_id: tournamentId });
  }
  set.add(h);
  return () => {
    const s = handlers.get(tournamentId);
    if (!s) return;
    s.delete(h);
    if (s.size === 0) {
      handlers.delete(tournamentId);
      sendJson({ action: 'unsubscribe', tournament_id: tournamentId });
    }
  };
}

/**
 * Registers what a view reloads after a (re)connect or when the tab is visible again.
 * The view loads its data itself on mount; this is for the reloads.
 */
export function onResync(f: Resync): () => void {
  resyncs.add(f);
  return () => resyncs.delete(f);
}
