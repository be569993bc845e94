import * as tf from '@tensorflow/tfjs-core';
import { MODELS } from './catalog.js';
import { BatchNorm2d } from './batch-norm.js';
import { convFilter, kaimingNormalConv, torchDefaultUniform } from './init.js';
import { bilinearResize, dilatedConv2d } from './resize.js';
import { imageInput, type Model, type ModelFactory, type ModelInput } from './types.js';

/**
 * torchvision's fcn_resnet50 from scratch (weights=None, weights_backbone=None, aux_loss off, as
 * the original builds it, calling it SimpleUNet): a ResNet-50 backbone with
 * replace_stride_with_dilation=[False, True, True] (output stride 8; layer3 dilation 2, layer4
 * dilation 4, each layer's first block keeping the previous dilation, as torchvision's
 * _make_layer does), then FCNHead — 3x3 conv 2048→512 (no bias), batch norm, ReLU, dropout 0.1,
 * 1x1 conv to the classes — and a bilinear upsample (align_corners=False) to the input's size.
 * 32,957,013 parameters for 21 classes; with `aux_loss: true` also torchvision's auxiliary
 * FCNHead on layer3 (1024→256→classes; 35,322,218 in all), whose output is not used by predict
 * (the training loss here is the main head's, so its parameters get no gradient: it is there for
 * parameter-count parity and checkpoints).
 *
 * Init as torchvision: backbone convs Kaiming-normal (fan_out, ReLU), batch norm weight 1 and bias
 * 0; the head's convs keep PyTorch's default (torchvision does not re-initialise them). Batch norm
 * (batch-norm.ts) uses the batch's statistics when training and the running ones in evaluation;
 * its running statistics are not in `variables`.
 *
 * Spatial ops match PyTorch's padding: stride-2 convs and the max-pool pad explicitly (symmetric)
 * and then run 'valid'; stride-1 convs with padding = dilation are 'same', dilated ones through
 * space-to-batch (resize.ts: tfjs has no gradient for dilated conv2d).
 *
 * Grad-CAM layers, named as torchvision's modules: `backbone.layer4` (2048 channels, stride 8),
 * `classifier.2` (the head's 3x3 conv after batch norm and ReLU, 512 channels) and `classifier.4`
 * (the head's last conv, the 1x1 to the classes; the default, the original's target).
 */
interface Conv {
  readonly filter: tf.Variable;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
}

interface Bottleneck {
  readonly conv1: Conv;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv;
  readonly bn3: BatchNorm2d;
  readonly downsample?: { conv: Conv; bn: BatchNorm2d };
}

interface Head {
  readonly conv: tf.Variable;
  readonly bn: BatchNorm2d;
  readonly out: { filter: tf.Variable; bias: tf.Variable };
}

const LAYERS = [3, 4, 6, 3] as const;
const PLANES = [64, 128, 256, 512] as const;
const EXPANSION = 4;
const DROPOUT = 0.1;
/**
 * A 1x1 convolution as the matrix product it is, `[n·h·w, in] · [in, out]`: libtensorflow 2.21's
 * oneDNN conv2d dies with SIGFPE on some 1x1 shapes (e.g. [2, 4, 4, 512] → 1024, ResNet's layer3
 * downsample on small inputs), and the matmul is as fast.
 */
export function pointwise(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const cout = filter.shape[3];
  return tf.reshape(tf.matMul(tf.reshape(x, [n * h * w, cin]), tf.reshape(filter, [cin, cout])), [n, h, w, cout]);
}

/**
 * Every `stride`-th pixel from the first (what a 1x1 conv with that stride reads): padded to a
 * multiple of the stride, reshaped, sliced; tfjs has no gradient for strided slices.
 */
export function subsample(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const oh = Math.ceil(h / stride), ow = Math.ceil(w / stride);
  const padded = oh * stride > h || ow * stride > w ? tf.pad(x, [[0, 0], [0, oh * stride - h], [0, ow * stride - w], [0, 0]]) : x;
  const blocks = tf.reshape(padded, [n, oh, stride, ow, stride, c]);
  return tf.reshape(tf.slice(blocks, [0, 0, 0, 0, 0, 0], [n, oh, 1, ow, 1, c]), [n, oh, ow, c]);
}

/** Grad-CAM's layers, as the catalog states them. */
export const FCN_CAM_LAYERS = MODELS.get('fcn-resnet50').camLayers ?? [];

export const fcnResnet50: ModelFactory = {
  name: 'fcn-resnet50',
  create(input: ModelInput, random: () => number, options: Readonly<Record<string, unknown>> = {}): Model {
    const sample = imageInput(input, 'fcn-resnet50');
    if (sample.kind !== 'image-mask') throw new Error("model 'fcn-resnet50' segments images: it needs a segmentation data set");
    const aux = options.aux_loss === true;
    const [inH, inW, inChannels] = sample.shape;
    const classes = sample.classes;
    const parameters: tf.Variable[] = [];
    const norms: BatchNorm2d[] = [];
    const conv = (kernel: number, cin: number, cout: number, stride = 1, dilation = 1): Conv => {
      const filter = kaimingNormalConv(kernel, cin, cout, random);
      parameters.push(filter);
      return { filter, kernel, stride, dilation };
    };
    const bn = (c: number): BatchNorm2d => {
      const b = new BatchNorm2d(c);
      norms.push(b);
      parameters.push(...b.parameters);
      return b;
    };

    // Backbone, in torchvision's module (and parameter) order.
    const stem = { conv: conv(7, inChannels, 64, 2), bn: bn(64) };
    let inplanes = 64;
    let dilation = 1;
    const layers: Bottleneck[][] = LAYERS.map((blocks, li) => {
      const planes = PLANES[li]!;
      let stride = li === 0 ? 1 : 2;
      const dilate = li >= 2;
      const previousDilation = dilation;
      if (dilate) {
        dilation *= stride;
        stride = 1;
      }
      const out: Bottleneck[] = [];
      for (let b = 0; b < blocks; b++) {
        const s = b === 0 ? stride : 1;
        const d = b === 0 ? previousDilation : dilation;
        const block: Bottleneck = {
          conv1: conv(1, inplanes, planes),
          bn1: bn(planes),
          conv2: conv(3, planes, planes, s, d),
          bn2: bn(planes),
          conv3: conv(1, planes, planes * EXPANSION),
          bn3: bn(planes * EXPANSION),
          ...(b === 0 && (s !== 1 || inplanes !== planes * EXPANSION) ? { downsample: { conv: conv(1, inplanes, planes * EXPANSION, s), bn: bn(planes * EXPANSION) } } : {}),
        };
        out.push(block);
        inplanes = planes * EXPANSION;
      }
      return out;
    });
    const fcnHead = (cin: number): Head => {
      const inter = cin / 4;
      const headConv = convFilter(3, cin, inter, random);
      parameters.push(headConv);
      const headBn = bn(inter);
      const outFilter = torchDefaultUniform([1, 1, inter, classes], inter, random);
      const outBias = torchDefaultUniform([classes], inter, random);
      parameters.push(outFilter, outBias);
      return { conv: headConv, bn: headBn, out: { filter: outFilter, bias: outBias } };
    };
    const classifier = fcnHead(2048);
    // torchvision registers aux_classifier after classifier.
    if (aux) fcnHead(1024);
    const dropoutSeed = Math.floor(random() * 2 ** 31);
    let dropoutCalls = 0;

    const applyConv = (x: tf.Tensor4D, c: Conv): tf.Tensor4D => {
      const f = c.filter as tf.Tensor4D;
      if (c.kernel === 1) return pointwise(c.stride === 1 ? x : subsample(x, c.stride), f);
      if (c.stride === 1) return dilatedConv2d(x, f, c.dilation);
      const pad = Math.floor(c.kernel / 2) * c.dilation;
      const padded = pad ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
      return tf.conv2d(padded, f, c.stride, 'valid', 'NHWC', c.dilation);
    };
    const bottleneck = (x: tf.Tensor4D, b: Bottleneck, training: boolean): tf.Tensor4D => {
      let out = tf.relu(b.bn1.apply(applyConv(x, b.conv1), training));
      out = tf.relu(b.bn2.apply(applyConv(out, b.conv2), training));
      out = b.bn3.apply(applyConv(out, b.conv3), training);
      const identity = b.downsample ? b.downsample.bn.apply(applyConv(x, b.downsample.conv), training) : x;
      return tf.relu(tf.add<tf.Tensor4D>(out, identity));
    };
    const backbone = (images: tf.Tensor4D, training: boolean): tf.Tensor4D => {
      let x = tf.relu(stem.bn.apply(applyConv(images, stem.conv), training));
      // Max-pool 3x3, stride 2, padding 1: zero padding is safe after the ReLU (values ≥ 0).
      x = tf.maxPool(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
      for (const layer of layers) for (const b of layer) x = bottleneck(x, b, training);
      return x;
    };
    const headFeatures = (x: tf.Tensor4D, training: boolean): tf.Tensor4D => tf.relu(classifier.bn.apply(tf.conv2d(x, classifier.conv as tf.Tensor4D, 1, 'same'), training));
    const headOut = (x: tf.Tensor4D, training: boolean): tf.Tensor4D => {
      const dropped = training ? (tf.dropout(x, DROPOUT, undefined, dropoutSeed + dropoutCalls++) as tf.Tensor4D) : x;
      return tf.add<tf.Tensor4D>(pointwise(dropped, classifier.out.filter as tf.Tensor4D), classifier.out.bias);
    };
    const upsample = bilinearResize;

    const model: Model & { readonly buffers: readonly tf.Variable[] } = {
      name: 'fcn-resnet50',
      variables: parameters,
      // Batch norm's running statistics (torch's buffers), in module order: not trainable, not in variables.
      buffers: norms.flatMap((n) => n.state),
      randomState: {
        save: () => [dropoutCalls],
        restore: ([calls]) => {
          dropoutCalls = calls ?? 0;
        },
      },
      camLayers: FCN_CAM_LAYERS,
      predict(inputs: tf.Tensor, training = false): tf.Tensor4D {
        return tf.tidy(() => {
          const x = inputs as tf.Tensor4D;
          return upsample(headOut(headFeatures(backbone(x, training), training), training), x.shape[1], x.shape[2]);
        });
      },
      splitAt(layer: string) {
        // The tail upsamples to the size the model was built for (the data set's training size).
        const stages: Array<(x: tf.Tensor4D) => tf.Tensor4D> = [
          (x) => backbone(x, false),
          (x) => headFeatures(x, false),
          (x) => headOut(x, false),
          (x) => upsample(x, inH, inW),
        ];
        const at = (FCN_CAM_LAYERS as readonly string[]).indexOf(layer);
        if (at < 0) throw new Error(`fcn-resnet50 has no layer '${layer}' for Grad-CAM (layers: ${FCN_CAM_LAYERS.join(', ')})`);
        const run = (from: number, to: number, x: tf.Tensor4D) => tf.tidy(() => stages.slice(from, to).reduce((a, f) => f(a), x));
        return { head: (x: tf.Tensor) => run(0, at + 1, x as tf.Tensor4D), tail: (a: tf.Tensor4D) => run(at + 1, stages.length, a) };
      },
      dispose() {
        tf.dispose(parameters);
        for (const n of norms) tf.dispose(n.state);
      },
    };
    return model;
  },
};
