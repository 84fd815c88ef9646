import { cpus } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** What `signatureVerification: 'auto'` decides from: a clock and the event loop's utilisation. */
export interface PlacementSignals {
  now(): number;
  /** Utilisation since `since` (or since start), as `performance.eventLoopUtilization` gives it. */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization;
}

/** The longest wait between decisions after fruitless hand-offs, in windows. */
const MAX_BACKOFF = 16;

const NODE_SIGNALS: PlacementSignals = {
  now: () => performance.now(),
  eventLoopUtilization: since => performance.eventLoopUtilization(since),
};

/**
 * Where `signatureVerification: 'auto'` checks each signature. On the event loop while it has
 * time to spare: the lowest latency, and the guard answers without a Promise. In libuv's thread
 * pool once the event loop is saturated (utilisation over `busyAbove` in the last window), so that
 * other requests are served while a signature is checked beside it. It goes back to the event loop
 * as soon as handing off gains nothing: `idleAfter` hand-offs in a row during which no other
 * verification began (one caller awaiting one verification after another, say). Each such
 * return doubles the wait before the next decision (up to 16 windows), so a busy loop that gains
 * nothing from the pool is rarely disturbed; a hand-off that overlaps others resets it. On a
 * one-CPU machine there is no spare core to hand off to: always the event loop.
 */
export class VerificationPlacement {
  private offloading = false;
  private windowStart: number;
  private windowUtilization: EventLoopUtilization;
  /** Verifications begun so far: a hand-off that sees this unchanged when it ends overlapped nothing. */
  private begun = 0;
  private idleHandOffs = 0;
  /** The current wait between decisions: `windowMs`, doubled after each fruitless hand-off spell. */
  private currentWindowMs: number;

  constructor(
    private readonly signals: PlacementSignals = NODE_SIGNALS,
    private readonly windowMs = 100,
    private readonly busyAbove = 0.7,
    private readonly idleAfter = 4,
    // The machine's CPUs, not the event loop thread's affinity (availableParallelism): the pool's
    // threads may run on any of them even when the event loop is pinned to one.
    private readonly cores = cpus().length,
  ) {
    this.windowStart = signals.now();
    this.windowUtilization = signals.eventLoopUtilization();
    this.currentWindowMs = windowMs;
  }

  /**
   * Called as a verification begins: `undefined` to verify inline, or a ticket for `handedOffEnded`
   * to verify in the thread pool.
   */
  begin(): number | undefined {
    const ticket = ++this.begun;
    if (this.offloading) return ticket;
    if (this.cores < 2) return undefined;
    const now = this.signals.now();
    if (now - this.windowStart < this.currentWindowMs) return undefined;
    const busy = this.signals.eventLoopUtilization(this.windowUtilization).utilization > this.busyAbove;
    this.newWindow(now);
    if (!busy) return undefined;
    this.offloading = true;
    this.idleHandOffs = 0;
    return ticket;
  }

  /** A hand-off (`begin`'s ticket) has ended: did any other verification begin meanwhile? */
  handedOffEnded(ticket: number): void {
    if (this.begun !== ticket) {
      this.idleHandOffs = 0;
      this.currentWindowMs = this.windowMs;
      return;
    }
    if (++this.idleHandOffs >= this.idleAfter && this.offloading) {
      this.offloading = false;
      this.currentWindowMs = Math.min(this.currentWindowMs * 2, this.windowMs * MAX_BACKOFF);
      this.newWindow(this.signals.now());
    }
  }

  /** True while verifications are handed to the thread pool. */
  get handingOff(): boolean {
    return this.offloading;
  }

  private newWindow(now: number): void {
    this.windowStart = now;
    this.windowUtilization = this.signals.eventLoopUtilization();
  }
}
