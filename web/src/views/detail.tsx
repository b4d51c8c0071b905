import { useEffect, useState } from 'preact/hooks';
import { api, canManage, type Bracket, type Match, type Participant, type Standing, type Tournament } from '../api';
import { subscribe } from '../live';
import { Alert, STATUS_LABEL, TYPE_LABEL, formatDate, message, useAction, useUser } from '../ui';
import { BracketView, type Report } from './bracket';
import { TournamentForm } from './form';

function merge(b: Bracket, changed: Match[]): Bracket {
  const by = new Map(changed.map((m) => [m.id, m]));
  return { ...b, matches: b.matches.map((m) => by.get(m.id) ?? m) };
}

export function TournamentDetail(props: { id: string }) {
  const { id } = props;
  const user = useUser();
  const [t, setT] = useState<Tournament | null>(null);
  const [ps, setPs] = useState<Participant[]>([]);
  const [bracket, setBracket] = useState<Bracket | null>(null);
  const [standings, setStandings] = useState<Standing[]>([]);
  const [error, setError] = useState<string | null>(null);

  const loadParticipants = () =>
    api<{ items: Participant[] }>('GET', `/tournaments/${id}/participants`).then((r) => {
      setPs(r.items);
      // participant.* events carry no tournament: the count follows the list.
      setT((cur) => (cur && cur.status === 'registration_open' ? { ...cur, participant_count: r.items.length } : cur));
    });
  const loadBracket = async () => {
    const [b, s] = await Promise.all([
      api<{ bracket: Bracket }>('GET', `/tournaments/${id}/bracket`),
      api<{ items: Standing[] }>('GET', `/tournaments/${id}/standings`),
    ]);
    setBracket(b.bracket);
    setStandings(s.items);
  };
  const loadStandings = () =>
    api<{ items: Standing[] }>('GET', `/tournaments/${id}/standings`).then((r) => setStandings(r.items));

  useEffect(() => {
    let stale = false;
    setT(null);
    setBracket(null);
    setStandings([]);
    setError(null);
    (async () => {
      try {
        const [r] = await Promise.all([api<{ tournament: Tournament }>('GET', `/tournaments/${id}`), loadParticipants()]);
        if (stale) return;
        setT(r.tournament);
        if (r.tournament.status === 'in_progress' || r.tournament.status === 'completed') await loadBracket();
      } catch (e) {
        if (!stale) setError(message(e));
      }
    })();
    const off = subscribe(id, (e) => {
      const d = e.data as { tournament?: Tournament; match?: Match; updated_matches?: Match[]; participant?: Participant };
      if (d.tournament) setT((cur) => (!cur || cur.version <= (d.tournament as Tournament).version ? (d.tournament as Tournament) : cur));
      if (e.type === 'participant.joined' || e.type === 'participant.left') loadParticipants().catch(() => {});
      if (e.type === 'tournament.started') loadBracket().catch(() => {});
      if (e.type === 'match.completed' && d.match) {
        const changed = [d.match, ...(d.updated_matches ?? [])];
        setBracket((b) => (b ? merge(b, changed) : b));
        loadStandings().catch(() => {});
      }
    });
    return () => {
      stale = true;
      off();
    };
  }, [id]);

  if (error && !t) return <Alert error={error} />;
  if (!t) return <p aria-busy="true">Loading…</p>;

  const manage = canManage(t, user);
  const mine = user ? ps.find((p) => p.user_id === user.id) : undefined;

  const onReport: Report = async (m, winner, score, correct) => {
    const r = await api<{ match: Match; tournament: Tournament }>(correct ? 'PUT' : 'POST', `/tournaments/${id}/matches/${m.id}/result`, {
      winner_id: winner,
      score,
    });
    setT(r.tournament);
    // The event brings the matches it fed; the full bracket makes the reporter's view exact at once.
    await loadBracket();
  };

  return (
    <article class="detail">
      <header class="detail-head">
        <h1>{t.name}</h1>
        <p class="meta">
          <span class={`badge s-${t.status}`} data-testid="status">{STATUS_LABEL[t.status]}</span> {TYPE_LABEL[t.tournament_type]}
          {t.third_place_match ? ' · third-place match' : ''}
          {t.tournament_type === 'double_elimination' && t.grand_final ? ` · grand final: ${t.grand_final}` : ''} · starts{' '}
          {formatDate(t.start_date)} · <span data-testid="count">{t.participant_count}</span>/{t.max_participants} players
        </p>
        {t.description && <p class="desc">{t.description}</p>}
      </header>
      <Alert error={error} />
      <div class="detail-body">
        <Participants t={t} ps={ps} manage={manage} mine={mine} reload={() => loadParticipants()} onBracket={(b) => setBracket(b)} />
        {manage && <Manage t={t} setT={setT} onStarted={(b) => { setBracket(b); loadStandings().catch(() => {}); }} />}
        {bracket && (
          <section class="bracket-wrap" aria-labelledby="bracket-h">
            <h2 id="bracket-h">Bracket</h2>
            <BracketView bracket={bracket} participants={ps} standings={standings} manage={manage && t.status !== 'cancelled'} onReport={onReport} />
          </section>
        )}
      </div>
    </article>
  );
}

function Participants(props: {
  t: Tournament;
  ps: Participant[];
  manage: boolean;
  mine?: Participant;
  reload: () => Promise<unknown>;
  onBracket: (b: Bracket) => void;
}) {
  const { t, ps, manage, mine } = props;
  const user = useUser();
  const [run, st] = useAction();
  const [name, setName] = useState('');
  const [seed, setSeed] = useState('');
  const [confirmDq, setConfirmDq] = useState<string | null>(null);
  const open = t.status === 'registration_open';
  return (
    <section class="participants" aria-labelledby="ps-h">
      <h2 id="ps-h">Participants</h2>
      {user && user.is_approved && open && !mine && (
        <button type="button" disabled={st.busy} onClick={() => run(async () => {
          await api('POST', `/tournaments/${t.id}/participants`, {});
          await props.reload();
        }, 'You are in.')}>
          Join this tournament
        </button>
      )}
      {mine && open && (
        <button type="button" class="secondary" disabled={st.busy} onClick={() => run(async () => {
          await api('DELETE', `/tournaments/${t.id}/participants/${mine.id}`);
          await props.reload();
        }, 'You left the tournament.')}>
          Leave this tournament
        </button>
      )}
      {!user && open && <p class="hint">Log in to join.</p>}
      <Alert error={st.error} notice={st.notice} />
      <ol class="plist" aria-label="Participants by seed">
        {ps.map((p) => (
          <li key={p.id}>
            <span class="seed" aria-label={`seed ${p.seed}`}>{p.seed}</span>
            <span class="pname">{p.name}{mine?.id === p.id ? ' (you)' : ''}</span>
            {manage && open && (
              <button type="button" class="small secondary" aria-label={`Remove ${p.name}`} disabled={st.busy}
                onClick={() => run(async () => {
                  await api('DELETE', `/tournaments/${t.id}/participants/${p.id}`);
                  await props.reload();
                })}>
                Remove
              </button>
            )}
            {manage && t.status === 'in_progress' && (confirmDq === p.id ? (
              <button type="button" class="small danger" aria-label={`Confirm disqualifying ${p.name}`} disabled={st.busy}
                onClick={() => run(async () => {
                  const r = await api<{ bracket: Bracket }>('POST', `/tournaments/${t.id}/participants/${p.id}/disqualify`, {});
                  setConfirmDq(null);
                  props.onBracket(r.bracket);
                }, `${p.name} is disqualified.`)}>
                Confirm
              </button>
            ) : (
              <button type="button" class="small secondary" aria-label={`Disqualify ${p.name}`} onClick={() => setConfirmDq(p.id)}>
                Disqualify
              </button>
            ))}
          </li>
        ))}
      </ol>
      {ps.length === 0 && <p>No one yet.</p>}
      {manage && open && (
        <form class="row add" onSubmit={(e) => {
          e.preventDefault();
          const body: Record<string, unknown> = { name };
          if (seed) body.seed = Number(seed);
          run(async () => {
            await api('POST', `/tournaments/${t.id}/participants`, body);
            setName('');
            setSeed('');
            await props.reload();
          });
        }}>
          <label>
            Player name
            <input name="participant_name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label class="seed-input">
            Seed <span class="hint">(optional)</span>
            <input type="number" name="seed" min={1} value={seed} onInput={(e) => setSeed(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={st.busy}>Add player</button>
        </form>
      )}
    </section>
  );
}

function Manage(props: { t: Tournament; setT: (t: Tournament) => void; onStarted: (b: Bracket) => void }) {
  const { t } = props;
  const [run, st] = useAction();
  const [seeding, setSeeding] = useState('by_seed');
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [editing, setEditing] = useState(false);
  if (t.status === 'completed' || t.status === 'cancelled') return null;
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
            <button type="button" disabled={st.busy} onClick={() => run(async () => {
              const r = await api<{ tournament: Tournament; bracket: Bracket }>('POST', `/tournaments/${t.id}/start`, { seeding });
              props.setT(r.tournament);
              props.onStarted(r.bracket);
            })}>
              Start tournament
            </button>
            <button type="button" class="secondary" aria-expanded={editing} onClick={() => setEditing(!editing)}>
              {editing ? 'Close editing' : 'Edit details'}
            </button>
          </>
        )}
        {confirmCancel ? (
          <button type="button" class="danger" disabled={st.busy} onClick={() => run(async () => {
            const r = await api<{ tournament: Tournament }>('DELETE', `/tournaments/${t.id}`);
            props.setT(r.tournament);
            setConfirmCancel(false);
          })}>
            Yes, cancel it
          </button>
        ) : (
          <button type="button" class="secondary" onClick={() => setConfirmCancel(true)}>
            Cancel tournament
          </button>
        )}
      </div>
      <Alert error={st.error} notice={st.notice} />
      {editing && t.status === 'registration_open' && <TournamentForm existing={t} onSaved={(n) => props.setT(n)} />}
    </section>
  );
}
