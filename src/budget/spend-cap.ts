/**
 * Money in whole pico-dollars (1e-12 USD): sums of integers are exact up to 2^53 (about $9,000), so
 * the cap check has no rounding drift. A price of $0.15 per million tokens is 150,000 per token.
 */
export type Picodollars = number;

export const PICO_PER_USD = 1e12;

export const toPico = (usd: number): Picodollars => Math.round(usd * PICO_PER_USD);
export const toUsd = (pico: Picodollars): number => pico / PICO_PER_USD;

/**
 * Decimals of the USD amounts the summary, --summary-json, the per-model figures and the report give:
 * a ten-thousandth of a microdollar (at whole microdollars a $0.00000129 run read 1e-06, and the line
 * printed from it `$0.0000010`).
 */
export const USD_DIGITS = 10;

/** A USD amount to {@link USD_DIGITS} decimals. */
export const usdFigure = (usd: number): number => Math.round(usd * 10 ** USD_DIGITS) / 10 ** USD_DIGITS;

/** Picodollars (whole numbers, summed exactly) to USD at {@link USD_DIGITS} decimals, rounded in whole numbers. */
export const picoToUsd = (pico: Picodollars): number => Math.round(pico / 10 ** (12 - USD_DIGITS)) / 10 ** USD_DIGITS;

/** One admitted request's claim on the budget, until it is settled. */
export interface Reservation {
  readonly amount: Picodollars;
  settled: boolean;
}

/**
 * The run's spending cap. A request is admitted only if its worst case fits beside everything spent
 * and everything still reserved, so `spent + reserved <= cap` holds while every settlement stays
 * within its reservation. JavaScript runs these methods one at a time: there is no window between the
 * check and the reservation.
 *
 * Usage above a reservation (a server that ignores max_tokens, media no rule bounds) is still charged
 * in full: `spent` is what the answers cost, never a figure clamped to what was expected. It can then
 * pass the cap, and once it has, nothing more is admitted; `overrun` says by how much usage exceeded
 * the reservations.
 */
export class SpendCap {
  private spentPico: Picodollars = 0;
  private reservedPico: Picodollars = 0;
  private overrunPico: Picodollars = 0;
  private waiters: Array<() => void> = [];
  /** Settlements that reported more than was reserved. */
  overruns = 0;

  constructor(readonly cap: Picodollars) {}

  get spent(): Picodollars {
    return this.spentPico;
  }

  get reserved(): Picodollars {
    return this.reservedPico;
  }

  /** What usage cost beyond the reservations it settled, summed over the settlements that overran. */
  get overrun(): Picodollars {
    return this.overrunPico;
  }

  /** Spent more than the cap (usage exceeded its reservations): nothing fits any more. */
  get passed(): boolean {
    return this.spentPico > this.cap;
  }

  /** Undefined when the worst case does not fit now. */
  tryReserve(amount: Picodollars): Reservation | undefined {
    if (this.spentPico + this.reservedPico + amount > this.cap) return undefined;
    this.reservedPico += amount;
    return { amount, settled: false };
  }

  /**
   * Turns a reservation into spend: `actual`, whatever it is (above the reservation too, counted in
   * `overruns` and `overrun`); a second settlement is ignored.
   */
  settle(reservation: Reservation, actual: Picodollars): void {
    if (reservation.settled) return;
    reservation.settled = true;
    const charged = Math.max(0, actual);
    if (charged > reservation.amount) {
      this.overruns++;
      this.overrunPico += charged - reservation.amount;
    }
    this.reservedPico -= reservation.amount;
    this.spentPico += charged;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next settlement: a request that did not fit may fit once one reconciles. */
  nextSettlement(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
