/**
 * A fixed-size ring of the last N numbers of one telemetry series (loss, lr, …): what a sparkline
 * draws. Fixed size so a trial that runs for hours costs the same memory as one that just began.
 */
export class Series {
  private readonly buffer: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.buffer = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.count < this.capacity) {
      this.buffer[(this.start + this.count) % this.capacity] = value;
      this.count++;
    } else {
      this.buffer[this.start] = value;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get length(): number {
    return this.count;
  }

  /** The newest value, or null when empty. */
  last(): number | null {
    return this.count === 0 ? null : this.buffer[(this.start + this.count - 1) % this.capacity]!;
  }

  /** Oldest first. */
  values(): number[] {
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.buffer[(this.start + i) % this.capacity]!;
    return out;
  }
}
