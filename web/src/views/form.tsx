import { useState } from 'preact/hooks';
import { api, type Tournament } from '../api';
import { Alert, navigate, useAction } from '../ui';

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
  const [run, st] = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      name,
      description,
      start_date: new Date(start).toISOString(),
      max_participants: Number(max),
      tournament_type: type,
    };
    if (type === 'single_elimination') body.third_place_match = third;
    if (type === 'double_elimination') body.grand_final = grand;
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
        </select>
      </label>
      <label>
        Maximum players
        <input type="number" name="max_participants" min={2} max={type === 'round_robin' ? 64 : 256} required value={max}
          onInput={(e) => setMax(e.currentTarget.value)} />
      </label>
      {type === 'single_elimination' && (
        <label class="check">
          <input type="checkbox" name="third_place_match" checked={third} onChange={(e) => setThird(e.currentTarget.checked)} />
          Third-place match
        </label>
      )}
      {type === 'double_elimination' && (
        <label>
          Grand final
          <select name="grand_final" value={grand} onChange={(e) => setGrand(e.currentTarget.value)}>
            <option value="double">With bracket reset</option>
            <option value="single">Single match</option>
            <option value="none">None</option>
          </select>
        </label>
      )}
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
