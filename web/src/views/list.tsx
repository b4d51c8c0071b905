import { useEffect, useState } from 'preact/hooks';
import { api, type Page, type Tournament } from '../api';
import { subscribe } from '../live';
import { Alert, Link, STATUS_LABEL, TYPE_LABEL, formatDate, message } from '../ui';

const PAGE = 12;

export function TournamentList() {
  const [status, setStatus] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<Tournament> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let stale = false;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (status) q.set('status', status);
    if (cursor) q.set('cursor', cursor);
    setError(null);
    api<Page<Tournament>>('GET', `/tournaments?${q}`)
      .then((p) => !stale && setPage(p))
      .catch((e) => !stale && setError(message(e)));
    return () => {
      stale = true;
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
          const matches = !status || t.status === status;
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
            <option value="">All</option>
            {Object.entries(STATUS_LABEL).map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </label>
      </div>
      <Alert error={error} />
      {page && page.items.length === 0 && <p>No tournaments here yet.</p>}
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
      <nav class="row pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button type="button" disabled={!page?.next_cursor} onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}>
          Next page
        </button>
      </nav>
    </section>
  );
}
