// A tournament: its facts, players (check-in, waitlist, drops, paste-a-list), the
// organiser's controls, the bracket and standings; and the wall mode (/…/wall), the same
// data full screen and scaled to fit. Data comes whole from the API on load, after every
// (re)connect and when the tab becomes visible (live.ts: `onResync`), and from events in
// between.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import {
  api,
  canManage,
  statusOf,
  type Bracket,
  type Match,
  type Participant,
  type Standings,
  type Tournament,
  type WaitlistEntry,
} from '../api';
import { onResync, subscribe } from '../live';
import { Alert, Confirm, Link, STATUS_LABEL, TYPE_LABEL, formatDate, loginHref, message, useAction, useCountdown, useTitle, useUser } from '../ui';
import { BracketView, StatusBadge, type Report } from './bracket';
import { TournamentForm } from './form';

function merge(b: Bracket, changed: Match[]): Bracket {
  const by = new Map(changed.map((m) => [m.id, m]));
  const known = new Set(b.matches.map((m) => m.id));
  // A Swiss round or a playoff arrives as new matches inside a result's updated_matches.
  return { ...b, matches: [...b.matches.map((m) => by.get(m.id) ?? m), ...changed.filter((m) => !known.has(m.id))] };
}

const started = (t: Tournament | null) => !!t && (t.status === 'in_progress' || t.status === 'completed');

/** Everything a tournament page shows, kept current. */
function useTournament(id: string) {
  const [t, setT] = useState<Tournament | null>(null);
  const [ps, setPs] = useState<Participant[]>([]);
  const [waitlist, setWaitlist] = useState<WaitlistEntry[]>([]);
  const [bracket, setBracket] = useState<Bracket | null>(null);
  const [standings, setStandings] = useState<Standings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const tRef = useRef<Tournament | null>(null);
  tRef.current = t;

  const newer = (n: Tournament) => setT((cur) => (!cur || cur.id !== n.id || cur.version <= n.version ? n : cur));
  const loadParticipants = () =>
    api<{ items: Participant[] }>('GET', `/tournaments/${id}/participants`).then((r) => {
      setPs(r.items);
      setT((cur) => (cur && cur.status === 'registration_open' ? { ...cur, participant_count: r.items.length } : cur));
    });
  const loadWaitlist = (tt: Tournament | null) =>
    tt && (tt.waitlist_size ?? 0) > 0 && tt.status === 'registration_open'
      ? api<{ items: WaitlistEntry[] }>('GET', `/tournaments/${id}/waitlist`).then((r) => setWaitlist(r.items))
      : Promise.resolve(setWaitlist([]));
  const loadStandings = () => api<Standings>('GET', `/tournaments/${id}/standings`).then((r) => setStandings(r));
  const loadBracket = async () => {
    const [b, s] = await Promise.all([api<{ bracket: Bracket }>('GET', `/tournaments/${id}/bracket`), api<Standings>('GET', `/tournaments/${id}/standings`)]);
    setBracket(b.bracket);
    setStandings(s);
  };
  /** The whole page: tournament, participants, waitlist, bracket and standings. */
  const loadAll = async () => {
    try {
      const [r] = await Promise.all([api<{ tournament: Tournament }>('GET', `/tournaments/${id}`), loadParticipants()]);
      setT(r.tournament);
      await Promise.all([loadWaitlist(r.tournament), started(r.tournament) ? loadBracket() : Promise.resolve()]);
      setError(null);
    } catch (e) {
      if ((e as { code?: string }).code === 'not_found') setGone(true);
      else setError(message(e));
      throw e;
    }
  };

  useEffect(() => {
    setT(null);
    setPs([]);
    setWaitlist([]);
    setBracket(null);
    setStandings(null);
    setError(null);
    setGone(false);
    loadAll().catch(() => {});
    const offSync = onResync(loadAll);
    const off = subscribe(id, (e) => {
      const d = e.data as { tournament?: Tournament; match?: Match; updated_matches?: Match[]; participant?: Participant; items?: WaitlistEntry[] };
      if (d.tournament) newer(d.tournament);
      if (e.type.startsWith('participant.')) loadParticipants().catch(() => {});
      if (e.type === 'participant.joined' || e.type === 'participant.left') loadWaitlist(d.tournament ?? tRef.current).catch(() => {});
      if (e.type === 'participant.dropped' || (e.type === 'participant.left' && started(tRef.current))) loadBracket().catch(() => {});
      if (e.type === 'waitlist.updated' && d.items) setWaitlist(d.items);
      if (e.type === 'tournament.started') loadBracket().catch(() => {});
      if (e.type === 'match.completed' && d.match) {
        const changed = [d.match, ...(d.updated_matches ?? [])];
        setBracket((b) => (b ? merge(b, changed) : b));
        loadStandings().catch(() => {});
      }
      if (e.type === 'tournament.completed') loadStandings().catch(() => {});
    });
    return () => {
      off();
      offSync();
    };
  }, [id]);

  return { t, setT: newer, ps, waitlist, bracket, setBracket, standings, error, gone, loadParticipants, loadWaitlist, loadBracket, loadStandings };
}

type Data = ReturnType<typeof useTournament>;

function Gone() {
  useTitle('Not found');
  return (
    <section>
      <h1>Tournament not found</h1>
      <p>That tournament no longer exists, or the link is wrong.</p>
      <p>
        <Link href="/">Back to the tournaments</Link>
      </p>
    </section>
  );
}

function champion(d: Data): string | null {
  if (d.t?.status !== 'completed') return null;
  const first = d.standings?.items.find((s) => s.rank === 1);
  return first?.name ?? null;
}

export function TournamentDetail(props: { id: string }) {
  const { id } = props;
  const user = useUser();
  const d = useTournament(id);
  const { t, ps } = d;
  useTitle(t?.name ?? (d.gone ? 'Not found' : null));

  if (d.gone) return <Gone />;
  if (d.error && !t)
    return (
      <section>
        <Alert error={d.error} />
        <p>It will load by itself when the connection is back. <Link href="/">Back to the tournaments</Link></p>
      </section>
    );
  if (!t)
    return (
      <p aria-busy="true" class="loading">
        Loading the tournament…
      </p>
    );

  const manage = canManage(t, user);
  const mine = user ? ps.find((p) => p.user_id === user.id) : undefined;
  const champ = champion(d);

  const onReport: Report = async (m, winner, score, correct) => {
    const r = await api<{ match: Match; tournament: Tournament; updated_matches?: Match[] }>(
      correct ? 'PUT' : 'POST',
      `/tournaments/${id}/matches/${m.id}/result`,
      { winner_id: winner, score },
    );
    d.setT(r.tournament);
    // The event brings the matches it fed; the full bracket makes the reporter's view exact at once.
    await d.loadBracket();
  };

  return (
    <article class="detail">
      <header class="detail-head">
        <h1>{t.name}</h1>
        <p class="meta">
          <span class={`badge s-${t.status}`} data-testid="status">{STATUS_LABEL[t.status]}</span> {TYPE_LABEL[t.tournament_type] ?? t.tournament_type}
          {t.third_place_match ? ' · third-place match' : ''}
          {t.tournament_type === 'double_elimination' && t.grand_final ? ` · grand final: ${t.grand_final}` : ''}
          {t.tournament_type === 'swiss' ? ` · ${t.swiss_rounds ?? 'automatic'} rounds${t.top_cut ? `, top ${t.top_cut} cut` : ''}` : ''}
          {t.tournament_type === 'group_stage' ? ` · ${t.group_count} groups, ${t.advance_per_group} advance` : ''} · starts{' '}
          {formatDate(t.start_date)} · <span data-testid="count">{t.participant_count}</span>/{t.max_participants} players
        </p>
        {t.description && <p class="desc">{t.description}</p>}
        {started(t) && (
          <p>
            <Link href={`/tournaments/${encodeURIComponent(t.id)}/wall`}>Wall mode (for a big screen)</Link>
          </p>
        )}
      </header>
      {champ && <Champion name={champ} />}
      <Alert error={d.error} />
      <div class="detail-body">
        <Players d={d} manage={manage} mine={mine} />
        {manage && <Manage d={d} />}
        {d.bracket && (
          <section class="bracket-wrap" aria-labelledby="bracket-h">
            <h2 id="bracket-h">Bracket</h2>
            <BracketView tournament={t} bracket={d.bracket} participants={ps} standings={d.standings}
              manage={manage && t.status !== 'cancelled'} onReport={onReport} follow={mine?.id ?? null} />
          </section>
        )}
      </div>
    </article>
  );
}

function Champion(props: { name: string }) {
  return (
    <p class="champion" data-testid="champion">
      Champion: <strong class="full-name">{props.name}</strong>
    </p>
  );
}

function CheckInWindow(props: { t: Tournament }) {
  const { t } = props;
  const opensIn = useCountdown(t.check_in_opens_at);
  const closesIn = useCountdown(t.start_date);
  if (!(t.check_in_minutes ?? 0) || t.status !== 'registration_open') return null;
  return (
    <p class="checkin-window" data-testid="checkin-window">
      {opensIn
        ? `Check-in opens in ${opensIn} (${t.check_in_minutes} minutes before the start).`
        : closesIn
          ? `Check-in is open: it closes when the tournament starts, in ${closesIn}. Players who have not checked in by then are out.`
          : 'Check-in is open until the organiser starts the tournament.'}
    </p>
  );
}

const checkInOpen = (t: Tournament) =>
  (t.check_in_minutes ?? 0) > 0 && t.status === 'registration_open' && !!t.check_in_opens_at && Date.now() >= new Date(t.check_in_opens_at).getTime();

function Players(props: { d: Data; manage: boolean; mine?: Participant }) {
  const { d, manage, mine } = props;
  const t = d.t as Tournament;
  const ps = d.ps;
  const user = useUser();
  const [run, st] = useAction();
  const [name, setName] = useState('');
  const [seed, setSeed] = useState('');
  const [confirm, setConfirm] = useState<null | { title: string; body: ComponentChildren; label: string; danger?: boolean; go: () => Promise<unknown> }>(null);
  const [, tick] = useState(0);
  useEffect(() => {
    // The check-in button appears by itself when the window opens.
    if (!t.check_in_opens_at || t.status !== 'registration_open') return;
    const left = new Date(t.check_in_opens_at).getTime() - Date.now();
    if (left <= 0 || left > 2 ** 31 - 1) return;
    const h = setTimeout(() => tick((n) => n + 1), left + 50);
    return () => clearTimeout(h);
  }, [t.check_in_opens_at, t.status]);
  const open = t.status === 'registration_open';
  const waiting = user ? d.waitlist.find((w) => w.user_id === user.id) : undefined;
  const full = t.participant_count >= t.max_participants;
  // The loaded list is fresher than the tournament's count (participant events carry no tournament).
  const waitRoom = (t.waitlist_size ?? 0) - d.waitlist.length;
  const inCheckIn = checkInOpen(t);
  const reloadAll = () => Promise.all([d.loadParticipants(), d.loadWaitlist(t)]);
  return (
    <section class="participants" aria-labelledby="ps-h">
      <h2 id="ps-h">Players</h2>
      <CheckInWindow t={t} />
      {user && user.is_approved && open && !mine && !waiting && (!full || waitRoom > 0) && (
        <button type="button" disabled={st.busy} onClick={() => run(async () => {
          const r = await api<{ participant?: Participant; waitlist_entry?: WaitlistEntry }>('POST', `/tournaments/${t.id}/participants`, {});
          await reloadAll();
          return r;
        }, (r) => {
          const w = (r as { waitlist_entry?: WaitlistEntry } | undefined)?.waitlist_entry;
          return w ? `The tournament is full: you are number ${w.position} on the waitlist.` : 'You are in.';
        })}>
          {full ? 'Join the waitlist' : 'Join this tournament'}
        </button>
      )}
      {user && open && !mine && !waiting && full && waitRoom <= 0 && <p class="hint" data-testid="full">Full: every place is taken.</p>}
      {mine && open && (
        <button type="button" class="secondary" disabled={st.busy} onClick={() => setConfirm({
          title: `Leave ${t.name}?`,
          body: <p>Your place is freed{(t.waitlist_size ?? 0) > 0 ? ' and goes to the first person on the waitlist' : ''}. You can join again while there is room.</p>,
          label: 'Leave the tournament',
          go: async () => {
            await api('DELETE', `/tournaments/${t.id}/participants/${mine.id}`);
            await reloadAll();
          },
        })}>
          Leave this tournament
        </button>
      )}
      {inCheckIn && ((mine && !mine.checked_in_at) || (waiting && !waiting.checked_in_at)) && (
        <button type="button" disabled={st.busy} onClick={() => run(async () => {
          await api('POST', `/tournaments/${t.id}/check-in`, {});
          await reloadAll();
        }, 'You are checked in.')}>
          Check in
        </button>
      )}
      {mine && t.status === 'in_progress' && statusOf(mine) === 'active' && (
        <button type="button" class="secondary" disabled={st.busy} onClick={() => setConfirm({
          title: 'Drop out?',
          body: <p>Every match you have not played yet is given to your opponent{t.tournament_type === 'swiss' ? ', and you are not paired again (you keep your place in the standings)' : ''}. This cannot be undone.</p>,
          label: 'Drop out',
          danger: true,
          go: async () => {
            const r = await api<{ bracket: Bracket }>('POST', `/tournaments/${t.id}/participants/${mine.id}/drop`, {});
            d.setBracket(r.bracket);
            await Promise.all([d.loadParticipants(), d.loadStandings()]);
          },
        })}>
          Drop out
        </button>
      )}
      {!user && open && (
        <p class="hint">
          <Link href={loginHref()}>Log in</Link> to join.
        </p>
      )}
      <Alert error={st.error} notice={st.notice} />
      <ol class="plist" aria-label="Players by seed">
        {ps.map((p) => (
          <li key={p.id} data-participant={p.id} class={statusOf(p) !== 'active' ? `out ${statusOf(p)}` : undefined}>
            <span class="seed" aria-label={`seed ${p.seed}`}>{p.seed}</span>
            <span class="pname full-name">{p.name}{mine?.id === p.id ? ' (you)' : ''}</span>
            <StatusBadge p={p} />
            {p.checked_in_at && open && <span class="checked" title={`checked in ${formatDate(p.checked_in_at)}`}>✓ checked in</span>}
            {manage && inCheckIn && !p.checked_in_at && (
              <button type="button" class="small" aria-label={`Check in ${p.name}`} disabled={st.busy}
                onClick={() => run(async () => {
                  await api('POST', `/tournaments/${t.id}/participants/${p.id}/check-in`, {});
                  await d.loadParticipants();
                })}>
                Check in
              </button>
            )}
            {manage && open && (
              <button type="button" class="small secondary" aria-label={`Remove ${p.name}`} disabled={st.busy}
                onClick={() => setConfirm({
                  title: `Remove ${p.name}?`,
                  body: <p><span class="full-name">{p.name}</span> leaves the tournament; the players below move up one seed{(t.waitlist_size ?? 0) > 0 ? ' and the first on the waitlist takes the free place' : ''}.</p>,
                  label: 'Remove',
                  danger: true,
                  go: async () => {
                    await api('DELETE', `/tournaments/${t.id}/participants/${p.id}`);
                    await reloadAll();
                  },
                })}>
                Remove
              </button>
            )}
            {manage && t.status === 'in_progress' && statusOf(p) === 'active' && (
              <button type="button" class="small secondary" aria-label={`Disqualify ${p.name}`}
                onClick={() => setConfirm({
                  title: `Disqualify ${p.name}?`,
                  body: <p>Every match <span class="full-name">{p.name}</span> has not played yet is given to the opponent (marked W/O), at once. This cannot be undone.</p>,
                  label: 'Disqualify',
                  danger: true,
                  go: async () => {
                    const r = await api<{ bracket: Bracket }>('POST', `/tournaments/${t.id}/participants/${p.id}/disqualify`, {});
                    d.setBracket(r.bracket);
                    await Promise.all([d.loadParticipants(), d.loadStandings()]);
                  },
                })}>
                Disqualify
              </button>
            )}
          </li>
        ))}
      </ol>
      {ps.length === 0 && <p>No one yet.</p>}
      {(t.waitlist_size ?? 0) > 0 && open && (
        <section aria-labelledby="wl-h" class="waitlist">
          <h3 id="wl-h">Waitlist ({d.waitlist.length}/{t.waitlist_size})</h3>
          {d.waitlist.length === 0 ? (
            <p class="hint">Nobody is waiting. When the tournament is full, joining puts you here; a freed place goes to the first in line.</p>
          ) : (
            <ol class="plist" aria-label="Waitlist by position">
              {d.waitlist.map((w) => (
                <li key={w.user_id} data-waitlist={w.user_id}>
                  <span class="seed" aria-label={`position ${w.position}`}>{w.position}</span>
                  <span class="pname full-name">{w.name}{user?.id === w.user_id ? ' (you)' : ''}</span>
                  {w.checked_in_at && <span class="checked">✓ checked in</span>}
                  {(user?.id === w.user_id || manage) && (
                    <button type="button" class="small secondary" disabled={st.busy}
                      aria-label={user?.id === w.user_id ? 'Leave the waitlist' : `Remove ${w.name} from the waitlist`}
                      onClick={() => run(async () => {
                        await api('DELETE', `/tournaments/${t.id}/waitlist/${w.user_id}`);
                        await d.loadWaitlist(t);
                      }, user?.id === w.user_id ? 'You left the waitlist.' : undefined)}>
                      {user?.id === w.user_id ? 'Leave the waitlist' : 'Remove'}
                    </button>
                  )}
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
      {manage && open && !full && (
        <form class="row add" onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = { name };
          if (seed) body.seed = Number(seed);
          run(async () => {
            await api('POST', `/tournaments/${t.id}/participants`, body);
            setName('');
            setSeed('');
            await d.loadParticipants();
          });
        }}>
          <label>
            Player name
            <input name="participant_name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label class="seed-input">
            Seed <span class="hint">(optional)</span>
            <input type="number" name="seed" min={1} value={seed} onInput={(e) => setSeed(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={st.busy}>Add player</button>
        </form>
      )}
      {manage && open && !full && <PasteList t={t} after={() => d.loadParticipants()} />}
      {confirm && (
        <Confirm title={confirm.title} confirmLabel={confirm.label} danger={confirm.danger} onConfirm={confirm.go} onClose={() => setConfirm(null)}>
          {confirm.body}
        </Confirm>
      )}
    </section>
  );
}

/** Paste a whole list (one name a line): all or nothing through the bulk route. */
function PasteList(props: { t: Tournament; after: () => Promise<unknown> }) {
  const { t } = props;
  const [text, setText] = useState('');
  const [run, st] = useAction();
  const names = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const room = t.max_participants - t.participant_count;
  return (
    <details class="paste">
      <summary>Paste a list of players</summary>
      <form onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await api('POST', `/tournaments/${t.id}/participants/bulk`, { items: names.map((name) => ({ name })) });
          setText('');
          await props.after();
        }, `${names.length} players added.`);
      }}>
        <label>
          One name per line <span class="hint">({names.length} names, {room} places left; all are added or none)</span>
          <textarea name="bulk_names" rows={6} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <Alert error={st.error} notice={st.notice} />
        <button type="submit" disabled={st.busy || names.length === 0}>Add {names.length || ''} players</button>
      </form>
    </details>
  );
}

function Manage(props: { d: Data }) {
  const { d } = props;
  const t = d.t as Tournament;
  const [run, st] = useAction();
  const [seeding, setSeeding] = useState('by_seed');
  const [confirm, setConfirm] = useState<'start' | 'cancel' | null>(null);
  const [editing, setEditing] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  if (t.status === 'completed' || t.status === 'cancelled') return null;
  const checkIn = (t.check_in_minutes ?? 0) > 0;
  const notIn = d.ps.filter((p) => !p.checked_in_at).length;
  const waitingIn = d.waitlist.filter((w) => w.checked_in_at).length;
  const start = async () => {
    const r = await api<{ tournament: Tournament; bracket: Bracket; no_shows?: Participant[]; promoted?: Participant[] }>('POST', `/tournaments/${t.id}/start`, { seeding });
    d.setT(r.tournament);
    d.setBracket(r.bracket);
    await Promise.all([d.loadParticipants(), d.loadStandings()]);
    const ns = r.no_shows ?? [];
    const pr = r.promoted ?? [];
    setOutcome(
      ns.length || pr.length
        ? `Started. No-shows: ${ns.map((p) => p.name).join(', ') || 'none'}. From the waitlist: ${pr.map((p) => p.name).join(', ') || 'nobody'}.`
        : 'Started.',
    );
  };
  return (
    <section class="manage" aria-labelledby="manage-h">
      <h2 id="manage-h">Manage</h2>
      <div class="row">
        {t.status === 'registration_open' && (
          <>
            <label class="inline">
              Seeding
              <select value={seeding} onChange={(e) => setSeeding(e.currentTarget.value)}>
                <option value="by_seed">By seed</option>
                <option value="random">Random</option>
              </select>
            </label>
            <button type="button" disabled={st.busy || t.participant_count < 2} onClick={() => (checkIn ? setConfirm('start') : run(start))}>
              Start tournament
            </button>
            {t.participant_count < 2 && <span class="hint">At least 2 players are needed to start.</span>}
            <button type="button" class="secondary" aria-expanded={editing} onClick={() => setEditing(!editing)}>
              {editing ? 'Close editing' : 'Edit details'}
            </button>
          </>
        )}
        <button type="button" class="secondary" onClick={() => setConfirm('cancel')}>
          Cancel tournament
        </button>
      </div>
      <Alert error={st.error} notice={outcome} />
      {confirm === 'start' && (
        <Confirm title="Start now?" confirmLabel="Start tournament" onConfirm={start} onClose={() => setConfirm(null)}>
          <p>
            {notIn === 0 ? 'Every player has checked in.' : `${notIn} player${notIn === 1 ? ' has' : 's have'} not checked in: they become no-shows and leave the field.`}{' '}
            {waitingIn > 0 ? `${waitingIn} checked-in player${waitingIn === 1 ? '' : 's'} from the waitlist take free places, in waitlist order.` : ''} Seeds are renumbered.
          </p>
        </Confirm>
      )}
      {confirm === 'cancel' && (
        <Confirm title={`Cancel ${t.name}?`} confirmLabel="Cancel the tournament" danger onClose={() => setConfirm(null)}
          onConfirm={async () => {
            const r = await api<{ tournament: Tournament }>('DELETE', `/tournaments/${t.id}`);
            d.setT(r.tournament);
          }}>
          <p>Nobody can join or play any more, and every player sees it as cancelled. This cannot be undone.</p>
        </Confirm>
      )}
      {editing && t.status === 'registration_open' && <TournamentForm existing={t} onSaved={(n) => d.setT(n)} />}
    </section>
  );
}

/**
 * The wall: no navigation, the bracket scaled to fit the screen (never scrolled), the
 * champion when it is over. For a TV at the gym: open it and leave it.
 */
export function WallView(props: { id: string; indicator: ComponentChildren }) {
  const d = useTournament(props.id);
  const { t } = d;
  useTitle(t ? `${t.name} (wall)` : null);
  const box = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const [scale, setScale] = useState(1);
  useLayoutEffect(() => {
    // A double elimination can stand stacked (winners above losers) or side by side:
    // whichever the screen shows larger.
    const fit = () => {
      const b = box.current;
      const i = inner.current;
      if (!b || !i) return;
      const measure = () => Math.min(1.5, b.clientWidth / (i.scrollWidth || 1), b.clientHeight / (i.scrollHeight || 1));
      i.classList.remove('side-by-side');
      let best = measure();
      if (i.querySelector('.trees.double')) {
        i.classList.add('side-by-side');
        const row = measure();
        if (row > best) best = row;
        else i.classList.remove('side-by-side');
      }
      setScale(best);
    };
    fit();
    const ro = new ResizeObserver(fit);
    if (box.current) ro.observe(box.current);
    if (inner.current) ro.observe(inner.current);
    return () => ro.disconnect();
  }, [d.bracket, d.ps, d.standings, t?.status]);
  if (d.gone) return <main class="wall"><Gone /></main>;
  const champ = champion(d);
  return (
    <main class="wall" id="main" data-testid="wall">
      <header class="wall-head">
        <h1>{t?.name ?? 'Loading…'}</h1>
        {t && <span class={`badge s-${t.status}`} data-testid="status">{STATUS_LABEL[t.status]}</span>}
        {champ && <Champion name={champ} />}
        <span class="wall-live">{props.indicator}</span>
        {t && <Link href={`/tournaments/${encodeURIComponent(t.id)}`} class="wall-exit">Exit wall mode</Link>}
      </header>
      <div class="wall-box" ref={box}>
        <div class="wall-inner" ref={inner} style={{ transform: `scale(${scale})` }}>
          {t && d.bracket ? (
            <BracketView tournament={t} bracket={d.bracket} participants={d.ps} standings={d.standings} manage={false} onReport={async () => {}} wall />
          ) : t ? (
            <p class="loading">The bracket appears when the tournament starts.</p>
          ) : (
            <p class="loading" aria-busy="true">Loading…</p>
          )}
        </div>
      </div>
      <Alert error={d.error} />
    </main>
  );
}
