// The bracket, drawn with plain DOM and CSS: rounds as columns (single and double
// elimination, with byes, third place, grand final and reset), round robin as a grid plus
// the rounds. Why not brackets-viewer: see web/README.md.
import { useState } from 'preact/hooks';
import type { Bracket, Match, Participant, Standing } from '../api';
import { Alert, useAction } from '../ui';

export type Report = (m: Match, winner: string | null, score: string, correct: boolean) => Promise<unknown>;

interface Props {
  bracket: Bracket;
  participants: Participant[];
  standings: Standing[];
  manage: boolean;
  onReport: Report;
}

const mirror = (score: string) =>
  score === 'forfeit' ? score : score.split(',').map((s) => s.split('-').reverse().join('-')).join(',');

function roundTitle(bracket: string, round: number, last: number): string {
  if (bracket === 'grand_final') return round === 1 ? 'Grand final' : 'Bracket reset';
  if (bracket === 'third_place') return 'Third place';
  if (bracket === 'losers') return `Losers round ${round}`;
  if (bracket === 'round_robin') return `Round ${round}`;
  const left = last - round;
  return left === 0 ? 'Final' : left === 1 ? 'Semi-finals' : left === 2 ? 'Quarter-finals' : `Round ${round}`;
}

function ReportForm(props: { m: Match; names: (id: string | null) => string; draws: boolean; correct: boolean; onReport: Report; done: () => void }) {
  const { m } = props;
  const [winner, setWinner] = useState<string>(m.winner_id ?? '');
  const [score, setScore] = useState(m.score && m.score !== 'forfeit' ? m.score : '');
  const [run, st] = useAction();
  const p1 = props.names(m.participant1_id);
  const p2 = props.names(m.participant2_id);
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
          {p1}
        </label>
        <label class="check">
          <input type="radio" name={name} value={m.participant2_id ?? ''} checked={winner === m.participant2_id}
            onChange={() => setWinner(m.participant2_id ?? '')} />
          {p2}
        </label>
        {props.draws && (
          <label class="check">
            <input type="radio" name={name} value="draw" checked={winner === 'draw'} onChange={() => setWinner('draw')} />
            Draw
          </label>
        )}
      </fieldset>
      <label>
        Score ({p1} first)
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

function MatchBox(props: { m: Match; names: (id: string | null) => string; manage: boolean; draws: boolean; onReport: Report }) {
  const { m, names } = props;
  const [open, setOpen] = useState(false);
  const [s1, s2] = m.score && m.score !== 'forfeit' ? [m.score, mirror(m.score)] : [m.score ?? '', m.score ?? ''];
  const side = (id: string | null, score: string) => {
    const won = m.status === 'completed' && m.winner_id === id && id !== null;
    const empty = id === null;
    return (
      <div class={`side${won ? ' won' : ''}${empty ? ' empty' : ''}`}>
        <span class="name">{empty ? (m.status === 'bye' ? 'bye' : 'TBD') : names(id)}</span>
        {m.status === 'completed' && <span class="score">{won ? '✓ ' : ''}{score}</span>}
      </div>
    );
  };
  const label = `${m.bracket.replace('_', ' ')} round ${m.round} match ${m.match_number}: ${m.participant1_id ? names(m.participant1_id) : 'TBD'} versus ${m.participant2_id ? names(m.participant2_id) : m.status === 'bye' ? 'bye' : 'TBD'}`;
  const can = props.manage && (m.status === 'ready' || m.status === 'completed');
  return (
    <div class={`match st-${m.status}`} data-match={m.id} data-status={m.status} data-bracket={m.bracket}
      data-round={m.round} role="group" aria-label={label}>
      {side(m.participant1_id, s1)}
      {side(m.participant2_id, s2)}
      {m.status === 'skipped' && <div class="note">not needed</div>}
      {m.status === 'bye' && <div class="note">bye: advances</div>}
      {can && !open && (
        <button type="button" class="small" onClick={() => setOpen(true)} aria-label={`${m.status === 'ready' ? 'Report' : 'Correct'} ${label}`}>
          {m.status === 'ready' ? 'Report' : 'Correct'}
        </button>
      )}
      {can && open && (
        <ReportForm m={m} names={names} draws={props.draws} correct={m.status === 'completed'} onReport={props.onReport}
          done={() => setOpen(false)} />
      )}
    </div>
  );
}

function Columns(props: { title: string; bracket: string; matches: Match[]; rest: Omit<Props, 'bracket' | 'participants' | 'standings'>; names: (id: string | null) => string }) {
  const rounds = new Map<number, Match[]>();
  for (const m of props.matches) rounds.set(m.round, [...(rounds.get(m.round) ?? []), m]);
  const order = [...rounds.keys()].sort((a, b) => a - b);
  const last = order[order.length - 1] ?? 1;
  return (
    <section class="bracket-part" aria-label={props.title}>
      <h3>{props.title}</h3>
      <div class="rounds" tabIndex={0} role="region" aria-label={`${props.title}: rounds (scrolls sideways)`}>
        {order.map((r) => (
          <div class="round" key={r}>
            <h4>{roundTitle(props.bracket, r, last)}</h4>
            <div class="round-matches">
              {(rounds.get(r) ?? []).sort((a, b) => a.match_number - b.match_number).map((m) => (
                <MatchBox key={m.id} m={m} names={props.names} manage={props.rest.manage} draws={false} onReport={props.rest.onReport} />
              ))}
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}

function RoundRobin(props: Props & { names: (id: string | null) => string }) {
  const ps = [...props.participants].sort((a, b) => a.seed - b.seed);
  const cell = (a: string, b: string) => {
    const m = props.bracket.matches.find(
      (x) => (x.participant1_id === a && x.participant2_id === b) || (x.participant1_id === b && x.participant2_id === a),
    );
    if (!m || m.status !== 'completed') return <td class="rr-open">–</td>;
    const score = m.participant1_id === a ? m.score ?? '' : mirror(m.score ?? '');
    const r = m.winner_id === null ? 'D' : m.winner_id === a ? 'W' : 'L';
    return (
      <td class={`rr-${r}`}>
        <abbr title={r === 'W' ? 'won' : r === 'L' ? 'lost' : 'draw'}>{r}</abbr> {score}
      </td>
    );
  };
  const rounds = new Map<number, Match[]>();
  for (const m of props.bracket.matches) rounds.set(m.round, [...(rounds.get(m.round) ?? []), m]);
  return (
    <>
      <div class="scroll" tabIndex={0} role="region" aria-label="Results grid">
        <table class="rr-grid">
          <caption>Every pair meets once: each row reads from that player's side.</caption>
          <thead>
            <tr>
              <th scope="col">Player</th>
              {ps.map((p) => (
                <th scope="col" key={p.id}>{p.name}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ps.map((a) => (
              <tr key={a.id}>
                <th scope="row">{a.name}</th>
                {ps.map((b) => (a.id === b.id ? <td class="rr-self" aria-label="same player">·</td> : cell(a.id, b.id)))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section class="bracket-part" aria-label="Rounds">
        <h3>Rounds</h3>
        <div class="rounds rr-rounds" tabIndex={0} role="region" aria-label="Rounds (scrolls sideways)">
          {[...rounds.keys()].sort((a, b) => a - b).map((r) => (
            <div class="round" key={r}>
              <h4>Round {r}</h4>
              <div class="round-matches">
                {(rounds.get(r) ?? []).sort((a, b) => a.match_number - b.match_number).map((m) => (
                  <MatchBox key={m.id} m={m} names={props.names} manage={props.manage} draws onReport={props.onReport} />
                ))}
              </div>
            </div>
          ))}
        </div>
      </section>
    </>
  );
}

export function BracketView(props: Props) {
  const byId = new Map(props.participants.map((p) => [p.id, p.name]));
  const names = (id: string | null) => (id ? byId.get(id) ?? 'Unknown' : 'TBD');
  const of = (b: string) => props.bracket.matches.filter((m) => m.bracket === b);
  return (
    <div class="bracket" data-testid="bracket">
      {props.bracket.tournament_type === 'round_robin' ? (
        <RoundRobin {...props} names={names} />
      ) : (
        <>
          <Columns title={props.bracket.tournament_type === 'double_elimination' ? 'Winners bracket' : 'Main draw'} bracket="winners"
            matches={of('winners')} rest={props} names={names} />
          {of('third_place').length > 0 && <Columns title="Third place" bracket="third_place" matches={of('third_place')} rest={props} names={names} />}
          {of('losers').length > 0 && <Columns title="Losers bracket" bracket="losers" matches={of('losers')} rest={props} names={names} />}
          {of('grand_final').length > 0 && <Columns title="Grand final" bracket="grand_final" matches={of('grand_final')} rest={props} names={names} />}
        </>
      )}
      {props.standings.length > 0 && (
        <section aria-label="Standings">
          <h3>Standings</h3>
          <table class="standings">
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Player</th>
                <th scope="col">W</th>
                <th scope="col">L</th>
                <th scope="col">D</th>
                <th scope="col">Points</th>
              </tr>
            </thead>
            <tbody>
              {props.standings.map((s) => (
                <tr key={s.participant_id}>
                  <td>{s.rank}</td>
                  <td>{s.name}</td>
                  <td>{s.wins}</td>
                  <td>{s.losses}</td>
                  <td>{s.draws}</td>
                  <td>{s.points}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
