/**
 * Failed authentications per peer address, as a token bucket: each address may fail `burst` times, and earns one
 * more attempt every `60 / perMinute` seconds. An address out of attempts is refused before its credentials are
 * checked (no verification work, no guessing). The map is bounded: past `MAX_PEERS` the oldest address is dropped.
 */
const MAX_PEERS = 10_000;

export interface FailureLimits {
  burst: number;
  perMinute: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimits = { burst: 20, perMinute: 10 };

export class FailureLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: FailureLimits = DEFAULT_FAILURE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  private level(peer: string): number {
    const b = this.buckets.get(peer);
    if (b === undefined) return this.limits.burst;
    const earned = ((this.now() - b.at) / 60_000) * this.limits.perMinute;
    return Math.min(this.limits.burst, b.tokens + earned);
  }

  /** Whether `peer` may try to authenticate now. */
  allows(peer: string | undefined): boolean {
    return peer === undefined || this.level(peer) >= 1;
  }

  /** Seconds until `peer` may try again. */
  retryAfterSeconds(peer: string): number {
    return Math.ceil(((1 - this.level(peer)) * 60) / this.limits.perMinute);
  }

  /** Counts a failed authentication from `peer`. */
  failed(peer: string | undefined): void {
    if (peer === undefined) return;
    const tokens = Math.max(0, this.level(peer) - 1);
    this.buckets.delete(peer);
    if (this.buckets.size >= MAX_PEERS) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(peer, { tokens, at: this.now() });
  }
}
