// The account page: name (editable), email, reward points, coupons, and the addresses
// (add, delete, make default) that decide delivery estimates and checkout.
import { api, ApiError } from '../api.ts';
import { loadFailedNotice, refreshHeader, refreshUser, requireUser } from '../chrome.ts';
import { byId, formError, h, money, render, toast, type Child } from '../dom.ts';
import { explain } from '../messages.ts';
import type { Address, Me } from '../types.ts';

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

export async function accountPage(): Promise<void> {
  const profileEl = byId('profile');
  const me0 = await requireUser(profileEl);
  const form = byId<HTMLFormElement>('address-form');
  if (!me0) {
    form?.closest('section')?.setAttribute('hidden', '');
    return;
  }
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
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    formError(form, null);
    try {
      await api('POST', '/v1/me/addresses', { body });
      form.reset();
      toast('Address saved');
      await reload();
    } catch (err) {
      formError(form, explain(err));
    } finally {
      button.disabled = false;
    }
  });
}
