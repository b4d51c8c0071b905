// The tournaments list. By default "Upcoming": what is being played now and what opens
// next, soonest first (the API lists newest start first, so this view reads the open and
// running ones and sorts them); the other filters page through the API's order. Reloads
// by itself after a reconnect (and so after the connection comes back).
import { useEffect, useState } from 'preact/hooks';
import { api, type Page, type Tournament } from '../api';
import { onResync, subscribe } from '../live';
import { Alert, Link, STATUS_LABEL, TYPE_LABEL, formatDate, message, useTitle } from '../ui';

const PAGE = 12;
const UPCOMING = 'upcoming';

/** Running ones first, then the next to start; at most 100 of each (a gym's season). */
async function upcoming(): Promise<Page<Tournament>> {
  const [running, open] = await Promise.all([
    api<Page<Tournament>>('GET', '/tournaments?status=in_progress&limit=100'),
    api<Page<Tournament>>('GET', '/tournaments?status=registration_open&limit=100'),
  ]);
  const soonest = (a: Tournament, b: Tournament) => a.start_date.localeCompare(b.start_date);
  return { items: [...running.items.sort(soonest), ...open.items.sort(soonest)], next_cursor: null };
}

export function TournamentList() {
  useTitle('Tournaments');
  const [status, setStatus] = useState(UPCOMING);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<Tournament> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let stale = false;
    const load = async () => {
      setLoading(true);
      try {
        let p: Page<Tournament>;
        if (status === UPCOMING) p = await upcoming();
        else {
          const q = new URLSearchParams({ limit: String(PAGE) });
          if (status) q.set('status', status);
          if (cursor) q.set('cursor', cursor);
          p = await api<Page<Tournament>>('GET', `/tournaments?${q}`);
        }
        if (stale) return;
        setPage(p);
        setError(null);
      } catch (e) {
        if (!stale) setError(message(e));
        throw e;
      } finally {
        if (!stale) setLoading(false);
      }
    };
    load().catch(() => {});
    const off = onResync(load);
    return () => {
      stale = true;
      off();
    };
  }, [status, cursor]);

  // The lobby: every tournament.* event. New ones appear on the first page; changed ones
  // are updated in place, or leave the list when they no longer match the filter.
  useEffect(
    () =>
      subscribe('*', (e) => {
        const t = (e.data as { tournament?: Tournament }).tournament;
        if (!t) return;
        setPage((p) => {
          if (!p) return p;
          const matches = !status || t.status === status || (status === UPCOMING && (t.status === 'registration_open' || t.status === 'in_progress'));
          const i = p.items.findIndex((x) => x.id === t.id);
          if (i >= 0) {
            const items = matches ? p.items.map((x) => (x.id === t.id && x.version <= t.version ? t : x)) : p.items.filter((x) => x.id !== t.id);
            return { ...p, items };
          }
          if (matches && e.type === 'tournament.created' && cursors.length === 1) return { ...p, items: [t, ...p.items] };
          return p;
        });
      }),
    [status, cursors.length],
  );

  return (
    <section>
      <div class="row spread">
        <h1>Tournaments</h1>
        <label class="inline">
          Status
          <select value={status} onChange={(e) => { setStatus(e.currentTarget.value); setCursors([null]); }}>
            <option value={UPCOMING}>Upcoming</option>
            <option value="">All</option>
            {Object.entries(STATUS_LABEL).map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </label>
      </div>
      <Alert error={error} />
      {error && <p class="hint">The list reloads by itself when the connection is back.</p>}
      {loading && !page && (
        <p aria-busy="true" class="loading" data-testid="loading">
          Loading tournaments…
        </p>
      )}
      {page && page.items.length === 0 && <p>{status === UPCOMING ? 'Nothing coming up. Choose “All” to see past tournaments.' : 'No tournaments here yet.'}</p>}
      <ul class="cards" aria-label="Tournaments">
        {page?.items.map((t) => (
          <li class="card" key={t.id}>
            <h2>
              <Link href={`/tournaments/${t.id}`}>{t.name}</Link>
            </h2>
            <p class="meta">
              <span class={`badge s-${t.status}`}>{STATUS_LABEL[t.status]}</span> {TYPE_LABEL[t.tournament_type]}
            </p>
            <p class="meta">
              {formatDate(t.start_date)} · <span data-testid="count">{t.participant_count}</span>/{t.max_participants} players
            </p>
          </li>
        ))}
      </ul>
      {status !== UPCOMING && <nav class="row pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button type="button" disabled={!page?.next_cursor} onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}>
          Next page
        </button>
      </nav>}
    </section>
  );
}
