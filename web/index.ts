// The storefront and the operator dashboard, served by the gateway; the browser code in
// web/client talks to the public /v1 API only.
export { storeNotFound, wantsStorePage, webRoutes } from './routes.ts';
export { assets, type AssetSet } from './assets.ts';
