import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { logout, reloadUser, restoreSession } from './api';
import { liveState, onLiveState, startLive, type LiveState } from './live';
import { Link, navigate, useRoute, useUser, useAction, Alert, loginHref, useTitle } from './ui';
import { LoginView, ResetView, SignupView } from './views/auth';
import { TournamentList } from './views/list';
import { TournamentDetail, WallView } from './views/detail';
import { TournamentForm } from './views/form';
import { AdminView } from './views/admin';
import { ProfileView } from './views/profile';
import './style.css';

function LiveIndicator() {
  const [s, setS] = useState<LiveState>(liveState());
  useEffect(() => onLiveState(setS), []);
  const label: Record<LiveState, string> = {
    connecting: 'Connecting…',
    syncing: 'Updating…',
    live: 'Live',
    reconnecting: 'Connection lost, reconnecting…',
    offline: 'Offline: updates paused',
  };
  return (
    <span class={`live live-${s}`} role="status" aria-live="polite" data-testid="live">
      <span class="dot" aria-hidden="true" />
      {label[s]}
    </span>
  );
}

function AwaitingApproval() {
  const [run, st] = useAction();
  return (
    <section class="banner" aria-labelledby="awaiting">
      <h2 id="awaiting">Awaiting approval</h2>
      <p>
        Your account was created. An admin of the gym approves new accounts; until then you can browse tournaments
        but not join them.
      </p>
      <button type="button" disabled={st.busy} onClick={() => run(async () => {
        const u = await reloadUser();
        if (u && !u.is_approved) throw new Error('not yet');
      })}>
        Check again
      </button>
      <Alert error={st.error ? 'Not approved yet. Please check again later.' : null} />
    </section>
  );
}

function NotFound() {
  useTitle('Not found');
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link href="/">Back to the tournaments</Link>
      </p>
    </section>
  );
}

function App() {
  const path = useRoute();
  const user = useUser();
  const main = useRef<HTMLElement>(null);
  useEffect(() => startLive(), []);
  useEffect(() => {
    // Moves focus to the new view for keyboard and screen-reader users.
    main.current?.focus({ preventScroll: true });
  }, [path]);

  let view;
  let m: RegExpMatchArray | null;
  // The wall: the bracket alone, scaled to the screen (no navigation).
  if ((m = path.match(/^\/tournaments\/([^/]+)\/wall$/))) return <WallView id={decodeURIComponent(m[1])} indicator={<LiveIndicator />} />;
  if (path === '/' || path === '/tournaments') view = <TournamentList />;
  else if (path === '/login') view = <LoginView />;
  else if (path === '/signup') view = <SignupView />;
  // The emailed link's path is the auth service's choice: accept the likely spellings.
  else if (['/forgot-password', '/reset-password', '/password-reset', '/reset'].includes(path)) view = <ResetView />;
  else if (path === '/profile') view = <ProfileView />;
  else if (path === '/admin') view = <AdminView />;
  else if (path === '/tournaments/new') view = <TournamentForm />;
  else if ((m = path.match(/^\/tournaments\/([^/]+)$/))) view = <TournamentDetail id={decodeURIComponent(m[1])} />;
  else view = <NotFound />;

  const here = (p: string) => (path === p ? 'page' : undefined);
  const staff = user && user.is_approved && (user.role === 'trainer' || user.role === 'admin');
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          GymIT
        </Link>
        <nav aria-label="Main">
          <Link href="/" aria-current={here('/')}>
            Tournaments
          </Link>
          {staff && (
            <Link href="/tournaments/new" aria-current={here('/tournaments/new')}>
              New tournament
            </Link>
          )}
          {user?.role === 'admin' && (
            <Link href="/admin" aria-current={here('/admin')}>
              Admin
            </Link>
          )}
          {user ? (
            <>
              <Link href="/profile" aria-current={here('/profile')}>
                {user.full_name}
              </Link>
              <button type="button" class="link" onClick={() => logout().then(() => navigate('/'))}>
                Log out
              </button>
            </>
          ) : (
            <>
              <Link href={path === '/login' ? location.pathname + location.search : loginHref()} aria-current={here('/login')}>
                Log in
              </Link>
              <Link href="/signup" aria-current={here('/signup')}>
                Sign up
              </Link>
            </>
          )}
        </nav>
        <LiveIndicator />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {user && !user.is_approved && <AwaitingApproval />}
        {view}
      </main>
    </>
  );
}

// "Stay signed in": the cookie signs back in after a reload (the first paint does not wait).
void restoreSession();
render(<App />, document.getElementById('app') as HTMLElement);
