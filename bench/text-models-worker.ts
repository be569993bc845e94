/**
 * Child process of `npm run bench -- text-models`: activates one backend, builds one text model
 * and answers `run SECONDS` with one JSON line of training samples/s (the training loop's own
 * step, SGD, loss read every step); `quit` ends it.
 * Usage: node dist/bench/text-models-worker.js BACKEND MODEL BATCH LENGTH VOCAB CLASSES
 */
import { createInterface } from 'node:readline';
import { activateBackend, type BackendName } from '../worker/engine/backends/index.js';
import '../worker/engine/tfjs-setup.js';
import type { TextSample } from '../worker/engine/datasets/data.js';
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
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const measure = (seconds: number, warmupSteps: number) => measureThroughput({ model, sample, batchSize, seconds, warmupSteps, minSteps: 1 });

try {
  const report = await activateBackend(backend);
  // One untimed step compiles kernels and warms allocators.
  await measure(0, 0);
  say({ ready: true, device: report.device, gpu: report.gpu });
} catch (err) {
  say({ unavailable: (err as Error).message });
  process.exit(0);
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.trim().split(/\s+/);
  if (command !== 'run') break;
  const t = await measure(Number(arg), 1);
  say({ samples_per_s: t.samplesPerSecond, steps: t.steps });
}
