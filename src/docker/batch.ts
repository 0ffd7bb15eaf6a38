/**
 * Many callers, one operation: calls that arrive close together (Pulumi sends
 * a lab's link creates in one burst) are run as one batch. A batch starts once
 * no call came for `quietMs`, or `maxWaitMs` after its first call.
 */
export class Coalescer<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private quiet?: NodeJS.Timeout;
  private cap?: NodeJS.Timeout;

  constructor(
    private readonly runBatch: (items: T[]) => Promise<R[]>,
    private readonly quietMs = 80,
    private readonly maxWaitMs = 800,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      clearTimeout(this.quiet);
      this.quiet = setTimeout(() => this.flush(), this.quietMs);
      this.cap ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.quiet);
    clearTimeout(this.cap);
    this.cap = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.runBatch(batch.map((p) => p.item)).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i] as R)),
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    );
  }
}
