// Caches and timers: a small bounded cache (key sets by JWKS text,
// manifests by hash), the clock read once per synchronous task, and the
// expiry timer. None of them decides anything: every check compares the
// clock itself, so a late timer can never allow.

/** A map that forgets its oldest entry beyond `max` entries (and passes it to `onEvict`). */
export class BoundedCache {
  #max;
  #onEvict;
  #map = new Map();

  constructor(max, onEvict) {
    this.#max = max;
    this.#onEvict = onEvict;
  }

  get(key) {
    return this.#map.get(key);
  }

  set(key, value) {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const [oldest, evicted] = this.#map.entries().next().value;
      this.#map.delete(oldest);
      this.#onEvict?.(evicted);
    }
    return value;
  }

  delete(key) {
    this.#map.delete(key);
  }
}

/**
 * The clock, read at most once per synchronous task. Reading it costs more
 * than a whole check, so a burst of checks (a render, a gate over a page)
 * shares one reading and the next task reads it again: a check is never
 * answered with a time older than the task it runs in.
 */
export class TaskClock {
  #clock;
  #now = 0;
  #fresh = false;
  #reset = () => {
    this.#fresh = false;
  };

  /** @param {() => number} clock milliseconds since the epoch */
  constructor(clock) {
    this.#clock = clock;
  }

  /** The time of this task, in milliseconds since the epoch. */
  now() {
    if (!this.#fresh) {
      this.#fresh = true;
      queueMicrotask(this.#reset);
      this.#now = this.#clock();
    }
    return this.#now;
  }

  /** The time right now (for timers; not cached). */
  read() {
    return this.#clock();
  }
}

const MAX_TIMER = 2 ** 31 - 1;

/** Calls `onExpire` once the clock reaches `at` (re-armed in steps timers can hold). */
export class ExpiryTimer {
  #timer = null;

  /** Arms for `at` (ms) on `clock`; `onExpire` runs once the clock says so. */
  arm(at, clock, onExpire) {
    this.stop();
    const wait = at - clock.read();
    if (wait <= 0) {
      onExpire();
      return;
    }
    this.#timer = setTimeout(() => this.arm(at, clock, onExpire), Math.min(wait, MAX_TIMER));
    // Node: a pending expiry must not keep the process alive.
    if (typeof this.#timer === "object" && typeof this.#timer?.unref === "function") this.#timer.unref();
  }

  stop() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
