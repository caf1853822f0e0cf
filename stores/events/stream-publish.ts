// Publishing to a JetStream stream with a message id (the stream drops a repeat within its
// duplicate window), over the cluster's Requester rather than nats.js' JetStream client:
// its publish is a request() that builds two Error objects per message (one for a possible
// timeout, one to cancel the request after the ack), a few percent of a node's time in a
// flash sale when every paid order relays an event.
import { headers, type NatsConnection } from 'nats';
import { RequestFailed, Requester } from '../../cluster/index.ts';

/** Publishes `data` to the stream bound to `subject`; resolves once the stream stored it (or knew it). */
export type StreamPublish = (subject: string, data: Uint8Array, msgId: string) => Promise<void>;

interface PubAck { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; description?: string } }

export function streamPublisher(nc: NatsConnection, timeoutMs = 5000): StreamPublish {
  const requester = new Requester(nc);
  const decoder = new TextDecoder();
  return async (subject, data, msgId) => {
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    let reply;
    try {
      reply = await requester.request(subject, data, timeoutMs, h);
    } catch (err) {
      const reason = err instanceof RequestFailed ? err.reason : String(err);
      throw new Error(`publishing to ${subject} failed: ${reason === 'no_responders' ? 'no stream takes this subject' : reason}`);
    }
    const ack = JSON.parse(decoder.decode(reply.data)) as PubAck;
    if (ack.error || typeof ack.seq !== 'number') throw new Error(`the stream refused ${subject}: ${ack.error?.description ?? 'no acknowledgement'}`);
  };
}
