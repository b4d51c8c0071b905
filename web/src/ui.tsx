// Small shared pieces: history routing, links, the session hook, messages.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, currentUser, onSessionChange, sentence, type User } from './api';

const routeListeners = new Set<() => void>();

export function navigate(path: string) {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  routeListeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => routeListeners.forEach((l) => l()));

export function useRoute(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const l = () => setPath(location.pathname);
    routeListeners.add(l);
    return () => routeListeners.delete(l);
  }, []);
  return path;
}

export function Link(props: { href: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props['aria-current']}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export function useUser(): User | null {
  const [user, setUser] = useState(currentUser());
  useEffect(() => onSessionChange(() => setUser(currentUser())), []);
  return user;
}

export function message(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return sentence('unknown');
}

/** An error or notice that screen readers announce. */
export function Alert(props: { error?: string | null; notice?: string | null }) {
  if (props.error)
    return (
      <p class="alert error" role="alert">
        {props.error}
      </p>
    );
  if (props.notice)
    return (
      <p class="alert notice" role="status">
        {props.notice}
      </p>
    );
  return null;
}

/** Runs an action, keeping its error as a sentence and a busy flag for the button. */
export function useAction(): [
  (f: () => Promise<unknown>, ok?: string) => Promise<boolean>,
  { busy: boolean; error: string | null; notice: string | null; clear: () => void },
] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>, ok?: string) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await f();
      if (ok) setNotice(ok);
      return true;
    } catch (e) {
      setError(message(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [run, { busy, error, notice, clear: () => (setError(null), setNotice(null)) }];
}

export const STATUS_LABEL: Record<string, string> = {
  registration_open: 'Registration open',
  in_progress: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

export const TYPE_LABEL: Record<string, string> = {
  single_elimination: 'Single elimination',
  double_elimination: 'Double elimination',
  round_robin: 'Round robin',
};

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
