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
 * - `bias-grad`: a bias's gradient is a sum of dy over every axis but the channels, which tfjs-node
 *   runs as Sum with an axis tensor uploaded per call; TensorFlow's BiasAddGrad does that
 *   reduction for NHWC in 0.5 ms against 1.3 ms (64×28×28×32). The same sum in another order:
 *   equal to float32 rounding.
 *
 * Registered once, when the backend is activated on a CPU: oneDNN's kernels are CPU kernels, and a
 * CUDA build keeps tfjs-node's kernels. Other backends keep tfjs's kernels and gradients.
 * GRN_TF_KERNELS (a comma list of the names above, or `none`; default all) picks which, so a
 * benchmark can measure each against tfjs-node's own in one run.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-node's NodeJSKernelBackend these kernels use. */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_FLOAT: number };
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
        workspace.dispose();
        return output;
      });
    },
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
} as const satisfies Record<string, Override>;

export type OverrideName = keyof typeof OVERRIDES;

/** The overrides GRN_TF_KERNELS asks for (all by default; `none` for tfjs-node's own kernels). */
export function wantedOverrides(env: string | undefined = process.env.GRN_TF_KERNELS): OverrideName[] {
  const all = Object.keys(OVERRIDES) as OverrideName[];
  if (env === undefined || env.trim() === '' || env.trim() === 'all') return all;
  if (env.trim() === 'none') return [];
  const names = env.split(',').map((n) => n.trim()).filter(Boolean);
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

function floatType(node: NodeBackend): OpAttr {
  return { name: 'T', type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_FLOAT };
}
