// Events: JetStream streams and the outbox relay that feeds them.
export { useStreamReplicas, ensureStream, inventoryStream, catalogStream, searchStream, ordersStream, eventsStream, type StreamNames } from './streams.ts';
export { OutboxRelay, type RelayOptions } from './relay.ts';
export { OutboxRetention, type OutboxRetentionOptions } from './outbox-retention.ts';
export { streamPublisher, type StreamPublish } from './stream-publish.ts';
export { consumeBatches, runningConsumers, type BatchConsumerOptions, type RunningConsumer, type ConsumerProbe } from './consumer.ts';
