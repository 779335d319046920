/**
 * A sliding-window rate limiter keyed by string (a peer id): at most `limit` events per key
 * within `windowMs`. Memory stays bounded: keys whose window emptied are forgotten.
 */
export class RateLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Records an event for `key` at `now` if allowed.
   * @returns `true` when the event is within the limit, `false` when it is refused.
   */
  allow(key: string, now: number): boolean {
    this.prune(now);
    let list = this.events.get(key);
    if (!list) {
      list = [];
      this.events.set(key, list);
    }
    if (list.length >= this.limit) return false;
    list.push(now);
    return true;
  }

  private prune(now: number): void {
    for (const [key, list] of this.events) {
      while (list.length > 0 && now - list[0]! >= this.windowMs) list.shift();
      if (list.length === 0) this.events.delete(key);
    }
  }
}
