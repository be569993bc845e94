/**
 * Process-wide TensorFlow.js setup, imported (for its side effects) by every module that trains.
 * - tfjs-core's Node bundle registers no gradient functions; its ESM `register_all_gradients`
 *   module cannot be imported by Node (extension-less relative imports). The @tensorflow/tfjs
 *   bundle registers them all in the process-wide gradient registry that every copy of tfjs-core
 *   shares, so importing it once gives training every gradient (about 140 ms at start-up).
 * - Production mode skips per-op debug checks and the "install tfjs-node" console banner, which
 *   would otherwise interleave with progress output.
 */
import * as tf from '@tensorflow/tfjs-core';
// Node and the worker bundle's esbuild both resolve this to the package's CommonJS Node build
// (its `main`; the package has no `exports`), which registers every gradient. A plain import, not
// createRequire(...)(...), so that the bundle sees it and includes it.
import '@tensorflow/tfjs';

tf.enableProdMode();
