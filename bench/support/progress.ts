// Progress on stderr while a bench runs: a self-overwriting line on a terminal, a plain
// line every few seconds otherwise (a file or pipe gets no carriage returns).

export interface Progress {
  stop(): void;
}

export function startProgress(label: string, total: number, done: () => number, unit = 'done'): Progress {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let lastDone = 0;
  let lastAt = started;
  const timer = setInterval(() => {
    const now = performance.now();
    const count = done();
    const rate = ((count - lastDone) * 1000) / (now - lastAt);
    lastDone = count;
    lastAt = now;
    const pct = total > 0 ? ` (${((count / total) * 100).toFixed(1)}%)` : '';
    const line = `${label}: ${count}/${total}${pct}, ${Math.round(rate)} ${unit}/s, ${((now - started) / 1000).toFixed(0)} s`;
    process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  }, tty ? 1000 : 3000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
