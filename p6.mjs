import '/work/main/dist/worker/engine/tfjs-setup.js';
import { activateBackend } from '/work/main/dist/worker/engine/backends/index.js';
import { measureThroughput } from '/work/main/dist/worker/engine/throughput.js';
await activateBackend(process.argv[2] ?? 'tensorflow');
for (let i=0;i<3;i++) console.log((await measureThroughput({seconds: 3, warmupSteps: 5})).samplesPerSecond.toFixed(0));
