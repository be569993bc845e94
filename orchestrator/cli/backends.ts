import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { backends, safeProbe } from '../../worker/engine/backends/index.js';
import { measureThroughput } from '../../worker/engine/throughput.js';
import { positiveNumber } from './options.js';

interface BackendRow {
  backend: string;
  available: boolean;
  device?: string;
  gpu?: boolean;
  samples_per_s?: number;
  reason?: string;
}

/** `grn backends`: what can run here, each with a short SimpleCNN training-throughput probe. */
export function backendsCommand(): Command {
  return new Command('backends')
    .description('list the compute backends available here, with a short training-throughput probe each')
    .option('--seconds <s>', 'probe length per backend', positiveNumber, 2)
    .option('--no-probe', 'only check availability')
    .option('--json', 'print JSON')
    .action(async (flags: { seconds: number; probe: boolean; json?: boolean }) => {
      const rows: BackendRow[] = [];
      for (const backend of backends) {
        const availability = await safeProbe(backend);
        if (!availability.ok) {
          rows.push({ backend: backend.name, available: false, reason: availability.reason });
          continue;
        }
        try {
          const report = await backend.activate();
          const row: BackendRow = { backend: backend.name, available: true, device: report.device, gpu: report.gpu };
          if (flags.probe) {
            // The pure-JS backend takes seconds per SimpleCNN step: probe it on a small batch.
            const batchSize = backend.name === 'cpu' ? 8 : 64;
            const t = await measureThroughput({ seconds: flags.seconds, batchSize, warmupSteps: backend.name === 'cpu' ? 0 : 1, minSteps: 1 });
            row.samples_per_s = Math.round(t.samplesPerSecond * 10) / 10;
          }
          rows.push(row);
        } catch (err) {
          rows.push({ backend: backend.name, available: false, reason: (err as Error).message });
        } finally {
          if (tf.findBackend(backend.name)) tf.removeBackend(backend.name);
        }
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ backends: rows }, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const speed = r.samples_per_s !== undefined ? `${r.samples_per_s} samples/s (SimpleCNN, batch ${r.backend === 'cpu' ? 8 : 64})` : '';
        process.stdout.write(
          r.available ? `${r.backend.padEnd(11)} yes  ${r.device}${speed ? `  ${speed}` : ''}\n` : `${r.backend.padEnd(11)} no   ${r.reason}\n`,
        );
      }
    });
}
