import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BERT_RANDOM, parseModelOptions } from '../catalog.js';
import { constantVariable, layerNormLayer, normalVariable } from '../init.js';
import { attentionBias, checkTextFits, dense, embeddingLookup, gelu, layerNorm, multiHeadAttention, SeededDropout, dropoutPosition, tokenMask, type DenseWeights, type LayerNormWeights } from '../text-layers.js';
import { textInput, type Model, type ModelFactory, type ModelInput } from '../types.js';
import { bertConfig, readBertConfig, type BertConfig } from './config.js';
import { readSafetensors, type StoredTensor } from './safetensors.js';

interface BertOptions {
  pretrained?: string;
  layers?: number;
  hidden?: number;
  heads?: number;
  intermediate?: number;
}

/** BERT's _init_weights: N(0, 0.02) for Linear and Embedding weights. */
const INIT_STD = 0.02;

/**
 * Where each weight comes from: a checkpoint's tensor (by its Hugging Face name) or BERT's own
 * random initialisation. Linear weights are stored `[out, in]` by torch and transposed here.
 */
interface WeightSource {
  dense(name: string, inFeatures: number, outFeatures: number): DenseWeights;
  embedding(name: string, rows: number, dim: number, paddingRow?: number): tf.Variable;
  layerNorm(name: string, features: number): LayerNormWeights;
}

function randomWeights(random: () => number): WeightSource {
  return {
    dense: (_name, inFeatures, outFeatures) => ({ weight: normalVariable([inFeatures, outFeatures], INIT_STD, random), bias: constantVariable([outFeatures], 0) }),
    embedding: (_name, rows, dim, paddingRow) => normalVariable([rows, dim], INIT_STD, random, paddingRow === undefined ? [] : [paddingRow]),
    layerNorm: (_name, features) => layerNormLayer(features),
  };
}

/**
 * Weights from a checkpoint's tensors. Names are BertForSequenceClassification's
 * (`bert.encoder.layer.0.attention.self.query.weight`, …); a bare BertModel's (no `bert.`
 * prefix) and the older LayerNorm `gamma`/`beta` spellings are accepted too. The classifier may
 * be missing (a plain pre-trained checkpoint): `fallback` then initialises it as
 * BertForSequenceClassification does.
 */
function checkpointWeights(path: string, fallback: WeightSource): WeightSource {
  const tensors = readSafetensors(path);
  const prefix = [...tensors.keys()].some((k) => k.startsWith('bert.')) ? 'bert.' : '';
  const find = (name: string, ...aliases: string[]): StoredTensor | undefined => {
    for (const candidate of [name, ...aliases]) {
      const t = tensors.get(candidate.startsWith('classifier.') ? candidate : prefix + candidate);
      if (t) return t;
    }
    return undefined;
  };
  const take = (name: string, shape: number[], aliases: string[] = []): tf.Variable => {
    const t = find(name, ...aliases);
    if (!t) throw new Error(`bert pretrained: ${path} has no tensor '${prefix}${name}'`);
    if (t.shape.join(',') !== shape.join(',')) {
      throw new Error(`bert pretrained: ${path}: '${prefix}${name}' is ${JSON.stringify(t.shape)}, config.json and the data set ask for ${JSON.stringify(shape)}`);
    }
    return tf.tidy(() => tf.variable(tf.tensor(t.values(), shape, 'float32'), true));
  };
  return {
    dense(name, inFeatures, outFeatures) {
      if (name.startsWith('classifier') && !find(`${name}.weight`)) return fallback.dense(name, inFeatures, outFeatures);
      const stored = take(`${name}.weight`, [outFeatures, inFeatures]);
      const weight = tf.tidy(() => tf.variable(tf.transpose(stored), true));
      stored.dispose();
      return { weight, bias: take(`${name}.bias`, [outFeatures]) };
    },
    embedding: (name, rows, dim) => take(`${name}.weight`, [rows, dim]),
    layerNorm: (name, features) => ({ gamma: take(`${name}.weight`, [features], [`${name}.gamma`]), beta: take(`${name}.bias`, [features], [`${name}.beta`]) }),
  };
}

/** The architecture a data set's sample and the options ask for. */
function configFor(options: BertOptions, vocabSize: number, padId: number): BertConfig {
  if (options.pretrained) return readBertConfig(options.pretrained);
  const size = { ...BERT_RANDOM, ...options };
  return bertConfig({
    vocab_size: vocabSize,
    hidden_size: size.hidden,
    num_hidden_layers: size.layers,
    num_attention_heads: size.heads,
    intermediate_size: size.intermediate,
    pad_token_id: padId,
  });
}

/**
 * BERT as Hugging Face's BertForSequenceClassification computes it: word + position + token-type
 * (all type 0: one segment) embeddings, LayerNorm, dropout; per layer self-attention with the
 * padding mask, dense, dropout, residual, LayerNorm (post-LN), then intermediate dense with GELU
 * (exact erf), dense, dropout, residual, LayerNorm; the pooler's tanh dense on the first ([CLS])
 * token, dropout, the classifier. The attention mask comes from the data set's padId, as a
 * tokenizer's attention_mask would. Checked against transformers' logits in bert.test.ts.
 */
export const bert: ModelFactory = {
  name: 'bert',
  create(input: ModelInput, random: () => number, options?: Readonly<Record<string, unknown>>): Model {
    const sample = textInput(input, 'bert');
    const o = parseModelOptions<BertOptions>('bert', options);
    const config = configFor(o, sample.vocabSize, sample.padId);
    checkTextFits(sample, 'bert', { vocabSize: config.vocab_size, maxLength: config.max_position_embeddings });
    const H = config.hidden_size;
    const init = randomWeights(random);
    let source = init;
    if (o.pretrained) {
      const file = join(o.pretrained, 'model.safetensors');
      if (!existsSync(file)) throw new Error(`bert pretrained: ${file} does not exist (the folder needs config.json and model.safetensors, as save_pretrained writes them)`);
      source = checkpointWeights(file, init);
    }
    const created: tf.Variable[] = [];
    const keep = <T extends tf.Variable | DenseWeights | LayerNormWeights>(w: T): T => {
      if (w instanceof tf.Variable) created.push(w);
      else if ('weight' in w) created.push(w.weight, w.bias);
      else created.push(w.gamma, w.beta);
      return w;
    };
    try {
      const embeddings = {
        word: keep(source.embedding('embeddings.word_embeddings', config.vocab_size, H, config.pad_token_id)),
        position: keep(source.embedding('embeddings.position_embeddings', config.max_position_embeddings, H)),
        tokenType: keep(source.embedding('embeddings.token_type_embeddings', config.type_vocab_size, H)),
        norm: keep(source.layerNorm('embeddings.LayerNorm', H)),
      };
      const layers = Array.from({ length: config.num_hidden_layers }, (_, i) => {
        const p = `encoder.layer.${i}`;
        return {
          query: keep(source.dense(`${p}.attention.self.query`, H, H)),
          key: keep(source.dense(`${p}.attention.self.key`, H, H)),
          value: keep(source.dense(`${p}.attention.self.value`, H, H)),
          attentionOut: keep(source.dense(`${p}.attention.output.dense`, H, H)),
          attentionNorm: keep(source.layerNorm(`${p}.attention.output.LayerNorm`, H)),
          intermediate: keep(source.dense(`${p}.intermediate.dense`, H, config.intermediate_size)),
          output: keep(source.dense(`${p}.output.dense`, config.intermediate_size, H)),
          outputNorm: keep(source.layerNorm(`${p}.output.LayerNorm`, H)),
        };
      });
      const pooler = keep(source.dense('pooler.dense', H, H));
      const classifier = keep(source.dense('classifier', H, sample.classes));
      return bertModel(config, sample.padId, { embeddings, layers, pooler, classifier }, created, new SeededDropout(random));
    } catch (err) {
      for (const v of created) v.dispose();
      throw err;
    }
  },
};

interface BertWeights {
  embeddings: { word: tf.Variable; position: tf.Variable; tokenType: tf.Variable; norm: LayerNormWeights };
  layers: Array<{ query: DenseWeights; key: DenseWeights; value: DenseWeights; attentionOut: DenseWeights; attentionNorm: LayerNormWeights; intermediate: DenseWeights; output: DenseWeights; outputNorm: LayerNormWeights }>;
  pooler: DenseWeights;
  classifier: DenseWeights;
}

function bertModel(config: BertConfig, padId: number, w: BertWeights, variables: tf.Variable[], dropout: SeededDropout): Model {
  const H = config.hidden_size;
  const eps = config.layer_norm_eps;
  const activation = config.hidden_act === 'gelu' ? gelu : tf.relu;
  const classifierDropout = config.classifier_dropout ?? config.hidden_dropout_prob;
  return {
    randomState: dropoutPosition(dropout),
    name: 'bert',
    variables,
    predict(ids: tf.Tensor, training = false): tf.Tensor2D {
      const hiddenDrop = (x: tf.Tensor) => dropout.apply(x, config.hidden_dropout_prob, training);
      const attentionDrop = (x: tf.Tensor) => dropout.apply(x, config.attention_probs_dropout_prob, training);
      const [batch, length] = ids.shape as [number, number];
      if (length > config.max_position_embeddings) throw new Error(`model 'bert': ${length} tokens per text, but max_position_embeddings is ${config.max_position_embeddings}`);
      return tf.tidy(() => {
        const bias = attentionBias(tokenMask(ids, padId));
        const positions = tf.slice(w.embeddings.position, [0, 0], [length, H]);
        const tokenType = tf.slice(w.embeddings.tokenType, [0, 0], [1, H]);
        const embedded = tf.add(tf.add(embeddingLookup(w.embeddings.word, ids), positions), tokenType);
        let x = hiddenDrop(layerNorm(embedded, w.embeddings.norm, eps)) as tf.Tensor3D;
        for (const l of w.layers) {
          const q = dense(x, l.query) as tf.Tensor3D;
          const k = dense(x, l.key) as tf.Tensor3D;
          const v = dense(x, l.value) as tf.Tensor3D;
          const attended = dense(multiHeadAttention(q, k, v, bias, config.num_attention_heads, attentionDrop), l.attentionOut);
          x = layerNorm(tf.add(hiddenDrop(attended), x), l.attentionNorm, eps) as tf.Tensor3D;
          const ff = dense(activation(dense(x, l.intermediate)), l.output);
          x = layerNorm(tf.add(hiddenDrop(ff), x), l.outputNorm, eps) as tf.Tensor3D;
        }
        const first = tf.reshape(tf.slice(x, [0, 0, 0], [batch, 1, H]), [batch, H]);
        const pooled = tf.tanh(dense(first, w.pooler));
        return dense(dropout.apply(pooled, classifierDropout, training), w.classifier) as tf.Tensor2D;
      });
    },
    dispose() {
      for (const v of variables) v.dispose();
    },
  };
}
