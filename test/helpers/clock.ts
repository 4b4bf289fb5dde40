/**
 * A clock for the stored timestamps that a test moves on when it needs "later" (an update time that must differ, a
 * create time of another batch), instead of sleeping until the system clock has moved: the system's time plus an
 * offset the test advances.
 */
import type { Clock } from '../../src/storage/database';

export class TestClock {
  private offset = 0;
  readonly now: Clock = () => Date.now() + this.offset;

  /** Every timestamp taken from now on is at least `ms` later than any taken before. */
  advance(ms = 1): void {
    this.offset += ms;
  }
}
