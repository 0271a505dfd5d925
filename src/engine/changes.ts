/** Resolves waiters whenever something changes; cheaper and clearer than polling. */
export class Changes {
  private waiters: Array<() => void> = [];
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
