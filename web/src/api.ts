// The HTTP client for /api (same origin, relative URLs). Tokens live in memory only; with
// "Stay signed in" the refresh token also lives in the `gymit_refresh` cookie (HttpOnly,
// Path=/api/auth: script never reads it), so a reload signs back in through `POST
// /auth/refresh` with an empty body. A 401 `token_expired` refreshes once (one refresh in
// flight at a time, the refresh token rotates) and retries the request once.

export type Role = 'member' | 'trainer' | 'admin';

export interface User {
  id: string;
  email?: string;
  full_name: string;
  role: Role;
  is_approved?: boolean;
  is_banned?: boolean;
  is_active?: boolean;
  is_root_admin?: boolean;
  created_at?: string;
  updated_at?: string;
}

export type TournamentType = 'single_elimination' | 'double_elimination' | 'round_robin' | 'swiss' | 'group_stage';
export type TournamentStatus = 'registration_open' | 'in_progress' | 'completed' | 'cancelled';

export interface Tournament {
  id: string;
  name: string;
  description?: string | null;
  start_date: string;
  max_participants: number;
  tournament_type: TournamentType;
  status: TournamentStatus;
  participant_count: number;
  third_place_match?: boolean;
  grand_final?: 'double' | 'single' | 'none' | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  version: number;
  // v1.1 (absent on an older backend: every reader has a default)
  check_in_minutes?: number;
  check_in_opens_at?: string | null;
  waitlist_size?: number;
  waitlist_count?: number;
  current_round?: number | null;
  swiss_rounds?: number | null;
  top_cut?: number;
  group_count?: number;
  advance_per_group?: number;
  playoff_type?: 'single_elimination' | 'double_elimination';
}

export type ParticipantStatus = 'active' | 'disqualified' | 'dropped' | 'no_show';

export interface Participant {
  id: string;
  tournament_id: string;
  user_id: string | null;
  name: string;
  seed: number;
  joined_at: string;
  checked_in_at?: string | null;
  status?: ParticipantStatus;
  /** v1.0's flag, before `status` said it. */
  disqualified?: boolean;
}

export const statusOf = (p: Participant | undefined): ParticipantStatus =>
  p?.status ?? (p?.disqualified ? 'disqualified' : 'active');

export interface WaitlistEntry {
  tournament_id: string;
  user_id: string;
  name: string;
  position: number;
  joined_at: string;
  checked_in_at: string | null;
}

export type BracketName = 'winners' | 'losers' | 'grand_final' | 'third_place' | 'round_robin' | 'swiss' | 'playoff' | 'group';

export interface Match {
  id: string;
  bracket: BracketName;
  round: number;
  match_number: number;
  participant1_id: string | null;
  participant2_id: string | null;
  winner_id: string | null;
  score: string | null;
  status: 'pending' | 'ready' | 'completed' | 'bye' | 'skipped';
  next_match_id: string | null;
  next_loser_match_id: string | null;
  group?: string | null;
}

export interface Bracket {
  tournament_id: string;
  tournament_type: TournamentType;
  matches: Match[];
}

export interface Standing {
  participant_id: string;
  name: string;
  rank: number;
  wins: number;
  losses: number;
  draws: number;
  points: number;
  buchholz?: number;
  sonneborn_berger?: number;
}

export interface Standings {
  items: Standing[];
  /** True until the tournament is completed (v1.1; an older backend sends no flag). */
  provisional?: boolean;
  groups?: { group: string; items: Standing[] }[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

interface Session {
  access: string;
  refresh: string;
  user: User;
}

/** An API refusal, with a sentence a person can act on. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const SENTENCES: Record<string, string> = {
  invalid_credentials: 'The email or password is wrong.',
  unauthenticated: 'Your session has ended. Please log in again.',
  token_expired: 'Your session has ended. Please log in again.',
  email_taken: 'An account with this email already exists.',
  not_approved: 'Your account is awaiting approval by an admin.',
  account_banned: 'This account is banned.',
  forbidden: 'You are not allowed to do that.',
  root_admin_protected: 'The root admin cannot be changed.',
  not_found: 'That no longer exists.',
  check_in_not_open: 'Check-in is not open right now.',
  invalid_reset_code: 'That code is wrong, used or expired. Ask for a new one.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  tournament_full: 'This tournament is full: every place is taken.',
  bad_request: 'Something in that request was not understood. Please reload the page and try again.',
  already_registered: 'Already registered for this tournament.',
  registration_closed: 'Registration for this tournament is closed.',
  invalid_state: "That is not possible in the tournament's current state.",
  match_already_completed: 'This match already has a result. Use “Correct” to change it.',
  downstream_match_completed:
    'This result can no longer be corrected: a match it fed into has already been played.',
  capacity_below_participants:
    'The maximum cannot be lower than the number of participants already registered.',
  not_enough_participants: 'Not enough players to start (at least 2, and enough for the chosen format).',
  dependency_unavailable: 'GymIT is temporarily unavailable. Please try again in a moment.',
  payload_too_large: 'That is too long.',
  network: 'Cannot reach GymIT. Check your connection and try again.',
};

/** The words a form shows for a field the API names (`items[3].name` is line 4 of a list). */
const FIELD_LABELS: Record<string, string> = {
  email: 'Email',
  password: 'Password',
  new_password: 'New password',
  current_password: 'Current password',
  full_name: 'Name',
  name: 'Name',
  description: 'Description',
  start_date: 'Start',
  max_participants: 'Maximum players',
  tournament_type: 'Format',
  score: 'Score',
  winner_id: 'Winner',
  seed: 'Seed',
  reason: 'Reason',
  role: 'Role',
  check_in_minutes: 'Check-in window',
  waitlist_size: 'Waitlist places',
  swiss_rounds: 'Swiss rounds',
  top_cut: 'Top cut',
  group_count: 'Groups',
  advance_per_group: 'Players advancing per group',
  playoff_type: 'Playoff format',
  grand_final: 'Grand final',
  code: 'Code',
  items: 'The list',
};

export function fieldSentence(field: string, msg: string): string {
  const item = field.match(/^items\[(\d+)\]\.?(\w*)$/);
  const label = item
    ? `Line ${Number(item[1]) + 1}${item[2] && item[2] !== 'name' ? ` (${FIELD_LABELS[item[2]] ?? item[2]})` : ''}`
    : FIELD_LABELS[field] ?? field.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const text = msg.trim().replace(/\.$/, '');
  return `${label} ${text}.`;
}

export function sentence(code: string, fallback?: string): string {
  return SENTENCES[code] ?? fallback ?? 'Something went wrong. Please try again.';
}

let session: Session | null = null;
const REMEMBER = 'gymit_remember';
const remembered = (): boolean => {
  try {
    return localStorage.getItem(REMEMBER) === '1';
  } catch {
    return false;
  }
};
function setRemembered(on: boolean) {
  try {
    if (on) localStorage.setItem(REMEMBER, '1');
    else localStorage.removeItem(REMEMBER);
  } catch {
    /* private mode: a reload signs out */
  }
}
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function changed() {
  for (const l of listeners) l();
}

export function onSessionChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export const currentUser = (): User | null => session?.user ?? null;
export const accessToken = (): string | null => session?.access ?? null;

async function toError(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  // The gateway refuses a protected route without an Authorization header by itself:
  // 401 {"message":"Unauthorized"} (not problem+json). Everything else is problem+json.
  let code = typeof body.code === 'string' ? body.code : '';
  if (!code) code = res.status === 401 ? 'unauthenticated' : res.status === 404 ? 'not_found' : 'http_' + res.status;
  let msg = sentence(code, typeof body.detail === 'string' ? body.detail : undefined);
  if (code === 'rate_limited') {
    const after = res.headers.get('retry-after');
    msg = `Too many attempts. Try again in ${after ?? 'a few'} seconds.`;
  }
  const fields = Array.isArray(body.errors) ? (body.errors as { field: string; message: string }[]) : [];
  if (code === 'validation_failed') {
    msg = fields.length ? fields.map((f) => fieldSentence(f.field, f.message)).join(' ') : 'Please check what you entered.';
  }
  return new ApiError(res.status, code, msg, fields);
}

async function send(method: string, path: string, body: unknown, token: string | null): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', sentence('network'));
  }
}

async function refreshOnce(): Promise<boolean> {
  if (!session) return false;
  if (!refreshing) {
    const token = session.refresh;
    refreshing = (async () => {
      try {
        // With "Stay signed in", the refresh also rotates the cookie (else a reload would
        // present a rotated token, which revokes the whole family).
        const body: Record<string, unknown> = { refresh_token: token };
        if (remembered()) body.remember = true;
        const res = await send('POST', '/auth/refresh', body, null);
        if (!res.ok) {
          setSession(null);
          return false;
        }
        const data = await res.json();
        setSession({ access: data.access_token, refresh: data.refresh_token, user: data.user });
        return true;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body, session?.access ?? null);
  if (res.status === 401 && session) {
    const err = await toError(res.clone());
    if (err.code === 'token_expired' && (await refreshOnce())) {
      res = await send(method, path, body, session?.access ?? null);
    }
  }
  if (!res.ok) {
    const err = await toError(res);
    if (err.status === 401 && session && path !== '/auth/login') setSession(null);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

function setSession(s: Session | null) {
  session = s;
  changed();
}

export async function login(email: string, password: string, remember = false): Promise<User> {
  const body: Record<string, unknown> = { email, password };
  if (remember) body.remember = true;
  const data = await api<{ access_token: string; refresh_token: string; user: User }>('POST', '/auth/login', body);
  setRemembered(remember);
  setSession({ access: data.access_token, refresh: data.refresh_token, user: data.user });
  return data.user;
}

/**
 * After a reload: signs back in from the `gymit_refresh` cookie when the person chose
 * "Stay signed in" on this browser. Resolves either way (false: signed out).
 */
export async function restoreSession(): Promise<boolean> {
  if (!remembered() || session) return !!session;
  try {
    let res = await fetch('/api/auth/refresh', { method: 'POST' });
    // The contract says "an empty body"; accept a backend that wants an empty object.
    if (res.status === 400 || res.status === 415)
      res = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!res.ok) {
      if (res.status === 401 || res.status === 403) setRemembered(false);
      return false;
    }
    const data = await res.json();
    if (!session) setSession({ access: data.access_token, refresh: data.refresh_token, user: data.user });
    return true;
  } catch {
    return false;
  }
}

/** Asks for a reset code by email (always 202: it reveals nothing about the account). */
export async function requestPasswordReset(email: string): Promise<void> {
  await api('POST', '/auth/password-reset', { email });
}

export async function confirmPasswordReset(code: string, new_password: string): Promise<void> {
  await api('POST', '/auth/password-reset/confirm', { code, new_password });
}

export async function register(email: string, password: string, full_name: string): Promise<User> {
  const data = await api<{ user: User }>('POST', '/auth/register', { email, password, full_name });
  return data.user;
}

export async function logout(): Promise<void> {
  const s = session;
  setRemembered(false);
  setSession(null);
  if (s) {
    try {
      await send('POST', '/auth/logout', { refresh_token: s.refresh }, null);
    } catch {
      /* logged out locally either way */
    }
  }
}

/** Re-reads the account (after an approval, a role change): a fresh token carries the new claims. */
export async function reloadUser(): Promise<User | null> {
  if (!session) return null;
  await refreshOnce();
  if (!session) return null;
  const { user } = await api<{ user: User }>('GET', '/auth/me');
  if (session) setSession({ ...session, user });
  return user;
}

export function updateUser(user: User) {
  if (session) setSession({ ...session, user });
}

/** After a password change every token is revoked: the person logs in again. */
export function dropSession() {
  setRemembered(false);
  setSession(null);
}

export const canManage = (t: Tournament, u: User | null): boolean =>
  !!u && !!u.is_approved && (u.role === 'admin' || (u.role === 'trainer' && t.created_by === u.id));
