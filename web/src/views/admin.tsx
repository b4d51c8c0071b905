import { useEffect, useState } from 'preact/hooks';
import { api, type Page, type User } from '../api';
import { onResync } from '../live';
import { Alert, Confirm, message, useAction, useTitle, useUser } from '../ui';

function UserRow(props: { u: User; me: User; onChange: (u: User | null) => void }) {
  const { u, me } = props;
  const [run, st] = useAction();
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState<'ban' | 'delete' | null>(null);
  const locked = u.is_root_admin || u.id === me.id;
  const act = (f: () => Promise<User | null>) => run(async () => props.onChange(await f()));
  const post = (path: string, body?: unknown) => api<{ user: User }>('POST', `/users/${u.id}/${path}`, body ?? {}).then((r) => r.user);
  return (
    <tr data-email={u.email}>
      <td>
        <strong>{u.full_name}</strong>
        <div class="hint">{u.email}</div>
      </td>
      <td>
        <select aria-label={`Role of ${u.full_name}`} value={u.role} disabled={locked || st.busy}
          onChange={(e) => {
            const role = e.currentTarget.value;
            act(() => api<{ user: User }>('PUT', `/users/${u.id}/role`, { role }).then((r) => r.user));
          }}>
          <option value="member">Member</option>
          <option value="trainer">Trainer</option>
          <option value="admin">Admin</option>
        </select>
      </td>
      <td>
        {u.is_root_admin ? 'Root admin' : !u.is_active ? 'Deleted' : u.is_banned ? 'Banned' : u.is_approved ? 'Approved' : 'Awaiting approval'}
      </td>
      <td class="actions">
        {!u.is_approved && u.is_active && (
          <button type="button" class="small" aria-label={`Approve ${u.full_name}`} disabled={st.busy} onClick={() => act(() => post('approve'))}>
            Approve
          </button>
        )}
        {!locked && u.is_active && !u.is_banned && (
          <span class="row">
            <input class="small" aria-label={`Ban reason for ${u.full_name}`} placeholder="Reason (optional)" maxLength={500}
              value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            <button type="button" class="small secondary" aria-label={`Ban ${u.full_name}`} disabled={st.busy}
              onClick={() => setConfirm('ban')}>
              Ban
            </button>
          </span>
        )}
        {!locked && u.is_banned && (
          <button type="button" class="small secondary" aria-label={`Unban ${u.full_name}`} disabled={st.busy} onClick={() => act(() => post('unban'))}>
            Unban
          </button>
        )}
        {!locked && u.is_active && (
          <button type="button" class="small danger" aria-label={`Delete ${u.full_name}`} disabled={st.busy}
            onClick={() => setConfirm('delete')}>
            Delete
          </button>
        )}
        <Alert error={st.error} />
        {confirm === 'ban' && (
          <Confirm title={`Ban ${u.full_name}?`} confirmLabel="Ban" danger onClose={() => setConfirm(null)}
            onConfirm={async () => props.onChange(await post('ban', reason ? { reason } : {}))}>
            <p>
              <span class="full-name">{u.full_name}</span> ({u.email}) can no longer log in, and their open sessions stop working within a
              minute. You can unban them later.
            </p>
          </Confirm>
        )}
        {confirm === 'delete' && (
          <Confirm title={`Delete ${u.full_name}'s account?`} confirmLabel="Delete the account" danger onClose={() => setConfirm(null)}
            onConfirm={async () => {
              await api('DELETE', `/users/${u.id}`);
              props.onChange({ ...u, is_active: false });
            }}>
            <p>
              <span class="full-name">{u.full_name}</span> ({u.email}) can no longer log in. Their results in past tournaments stay. There is
              no undo in the app.
            </p>
          </Confirm>
        )}
      </td>
    </tr>
  );
}

function UserTable(props: { title: string; query: Record<string, string>; me: User; filters?: boolean; hideInactive?: boolean }) {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<User> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];
  const key = JSON.stringify([props.query, filters, cursor]);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '20', ...props.query });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    if (cursor) q.set('cursor', cursor);
    const load = () =>
      api<Page<User>>('GET', `/users?${q}`).then(
        (p) => {
          setPage(p);
          setError(null);
        },
        (e) => {
          setError(message(e));
          throw e;
        },
      );
    load().catch(() => {});
    // Back online or back to the tab: the list is read again.
    return onResync(load);
  }, [key]);
  const filter = (k: string, v: string) => {
    setFilters({ ...filters, [k]: v });
    setCursors([null]);
  };
  const id = props.title.toLowerCase().replace(/\W+/g, '-');
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {props.filters && (
        <div class="row">
          <label class="inline">Role
            <select value={filters.role ?? ''} onChange={(e) => filter('role', e.currentTarget.value)}>
              <option value="">Any</option><option value="member">Member</option><option value="trainer">Trainer</option><option value="admin">Admin</option>
            </select>
          </label>
          <label class="inline">Approved
            <select value={filters.is_approved ?? ''} onChange={(e) => filter('is_approved', e.currentTarget.value)}>
              <option value="">Any</option><option value="true">Yes</option><option value="false">No</option>
            </select>
          </label>
          <label class="inline">Banned
            <select value={filters.is_banned ?? ''} onChange={(e) => filter('is_banned', e.currentTarget.value)}>
              <option value="">Any</option><option value="true">Yes</option><option value="false">No</option>
            </select>
          </label>
        </div>
      )}
      <Alert error={error} />
      {page && page.items.length === 0 ? (
        <p>Nobody here.</p>
      ) : (
        <div class="scroll" tabIndex={0} role="region" aria-label={`${props.title}: table`}>
          <table class="users">
            <thead>
              <tr><th scope="col">Person</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              {page?.items.filter((u) => !props.hideInactive || u.is_active !== false).map((u) => (
                <UserRow key={u.id} u={u} me={props.me}
                  onChange={(n) => n && setPage((p) => p && { ...p, items: p.items.map((x) => (x.id === n.id ? n : x)) })} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="row pager" aria-label={`${props.title} pages`}>
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Previous page</button>
        <button type="button" disabled={!page?.next_cursor} onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}>Next page</button>
      </nav>
    </section>
  );
}

export function AdminView() {
  useTitle('Admin');
  const me = useUser();
  if (!me || me.role !== 'admin') return <Alert error="This page is for admins. Log in as an admin." />;
  return (
    <section>
      <h1>Admin</h1>
      <UserTable title="Pending approvals" query={{ is_approved: 'false' }} me={me} hideInactive />
      <UserTable title="All users" query={{}} me={me} filters />
    </section>
  );
}
