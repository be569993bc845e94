/**
 * Faster kernels for the `tensorflow` backend on a CPU, where tfjs-node's defaults leave
 * TensorFlow's own fast ops unused. Found by profiling the SimpleCNN step kernel by kernel
 * (docs/benchmarks.md, "The CPU engine past PyTorch"): two backward passes took 70 % of it.
 *
 * - ReLU's gradient. tfjs computes it as `dy · cast(step(x))`, and tfjs-node builds `step` from six
 *   ops (isNaN, greater, ones, fill, where, select): 22 ms of a 61 ms step at batch 64. TensorFlow's
 *   `ReluGrad` does it in one pass (1.9 ms). Values are the same (dy where x > 0, else 0), except
 *   that `dy · 0` gave −0 for a negative dy where ReluGrad gives +0, and a NaN x gives 0 instead
 *   of NaN (a NaN activation already made the loss NaN, which is what divergence checks read).
 * - Max-pool's gradient. TensorFlow's `MaxPoolGrad` is a generic Eigen kernel (16 ms for
 *   64×28×28×32); oneDNN's pooling backward with the forward pass's workspace takes 0.6 ms, and
 *   recomputing that forward pass to get the workspace 0.8 ms. The result is bit-identical: both
 *   route each window's gradient to its first maximum.
 *
 * Registered once, when the backend is activated on a CPU: oneDNN's kernels are CPU kernels, and a
 * CUDA build keeps tfjs-node's kernels. Other backends keep tfjs's gradients, unchanged.
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

let registered = false;
const done: string[] = [];

/**
 * Registers the kernels. Returns what it did, for the device report (a TensorFlow build without
 * oneDNN's kernels keeps tfjs-node's max-pool gradient).
 */
export function registerTensorflowKernels(): string[] {
  if (registered) return done;
  registered = true;
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
  done.push('ReluGrad');

  const defaultMaxPoolGrad = tf.getKernel(tf.MaxPoolGrad, 'tensorflow');
  if (!defaultMaxPoolGrad || !oneDnnPoolingWorks()) return done;
  tf.unregisterKernel(tf.MaxPoolGrad, 'tensorflow');
  tf.registerKernel({
    kernelName: tf.MaxPoolGrad,
    backendName: 'tensorflow',
    kernelFunc: (args) => {
      const node = args.backend as unknown as NodeBackend;
      const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
      const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      const padding = info.padInfo.type;
      if (input.dtype !== 'float32' || (padding !== 'VALID' && padding !== 'SAME')) return defaultMaxPoolGrad.kernelFunc(args);
      const attrs = poolAttrs(node, [1, info.filterHeight, info.filterWidth, 1], [1, info.strideHeight, info.strideWidth, 1], padding);
      const [output, workspace] = node.executeMultipleOutputs('_MklNativeMaxPool', attrs, [input], 2) as [tf.Tensor, tf.Tensor];
      try {
        return node.executeSingleOutput('_MklNativeMaxPoolGrad', attrs, [input, output, dy, workspace]);
      } finally {
        output.dispose();
        workspace.dispose();
      }
    },
  });
  done.push('oneDNN max-pool gradient');
  return done;
}

/** Whether this TensorFlow build runs oneDNN's pooling ops (it throws when they are not compiled in). */
function oneDnnPoolingWorks(): boolean {
  const node = tf.backend() as unknown as NodeBackend;
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
