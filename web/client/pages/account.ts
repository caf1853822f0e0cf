// The account page: name (editable), email, reward points, coupons, the addresses (add,
// delete, make default) that decide delivery estimates and checkout, the devices signed in
// (sign one or all the others out) and the password.
import { ActionKey, api, ApiError, optional } from '../api.ts';
import { loadFailedNotice, refreshHeader, refreshUser, requireUser } from '../chrome.ts';
import { byId, dateTime, disableWhileBusy, formError, h, money, render, toast, type Child } from '../dom.ts';
import { explain } from '../messages.ts';
import type { Address, Me, SessionInfo } from '../types.ts';

function profile(me: Me, reload: () => Promise<void>): Child[] {
  const name = h('input', { name: 'name', value: me.name, required: true, maxlength: 200, autocomplete: 'name' });
  const form = h('form', { class: 'inline-form' }, h('label', null, 'Name ', name), h('button', { type: 'submit', class: 'small' }, 'Save'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('PATCH', '/v1/me', { body: { name: name.value.trim() } });
      toast('Name saved');
      // The header greets the user by the new name too.
      await Promise.all([reload(), refreshHeader()]);
    } catch (err) {
      toast(explain(err), 'error');
    }
  });
  return [
    form,
    h('dl', { class: 'facts' },
      h('dt', null, 'Email'), h('dd', null, me.email),
      h('dt', null, 'Reward points'), h('dd', { 'data-testid': 'reward-points' }, String(me.rewardPoints ?? 0))),
    me.coupons?.length ? h('div', null, h('h3', null, 'Your coupons'), h('ul', { class: 'coupons' }, me.coupons.map((c) => h('li', null, h('code', null, c.code), ` ${c.amountOff !== null && c.currency ? `${money(c.amountOff, c.currency)} off` : c.description}`)))) : null,
    h('p', null, h('a', { href: '/orders' }, 'Your orders →')),
  ];
}

function addressItem(a: Address, me: Me, reload: () => Promise<void>): HTMLElement {
  const isDefault = a.addressId === me.defaultAddressId;
  const makeDefault = async () => {
    try {
      await api('PATCH', `/v1/me/addresses/${encodeURIComponent(a.addressId)}`, { body: { isDefault: true } });
      await reload();
    } catch (err) {
      toast(err instanceof ApiError && err.status === 404 ? 'This server cannot change the default yet: add the address again as default.' : explain(err), 'error');
    }
  };
  // One delete at a time: a double click sent a second DELETE, whose 404 put "It is not
  // there any more" in red over "Address deleted" once the first had worked.
  let deleting = false;
  const remove = async () => {
    if (deleting) return;
    deleting = true;
    try {
      await api('DELETE', `/v1/me/addresses/${encodeURIComponent(a.addressId)}`);
      toast('Address deleted');
      await reload();
    } catch (err) {
      toast(explain(err), 'error');
    } finally {
      deleting = false;
    }
  };
  return h('li', { class: 'address', 'data-testid': 'address' },
    h('address', null, a.line1, h('br'), `${a.city}, ${a.region} ${a.postalCode}`, h('br'), a.country),
    isDefault ? h('span', { class: 'tag' }, 'Default') : h('button', { type: 'button', class: 'link', onclick: () => void makeDefault() }, 'Make default'),
    h('button', { type: 'button', class: 'link danger', onclick: () => void remove() }, 'Delete'));
}

const deviceName = (s: SessionInfo): string => s.device.trim() || 'Unknown device';
const when = (iso: string): HTMLElement => h('time', { datetime: iso }, dateTime(iso));

/**
 * The signed-in devices: this one first ("This device"), then the others newest first, each
 * with Sign out, and Sign out everywhere else. A device is the User-Agent its session was
 * opened with, which anyone can set to anything: it is only ever text, never markup.
 */
function signedInDevices(root: HTMLElement, heading: HTMLElement | null): { load(): Promise<void> } {
  const othersKey = new ActionKey();
  /**
   * Reads the list again. `focusAt`: the place among the list's buttons of the one just
   * pressed; a button that went with its line hands focus to the one now in its place (or
   * to the heading when none is left), unless the user has moved focus elsewhere meanwhile.
   */
  const load = async (focusAt?: number): Promise<void> => {
    let list: { items: SessionInfo[] } | undefined;
    try {
      list = await optional<{ items: SessionInfo[] }>('GET', '/v1/me/sessions');
    } catch (err) {
      render(root, loadFailedNotice(err));
      return;
    }
    // A server without the route (an older version): no section rather than an error.
    if (!list) return root.closest('section')?.setAttribute('hidden', '');
    const focusWasHere = document.activeElement === null || document.activeElement === document.body || root.contains(document.activeElement);
    const items = [...list.items.filter((s) => s.current), ...list.items.filter((s) => !s.current)];
    const others = items.filter((s) => !s.current);
    render(root,
      h('ul', { class: 'sessions', 'data-testid': 'sessions' }, items.map((s, i) => line(s, i))),
      others.length ? revokeOthers() : h('p', { class: 'muted' }, 'No other device is signed in.'));
    if (focusAt !== undefined && focusWasHere) {
      const buttons = Array.from(root.querySelectorAll<HTMLElement>('button'));
      (buttons[Math.min(focusAt, buttons.length - 1)] ?? heading)?.focus();
    }
  };
  const placeOf = (button: HTMLElement): number => Array.from(root.querySelectorAll('button')).indexOf(button as HTMLButtonElement);
  const line = (s: SessionInfo, i: number): HTMLElement => {
    const deviceId = `session-device-${i}`;
    let signOut: HTMLButtonElement | null = null;
    if (!s.current) {
      const button = h('button', { type: 'button', class: 'small', 'data-testid': 'session-signout', 'aria-describedby': deviceId }, 'Sign out');
      button.addEventListener('click', async () => {
        const place = placeOf(button);
        button.disabled = true;
        try {
          // Ending one already ended is 204 too; 404 is an id this account does not have.
          await api('DELETE', `/v1/me/sessions/${encodeURIComponent(s.sessionId)}`);
          toast('That device is signed out.');
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 'not_found')) {
            toast(explain(err), 'error');
            button.disabled = false;
            return;
          }
        }
        await load(place);
      });
      signOut = button;
    }
    return h('li', { class: s.current ? 'session current' : 'session', 'data-testid': 'session', 'data-session-id': s.sessionId, 'data-current': s.current },
      h('div', { class: 'session-info' },
        h('p', { class: 'device', id: deviceId }, deviceName(s)),
        h('p', { class: 'when muted small' }, 'Signed in ', when(s.createdAt), ' · last active ', when(s.lastSeenAt))),
      s.current ? h('span', { class: 'tag' }, 'This device') : signOut);
  };
  const revokeOthers = (): HTMLButtonElement => {
    const button = h('button', { type: 'button', class: 'secondary', 'data-testid': 'sessions-revoke-others' }, 'Sign out everywhere else');
    button.addEventListener('click', async () => {
      const place = placeOf(button);
      button.disabled = true;
      let revoked: number;
      try {
        revoked = (await api<{ revoked: number }>('POST', '/v1/me/sessions/revoke-others', { idempotencyKey: othersKey.for(null) })).revoked;
        othersKey.settle();
      } catch (err) {
        othersKey.settle(err);
        toast(explain(err), 'error');
        button.disabled = false;
        return;
      }
      toast(revoked === 0 ? 'No other device was signed in.' : `Signed out ${revoked} other ${revoked === 1 ? 'device' : 'devices'}.`);
      await load(place);
    });
    return button;
  };
  return { load: () => load() };
}

/** What went wrong changing the password, and the field it is about. */
function passwordProblem(err: unknown): { field: 'currentPassword' | 'newPassword' | null; message: string } {
  if (err instanceof ApiError && err.code === 'invalid_credentials') {
    return { field: 'currentPassword', message: 'Your current password is not right. Check it and try again.' };
  }
  if (err instanceof ApiError && err.code === 'validation_failed') {
    const problems = Array.isArray(err.details) ? (err.details as { field?: unknown; problem?: unknown }[]) : [];
    const about = (field: string) => problems.find((p) => p.field === field);
    const next = about('newPassword');
    if (next) {
      return /same/i.test(String(next.problem ?? ''))
        ? { field: 'newPassword', message: 'The new password must be different from your current one.' }
        : { field: 'newPassword', message: 'The new password must be at least 8 characters long.' };
    }
    if (about('currentPassword')) return { field: 'currentPassword', message: 'Enter your current password.' };
  }
  if (err instanceof ApiError && (err.status === 429 || err.code === 'rate_limited')) {
    return { field: null, message: 'Too many attempts just now. Wait a minute, then try again.' };
  }
  return { field: null, message: explain(err) };
}

/**
 * Change password: current, new and the new again. A confirmation that differs is said here
 * and nothing is sent; each refusal is said next to the button and focuses its field. Once
 * changed, the fields are cleared, the page says so, and the other devices (which the
 * server signs out) leave the list.
 */
function passwordForm(form: HTMLFormElement, me: Me, changed: () => Promise<void>): void {
  const input = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const [username, current, next, confirm] = ['username', 'currentPassword', 'newPassword', 'confirmPassword'].map(input) as [HTMLInputElement, HTMLInputElement, HTMLInputElement, HTMLInputElement];
  // For password managers: which account this password is of.
  username.value = me.email;
  const done = form.querySelector<HTMLElement>('[data-testid="password-done"]');
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  const key = new ActionKey();
  const problem = (field: HTMLInputElement | null, message: string | null) => {
    for (const f of [current, next, confirm]) f.removeAttribute('aria-invalid');
    formError(form, message);
    if (!field) return;
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    if (done) done.textContent = '';
    problem(null, null);
    if (!form.reportValidity()) return;
    if (next.value !== confirm.value) return problem(confirm, 'The new password and its confirmation do not match.');
    const body = { currentPassword: current.value, newPassword: next.value };
    const enable = disableWhileBusy(button);
    try {
      await api('POST', '/v1/me/password', { body, idempotencyKey: key.for(body) });
      key.settle();
    } catch (err) {
      key.settle(err);
      const { field, message } = passwordProblem(err);
      enable();
      return problem(field === null ? null : input(field), message);
    }
    form.reset();
    username.value = me.email;
    if (done) done.textContent = 'Your password was changed. Every other device was signed out.';
    enable();
    await changed();
  });
}

/**
 * Holds the submits of forms whose handlers are wired only once the user is read: sent
 * before that (a slow connection), the browser sent them its own way, and nothing was saved.
 * `release()`, once they are wired, sends the held ones again.
 */
function holdSubmits(forms: (HTMLFormElement | null)[]): { release(): void } {
  const waiting = new Set<HTMLFormElement>();
  let released = false;
  for (const form of forms) {
    form?.addEventListener('submit', (e) => {
      if (released) return;
      e.preventDefault();
      waiting.add(form);
    });
  }
  return {
    release() {
      released = true;
      for (const form of waiting) form.requestSubmit();
    },
  };
}

export async function accountPage(): Promise<void> {
  const profileEl = byId('profile');
  const form = byId<HTMLFormElement>('address-form');
  const passwordEl = byId<HTMLFormElement>('password-form');
  const early = holdSubmits([form, passwordEl]);
  const me0 = await requireUser(profileEl);
  if (!me0) {
    // Nothing of them is left saying "Loading…" either.
    render(byId('sessions'));
    for (const id of ['sessions-section', 'password-section']) byId(id)?.setAttribute('hidden', '');
    form?.closest('section')?.setAttribute('hidden', '');
    return;
  }
  const sessionsEl = byId('sessions');
  const devices = sessionsEl ? signedInDevices(sessionsEl, byId('sessions-h')) : undefined;
  void devices?.load();
  if (passwordEl) passwordForm(passwordEl, me0, async () => devices?.load());
  const reload = async () => {
    refreshUser();
    try {
      const me = await api<Me>('GET', '/v1/me');
      render(profileEl, profile(me, reload));
      render(byId('addresses'), me.addresses.length ? me.addresses.map((a) => addressItem(a, me, reload)) : h('li', { class: 'muted' }, 'No addresses yet.'));
      const def = form?.querySelector<HTMLInputElement>('input[name="isDefault"]');
      if (def) def.checked = me.addresses.length === 0;
    } catch (err) {
      render(profileEl, loadFailedNotice(err));
    }
  };
  render(profileEl, profile(me0, reload));
  await reload();
  form?.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const body = { line1: text('line1'), city: text('city'), region: text('region'), country: text('country').toUpperCase(), postalCode: text('postalCode'), isDefault: data.get('isDefault') !== null };
    const enable = disableWhileBusy(form.querySelector<HTMLButtonElement>('button[type="submit"]')!);
    formError(form, null);
    try {
      await api('POST', '/v1/me/addresses', { body });
      form.reset();
      toast('Address saved');
      await reload();
    } catch (err) {
      formError(form, explain(err));
    } finally {
      enable();
    }
  });
  early.release();
}
