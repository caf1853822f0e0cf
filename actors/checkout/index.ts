// checkout:<orderId> — the crash-safe checkout saga: reserve all or nothing, pay once, commit or release.
export * from './messages.ts';
export { checkoutEntity, type CheckoutState } from './actor.ts';
export { Saga, rewardPointsFor, newOrderId, type CheckoutDeps } from './saga.ts';
export { checkoutSweeper, sweepOrders, type CheckoutSweeperDeps } from './sweeper.ts';
export { CheckoutApi } from './api.ts';
export { OrderHistory, orderView, orderDelivery, type OrderView, type OrderPage, type DeliveryEstimate } from './history.ts';
export { orderEvent, type OrderEvent, type OrderEventKind } from './events.ts';
export { reservationIdOf } from './reserve.ts';
export { discountFor, checkPoints, unitGrams, weightClassOf, totalOf } from './pricing.ts';
