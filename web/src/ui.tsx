// Small shared pieces: history routing, links, the session hook, messages, page titles,
// confirmation dialogs, countdowns.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
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
  (f: () => Promise<unknown>, ok?: string | ((result: unknown) => string)) => Promise<boolean>,
  { busy: boolean; error: string | null; notice: string | null; clear: () => void },
] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>, ok?: string | ((result: unknown) => string)) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const result = await f();
      if (ok) setNotice(typeof ok === 'string' ? ok : ok(result));
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
  swiss: 'Swiss',
  group_stage: 'Groups, then playoffs',
};

/** The tab's title: "Spring Cup · GymIT" (history, bookmarks and screen readers use it). */
export function useTitle(title: string | null) {
  useEffect(() => {
    document.title = title ? `${title} · GymIT` : 'GymIT';
  }, [title]);
}

/** Where "Log in" should come back to: the page the person is on. */
export function loginHref(): string {
  const here = location.pathname + location.search;
  return here === '/' || here.startsWith('/login') || here.startsWith('/signup') ? '/login' : `/login?next=${encodeURIComponent(here)}`;
}

/**
 * A confirmation that says what will happen, as a modal <dialog> (focus moves into it,
 * Escape cancels). `confirm` runs the action; the dialog closes when it succeeds and shows
 * the refusal when it fails.
 */
export function Confirm(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [run, st] = useAction();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.open && d.close();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); props.onClose(); }}>
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      <Alert error={st.error} />
      <div class="row">
        <button type="button" class={props.danger ? 'danger' : undefined} disabled={st.busy}
          onClick={() => run(props.onConfirm).then((ok) => ok && props.onClose())}>
          {props.confirmLabel}
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>
          Keep things as they are
        </button>
      </div>
    </dialog>
  );
}

/** "in 4 min 10 s" until `iso`, updated every second; null once it has passed. */
export function useCountdown(iso: string | null | undefined): string | null {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!iso) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [iso]);
  if (!iso) return null;
  const left = Math.round((new Date(iso).getTime() - now) / 1000);
  if (Number.isNaN(left) || left <= 0) return null;
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const sec = left % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${sec} s` : `${sec} s`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
