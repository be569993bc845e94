/**
 * What the training loop reports while it runs. The CLI shows it as a progress bar or plain
 * lines; a sweep worker forwards the same records over NATS. Every method is optional.
 */
export interface BatchProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  readonly batches: number;
  /** Samples per second over the epoch so far. */
  readonly samplesPerSecond: number;
  /** Mean loss of the batches of this epoch read back so far (NaN before the first). */
  readonly runningLoss: number;
}

export interface EpochSummary {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly epochTime: number;
  readonly samplesPerSecond: number;
  readonly vramMb: number;
  readonly ramMb: number;
}

export interface TrainingListener {
  onEpochStart?(epoch: number, epochs: number, batches: number): void;
  onBatch?(progress: BatchProgress): void;
  onEpochEnd?(summary: EpochSummary): void;
  /** Free-form status (data loading, backend choice). */
  onMessage?(message: string): void;
}
