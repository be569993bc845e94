import type { JsMsg } from '@nats-io/jetstream';
import type { SlotExecutor } from './executor.js';

/** How long before a trial's expected end its slot's next cell is fetched (see LookaheadLease). */
export const LOOKAHEAD_MS = 50;

/**
 * One slot's next cell, fetched shortly before the running trial expects to end so that it starts
 * the moment the trainer is free instead of a fetch later. The held cell's lease is kept with
 * `working()` while it waits (at most about the lookahead plus the estimate's error), and its
 * trial is preloaded in the slot's trainer; it is claimed only when it starts. The agent decides
 * when to fetch and where a delivered cell goes; this unit keeps the timer, the in-flight flag and
 * the held message, and is the only place that starts or stops keeping a held lease.
 */
export class LookaheadLease {
  private timer: NodeJS.Timeout | undefined;
  private keep: NodeJS.Timeout | undefined;
  private held: { msg: JsMsg; preload: number | null } | null = null;
  /** A fetch for this slot is out: the dispatch loop leaves the slot to it. */
  fetching = false;

  constructor(private readonly workingEveryMs: number) {}

  /** Calls `fetch` `leadMs` before the running trial's expected end, `endsInMs` from now (replacing an earlier estimate). */
  expectEnd(endsInMs: number, leadMs: number, fetch: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fetch();
    }, Math.max(0, endsInMs - leadMs));
  }

  get holding(): boolean {
    return this.held !== null;
  }

  /** Keeps `msg` (its trial preloaded under `preload`) for the slot until take() or handBack(). */
  hold(msg: JsMsg, preload: number | null): void {
    this.held = { msg, preload };
    this.keep = setInterval(() => msg.working(), this.workingEveryMs);
  }

  /** The held cell, if any, with its lease no longer kept here (the caller now owns it). */
  take(): { msg: JsMsg; preload: number | null } | null {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.keep);
    this.keep = undefined;
    const held = this.held;
    this.held = null;
    return held;
  }

  /** Gives the held cell back to the server (drain) and takes its preload out of the trainer. */
  handBack(executor: SlotExecutor): void {
    const held = this.take();
    if (!held) return;
    if (held.preload !== null) executor.dropPreloaded(held.preload);
    held.msg.nak();
  }
}
