import { useState } from 'preact/hooks';
import { login, register } from '../api';
import { Alert, Link, navigate, useAction } from '../ui';

export function LoginView() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [run, st] = useAction();
  return (
    <section class="narrow">
      <h1>Log in</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await login(email, password);
            navigate('/');
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
        <Alert error={st.error} />
        <button type="submit" disabled={st.busy}>Log in</button>
      </form>
      <p>
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </section>
  );
}

export function SignupView() {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [run, st] = useAction();
  return (
    <section class="narrow">
      <h1>Sign up</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await register(email, password, name);
            await login(email, password);
            navigate('/');
          });
        }}
      >
        <label>
          Full name
          <input name="full_name" autocomplete="name" required maxLength={100} value={name}
            onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Email
          <input type="email" name="email" autocomplete="username" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password <span class="hint">(8 to 128 characters)</span>
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
