/**
 * Child process of `npm run bench -- text-models`: activates one backend, builds one text model
 * and answers `run SECONDS` with one JSON line of training samples/s (the training loop's own
 * step, SGD, loss read every step); `quit` ends it.
 * Usage: node dist/bench/text-models-worker.js BACKEND MODEL BATCH LENGTH VOCAB CLASSES
 */
import type { BackendName } from '../worker/engine/backends/index.js';
import type { TextSample } from '../worker/engine/datasets/data.js';
// serve-backend loads the TF.js setup before the engine's modules, as the workers always did.
import { serveBackend } from './serve-backend.js';
import { measureThroughput } from '../worker/engine/throughput.js';

const [backend, model, batchText, lengthText, vocabText, classesText] = process.argv.slice(2) as [BackendName, string, string, string, string, string];
const batchSize = Number(batchText);
const sample: TextSample = {
  kind: 'tokens',
  maxLength: Number(lengthText),
  vocabSize: Number(vocabText),
  padId: 0,
  classes: Number(classesText),
  tokenizer: { algorithm: 'random ids', source: 'benchmark' },
};
const measure = (seconds: number, warmupSteps: number) => measureThroughput({ model, sample, batchSize, seconds, warmupSteps, minSteps: 1 });

// One untimed step compiles kernels and warms allocators.
await serveBackend(backend, () => measure(0, 0), {
  run: async (seconds) => {
    const t = await measure(seconds, 1);
    return { samples_per_s: t.samplesPerSecond, steps: t.steps };
  },
});
