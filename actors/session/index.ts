// session:<sessionId> — one login session: its user, device, expiry and last-seen; persisted.
export * from './messages.ts';
export { decideSession } from './state.ts';
export { sessionEntity, type SessionDeps } from './actor.ts';
export { SessionApi } from './api.ts';
export { SessionService, type SessionListItem } from './service.ts';
export { issueToken, hashToken, sessionIdOf, looksLikeToken, type IssuedToken } from './token.ts';
export { LiveSessions, announceRevoked, revocationTrustMs, sessionRevokedSubject, type LiveSessionsOptions, type LiveSessionStats } from './live-sessions.ts';
