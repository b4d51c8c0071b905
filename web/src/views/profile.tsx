import { useState } from 'preact/hooks';
import { api, dropSession, updateUser, type User } from '../api';
import { Alert, Link, navigate, useAction, useTitle, useUser } from '../ui';

export function ProfileView() {
  useTitle('My profile');
  const user = useUser();
  const [name, setName] = useState(user?.full_name ?? '');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [runName, nameSt] = useAction();
  const [runPw, pwSt] = useAction();
  if (!user)
    return (
      <p>
        <Link href="/login">Log in</Link> to see your profile.
      </p>
    );
  return (
    <section class="narrow">
      <h1>My profile</h1>
      <dl class="facts">
        <dt>Email</dt><dd>{user.email}</dd>
        <dt>Role</dt><dd>{user.role}</dd>
        <dt>Account</dt><dd>{user.is_approved ? 'Approved' : 'Awaiting approval'}</dd>
      </dl>
      <form onSubmit={(e) => {
        e.preventDefault();
        runName(async () => {
          const r = await api<{ user: User }>('PATCH', '/users/me', { full_name: name });
          updateUser({ ...user, full_name: r.user.full_name });
        }, 'Name saved.');
      }}>
        <h2>Name</h2>
        <label>Full name
          <input name="full_name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <Alert error={nameSt.error} notice={nameSt.notice} />
        <button type="submit" disabled={nameSt.busy}>Save name</button>
      </form>
      <form onSubmit={(e) => {
        e.preventDefault();
        runPw(async () => {
          await api('POST', '/auth/password', { current_password: current, new_password: next });
          // Every token is revoked by a password change: log in again with the new one.
          dropSession();
          navigate('/login');
        });
      }}>
        <h2>Change password</h2>
        <label>Current password
          <input type="password" name="current_password" autocomplete="current-password" required value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>New password <span class="hint">(8 to 128 characters)</span>
          <input type="password" name="new_password" autocomplete="new-password" required minLength={8} maxLength={128} value={next}
            onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <Alert error={pwSt.error} />
        <button type="submit" disabled={pwSt.busy}>Change password</button>
      </form>
    </section>
  );
}
