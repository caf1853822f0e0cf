// Failures at start that an operator fixes by changing a setting or starting a service,
// told as one line naming it (exit 2 for a setting, as loadConfig's checks, 1 for a
// service not there).
import type { Config } from './config.ts';

export interface StartProblem { message: string; exitCode: number }

export function startProblem(err: unknown, config: Pick<Config, 'natsUrl' | 'jetstreamReplicas'>): StartProblem | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const message = String((err as { message?: unknown } | null)?.message ?? err);
  if (code === 'CONNECTION_REFUSED') {
    return { message: `NATS does not answer at ${config.natsUrl} (NATS_URL): ${message}`, exitCode: 1 };
  }
  // ("insufficient resources" alone is also JetStream's storage limits: only with replicas asked for.)
  if (config.jetstreamReplicas > 1 && /replicas > 1 not supported|insufficient resources/i.test(message)) {
    return { message: `JETSTREAM_REPLICAS=${config.jetstreamReplicas} needs a NATS cluster of at least that many servers with JetStream (${message})`, exitCode: 2 };
  }
  return undefined;
}
