// The HTTP gateway: no business rules, only HTTP.
export { createApp, maxBodyBytes, nodeRequestListener } from './app.ts';
export type { GatewayDeps, GatewayLimits } from './deps.ts';
export type { GatewayEnv } from './env.ts';
export { HttpError, toHttp } from './errors.ts';
export { openApiDocument } from './openapi.ts';
