// Sign up and log in: the token goes to localStorage and the visitor back where they were.
import { api, session, ApiError } from '../api.ts';
import { byId, formError } from '../dom.ts';

function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  // Only paths on this site: never an open redirect.
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function explain(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  const fields = Array.isArray(err.details) ? (err.details as { field?: string; problem?: string }[]) : [];
  if (err.code === 'email_taken') return 'An account with this email already exists. Log in instead?';
  if (err.code === 'invalid_credentials') return 'That email and password do not match.';
  if (fields.length) return fields.map((f) => `${f.field}: ${f.problem}`).join('; ');
  return err.message;
}

function wire(formId: string, path: string, fields: string[]): void {
  const form = byId<HTMLFormElement>(formId);
  if (!form) return;
  if (session.token()) form.insertAdjacentHTML('beforebegin', '<p class="notice">You are already logged in. <a href="/account">Your account</a></p>');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const data = new FormData(form);
    const body = Object.fromEntries(fields.map((f) => [f, String(data.get(f) ?? '').trim()]));
    body.password = String(data.get('password') ?? '');
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    formError(form, null);
    try {
      const auth = await api<{ userId: string; token: string }>('POST', path, { body, token: null });
      session.set(auth.token);
      location.assign(nextPath());
    } catch (err) {
      formError(form, explain(err));
      button.disabled = false;
    }
  });
}

export function signupPage(): void {
  wire('signup-form', '/v1/auth/signup', ['name', 'email', 'password']);
}

export function loginPage(): void {
  wire('login-form', '/v1/auth/login', ['email', 'password']);
}
