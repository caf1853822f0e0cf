// Payments: the provider port and the simulated processor used by default.
export { ProviderTimeoutError, type ChargeRequest, type ChargeResult, type ExpectedCharge, type InlineCharge, type PaymentProvider } from './provider.ts';
export { SimulatedCardProcessor, type SimulatedOptions } from './simulated.ts';
