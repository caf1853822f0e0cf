// The HTTP gateway: no business rules, only HTTP.
export { createApp, maxBodyBytes } from './app.ts';
export type { GatewayDeps } from './deps.ts';
export { HttpError, toHttp } from './errors.ts';
