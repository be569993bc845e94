import cliProgress from 'cli-progress';
import { formatMetric, metricTitle } from '../../../shared/metrics.js';
import type { BatchProgress, EpochSummary, StepRecord, TrainingListener } from './listener.js';

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
    `${Object.entries(s.metrics).map(([name, v]) => `test ${metricTitle(name)} ${formatMetric(v)}`).join(', ')}, ` +
    (s.validation ? `validation loss ${s.validation.loss.toFixed(4)}, ${Object.entries(s.validation.metrics).map(([name, v]) => `validation ${metricTitle(name)} ${formatMetric(v)}`).join(', ')}, ` : '') +
    `${s.epochTime.toFixed(1)} s, ` +
    `${Math.round(s.samplesPerSecond)} samples/s, RAM ${Math.round(s.ramMb)} MB` +
    (s.vramMb > 0 ? `, VRAM ${Math.round(s.vramMb)} MB` : '')
  );
}

/**
 * The compact live part of the progress display: the optimizer's effective lr and momentum, and
 * for EnhancedSGD's controller its ε, mix_prob and last action.
 */
export function liveOptimizerText(record: StepRecord | undefined): string {
  if (!record) return '';
  const parts: string[] = [];
  const num = (key: string, digits: number) => (typeof record[key] === 'number' ? (record[key] as number).toPrecision(digits) : undefined);
  const lr = num('lr', 3);
  if (lr) parts.push(`lr ${lr}`);
  const momentum = num('momentum', 3);
  if (momentum) parts.push(`mom ${momentum}`);
  parts.push(`var ${record.grad_var.toExponential(1)}`, `H ${record.entropy.toFixed(2)}`);
  const epsilon = num('epsilon', 2);
  if (epsilon) parts.push(`ε ${epsilon}`);
  const mix = num('mix_prob', 2);
  if (mix) parts.push(`mix ${mix}`);
  if (typeof record.action === 'string' && record.action) parts.push(`act ${record.action}`);
  return parts.join(' ');
}

function barListener(stream: NodeJS.WriteStream): TrainingListener {
  let bar: cliProgress.SingleBar | undefined;
  let last: StepRecord | undefined;
  return {
    onMessage: (m) => stream.write(`${m}\n`),
    onStep: (record) => {
      last = record;
    },
    onEpochStart(epoch, epochs, batches) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `epoch ${epoch + 1}/${epochs} {bar} {value}/{total} | {rate} samples/s | loss {loss} | ETA {eta_formatted} | {live}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(batches, 0, { rate: '-', loss: '-', live: '' });
    },
    onBatch(p: BatchProgress) {
      bar?.update(p.batch, {
        rate: Math.round(p.samplesPerSecond),
        loss: Number.isNaN(p.runningLoss) ? '-' : p.runningLoss.toFixed(4),
        live: liveOptimizerText(last),
      });
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
  let last: StepRecord | undefined;
  return {
    onMessage: (m) => stream.write(`${m}\n`),
    onStep: (record) => {
      last = record;
    },
    onEpochStart(_epoch, _epochs, batches) {
      nextReport = Math.max(1, Math.floor(batches / 10));
    },
    onBatch(p) {
      if (p.batch < nextReport && p.batch !== p.batches) return;
      nextReport = p.batch + Math.max(1, Math.floor(p.batches / 10));
      stream.write(
        `epoch ${p.epoch + 1}/${p.epochs} batch ${p.batch}/${p.batches} ` +
          `${Math.round(p.samplesPerSecond)} samples/s loss ${p.runningLoss.toFixed(4)} ${liveOptimizerText(last)}\n`,
      );
    },
    onEpochEnd: (s) => stream.write(`${epochLine(s)}\n`),
  };
}
