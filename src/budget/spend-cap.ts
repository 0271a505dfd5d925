/**
 * Money in whole pico-dollars (1e-12 USD): sums of integers are exact up to 2^53 (about $9,000), so
 * the cap check has no rounding drift. A price of $0.15 per million tokens is 150,000 per token.
 */
export type Picodollars = number;

export const PICO_PER_USD = 1e12;

export const toPico = (usd: number): Picodollars => Math.round(usd * PICO_PER_USD);
export const toUsd = (pico: Picodollars): number => pico / PICO_PER_USD;

/** One admitted request's claim on the budget, until it is settled. */
export interface Reservation {
  readonly amount: Picodollars;
  settled: boolean;
}

/**
 * The run's spending cap. A request is admitted only if its worst case fits beside everything spent
 * and everything still reserved, so `spent + reserved <= cap` holds after every call, and since a
 * settlement never exceeds its reservation, `spent <= cap` holds for good. JavaScript runs these
 * methods one at a time: there is no window between the check and the reservation.
 */
export class SpendCap {
  private spentPico: Picodollars = 0;
  private reservedPico: Picodollars = 0;
  private waiters: Array<() => void> = [];
  /** Settlements that reported more than was reserved (a server ignoring max_tokens): kept honest. */
  overruns = 0;

  constructor(readonly cap: Picodollars) {}

  get spent(): Picodollars {
    return this.spentPico;
  }

  get reserved(): Picodollars {
    return this.reservedPico;
  }

  /** Undefined when the worst case does not fit now. */
  tryReserve(amount: Picodollars): Reservation | undefined {
    if (this.spentPico + this.reservedPico + amount > this.cap) return undefined;
    this.reservedPico += amount;
    return { amount, settled: false };
  }

  /**
   * Turns a reservation into spend. `actual` above the reservation is clamped to it (the worst case
   * we admitted on) and counted in `overruns`; a second settlement is ignored.
   */
  settle(reservation: Reservation, actual: Picodollars): void {
    if (reservation.settled) return;
    reservation.settled = true;
    if (actual > reservation.amount) this.overruns++;
    this.reservedPico -= reservation.amount;
    this.spentPico += Math.max(0, Math.min(actual, reservation.amount));
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next settlement: a request that did not fit may fit once one reconciles. */
  nextSettlement(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
