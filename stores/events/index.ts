// Events: JetStream streams and the outbox relay that feeds them.
export { ensureStream, inventoryStream, type StreamNames } from './streams.ts';
export { OutboxRelay, type RelayOptions } from './relay.ts';
