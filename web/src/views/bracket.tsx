// The bracket, drawn with plain DOM and CSS. Elimination trees (single, double, a Swiss
// top cut, a group stage's playoff) as columns of fixed-width match boxes with seeds,
// shortened names (the full name on hover, and on tap: the box expands) and connector
// lines between rounds; round robin as a grid plus its rounds (with who rests); Swiss
// round by round; groups as tables beside the playoff; standings with the columns that
// mean something for the format, labelled provisional until the end. On a phone the
// trees become a round-by-round list with "follow a player". Why not brackets-viewer:
// see web/README.md.
import { useEffect, useState } from 'preact/hooks';
import { statusOf, type Bracket, type Match, type Participant, type Standing, type Standings, type Tournament } from '../api';
import { Alert, useAction } from '../ui';

export type Report = (m: Match, winner: string | null, score: string, correct: boolean) => Promise<unknown>;

export interface BracketProps {
  tournament: Tournament;
  bracket: Bracket;
  participants: Participant[];
  standings: Standings | null;
  manage: boolean;
  onReport: Report;
  /** The wall: no controls, trees never switch to the phone list. */
  wall?: boolean;
  /** The participant whose matches are highlighted ("my matches"). */
  follow?: string | null;
}

interface Ctx extends BracketProps {
  byId: Map<string, Participant>;
  name: (id: string | null) => string;
  all: Match[];
}

const mirror = (score: string) =>
  score === 'forfeit' ? score : score.split(',').map((s) => s.split('-').reverse().join('-')).join(',');

/** The sums of the numbers on each side of a score ("21-19,18-21" → [39, 40]); null for a forfeit. */
export function scoreSums(score: string | null): [number, number] | null {
  if (!score || score === 'forfeit') return null;
  let a = 0;
  let b = 0;
  for (const part of score.split(',')) {
    const [x, y] = part.split('-').map((n) => Number(n.trim()));
    if (Number.isFinite(x) && Number.isFinite(y)) {
      a += x;
      b += y;
    }
  }
  return [a, b];
}

export function useNarrow(): boolean {
  const q = '(max-width: 700px)';
  const [narrow, setNarrow] = useState(() => window.matchMedia(q).matches);
  useEffect(() => {
    const mq = window.matchMedia(q);
    const l = () => setNarrow(mq.matches);
    mq.addEventListener('change', l);
    return () => mq.removeEventListener('change', l);
  }, []);
  return narrow;
}

export function roundTitle(bracket: string, round: number, last: number): string {
  if (bracket === 'grand_final') return round === 1 ? 'Grand final' : 'Bracket reset';
  if (bracket === 'third_place') return 'Third place';
  if (bracket === 'losers') return `Losers round ${round}`;
  if (bracket === 'round_robin' || bracket === 'swiss' || bracket === 'group') return `Round ${round}`;
  const left = last - round;
  return left === 0 ? 'Final' : left === 1 ? 'Semi-finals' : left === 2 ? 'Quarter-finals' : `Round ${round}`;
}

/**
 * Whether a correction can be accepted (API.md): an elimination match while nothing it fed
 * is completed; a Swiss or group match while neither player has played on (a later Swiss
 * round, or the stage after). A forfeit (from a disqualification or a drop) is not a result
 * to correct.
 */
export function correctable(m: Match, all: Match[]): boolean {
  if (m.status !== 'completed' || m.score === 'forfeit') return false;
  if (m.bracket === 'round_robin') return true;
  if (m.bracket === 'swiss' || m.bracket === 'group') {
    // Refused once either player has played on: a later Swiss round, or the next stage.
    const players = [m.participant1_id, m.participant2_id].filter(Boolean);
    const later = (x: Match) =>
      x.bracket === 'swiss' ? m.bracket === 'swiss' && x.round > m.round : x.bracket !== 'group' && x.bracket !== 'round_robin';
    return !all.some(
      (x) => x.status === 'completed' && later(x) && (players.includes(x.participant1_id) || players.includes(x.participant2_id)),
    );
  }
  const fed = [m.next_match_id, m.next_loser_match_id].filter(Boolean);
  return !all.some((x) => fed.includes(x.id) && x.status === 'completed');
}

function ReportForm(props: { m: Match; name: (id: string | null) => string; draws: boolean; correct: boolean; onReport: Report; done: () => void }) {
  const { m } = props;
  const [winner, setWinner] = useState<string>(m.winner_id ?? '');
  const [score, setScore] = useState(m.score && m.score !== 'forfeit' ? m.score : '');
  const [run, st] = useAction();
  const p1 = props.name(m.participant1_id);
  const p2 = props.name(m.participant2_id);
  const name = `w-${m.id}`;
  return (
    <form
      class="report"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await props.onReport(m, winner === 'draw' ? null : winner, score.trim(), props.correct);
          props.done();
        });
      }}
    >
      <fieldset>
        <legend>Winner</legend>
        <label class="check">
          <input type="radio" name={name} value={m.participant1_id ?? ''} required checked={winner === m.participant1_id}
            onChange={() => setWinner(m.participant1_id ?? '')} />
          <span class="full-name">{p1}</span>
        </label>
        <label class="check">
          <input type="radio" name={name} value={m.participant2_id ?? ''} checked={winner === m.participant2_id}
            onChange={() => setWinner(m.participant2_id ?? '')} />
          <span class="full-name">{p2}</span>
        </label>
        {props.draws && (
          <label class="check">
            <input type="radio" name={name} value="draw" checked={winner === 'draw'} onChange={() => setWinner('draw')} />
            Draw
          </label>
        )}
      </fieldset>
      <label>
        Score (first player's first)
        <input name="score" required maxLength={64} pattern="[0-9, \-]+" placeholder="3-1" value={score}
          onInput={(e) => setScore(e.currentTarget.value)} />
      </label>
      <Alert error={st.error} />
      <div class="row">
        <button type="submit" disabled={st.busy}>{props.correct ? 'Save correction' : 'Save result'}</button>
        <button type="button" class="secondary" onClick={props.done}>Close</button>
      </div>
    </form>
  );
}

const STATUS_MARK: Record<string, [string, string]> = {
  disqualified: ['DQ', 'disqualified'],
  dropped: ['Dropped', 'dropped out'],
  no_show: ['No-show', 'did not check in'],
};

export function StatusBadge(props: { p?: Participant }) {
  const status = statusOf(props.p);
  const mark = STATUS_MARK[status];
  if (!mark) return null;
  return (
    <span class={`pbadge pb-${status}`} title={mark[1]}>
      {mark[0]}
    </span>
  );
}

function MatchBox(props: { m: Match; c: Ctx; draws: boolean }) {
  const { m, c } = props;
  const [open, setOpen] = useState(false);
  const [expanded, setExpanded] = useState(false);
  const forfeit = m.score === 'forfeit';
  const [s1, s2] = m.score && !forfeit ? [m.score, mirror(m.score)] : ['', ''];
  const side = (id: string | null, score: string) => {
    const done = m.status === 'completed';
    const won = done && m.winner_id === id && id !== null;
    const lost = done && m.winner_id !== null && m.winner_id !== id && id !== null;
    const p = id ? c.byId.get(id) : undefined;
    const label = id === null ? (m.status === 'bye' ? 'bye' : 'TBD') : c.name(id);
    return (
      <div class={`side${won ? ' won' : ''}${lost ? ' lost' : ''}${id === null ? ' empty' : ''}${id && id === c.follow ? ' followed' : ''}`}>
        <span class="seed" aria-hidden="true">{p?.seed ?? ''}</span>
        <span class="name" title={id ? label : undefined}>{label}</span>
        <StatusBadge p={p} />
        {done && forfeit && lost && <abbr class="wo" title="walkover: did not play">W/O</abbr>}
        {done && !forfeit && <span class="score">{score}</span>}
      </div>
    );
  };
  const vs = `${m.participant1_id ? c.name(m.participant1_id) : 'TBD'} versus ${m.participant2_id ? c.name(m.participant2_id) : m.status === 'bye' ? 'bye' : 'TBD'}`;
  const label = `${roundTitle(m.bracket, m.round, 99)}${m.group ? ` group ${m.group}` : ''}, match ${m.match_number}: ${vs}${m.status === 'completed' ? (m.winner_id ? `, won by ${c.name(m.winner_id)}${forfeit ? ' by walkover' : ` ${m.score ?? ''}`}` : `, draw ${m.score ?? ''}`) : ''}`;
  const canReport = c.manage && !c.wall && m.status === 'ready' && !!m.participant1_id && !!m.participant2_id;
  const canCorrect = c.manage && !c.wall && correctable(m, c.all);
  const followed = !!c.follow && (m.participant1_id === c.follow || m.participant2_id === c.follow);
  return (
    <div class={`match st-${m.status}${expanded ? ' expanded' : ''}${followed ? ' on-path' : ''}`} data-match={m.id} data-status={m.status}
      data-bracket={m.bracket} data-round={m.round} role="group" aria-label={label}
      onClick={(e) => {
        // A tap on a name shows the whole name (boxes are narrow on purpose).
        if ((e.target as HTMLElement).closest('.side')) setExpanded(!expanded);
      }}>
      {side(m.participant1_id, s1)}
      {m.status !== 'bye' || m.participant2_id ? side(m.participant2_id, s2) : side(null, '')}
      {m.status === 'skipped' && <div class="note">not needed</div>}
      {(canReport || canCorrect) && !open && (
        <button type="button" class="small" onClick={() => setOpen(true)} aria-label={`${canReport ? 'Report' : 'Correct'} ${label}`}>
          {canReport ? 'Report' : 'Correct'}
        </button>
      )}
      {(canReport || canCorrect) && open && (
        <ReportForm m={m} name={c.name} draws={props.draws} correct={m.status === 'completed'} onReport={c.onReport} done={() => setOpen(false)} />
      )}
    </div>
  );
}

/** Round numbers and their matches, each round ordered so that match k of the next round sits between its two feeders. */
function treeRounds(matches: Match[]): [number, Match[]][] {
  const rounds = new Map<number, Match[]>();
  for (const m of matches) rounds.set(m.round, [...(rounds.get(m.round) ?? []), m]);
  const order = [...rounds.keys()].sort((a, b) => a - b);
  const pos = new Map<string, number>();
  const out: [number, Match[]][] = [];
  for (let i = order.length - 1; i >= 0; i--) {
    const list = [...(rounds.get(order[i]) ?? [])].sort((a, b) => {
      const pa = a.next_match_id && pos.has(a.next_match_id) ? (pos.get(a.next_match_id) as number) : a.match_number;
      const pb = b.next_match_id && pos.has(b.next_match_id) ? (pos.get(b.next_match_id) as number) : b.match_number;
      return pa - pb || a.match_number - b.match_number;
    });
    list.forEach((m, k) => pos.set(m.id, k));
    out.unshift([order[i], list]);
  }
  return out;
}

function Tree(props: { title: string; matches: Match[]; c: Ctx }) {
  const rounds = treeRounds(props.matches);
  const last = rounds[rounds.length - 1]?.[0] ?? 1;
  const bracket = props.matches[0]?.bracket ?? 'winners';
  return (
    <section class="bracket-part" aria-label={props.title}>
      <h3>{props.title}</h3>
      <div class="tree" tabIndex={0} role="region" aria-label={`${props.title}: rounds`}>
        {rounds.map(([r, list], i) => {
          const next = rounds[i + 1]?.[1].length;
          const join = next === undefined ? 'end' : next * 2 === list.length ? 'pairs' : next === list.length ? 'straight' : 'end';
          return (
            <div class={`col join-${join}${i > 0 ? ' fed' : ''}`} key={r}>
              <h4>{roundTitle(bracket, r, last)}</h4>
              <div class="col-body">
                {list.map((m) => (
                  <div class="slot" key={m.id}>
                    <MatchBox m={m} c={props.c} draws={false} />
                  </div>
                ))}
              </div>
            </div>
          );
        })}
      </div>
    </section>
  );
}

/** Rounds as cards (round robin, Swiss, a group): every match, and who rests. */
function RoundList(props: { matches: Match[]; c: Ctx; players?: Participant[]; title: string; current?: number | null }) {
  const { c } = props;
  const rounds = new Map<number, Match[]>();
  for (const m of props.matches) rounds.set(m.round, [...(rounds.get(m.round) ?? []), m]);
  const order = [...rounds.keys()].sort((a, b) => a - b);
  return (
    <section class="bracket-part" aria-label={props.title}>
      <h3>{props.title}</h3>
      <div class="round-list">
        {order.map((r) => {
          const list = (rounds.get(r) ?? []).sort((a, b) => a.match_number - b.match_number);
          const playing = new Set(list.flatMap((m) => [m.participant1_id, m.participant2_id]));
          const resting = (props.players ?? []).filter((p) => !playing.has(p.id));
          const byes = list.filter((m) => m.status === 'bye');
          return (
            <div class={`round-card${props.current === r ? ' current' : ''}`} key={r} data-round-card={r}>
              <h4>
                Round {r}
                {props.current === r ? <span class="now"> · now playing</span> : null}
              </h4>
              {list.filter((m) => m.status !== 'bye').map((m) => (
                <MatchBox key={m.id} m={m} c={c} draws />
              ))}
              {byes.map((m) => (
                <p class="rest" key={m.id}>Bye (a win): <span class="full-name">{c.name(m.participant1_id ?? m.participant2_id)}</span></p>
              ))}
              {resting.map((p) => (
                <p class="rest" key={p.id} data-testid="resting">Resting: <span class="full-name">{p.name}</span></p>
              ))}
            </div>
          );
        })}
      </div>
    </section>
  );
}

function Grid(props: { players: Participant[]; matches: Match[] }) {
  const ps = [...props.players].sort((a, b) => a.seed - b.seed);
  const cell = (a: string, b: string) => {
    const m = props.matches.find(
      (x) => (x.participant1_id === a && x.participant2_id === b) || (x.participant1_id === b && x.participant2_id === a),
    );
    if (!m || m.status !== 'completed') return <td class="rr-open">–</td>;
    const r = m.winner_id === null ? 'D' : m.winner_id === a ? 'W' : 'L';
    const score = m.score === 'forfeit' ? (r === 'L' ? 'W/O' : '') : m.participant1_id === a ? m.score ?? '' : mirror(m.score ?? '');
    return (
      <td class={`rr-${r}`}>
        <abbr title={r === 'W' ? 'won' : r === 'L' ? 'lost' : 'draw'}>{r}</abbr> {score}
      </td>
    );
  };
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label="Results grid">
      <table class="rr-grid">
        <caption>Every pair meets once: each row reads from that player's side.</caption>
        <thead>
          <tr>
            <th scope="col">Player</th>
            {ps.map((p) => (
              <th scope="col" key={p.id}><span class="grid-name" title={p.name}>{p.name}</span></th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ps.map((a) => (
            <tr key={a.id}>
              <th scope="row"><span class="grid-name" title={a.name}>{a.name}</span></th>
              {ps.map((b) => (a.id === b.id ? <td class="rr-self" aria-label="same player">·</td> : cell(a.id, b.id)))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Column = 'wdl' | 'wl' | 'points' | 'diff' | 'swiss';

/** Score difference per player over completed, non-forfeit matches. */
function differences(matches: Match[]): Map<string, number> {
  const d = new Map<string, number>();
  for (const m of matches) {
    if (m.status !== 'completed' || !m.participant1_id || !m.participant2_id) continue;
    const s = scoreSums(m.score);
    if (!s) continue;
    d.set(m.participant1_id, (d.get(m.participant1_id) ?? 0) + s[0] - s[1]);
    d.set(m.participant2_id, (d.get(m.participant2_id) ?? 0) + s[1] - s[0]);
  }
  return d;
}

const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '0');
const num = (n: number | undefined) => (n === undefined ? '–' : Number.isInteger(n) ? String(n) : n.toFixed(1));

export function StandingsTable(props: { items: Standing[]; columns: Column[]; c: Ctx; matches: Match[]; label: string; provisional: boolean }) {
  const cols = new Set(props.columns);
  const diff = cols.has('diff') ? differences(props.matches) : null;
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label={props.label}>
      {props.provisional && <p class="provisional">Provisional: still being played.</p>}
      <table class="standings" data-testid="standings" data-provisional={props.provisional ? 'true' : 'false'}>
        <caption class={props.label === 'Standings' ? 'visually-hidden' : undefined}>
          {props.label}
          {props.provisional ? ' (provisional)' : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Rank</th>
            <th scope="col">Player</th>
            {cols.has('swiss') && <th scope="col">Points</th>}
            <th scope="col"><abbr title="wins">W</abbr></th>
            {!cols.has('wl') && <th scope="col"><abbr title="draws">D</abbr></th>}
            <th scope="col"><abbr title="losses">L</abbr></th>
            {cols.has('points') && <th scope="col">Points</th>}
            {diff && <th scope="col"><abbr title="score difference">Diff</abbr></th>}
            {cols.has('swiss') && <th scope="col"><abbr title="Buchholz: the points of every opponent met">Buchholz</abbr></th>}
            {cols.has('swiss') && <th scope="col"><abbr title="Sonneborn-Berger: the points of opponents beaten, half of those drawn">S-B</abbr></th>}
          </tr>
        </thead>
        <tbody>
          {props.items.map((s) => (
            <tr key={s.participant_id} data-participant={s.participant_id}>
              <td>{s.rank}</td>
              <td class="st-name">
                <span class="full-name">{s.name}</span> <StatusBadge p={props.c.byId.get(s.participant_id)} />
              </td>
              {cols.has('swiss') && <td>{num(s.points)}</td>}
              <td>{s.wins}</td>
              {!cols.has('wl') && <td>{s.draws}</td>}
              <td>{s.losses}</td>
              {cols.has('points') && <td>{num(s.points)}</td>}
              {diff && <td>{signed(diff.get(s.participant_id) ?? 0)}</td>}
              {cols.has('swiss') && <td data-col="buchholz">{num(s.buchholz)}</td>}
              {cols.has('swiss') && <td data-col="sonneborn_berger">{num(s.sonneborn_berger)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Trees of one elimination (winners, third place, losers, grand final): the page, or the phone list. */
function Elimination(props: { matches: Match[]; c: Ctx; main: string }) {
  const { c } = props;
  const narrow = useNarrow() && !c.wall;
  const of = (b: string) => props.matches.filter((m) => m.bracket === b);
  const main = of(props.main);
  const parts: [string, Match[]][] = [
    [props.main === 'winners' && of('losers').length ? 'Winners bracket' : props.main === 'playoff' ? 'Top cut' : 'Main draw', main],
    ['Third place', of('third_place')],
    ['Losers bracket', of('losers')],
    ['Grand final', of('grand_final')],
  ];
  if (narrow) return <PhoneRounds parts={parts.filter(([, m]) => m.length > 0)} c={c} />;
  return (
    <div class={`trees${of('losers').length ? ' double' : ''}`}>
      {parts.filter(([, m]) => m.length > 0).map(([title, ms]) => (
        <Tree key={title} title={title} matches={ms} c={c} />
      ))}
    </div>
  );
}

/** The phone: one round at a time, full names, and a player's path highlighted. */
function PhoneRounds(props: { parts: [string, Match[]][]; c: Ctx }) {
  const { c } = props;
  const tabs: { key: string; title: string; matches: Match[] }[] = [];
  for (const [, ms] of props.parts) {
    for (const [r, list] of treeRounds(ms)) {
      const b = list[0].bracket;
      const last = Math.max(...ms.map((m) => m.round));
      tabs.push({ key: `${b}-${r}`, title: roundTitle(b, r, last), matches: list });
    }
  }
  const current = tabs.find((t) => t.matches.some((m) => m.status === 'ready')) ?? tabs[tabs.length - 1];
  const [sel, setSel] = useState<string | null>(null);
  const [follow, setFollow] = useState<string>(c.follow ?? '');
  const tab = tabs.find((t) => t.key === sel) ?? current;
  const cf: Ctx = { ...c, follow: follow || null };
  const path = follow ? tabs.flatMap((t) => t.matches.filter((m) => m.participant1_id === follow || m.participant2_id === follow).map((m) => [t, m] as const)) : [];
  return (
    <div class="phone-rounds">
      <label class="inline">
        Round
        <select value={tab?.key} onChange={(e) => setSel(e.currentTarget.value)}>
          {tabs.map((t) => (
            <option value={t.key} key={t.key}>{t.title}{t === current ? ' (now)' : ''}</option>
          ))}
        </select>
      </label>
      <label class="inline">
        My matches
        <select value={follow} onChange={(e) => setFollow(e.currentTarget.value)}>
          <option value="">Nobody</option>
          {[...c.byId.values()].sort((a, b) => a.seed - b.seed).map((p) => (
            <option value={p.id} key={p.id}>{p.name}</option>
          ))}
        </select>
      </label>
      {tab && (
        <section class="phone-round" aria-label={tab.title}>
          <h3>{tab.title}</h3>
          {tab.matches.map((m) => (
            <MatchBox key={m.id} m={m} c={cf} draws={false} />
          ))}
        </section>
      )}
      {follow && (
        <section class="path" aria-label={`Path of ${c.name(follow)}`}>
          <h3>Path of <span class="full-name">{c.name(follow)}</span></h3>
          <ol>
            {path.map(([t, m]) => {
              const opp = m.participant1_id === follow ? m.participant2_id : m.participant1_id;
              const res = m.status === 'completed' ? (m.winner_id === follow ? 'won' : 'lost') : m.status === 'bye' ? 'bye' : m.status === 'ready' ? 'to play' : 'waiting';
              return (
                <li key={m.id}>
                  <button type="button" class="link-like" onClick={() => setSel(`${m.bracket}-${m.round}`)}>{t.title}</button>: {res}
                  {opp ? <> against <span class="full-name">{c.name(opp)}</span></> : null}
                </li>
              );
            })}
          </ol>
        </section>
      )}
    </div>
  );
}

export function BracketView(props: BracketProps) {
  const byId = new Map(props.participants.map((p) => [p.id, p]));
  const c: Ctx = {
    ...props,
    byId,
    name: (id) => (id ? byId.get(id)?.name ?? 'Unknown' : 'TBD'),
    all: props.bracket.matches,
  };
  const type = props.bracket.tournament_type;
  const ms = props.bracket.matches;
  const st = props.standings;
  const provisional = st?.provisional ?? props.tournament.status !== 'completed';
  const inField = props.participants.filter((p) => statusOf(p) !== 'no_show');
  let body;
  let columns: Column[];
  if (type === 'round_robin') {
    columns = ['wdl', 'points', 'diff'];
    body = (
      <>
        <Grid players={inField} matches={ms} />
        <RoundList title="Rounds" matches={ms} c={c} players={inField} />
      </>
    );
  } else if (type === 'swiss') {
    columns = ['swiss'];
    const swiss = ms.filter((m) => m.bracket === 'swiss');
    const current = props.tournament.current_round ?? Math.max(0, ...swiss.map((m) => m.round));
    const playoff = ms.filter((m) => m.bracket !== 'swiss');
    body = (
      <>
        {playoff.length > 0 && <Elimination matches={playoff} c={c} main="playoff" />}
        <RoundList title="Swiss rounds" matches={swiss} c={c} current={playoff.length ? null : current} />
      </>
    );
  } else if (type === 'group_stage') {
    columns = ['wdl', 'points'];
    const groupMatches = ms.filter((m) => m.bracket === 'group');
    const names = [...new Set(groupMatches.map((m) => m.group ?? '?'))].sort();
    const playoff = ms.filter((m) => m.bracket !== 'group');
    body = (
      <div class="stages">
        <section class="groups" aria-label="Groups">
          <h3>Groups</h3>
          {names.map((g) => {
            const gm = groupMatches.filter((m) => (m.group ?? '?') === g);
            const ids = new Set(gm.flatMap((m) => [m.participant1_id, m.participant2_id]));
            const table = st?.groups?.find((x) => x.group === g)?.items ?? [];
            return (
              <div class="group" key={g} data-group={g}>
                <StandingsTable label={`Group ${g}`} items={table} columns={['wdl', 'points', 'diff']} c={c} matches={gm}
                  provisional={gm.some((m) => m.status === 'ready' || m.status === 'pending')} />
                <RoundList title={`Group ${g}: rounds`} matches={gm} c={c} players={inField.filter((p) => ids.has(p.id))} />
              </div>
            );
          })}
        </section>
        <section class="playoff" aria-label="Playoff">
          <h3>Playoff</h3>
          {playoff.length ? <Elimination matches={playoff} c={c} main="winners" /> : <p class="hint">Drawn when the last group match is played: group winners on top.</p>}
        </section>
      </div>
    );
  } else {
    columns = ['wl'];
    body = <Elimination matches={ms} c={c} main="winners" />;
  }
  return (
    <div class={`bracket t-${type}`} data-testid="bracket">
      {body}
      {st && st.items.length > 0 && (!props.wall || type === 'round_robin' || type === 'swiss') && (
        <section aria-label="Standings" class="standings-wrap">
          <h3>Standings</h3>
          <StandingsTable label={type === 'group_stage' ? 'Overall' : 'Standings'} items={st.items} columns={columns} c={c} matches={ms} provisional={provisional} />
        </section>
      )}
    </div>
  );
}
