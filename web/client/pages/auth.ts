// Sign up and log in: the token goes to localStorage and the visitor back where they were.
import { api, session, ApiError } from '../api.ts';
import { authHref, currentUser } from '../chrome.ts';
import { byId, disableWhileBusy, formError, h } from '../dom.ts';
import { explain as explainApiError } from '../messages.ts';

/**
 * Where to go after logging in: `next` only when it stays on this site. It is resolved as
 * the browser would resolve it, so "/\evil.example" (which browsers read as
 * "//evil.example") or "https://evil.example" end up on another origin and are refused.
 */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  if (!next) return '/';
  let url: URL;
  try {
    url = new URL(next, location.origin);
  } catch {
    return '/';
  }
  if (url.origin !== location.origin) return '/';
  // A path such as "/.//evil.example" normalises to "//evil.example", which on its own
  // would name another host again: one leading slash only.
  return url.pathname.replace(/^\/+/, '/') + url.search + url.hash;
}

function explain(err: unknown): string {
  if (err instanceof ApiError && err.code === 'invalid_credentials') return 'That email and password do not match.';
  return explainApiError(err);
}

function wire(formId: string, path: string, fields: string[]): void {
  const form = byId<HTMLFormElement>(formId);
  if (!form) return;
  // Only a token the server still takes is "logged in": a refused one was just dropped.
  void currentUser().catch(() => null).then((me) => {
    if (me) form.before(h('p', { class: 'notice' }, 'You are already logged in. ', h('a', { href: '/account' }, 'Your account')));
  });
  // "Log in" on the sign-up page and "Create an account" on the log-in page keep `next`.
  document.querySelectorAll<HTMLAnchorElement>('main a[href="/login"], main a[href="/signup"]').forEach((a) => {
    a.href = authHref(a.pathname === '/signup' ? '/signup' : '/login');
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const data = new FormData(form);
    const body = Object.fromEntries(fields.map((f) => [f, String(data.get(f) ?? '').trim()]));
    body.password = String(data.get('password') ?? '');
    const enable = disableWhileBusy(form.querySelector<HTMLButtonElement>('button[type="submit"]')!);
    formError(form, null);
    try {
      const auth = await api<{ userId: string; token: string }>('POST', path, { body, token: null });
      session.set(auth.token);
      location.assign(nextPath());
    } catch (err) {
      if (err instanceof ApiError && err.code === 'email_taken') {
        // A way to log in right here, back to the page the visitor came from.
        formError(form, 'An account with this email already exists. ');
        form.querySelector('.form-error')?.append(h('a', { href: authHref('/login') }, 'Log in instead'), '.');
      } else {
        formError(form, explain(err));
      }
      enable();
    }
  });
}

export function signupPage(): void {
  wire('signup-form', '/v1/auth/signup', ['name', 'email', 'password']);
}

export function loginPage(): void {
  wire('login-form', '/v1/auth/login', ['email', 'password']);
}
