// A keyed signup whose account was created but whose session could not be opened (no node
// answers: NATS down, nodes moving) was answered 503, "send it again": the retry with the
// same Idempotency-Key then met its own account and got 409 email_taken, and the client
// never got its token (a fault audit: 21 of them in a 60 s NATS stop). The retry now
// answers the account it made, with a fresh session; the key without the password, or the
// password under another key, still gets email_taken.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { call, startStack, type Stack } from './support/gateway.ts';
import { startApp } from './support/harness.ts';

let stack: Stack;

test.before(async () => {
  stack = await startStack('signupretry', { nodes: 1 });
});

test.after(async () => {
  await stack?.stop();
});

test('a keyed signup retried after its session could not be opened answers its own account', async () => {
  const email = `retry${Date.now()}@example.com`;
  const body = { email, password: 'correct horse battery', name: 'Retry' };
  const key = { 'Idempotency-Key': `signup-${email}` };
  // A second one, retried with the key but another password.
  const guessedEmail = `guessed${Date.now()}@example.com`;
  const guessedBody = { email: guessedEmail, password: 'correct horse battery', name: 'Guessed' };
  const guessedKey = { 'Idempotency-Key': `signup-${guessedEmail}` };

  // No node: the account is written (the gateway does that) but no session entity answers.
  await stack.nodes[0]!.kill('SIGKILL');
  // Without a key, "unavailable" (nothing applied) would be false, and its retry gets
  // email_taken: the answer says the account exists and to log in. (The three wait out the
  // session's ask deadline together.)
  const plainEmail = `plain${Date.now()}@example.com`;
  const [first, guessedFirst, plain] = await Promise.all([
    call(stack.url, 'POST', '/v1/auth/signup', { body, headers: key }),
    call(stack.url, 'POST', '/v1/auth/signup', { body: guessedBody, headers: guessedKey }),
    call(stack.url, 'POST', '/v1/auth/signup', { body: { ...body, email: plainEmail } }),
  ]);
  assert.is(first.status, 503, JSON.stringify(first.body));
  assert.is(guessedFirst.status, 503);
  const stored = await stack.sql<{ user_id: string }>('SELECT user_id FROM users WHERE email = ?', [email]);
  assert.is(stored.length, 1, 'the first attempt created the account');
  assert.equal([plain.status, plain.body.error?.code], [503, 'outcome_unknown'], JSON.stringify(plain.body));
  assert.match(plain.body.error.message, /account was created.*log in/);
  assert.is(plain.headers.get('retry-after'), null, 'no invitation to send the signup again');

  stack.nodes[0] = await startApp(stack.env.env, 'node', { NODE_ID: 'n1b' });
  let again = await call(stack.url, 'POST', '/v1/auth/signup', { body, headers: key });
  for (let i = 0; again.status === 503 && i < 10; i++) again = await call(stack.url, 'POST', '/v1/auth/signup', { body, headers: key });
  assert.is(again.status, 201, JSON.stringify(again.body));
  assert.is(again.body.userId, stored[0]!.user_id, 'the account the first attempt made');
  const me = await call(stack.url, 'GET', '/v1/me', { token: again.body.token });
  assert.is(me.status, 200);
  assert.is(me.body.email, email);

  // The key alone opens nothing: with another password it is a signup of a taken email
  // (the key was free again: a 503 that applied nothing keeps no answer).
  const guessed = await call(stack.url, 'POST', '/v1/auth/signup', { body: { ...guessedBody, password: 'not the password at all' }, headers: guessedKey });
  assert.equal([guessed.status, guessed.body.error?.code, guessed.body.token], [409, 'email_taken', undefined], JSON.stringify(guessed.body));

  // Another key with the same email and password is another signup: the email is taken.
  const other = await call(stack.url, 'POST', '/v1/auth/signup', { body, headers: { 'Idempotency-Key': `other-${email}` } });
  assert.is(other.status, 409);
  assert.is(other.body.error.code, 'email_taken');
  const unkeyed = await call(stack.url, 'POST', '/v1/auth/signup', { body });
  assert.is(unkeyed.status, 409);
  assert.is(unkeyed.body.error.code, 'email_taken');
  const login = await call(stack.url, 'POST', '/v1/auth/login', { body: { email: plainEmail, password: body.password } });
  assert.is(login.status, 200, JSON.stringify(login.body));
});

test.run();
