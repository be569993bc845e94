import { Command } from 'commander';
import { positiveNumber } from './options.js';

/** `grn backends`: what can run here, each with a short SimpleCNN training-throughput probe. */
export function backendsCommand(): Command {
  return new Command('backends')
    .description('list the compute backends available here, with a short training-throughput probe each')
    .option('--seconds <s>', 'probe length per backend', positiveNumber, 2)
    .option('--no-probe', 'only check availability')
    .option('--json', 'print JSON')
    .action(async (flags: { seconds: number; probe: boolean; json?: boolean }) => {
      // The engine (and TensorFlow.js with it) loads only when the command runs.
      const { surveyBackends } = await import('../../worker/engine/backends/survey.js');
      const rows = await surveyBackends(flags);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ backends: rows.map(({ batch_size: _, ...r }) => r) }, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const speed = r.samples_per_s !== undefined ? `${r.samples_per_s} samples/s (SimpleCNN, batch ${r.batch_size})` : '';
        // GPU: whether the backend really runs on a GPU (tensorflow: the CUDA build found one).
        const what = `${r.device}, GPU: ${r.gpu === true}${r.build ? `, ${r.build}` : ''}`;
        process.stdout.write(
          r.available ? `${r.backend.padEnd(11)} yes  ${what}${speed ? `  ${speed}` : ''}\n` : `${r.backend.padEnd(11)} no   ${r.reason}\n`,
        );
      }
    });
}
