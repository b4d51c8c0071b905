// Live updates over the WebSocket API (same origin: /ws). One socket for the app:
// subscriptions are counted per tournament id ("*" is the lobby) and sent again after
// every reconnect; reconnects back off 0.5 s → 1 s → 2 s … 10 s; events are deduplicated
// by event_id (delivery is at least once).

import { accessToken } from './api';

export interface LiveEvent {
  type: string;
  event_id: string;
  tournament_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

type Handler = (e: LiveEvent) => void;

const handlers = new Map<string, Set<Handler>>();
const stateListeners = new Set<(s: LiveState) => void>();
const seen = new Set<string>();
const seenOrder: string[] = [];

let ws: WebSocket | null = null;
let state: LiveState = 'connecting';
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let ping: ReturnType<typeof setInterval> | null = null;
let tokenUsed: string | null = null;

function setState(s: LiveState) {
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
  const token = accessToken();
  return `${proto}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

function sendJson(msg: unknown) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
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
  tokenUsed = accessToken();
  const socket = new WebSocket(url());
  ws = socket;
  socket.onopen = () => {
    if (ws !== socket) return;
    attempt = 0;
    setState('live');
    for (const id of handlers.keys()) sendJson({ action: 'subscribe', tournament_id: id });
    if (ping) clearInterval(ping);
    ping = setInterval(() => sendJson({ action: 'ping' }), 25_000);
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
    handlers.get(e.tournament_id)?.forEach((h) => h(e));
    if (e.type.startsWith('tournament.')) handlers.get('*')?.forEach((h) => h(e));
  };
  socket.onclose = () => {
    if (ws !== socket) return;
    ws = null;
    if (ping) clearInterval(ping);
    ping = null;
    if (!navigator.onLine) {
      setState('offline');
      return;
    }
    setState('reconnecting');
    const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
    attempt += 1;
    timer = setTimeout(connect, delay);
  };
}

function drop() {
  const s = ws;
  ws = null;
  if (ping) clearInterval(ping);
  ping = null;
  s?.close();
}

/** Starts the socket once; reacts to the browser going off- and online. */
export function startLive() {
  if (ws || timer) return;
  window.addEventListener('offline', () => {
    drop();
    setState('offline');
  });
  window.addEventListener('online', () => {
    attempt = 0;
    connect();
  });
  connect();
}

/** Reopens the socket when the person changes (log in, log out). */
export function reauthenticate() {
  if (accessToken() === tokenUsed || (!ws && !timer)) return;
  drop();
  attempt = 0;
  setState('connecting');
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
