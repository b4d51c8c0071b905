// Log in (with "Stay signed in" and a way back to the page the person came from), sign
// up, and the password reset by emailed code.
import { useState } from 'preact/hooks';
import { confirmPasswordReset, login, register, requestPasswordReset } from '../api';
import { Alert, Link, navigate, useAction, useTitle } from '../ui';

/** The `?next=` of the address, if it is a path of this app (never another site). */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginView() {
  useTitle('Log in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(true);
  const [run, st] = useAction();
  const back = nextPath();
  const afterReset = new URLSearchParams(location.search).get('reset') === '1';
  return (
    <section class="narrow">
      <h1>Log in</h1>
      {afterReset && <Alert notice="Your password was changed. Log in with the new one." />}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await login(email, password, remember);
            navigate(back);
          });
        }}
      >
        <label>
          Email
          <input type="email" name="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" name="remember" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          Stay signed in on this device
        </label>
        <Alert error={st.error} />
        <button type="submit" disabled={st.busy}>Log in</button>
      </form>
      <p>
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        New here? <Link href={back === '/' ? '/signup' : `/signup?next=${encodeURIComponent(back)}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function SignupView() {
  useTitle('Sign up');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [run, st] = useAction();
  const back = nextPath();
  return (
    <section class="narrow">
      <h1>Sign up</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await register(email, password, name);
            await login(email, password, true);
            navigate(back);
          });
        }}
      >
        <label>
          Full name
          <input name="full_name" autocomplete="name" required value={name}
            onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Email
          <input type="email" name="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password <span class="hint">(8 to 128 characters, not a common one)</span>
          <input type="password" name="password" autocomplete="new-password" required minLength={8} maxLength={128}
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <Alert error={st.error} />
        <button type="submit" disabled={st.busy}>Create account</button>
      </form>
      <p>
        Already have an account? <Link href="/login">Log in</Link>
      </p>
    </section>
  );
}

/** Step 1: the email; step 2 (same page, or the emailed link's `?code=`): code and new password. */
export function ResetView() {
  useTitle('Reset your password');
  const fromLink = new URLSearchParams(location.search).get('code') ?? '';
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(!!fromLink);
  const [code, setCode] = useState(fromLink);
  const [password, setPassword] = useState('');
  const [ask, askSt] = useAction();
  const [set, setSt] = useAction();
  return (
    <section class="narrow">
      <h1>Reset your password</h1>
      {!fromLink && (
        <form onSubmit={(e) => {
          e.preventDefault();
          ask(async () => {
            await requestPasswordReset(email);
            setSent(true);
          }, 'If an account uses this email, a code is on its way. It is valid for 30 minutes.');
        }}>
          <label>
            Email
            <input type="email" name="email" autocomplete="username" required value={email}
              onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <Alert error={askSt.error} notice={askSt.notice} />
          <button type="submit" disabled={askSt.busy}>{sent ? 'Send another code' : 'Email me a code'}</button>
        </form>
      )}
      {sent && (
        <form onSubmit={(e) => {
          e.preventDefault();
          set(async () => {
            await confirmPasswordReset(code.trim(), password);
            navigate('/login?reset=1');
          });
        }}>
          <h2>Choose a new password</h2>
          <label>
            Code from the email
            <input name="code" autocomplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
          <label>
            New password <span class="hint">(8 to 128 characters, not a common one)</span>
            <input type="password" name="new_password" autocomplete="new-password" required minLength={8} maxLength={128}
              value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <Alert error={setSt.error} />
          <button type="submit" disabled={setSt.busy}>Set new password</button>
        </form>
      )}
      <p>
        <Link href="/login">Back to log in</Link>
      </p>
    </section>
  );
}
