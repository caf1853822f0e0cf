// The ports this process will serve, tried before it joins the cluster. A port another
// process holds used to be found only when the gateway or the ops port started listening,
// after the node had joined and taken shards: the process then died with a stack trace and
// left its shards without an owner until their leases ran out.
import { createServer } from 'node:net';
import { ConfigError, type Config } from './config.ts';

function tryListen(variable: string, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'another process listens there' : err.code === 'ENOTFOUND' || err.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : err.code ?? err.message;
      reject(new ConfigError(variable, `cannot listen on ${host}:${port} (${why})`));
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Throws ConfigError naming the variable when a port this process's roles need cannot be had. */
export async function checkListenable(config: Config): Promise<void> {
  // Port 0 is any free port: nothing to check.
  if (config.role !== 'node' && config.port !== 0) await tryListen('PORT', config.host, config.port);
  if (config.opsPort !== undefined && config.opsPort !== 0) await tryListen('OPS_PORT', config.opsHost, config.opsPort);
}
