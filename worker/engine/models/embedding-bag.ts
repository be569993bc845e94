import * as tf from '@tensorflow/tfjs-core';
import { parseModelOptions } from './catalog.js';
import { denseLayer, embeddingLayer } from './init.js';
import { dense, embeddingLookup, maskedMean, tokenMask } from './text-layers.js';
import { textInput, type Model, type ModelFactory, type ModelInput } from './types.js';

/**
 * fastText-style classifier: the mean of the token embeddings over the non-padding tokens, then one
 * dense layer to the classes — torch's nn.EmbeddingBag(mode='mean', padding_idx=pad) + nn.Linear
 * (bench/pytorch/text_models.py), initialised as they are: N(0, 1) embeddings with the padding row
 * zero, Linear's uniform. vocab·dim + dim·classes + classes parameters.
 */
export const embeddingBag: ModelFactory = {
  name: 'embedding-bag',
  create(input: ModelInput, random: () => number, options?: Readonly<Record<string, unknown>>): Model {
    const sample = textInput(input, 'embedding-bag');
    const { dim } = parseModelOptions<{ dim: number }>('embedding-bag', options);
    const embedding = embeddingLayer(sample.vocabSize, dim, random, sample.padId);
    const classifier = denseLayer(dim, sample.classes, random);
    const variables = [embedding, classifier.weight, classifier.bias];
    return {
      name: 'embedding-bag',
      variables,
      predict(ids: tf.Tensor): tf.Tensor2D {
        return tf.tidy(() => dense(maskedMean(embeddingLookup(embedding, ids) as tf.Tensor3D, tokenMask(ids, sample.padId)), classifier) as tf.Tensor2D);
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};
