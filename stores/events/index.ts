// Events: JetStream streams and the outbox relay that feeds them.
export { ensureStream, inventoryStream, catalogStream, searchStream, ordersStream, eventsStream, type StreamNames } from './streams.ts';
export { OutboxRelay, type RelayOptions } from './relay.ts';
export { consumeBatches, type BatchConsumerOptions, type RunningConsumer } from './consumer.ts';
