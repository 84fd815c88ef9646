import type { EventLoopUtilization } from 'node:perf_hooks';
import { VerificationPlacement, type PlacementSignals } from './verification-placement.js';

/** A clock and an event loop utilisation the test sets by hand. */
function signals(): PlacementSignals & { advance(ms: number, utilization: number): void } {
  let now = 0;
  let active = 0;
  return {
    now: () => now,
    eventLoopUtilization: (since?: EventLoopUtilization): EventLoopUtilization => {
      const total = { idle: now - active, active, utilization: now === 0 ? 0 : active / now };
      if (!since) return total;
      const idle = total.idle - since.idle;
      const busy = total.active - since.active;
      return { idle, active: busy, utilization: idle + busy === 0 ? 0 : busy / (idle + busy) };
    },
    advance(ms, utilization) {
      now += ms;
      active += ms * utilization;
    },
  };
}

describe('VerificationPlacement (signatureVerification: auto)', () => {
  it('keeps verifying on the event loop while it has time to spare', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 2);
    for (let i = 0; i < 50; i++) {
      clock.advance(30, 0.5);
      expect(placement.begin()).toBeUndefined();
    }
    expect(placement.handingOff).toBe(false);
  });

  it('decides once per window, not before the window has passed', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 2);
    clock.advance(99, 1);
    expect(placement.begin()).toBeUndefined();
    clock.advance(1, 1);
    expect(placement.begin()).toBeGreaterThan(0);
    expect(placement.handingOff).toBe(true);
  });

  it('hands off while the event loop is saturated and other verifications begin meanwhile', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 2);
    clock.advance(100, 0.95);
    const tickets: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ticket = placement.begin();
      expect(ticket).toBeDefined();
      tickets.push(ticket as number);
      // Each hand-off ends after the next verification has begun: they overlap.
      if (i > 0) placement.handedOffEnded(tickets[i - 1] as number);
    }
    expect(placement.handingOff).toBe(true);
  });

  it('goes back to the event loop after hand-offs that overlapped nothing, and waits a window before deciding again', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 2);
    clock.advance(100, 1);
    for (let i = 0; i < 4; i++) {
      const ticket = placement.begin();
      expect(ticket).toBeDefined();
      placement.handedOffEnded(ticket as number); // nothing else began meanwhile
    }
    expect(placement.handingOff).toBe(false);
    clock.advance(50, 1);
    expect(placement.begin()).toBeUndefined();
  });

  it('counts idle hand-offs in a row only: one overlapped hand-off starts the count again', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 2);
    clock.advance(100, 1);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) placement.handedOffEnded(placement.begin() as number);
      const first = placement.begin() as number;
      placement.begin(); // another verification begins while the first is in the pool
      placement.handedOffEnded(first);
    }
    expect(placement.handingOff).toBe(true);
  });

  it('never hands off with one core', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 1);
    for (let i = 0; i < 10; i++) {
      clock.advance(100, 1);
      expect(placement.begin()).toBeUndefined();
    }
  });

  it('waits twice as long before deciding again after each fruitless spell, up to 16 windows, and resets once a hand-off helps', () => {
    const clock = signals();
    const placement = new VerificationPlacement(clock, 100, 0.7, 4, 2);
    const fruitlessSpell = (): void => {
      let handOffs = 0;
      while (placement.handingOff) {
        placement.handedOffEnded(placement.begin() as number);
        handOffs++;
      }
      expect(handOffs).toBeLessThanOrEqual(4);
    };
    /** How long the loop, busy all along, stays on the event loop before handing off again. */
    const waitBeforeHandOff = (): number => {
      let waited = 0;
      while (placement.begin() === undefined) {
        clock.advance(10, 1);
        waited += 10;
      }
      return waited;
    };
    clock.advance(100, 1);
    placement.handedOffEnded(placement.begin() as number);
    fruitlessSpell();
    const waits: number[] = [];
    for (let spell = 0; spell < 6; spell++) {
      waits.push(waitBeforeHandOff());
      fruitlessSpell();
    }
    expect(waits).toEqual([200, 400, 800, 1600, 1600, 1600]);
    // A hand-off that overlaps another brings the wait back to one window (doubled once by the
    // fruitless spell that ends this round): 200 ms, no longer 1600.
    waitBeforeHandOff();
    const first = placement.begin() as number;
    placement.begin();
    placement.handedOffEnded(first);
    fruitlessSpell();
    expect(waitBeforeHandOff()).toBe(200);
  });
});
