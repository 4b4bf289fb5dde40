/**
 * Waiting for events in tests, never for a fixed time: a test polls the condition it needs and fails, naming it,
 * only when a generous deadline passes (60 s: far beyond any normal run, so a loaded machine never fails a test).
 */

export const DEFAULT_WAIT_MS = 60_000;

/** Polls `probe` until it returns a truthy value (which it returns), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = DEFAULT_WAIT_MS,
  pollMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Awaits `promise`, failing (naming `what`) if it has not settled after `timeoutMs`. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
