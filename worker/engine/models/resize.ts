import * as tf from '@tensorflow/tfjs-core';

/**
 * Bilinear resizing of NHWC feature maps as torch's F.interpolate(mode='bilinear',
 * align_corners=False): source coordinate (d + 0.5)·in/out − 0.5, clamped at 0 and in − 1. Done as
 * two matrix products with constant interpolation matrices (rows: output, columns: input), so its
 * gradient is a matmul on every backend (tfjs' ResizeBilinear gradient mixes up height and width
 * on the cpu backend for non-square maps).
 */
export function bilinearResize(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (h === height && w === width) return x.clone();
  return tf.tidy(() => {
    const ry = interpolationMatrix(h, height); // [h, H]
    const rx = interpolationMatrix(w, width); // [w, W]
    // Height: [n, w, c, h] · [h, H] → [n, w, c, H].
    const alongH = tf.reshape(tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [n * w * c, h]), ry), [n, w, c, height]);
    // Width: [n, H, c, w] · [w, W] → [n, H, c, W] → [n, H, W, c].
    const alongW = tf.matMul(tf.reshape(tf.transpose(alongH, [0, 3, 2, 1]), [n * height * c, w]), rx);
    return tf.transpose(tf.reshape(alongW, [n, height, c, width]), [0, 1, 3, 2]);
  });
}

/** `[in, out]`: column d holds the two weights output d takes from its neighbouring inputs. */
function interpolationMatrix(inSize: number, outSize: number): tf.Tensor2D {
  const m = new Float32Array(inSize * outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const s = Math.max((d + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(s), inSize - 1);
    const hi = Math.min(lo + 1, inSize - 1);
    const frac = s - lo;
    m[lo * outSize + d]! += 1 - frac;
    m[hi * outSize + d]! += frac;
  }
  return tf.tensor2d(m, [inSize, outSize]);
}

/**
 * A 3x3 (or any odd k) stride-1 convolution with dilation d and padding d·(k−1)/2 (PyTorch's
 * dilated convs in ResNet's layer3/layer4), as TensorFlow's atrous convolution is built: space to
 * batch by d, a plain 'valid' convolution, batch back to space. tfjs has no gradient for dilated
 * conv2d; these three ops have gradients on every backend.
 */
export function dilatedConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, dilation: number): tf.Tensor4D {
  if (dilation === 1) return tf.conv2d(x, filter, 1, 'same');
  const [, h, w] = x.shape;
  const pad = ((filter.shape[0] - 1) / 2) * dilation;
  const extraH = (dilation - (h % dilation)) % dilation;
  const extraW = (dilation - (w % dilation)) % dilation;
  return tf.tidy(() => {
    const blocks = tf.spaceToBatchND(x, [dilation, dilation], [
      [pad, pad + extraH],
      [pad, pad + extraW],
    ]) as tf.Tensor4D;
    const y = tf.conv2d(blocks, filter, 1, 'valid');
    return tf.batchToSpaceND(y, [dilation, dilation], [
      [0, extraH],
      [0, extraW],
    ]) as tf.Tensor4D;
  });
}
