// Loaded with --import by a child process whose wall clock must disagree with the test's
// (CLOCK_OFFSET_MS, negative: behind): a machine whose clock is off, as with NTP down.
const offset = Number(process.env.CLOCK_OFFSET_MS || 0);
if (offset !== 0) {
  const now = Date.now;
  Date.now = () => now() + offset;
}
