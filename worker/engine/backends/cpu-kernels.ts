/**
 * The pure-JavaScript backend's filter gradient, without tfjs's per-element `TensorBuffer.get`.
 *
 * tfjs-backend-cpu computes Conv2DBackpropFilter with two `TensorBuffer.get(b, r, c, d)` calls per
 * multiply-add (rest arguments, an index computation and bounds checks each): 90 % of a SimpleCNN
 * step on this backend, about 35 s per step of 32 on a 28×28 image, which put the pinned MNIST
 * test past CI's time limit. This is the same loop nest in the same order (b, yR, yC summed into a
 * float64, stored as float32) over the flat arrays, so every bit of the result is tfjs's: the
 * pinned curves (pinned-mnist.test.ts) hold, and cpu-kernels.test.ts compares it with tfjs's
 * kernel on random inputs, strides and paddings.
 */
import * as tf from '@tensorflow/tfjs-core';

interface CpuBackendData {
  data: { get(id: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

export function conv2DBackpropFilter({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const cpu = backend as unknown as CpuBackendData;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const { strideHeight, strideWidth, filterHeight, filterWidth, inChannels, outChannels, batchSize, inHeight, inWidth, outHeight, outWidth } = info;
  const channelsLast = info.dataFormat === 'channelsLast';
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xv = cpu.data.get(x.dataId).values;
  const dyv = cpu.data.get(dy.dataId).values;
  // Strides of x [b, r, c, d] and dy [b, r, c, d] in either layout.
  const [xb, xr, xc, xd] = channelsLast
    ? [inHeight * inWidth * inChannels, inWidth * inChannels, inChannels, 1]
    : [inChannels * inHeight * inWidth, inWidth, 1, inHeight * inWidth];
  const [yb, yr, yc, yd] = channelsLast
    ? [outHeight * outWidth * outChannels, outWidth * outChannels, outChannels, 1]
    : [outChannels * outHeight * outWidth, outWidth, 1, outHeight * outWidth];
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let wR = 0; wR < filterHeight; ++wR) {
    const yRMin = Math.max(0, Math.ceil((top - wR) / strideHeight));
    const yRMax = Math.min(outHeight, (inHeight + top - wR) / strideHeight);
    for (let wC = 0; wC < filterWidth; ++wC) {
      const yCMin = Math.max(0, Math.ceil((left - wC) / strideWidth));
      const yCMax = Math.min(outWidth, (inWidth + left - wC) / strideWidth);
      for (let d1 = 0; d1 < inChannels; ++d1) {
        for (let d2 = 0; d2 < outChannels; ++d2) {
          let dot = 0;
          for (let b = 0; b < batchSize; ++b) {
            for (let yR = yRMin; yR < yRMax; ++yR) {
              const xRow = b * xb + (wR + yR * strideHeight - top) * xr + d1 * xd;
              const yRow = b * yb + yR * yr + d2 * yd;
              for (let yC = yCMin; yC < yCMax; ++yC) {
                dot += xv[xRow + (wC + yC * strideWidth - left) * xc]! * dyv[yRow + yC * yc]!;
              }
            }
          }
          dW[((wR * filterWidth + wC) * inChannels + d1) * outChannels + d2] = dot;
        }
      }
    }
  }
  return cpu.makeTensorInfo(info.filterShape, 'float32', dW);
}

let registered = false;

/** Puts conv2DBackpropFilter in place of tfjs-backend-cpu's (once; after that backend is loaded). */
export function registerCpuKernels(): void {
  if (registered) return;
  if (!tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')) throw new Error("tfjs-backend-cpu has no 'Conv2DBackpropFilter' kernel to replace");
  tf.unregisterKernel(tf.Conv2DBackpropFilter, 'cpu');
  tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'cpu', kernelFunc: conv2DBackpropFilter });
  registered = true;
}
