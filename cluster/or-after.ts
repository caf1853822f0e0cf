// Waiting for something at most so long, with the timer cleared as soon as it settles: a
// bare Promise.race with a setTimeout keeps the timer (and a process that would otherwise
// exit) alive for the whole wait, once per call.

/** `p`, or `fallback` once `ms` passed without it settling (`p` goes on either way). */
export function orAfter<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
