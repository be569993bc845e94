import cliProgress from 'cli-progress';
import type { BatchProgress, EpochSummary, TrainingListener } from './listener.js';

/**
 * Shows training on the terminal: a progress bar (batches, samples/s, running loss, ETA) when the
 * stream is a TTY, otherwise plain lines (about ten per epoch) that read well in CI logs and files.
 */
export function consoleListener(stream: NodeJS.WriteStream = process.stderr): TrainingListener {
  return stream.isTTY ? barListener(stream) : lineListener(stream);
}

function epochLine(s: EpochSummary): string {
  return (
    `epoch ${s.epoch + 1}/${s.epochs}: train loss ${s.trainLoss.toFixed(4)}, test loss ${s.testLoss.toFixed(4)}, ` +
    `test accuracy ${(s.testAccuracy * 100).toFixed(2)}%, ${s.epochTime.toFixed(1)} s, ` +
    `${Math.round(s.samplesPerSecond)} samples/s, RAM ${Math.round(s.ramMb)} MB` +
    (s.vramMb > 0 ? `, VRAM ${Math.round(s.vramMb)} MB` : '')
  );
}

function barListener(stream: NodeJS.WriteStream): TrainingListener {
  let bar: cliProgress.SingleBar | undefined;
  return {
    onMessage: (m) => stream.write(`${m}\n`),
    onEpochStart(epoch, epochs, batches) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `epoch ${epoch + 1}/${epochs} {bar} {value}/{total} batches | {rate} samples/s | loss {loss} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batches, 0, { rate: '-', loss: '-' });
    },
    onBatch(p: BatchProgress) {
      bar?.update(p.batch, { rate: Math.round(p.samplesPerSecond), loss: Number.isNaN(p.runningLoss) ? '-' : p.runningLoss.toFixed(4) });
    },
    onEpochEnd(s) {
      bar?.stop();
      bar = undefined;
      stream.write(`${epochLine(s)}\n`);
    },
  };
}

function lineListener(stream: NodeJS.WriteStream): TrainingListener {
  let nextReport = 0;
  return {
    onMessage: (m) => stream.write(`${m}\n`),
    onEpochStart(_epoch, _epochs, batches) {
      nextReport = Math.max(1, Math.floor(batches / 10));
    },
    onBatch(p) {
      if (p.batch < nextReport && p.batch !== p.batches) return;
      nextReport = p.batch + Math.max(1, Math.floor(p.batches / 10));
      stream.write(
        `epoch ${p.epoch + 1}/${p.epochs} batch ${p.batch}/${p.batches} ` +
          `${Math.round(p.samplesPerSecond)} samples/s loss ${p.runningLoss.toFixed(4)}\n`,
      );
    },
    onEpochEnd: (s) => stream.write(`${epochLine(s)}\n`),
  };
}
