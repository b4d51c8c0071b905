import { useState } from 'preact/hooks';
import { api, type Tournament } from '../api';
import { Alert, navigate, useAction, useTitle } from '../ui';

function localInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Create a tournament, or edit one that is still open for registration. */
export function TournamentForm(props: { existing?: Tournament; onSaved?: (t: Tournament) => void }) {
  const t = props.existing;
  const tomorrow = new Date(Date.now() + 86_400_000);
  tomorrow.setHours(18, 0, 0, 0);
  const [name, setName] = useState(t?.name ?? '');
  const [description, setDescription] = useState(t?.description ?? '');
  const [start, setStart] = useState(localInput(t?.start_date ?? tomorrow.toISOString()));
  const [max, setMax] = useState(String(t?.max_participants ?? 8));
  const [type, setType] = useState<string>(t?.tournament_type ?? 'single_elimination');
  const [third, setThird] = useState(t?.third_place_match ?? false);
  const [grand, setGrand] = useState<string>(t?.grand_final ?? 'double');
  const [checkIn, setCheckIn] = useState(String(t?.check_in_minutes ?? 0));
  const [waitlist, setWaitlist] = useState(String(t?.waitlist_size ?? 0));
  const [rounds, setRounds] = useState(t?.swiss_rounds ? String(t.swiss_rounds) : '');
  const [topCut, setTopCut] = useState(String(t?.top_cut ?? 0));
  const [groups, setGroups] = useState(String(t?.group_count ?? 2));
  const [advance, setAdvance] = useState(String(t?.advance_per_group ?? 2));
  const [playoff, setPlayoff] = useState<string>(t?.playoff_type ?? 'single_elimination');
  const [run, st] = useAction();
  useTitle(t ? null : 'New tournament');
  const elim = type === 'group_stage' ? playoff : type;

  const submit = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      name,
      description,
      start_date: new Date(start).toISOString(),
      max_participants: Number(max),
      tournament_type: type,
    };
    if (elim === 'single_elimination') body.third_place_match = third;
    if (elim === 'double_elimination') body.grand_final = grand;
    if (Number(checkIn) > 0 || t) body.check_in_minutes = Number(checkIn);
    if (Number(waitlist) > 0 || t) body.waitlist_size = Number(waitlist);
    if (type === 'swiss') {
      body.swiss_rounds = rounds ? Number(rounds) : null;
      body.top_cut = Number(topCut);
    }
    if (type === 'group_stage') {
      body.group_count = Number(groups);
      body.advance_per_group = Number(advance);
      body.playoff_type = playoff;
    }
    run(async () => {
      if (t) {
        const r = await api<{ tournament: Tournament }>('PATCH', `/tournaments/${t.id}`, body);
        props.onSaved?.(r.tournament);
      } else {
        const r = await api<{ tournament: Tournament }>('POST', '/tournaments', body);
        navigate(`/tournaments/${r.tournament.id}`);
      }
    }, t ? 'Saved.' : undefined);
  };

  const form = (
    <form onSubmit={submit} class="grid-form">
      <label>
        Name
        <input name="name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Start
        <input type="datetime-local" name="start_date" required value={start} onInput={(e) => setStart(e.currentTarget.value)} />
      </label>
      <label>
        Format
        <select name="tournament_type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="single_elimination">Single elimination</option>
          <option value="double_elimination">Double elimination</option>
          <option value="round_robin">Round robin</option>
          <option value="swiss">Swiss</option>
          <option value="group_stage">Groups, then playoffs</option>
        </select>
      </label>
      <label>
        Maximum players
        <input type="number" name="max_participants" min={2} max={type === 'round_robin' ? 64 : 256} required value={max}
          onInput={(e) => setMax(e.currentTarget.value)} />
      </label>
      {type === 'swiss' && (
        <>
          <label>
            Swiss rounds <span class="hint">(empty: enough to find a winner)</span>
            <input type="number" name="swiss_rounds" min={1} max={255} value={rounds} onInput={(e) => setRounds(e.currentTarget.value)} />
          </label>
          <label>
            Top cut <span class="hint">(the best go on to a knockout)</span>
            <select name="top_cut" value={topCut} onChange={(e) => setTopCut(e.currentTarget.value)}>
              <option value="0">None</option>
              <option value="2">Top 2</option>
              <option value="4">Top 4</option>
              <option value="8">Top 8</option>
            </select>
          </label>
        </>
      )}
      {type === 'group_stage' && (
        <>
          <label>
            Groups
            <input type="number" name="group_count" min={2} max={16} required value={groups} onInput={(e) => setGroups(e.currentTarget.value)} />
          </label>
          <label>
            Players advancing per group
            <input type="number" name="advance_per_group" min={1} max={4} required value={advance} onInput={(e) => setAdvance(e.currentTarget.value)} />
          </label>
          <label>
            Playoff format
            <select name="playoff_type" value={playoff} onChange={(e) => setPlayoff(e.currentTarget.value)}>
              <option value="single_elimination">Single elimination</option>
              <option value="double_elimination">Double elimination</option>
            </select>
          </label>
        </>
      )}
      {elim === 'single_elimination' && (
        <label class="check">
          <input type="checkbox" name="third_place_match" checked={third} onChange={(e) => setThird(e.currentTarget.checked)} />
          Third-place match
        </label>
      )}
      {elim === 'double_elimination' && (
        <label>
          Grand final
          <select name="grand_final" value={grand} onChange={(e) => setGrand(e.currentTarget.value)}>
            <option value="double">With bracket reset</option>
            <option value="single">Single match</option>
            <option value="none">None</option>
          </select>
        </label>
      )}
      <label>
        Check-in <span class="hint">(minutes before the start; 0: no check-in)</span>
        <input type="number" name="check_in_minutes" min={0} max={1440} required value={checkIn} onInput={(e) => setCheckIn(e.currentTarget.value)} />
      </label>
      <label>
        Waitlist places <span class="hint">(0: no waitlist)</span>
        <input type="number" name="waitlist_size" min={0} max={256} required value={waitlist} onInput={(e) => setWaitlist(e.currentTarget.value)} />
      </label>
      <label class="wide">
        Description
        <textarea name="description" maxLength={2000} rows={3} value={description}
          onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <div class="wide">
        <Alert error={st.error} notice={st.notice} />
        <button type="submit" disabled={st.busy}>{t ? 'Save changes' : 'Create tournament'}</button>
      </div>
    </form>
  );
  if (t) return form;
  return (
    <section>
      <h1>New tournament</h1>
      {form}
    </section>
  );
}
