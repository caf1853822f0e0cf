// logistics — warehouses, delivery clusters, routes, and the delivery-estimate projection.
export { estimate, etaOf, routeTable, DeliveryEstimates, type Eta, type RouteTable } from './estimates.ts';
export { deliveryEstimator, DeliveryEstimator, logisticsChangedSubject, type EstimatorDeps } from './estimator.ts';
export { RouteCache } from './route-cache.ts';
export { ZoneResolver, zoneOf, postalKey } from './zones.ts';
export { LogisticsAdmin, type LogisticsView } from './admin.ts';
