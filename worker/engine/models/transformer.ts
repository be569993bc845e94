import * as tf from '@tensorflow/tfjs-core';
import { parseModelOptions } from './catalog.js';
import { attentionLayer, denseLayer, embeddingLayer, layerNormLayer } from './init.js';
import { attentionBias, dense, embeddingLookup, layerNorm, maskedMean, multiHeadAttention, SeededDropout, dropoutPosition, tokenMask } from './text-layers.js';
import { textInput, type Model, type ModelFactory, type ModelInput } from './types.js';

interface TransformerOptions {
  layers: number;
  dim: number;
  heads: number;
  feedforward: number;
  dropout: number;
}

/** torch.nn.LayerNorm's default eps. */
const EPS = 1e-5;

/**
 * A Transformer encoder classifier trained from scratch, written as torch writes it
 * (bench/pytorch/text_models.py): token and learned position embeddings (one position per token
 * of the data set's maxLength) summed, dropout, then `layers` × nn.TransformerEncoderLayer with
 * norm_first=True (pre-LN: x + attn(LN(x)), x + ff(LN(x)) — it trains from scratch without the
 * warm-up post-LN needs) and ReLU, a final LayerNorm, the mean over non-padding tokens and a dense
 * layer to the classes. Padding keys are masked in attention (src_key_padding_mask). Initialised as
 * torch does: N(0, 1) embeddings, Xavier-uniform fused q/k/v with zero bias, Linear's uniform, zero
 * out-projection bias, LayerNorm ones and zeros. Dropout as torch places it: on attention
 * probabilities, after attention, inside the feed-forward and after it.
 */
export const transformer: ModelFactory = {
  name: 'transformer',
  create(input: ModelInput, random: () => number, options?: Readonly<Record<string, unknown>>): Model {
    const sample = textInput(input, 'transformer');
    const o = parseModelOptions<TransformerOptions>('transformer', options);
    const tokens = embeddingLayer(sample.vocabSize, o.dim, random);
    const positions = embeddingLayer(sample.maxLength, o.dim, random);
    const layers = Array.from({ length: o.layers }, () => ({
      norm1: layerNormLayer(o.dim),
      attention: attentionLayer(o.dim, random),
      norm2: layerNormLayer(o.dim),
      ff1: denseLayer(o.dim, o.feedforward, random),
      ff2: denseLayer(o.feedforward, o.dim, random),
    }));
    const finalNorm = layerNormLayer(o.dim);
    const classifier = denseLayer(o.dim, sample.classes, random);
    const variables = [
      tokens,
      positions,
      ...layers.flatMap((l) => [l.norm1.gamma, l.norm1.beta, l.attention.qkv.weight, l.attention.qkv.bias, l.attention.out.weight, l.attention.out.bias, l.norm2.gamma, l.norm2.beta, l.ff1.weight, l.ff1.bias, l.ff2.weight, l.ff2.bias]),
      finalNorm.gamma,
      finalNorm.beta,
      classifier.weight,
      classifier.bias,
    ];
    const dropout = new SeededDropout(random);
    return {
      name: 'transformer',
      variables,
      randomState: dropoutPosition(dropout),
      predict(ids: tf.Tensor, training = false): tf.Tensor2D {
        const drop = (x: tf.Tensor) => dropout.apply(x, o.dropout, training);
        const [batch, length] = ids.shape as [number, number];
        if (length > sample.maxLength) throw new Error(`model 'transformer': ${length} tokens per text, but it has positions for ${sample.maxLength} (the data set's maxLength)`);
        return tf.tidy(() => {
          const mask = tokenMask(ids, sample.padId);
          const bias = attentionBias(mask);
          const positionRows = tf.slice(positions, [0, 0], [length, o.dim]);
          let x = drop(tf.add(embeddingLookup(tokens, ids), positionRows)) as tf.Tensor3D;
          for (const l of layers) {
            const h = layerNorm(x, l.norm1, EPS);
            const [q, k, v] = tf.split(dense(h, l.attention.qkv), 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
            x = tf.add(x, drop(dense(multiHeadAttention(q, k, v, bias, o.heads, drop), l.attention.out)));
            const f = dense(drop(tf.relu(dense(layerNorm(x, l.norm2, EPS), l.ff1))), l.ff2);
            x = tf.add(x, drop(f));
          }
          const pooled = maskedMean(tf.reshape(layerNorm(x, finalNorm, EPS), [batch, length, o.dim]) as tf.Tensor3D, mask);
          return dense(pooled, classifier) as tf.Tensor2D;
        });
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};
