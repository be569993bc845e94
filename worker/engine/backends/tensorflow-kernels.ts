/**
 * Faster kernels for the `tensorflow` backend on a CPU, where tfjs-node's defaults leave
 * TensorFlow's own fast ops unused. Found by profiling the SimpleCNN step kernel by kernel
 * (docs/benchmarks.md, "The CPU engine past PyTorch"); each is one entry of OVERRIDES:
 *
 * - `relu-grad`: tfjs computes ReLU's gradient as `dy · cast(step(x))`, and tfjs-node builds `step`
 *   from six ops (isNaN, greater, ones, fill, where, select): 22 ms of a 61 ms step at batch 64.
 *   TensorFlow's `ReluGrad` does it in one pass (1.9 ms). Values are the same (dy where x > 0,
 *   else 0), except that `dy · 0` gave −0 for a negative dy where ReluGrad gives +0, and a NaN x
 *   gives 0 instead of NaN (a NaN activation already made the loss NaN, which divergence reads).
 * - `max-pool-grad`: TensorFlow's `MaxPoolGrad` is a generic Eigen kernel (16 ms for 64×28×28×32);
 *   oneDNN's pooling backward with the forward pass's workspace takes 0.6 ms, and recomputing that
 *   forward pass for its workspace 0.8 ms. Both route each window's gradient to its first maximum:
 *   bit-identical for windows that do not overlap.
 * - `max-pool`: the forward pass through the same oneDNN kernel (its workspace dropped): 0.8 ms
 *   against Eigen's 1.5 ms for 64×28×28×32, the same values.
 * - `max-pool-workspace`: with both of the above, the forward pass keeps its workspace while a
 *   gradient tape records, and the backward pass takes it instead of recomputing the forward pass
 *   (PoolWorkspaces): the same values, without the recomputed forward pass (0.8 ms for
 *   64×28×28×32 alone; within a whole step, below the engine benchmark's noise so far).
 * - `bias-grad`: a bias's gradient is a sum of dy over every axis but the channels, which tfjs-node
 *   runs as Sum with an axis tensor uploaded per call; TensorFlow's BiasAddGrad does that
 *   reduction for NHWC in 0.5 ms against 1.3 ms (64×28×28×32). The same sum in another order:
 *   equal to float32 rounding.
 *
 * - `gradient-statistics`: the statistics every training step computes over the concatenated
 *   gradients (telemetry/gradient-stats.ts) as raw TensorFlow ops in one kernel: Min, Max, Sum and
 *   L2Loss (one pass for the sum of squares, no squared copy) on the device, the four read to the
 *   host, then the bins from the same float32 arithmetic and Bincount, which ignores the maximum's
 *   bin 100 (the host puts what is missing into the last bin instead of a ClipByValue pass). The
 *   host read lets a non-finite step skip the histogram. 2.0–2.1 ms against 3.3–4.7 ms for
 *   SimpleCNN's 421k gradient values; the same bins, moments equal to float32 rounding.
 * - `centering`, `noise-windows`: EnhancedSGD's per-tensor centering (Mean, Sub) and noise windows
 *   (Slice, Reshape) for all of a step's tensors in one kernel call each (optimizers/batched.ts):
 *   the same TensorFlow ops as tfjs-node's kernels, without tfjs's bookkeeping and axis uploads per
 *   call; the same values.
 *
 * Registered once, when the backend is activated on a CPU: oneDNN's kernels are CPU kernels, and a
 * CUDA build keeps tfjs-node's kernels. Other backends keep tfjs's kernels and gradients.
 * GRN_TF_KERNELS (the names above separated by `,` or `+`, or `none`; default all) picks which, so a
 * benchmark can measure each against tfjs-node's own in one run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CENTERED, WINDOWS } from '../optimizers/batched.js';
import { listInputs } from './list-kernel.js';
import { GRADIENT_STATISTICS, HISTOGRAM_BINS, binScale, deviceStatisticsFromMoments } from '../telemetry/gradient-stats.js';

/** The part of tfjs-node's NodeJSKernelBackend these kernels use. */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], outputs: number): tf.Tensor[];
}
interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The kernel this module adds: ReLU's gradient in one op (inputs dy and x). */
export const RELU_GRAD = 'GrnReluGrad';

interface Override {
  /** Whether this TensorFlow build can run it (oneDNN's kernels may be compiled out). */
  readonly usable?: (node: NodeBackend) => boolean;
  readonly register: () => void;
}

/** Replaces tfjs-node's kernel `name` with `run`, which may hand an input it does not take back to it. */
function replaceKernel(name: string, run: (args: Parameters<tf.KernelFunc>[0], fallback: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]): void {
  const original = tf.getKernel(name, 'tensorflow');
  if (!original) throw new Error(`tfjs-node has no '${name}' kernel to replace`);
  tf.unregisterKernel(name, 'tensorflow');
  tf.registerKernel({ kernelName: name, backendName: 'tensorflow', kernelFunc: (args) => run(args, original.kernelFunc) });
}

/** The pooling geometry of a max-pool kernel's attributes, or null where oneDNN's kernel does not apply. */
function oneDnnPool(node: NodeBackend, x: tf.TensorInfo, attrs: tf.MaxPoolAttrs): OpAttr[] | null {
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const padding = info.padInfo.type;
  if (x.dtype !== 'float32' || (padding !== 'VALID' && padding !== 'SAME')) return null;
  return poolAttrs(node, [1, info.filterHeight, info.filterWidth, 1], [1, info.strideHeight, info.strideWidth, 1], padding);
}

/**
 * Max-pool forward workspaces (where each window's maximum was), kept from a recorded forward pass
 * for its backward pass: oneDNN's backward kernel needs one, and recomputing it costs a forward
 * pass (0.8 ms of a SimpleCNN step at batch 64). MaxPoolGrad receives the forward output as its
 * `output` input, so the output's dataId is the key. A workspace the backward pass does not take
 * (a pool it does not reach) is released when a later tape records a pool, or past LIMIT.
 */
class PoolWorkspaces {
  private static readonly LIMIT = 16;
  private readonly kept = new Map<tf.DataId, { workspace: tf.Tensor; tape: unknown }>();

  keep(output: tf.TensorInfo, workspace: tf.Tensor, tape: unknown): void {
    for (const [id, entry] of this.kept) {
      // An earlier gradient computation's: its backward pass has run, or never will.
      if (entry.tape !== tape) this.drop(id);
    }
    this.kept.set(output.dataId, { workspace: tf.keep(workspace), tape });
    if (this.kept.size > PoolWorkspaces.LIMIT) this.drop(this.kept.keys().next().value!);
  }

  /** The workspace of the pool that produced `output`, now the caller's to dispose. */
  take(output: tf.TensorInfo): tf.Tensor | undefined {
    const entry = this.kept.get(output.dataId);
    this.kept.delete(output.dataId);
    return entry?.workspace;
  }

  /** Workspaces held now (tests). */
  get size(): number {
    return this.kept.size;
  }

  private drop(id: tf.DataId): void {
    this.kept.get(id)?.workspace.dispose();
    this.kept.delete(id);
  }
}

export const poolWorkspaces = new PoolWorkspaces();

export const OVERRIDES = {
  'relu-grad': {
    register() {
      tf.registerKernel({
        kernelName: RELU_GRAD,
        backendName: 'tensorflow',
        kernelFunc: ({ inputs, backend }) => {
          const node = backend as unknown as NodeBackend;
          const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
          return node.executeSingleOutput('ReluGrad', [floatType(node)], [dy, x]);
        },
      });
      // Every backend sees this gradient; only one that has RELU_GRAD takes the one-op path.
      tf.registerGradient({
        kernelName: tf.Relu,
        inputsToSave: ['x'],
        gradFunc: (dy, saved) => {
          const [x] = saved as [tf.Tensor];
          const grad = dy as tf.Tensor;
          if (tf.getKernel(RELU_GRAD, tf.getBackend()) && x.dtype === 'float32') {
            return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: grad, x }) as tf.Tensor };
          }
          return { x: () => tf.mul(grad, tf.cast(tf.step(x), 'float32')) };
        },
      });
    },
  },
  'max-pool-grad': {
    usable: oneDnnPoolingWorks,
    register() {
      replaceKernel(tf.MaxPoolGrad, (args, fallback) => {
        const node = args.backend as unknown as NodeBackend;
        const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
        const attrs = oneDnnPool(node, input, args.attrs as unknown as tf.MaxPoolAttrs);
        if (!attrs) return fallback(args);
        const kept = poolWorkspaces.take(args.inputs['output']!);
        if (kept) {
          try {
            return node.executeSingleOutput('_MklNativeMaxPoolGrad', attrs, [input, args.inputs['output']!, dy, kept]);
          } finally {
            kept.dispose();
          }
        }
        const [output, workspace] = node.executeMultipleOutputs('_MklNativeMaxPool', attrs, [input], 2) as [tf.Tensor, tf.Tensor];
        try {
          return node.executeSingleOutput('_MklNativeMaxPoolGrad', attrs, [input, output, dy, workspace]);
        } finally {
          output.dispose();
          workspace.dispose();
        }
      });
    },
  },
  'max-pool': {
    usable: oneDnnPoolingWorks,
    register() {
      replaceKernel(tf.MaxPool, (args, fallback) => {
        const node = args.backend as unknown as NodeBackend;
        const { x } = args.inputs as { x: tf.TensorInfo };
        const attrs = oneDnnPool(node, x, args.attrs as unknown as tf.MaxPoolAttrs);
        if (!attrs) return fallback(args);
        const [output, workspace] = node.executeMultipleOutputs('_MklNativeMaxPool', attrs, [x], 2) as [tf.Tensor, tf.Tensor];
        // Kept only for a backward pass through this backend's oneDNN gradient, and only while a
        // tape records (evaluation passes have no backward pass).
        const tape = (tf.engine().state as { activeTape: unknown }).activeTape;
        if (tape && registered?.includes('max-pool-workspace') && registered.includes('max-pool-grad')) poolWorkspaces.keep(output, workspace, tape);
        else workspace.dispose();
        return output;
      });
    },
  },
  'max-pool-workspace': {
    usable: oneDnnPoolingWorks,
    // The max-pool overrides read whether it is registered.
    register() {},
  },
  'bias-grad': {
    register() {
      replaceKernel(tf.Sum, (args, fallback) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
        const axes = tf.util.parseAxisParam(axis, x.shape);
        // Every axis but the last of an NHWC tensor: what a bias's gradient is.
        const overAllButChannels = x.shape.length === 4 && axes.length === 3 && [0, 1, 2].every((a) => axes.includes(a));
        if (x.dtype !== 'float32' || keepDims || !overAllButChannels) return fallback(args);
        const node = args.backend as unknown as NodeBackend;
        return node.executeSingleOutput('BiasAddGrad', [floatType(node), { name: 'data_format', type: node.binding.TF_ATTR_STRING, value: 'NHWC' }], [x]);
      });
    },
  },
  'gradient-statistics': {
    register() {
      // Constant operands, uploaded once rather than per call (kept for the process's life).
      const constants = {
        flat: tf.keep(tf.tensor1d([-1], 'int32')),
        axis: tf.keep(tf.scalar(0, 'int32')),
        bins: tf.keep(tf.scalar(HISTOGRAM_BINS, 'int32')),
        unweighted: tf.keep(tf.tensor1d([], 'float32')),
      };
      tf.registerKernel({
        kernelName: GRADIENT_STATISTICS,
        backendName: 'tensorflow',
        kernelFunc: ({ inputs, backend }) => gradientStatisticsKernel(backend as unknown as NodeBackend, listInputs(inputs), constants),
      });
    },
  },
  centering: {
    register() {
      // Mean's axis operand for each rank (every axis), uploaded once rather than per call.
      const axes = Array.from({ length: 7 }, (_, rank) => tf.keep(tf.tensor1d(Array.from({ length: rank }, (_, a) => a), 'int32')));
      tf.registerKernel({
        kernelName: CENTERED,
        backendName: 'tensorflow',
        kernelFunc: ({ inputs, backend }) => {
          const node = backend as unknown as NodeBackend;
          const reduce = reduceAttrs(node);
          return listInputs(inputs).map((t) => {
            const own = axes[t.shape.length] ? undefined : tf.tensor1d(t.shape.map((_, a) => a), 'int32');
            const mean = node.executeSingleOutput('Mean', reduce, [t, own ?? axes[t.shape.length]!]);
            try {
              return node.executeSingleOutput('Sub', [floatType(node)], [t, mean]);
            } finally {
              tf.dispose([mean, own]);
            }
          });
        },
      });
    },
  },
  'noise-windows': {
    register() {
      tf.registerKernel({
        kernelName: WINDOWS,
        backendName: 'tensorflow',
        kernelFunc: ({ inputs, backend, attrs }) => {
          const node = backend as unknown as NodeBackend;
          const { pool } = inputs as { pool: tf.TensorInfo };
          const { offsets, shapes } = attrs as unknown as { offsets: number[]; shapes: number[][] };
          const T = floatType(node);
          const int32 = (name: string) => int32Type(node, name);
          const size = pool.shape[0]!;
          return shapes.map((shape, i) => {
            const raw = rawOps(node);
            const slice = (begin: number, n: number) => raw.op('Slice', [T, int32('Index')], [pool, raw.ints([begin]), raw.ints([n])]);
            try {
              const n = shape.reduce((a, b) => a * b, 1);
              const head = Math.min(n, size - offsets[i]!);
              let flat = slice(offsets[i]!, head);
              if (head < n) flat = raw.op('ConcatV2', [T, int32('Tidx'), { name: 'N', type: node.binding.TF_ATTR_INT, value: 2 }], [flat, slice(0, n - head), raw.ints(0)]);
              return raw.keep(shape.length === 1 ? flat : raw.op('Reshape', [T, int32('Tshape')], [flat, raw.ints(shape)]));
            } finally {
              raw.dispose();
            }
          });
        },
      });
    },
  },
} as const satisfies Record<string, Override>;

/** Attributes of a float32 reduction over an int32 axis operand, dropping the reduced axes. */
function reduceAttrs(node: NodeBackend): OpAttr[] {
  return [floatType(node), int32Type(node, 'Tidx'), { name: 'keep_dims', type: node.binding.TF_ATTR_BOOL, value: false }];
}

/** The DEVICE_STAT vector of `grads` (telemetry/gradient-stats.ts) from raw TensorFlow ops. */
function gradientStatisticsKernel(
  node: NodeBackend,
  grads: tf.TensorInfo[],
  constants: { flat: tf.Tensor; axis: tf.Tensor; bins: tf.Tensor; unweighted: tf.Tensor },
): tf.Tensor {
  const b = node.binding;
  const T = floatType(node);
  const int32 = (name: string) => int32Type(node, name);
  const reduce = reduceAttrs(node);
  const { op, track, dispose } = rawOps(node);
  try {
    const flats = grads.map((g) => op('Reshape', [T, int32('Tshape')], [g, constants.flat]));
    const g = flats.length === 1 ? flats[0]! : op('ConcatV2', [T, int32('Tidx'), { name: 'N', type: b.TF_ATTR_INT, value: flats.length }], [...flats, constants.axis]);
    const min = op('Min', reduce, [g, constants.axis]);
    const moments = op('Pack', [T, { name: 'N', type: b.TF_ATTR_INT, value: 4 }, { name: 'axis', type: b.TF_ATTR_INT, value: 0 }], [
      min,
      op('Max', reduce, [g, constants.axis]),
      op('Sum', reduce, [g, constants.axis]),
      op('L2Loss', [T], [g]),
    ]);
    const [lo, hi, sum, halfSumSq] = moments.dataSync() as Float32Array;
    const m = { n: g.size, min: lo!, max: hi!, sum: sum!, sumSq: 2 * halfSumSq! };
    // NaN or ±Inf in G (a diverging step): no histogram. NaN would cast to a negative bin, which
    // Bincount rejects; a finite min and max and a sum that is not NaN rule both out.
    if (!(Number.isFinite(m.min) && Number.isFinite(m.max) && !Number.isNaN(m.sum))) return tf.tensor1d(deviceStatisticsFromMoments(m, null));
    const scale = track(tf.scalar(binScale(m.min, m.max)));
    const bins = op('Cast', [{ name: 'SrcT', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }, { name: 'DstT', type: b.TF_ATTR_TYPE, value: b.TF_INT32 }, { name: 'Truncate', type: b.TF_ATTR_BOOL, value: false }], [
      op('Mul', [T], [op('Sub', [T], [g, min]), scale]),
    ]);
    const counts = Float64Array.from(op('Bincount', [T], [bins, constants.bins, constants.unweighted]).dataSync() as Float32Array);
    counts[HISTOGRAM_BINS - 1]! += m.n - counts.reduce((a, c) => a + c, 0);
    return tf.tensor1d(deviceStatisticsFromMoments(m, counts));
  } finally {
    dispose();
  }
}

/**
 * Raw TensorFlow ops whose results are disposed together by `dispose`, except the one handed to
 * `keep` (a kernel's output).
 */
function rawOps(node: NodeBackend) {
  const made: tf.Tensor[] = [];
  const track = <T extends tf.Tensor>(t: T): T => {
    made.push(t);
    return t;
  };
  return {
    track,
    op: (name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]) => track(node.executeSingleOutput(name, attrs, inputs)),
    /** An int32 operand: a scalar, or a vector of `values`. */
    ints: (values: number[] | number) => track(typeof values === 'number' ? tf.scalar(values, 'int32') : tf.tensor1d(values, 'int32')),
    keep: (t: tf.Tensor): tf.Tensor => {
      made.splice(made.indexOf(t), 1);
      return t;
    },
    dispose: () => tf.dispose(made),
  };
}

export type OverrideName = keyof typeof OVERRIDES;

/** The overrides GRN_TF_KERNELS asks for (all by default; `none` for tfjs-node's own kernels). */
export function wantedOverrides(env: string | undefined = process.env.GRN_TF_KERNELS): OverrideName[] {
  const all = Object.keys(OVERRIDES) as OverrideName[];
  if (env === undefined || env.trim() === '' || env.trim() === 'all') return all;
  if (env.trim() === 'none') return [];
  // `+` as well as `,`: a benchmark's comma list of settings can then hold a set of several.
  const names = env.split(/[,+]/).map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(n in OVERRIDES));
  if (unknown.length) throw new Error(`GRN_TF_KERNELS: unknown kernel override${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; known: ${all.join(', ')}, or all / none`);
  return all.filter((n) => names.includes(n));
}

let registered: OverrideName[] | null = null;

/** Registers the overrides GRN_TF_KERNELS asks for, once; returns those in effect. */
export function registerTensorflowKernels(): OverrideName[] {
  if (registered) return registered;
  const node = tf.backend() as unknown as NodeBackend;
  const entries: Array<[OverrideName, Override]> = wantedOverrides().map((name) => [name, OVERRIDES[name]]);
  registered = entries.filter(([, o]) => o.usable?.(node) ?? true).map(([name]) => name);
  for (const name of registered) OVERRIDES[name].register();
  return registered;
}

/** Whether this TensorFlow build runs oneDNN's pooling ops (it throws when they are not compiled in). */
function oneDnnPoolingWorks(node: NodeBackend): boolean {
  return tf.tidy(() => {
    try {
      const attrs = poolAttrs(node, [1, 2, 2, 1], [1, 2, 2, 1], 'VALID');
      const x = tf.tensor4d([1, 4, 3, 2], [1, 2, 2, 1]);
      const [y, workspace] = node.executeMultipleOutputs('_MklNativeMaxPool', attrs, [x], 2) as [tf.Tensor, tf.Tensor];
      const dx = node.executeSingleOutput('_MklNativeMaxPoolGrad', attrs, [x, y, tf.onesLike(y), workspace]);
      return dx.dataSync().join() === '0,1,0,0';
    } catch {
      return false;
    }
  });
}

/** Attributes of oneDNN's max-pool forward and backward ops. */
function poolAttrs(node: NodeBackend, ksize: number[], strides: number[], padding: 'VALID' | 'SAME'): OpAttr[] {
  const b = node.binding;
  return [
    floatType(node),
    { name: 'ksize', type: b.TF_ATTR_INT, value: ksize },
    { name: 'strides', type: b.TF_ATTR_INT, value: strides },
    { name: 'padding', type: b.TF_ATTR_STRING, value: padding },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'workspace_enabled', type: b.TF_ATTR_BOOL, value: true },
    // oneDNN's kernels are registered under this label; without it the op has no kernel.
    { name: '_kernel', type: b.TF_ATTR_STRING, value: 'MklNameChangeOp' },
  ];
}

/** A type attribute (`name`) set to int32. */
function int32Type(node: NodeBackend, name: string): OpAttr {
  return { name, type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_INT32 };
}

function floatType(node: NodeBackend): OpAttr {
  return { name: 'T', type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_FLOAT };
}
