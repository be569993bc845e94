import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The fields of a Hugging Face BertConfig (config.json) the model is built from, with
 * transformers' defaults where a file may leave one out. Anything BERT-shaped but different
 * (another activation, relative positions) is refused by name rather than computed wrongly.
 */
const configSchema = z.object({
  vocab_size: z.int().positive(),
  hidden_size: z.int().positive(),
  num_hidden_layers: z.int().positive(),
  num_attention_heads: z.int().positive(),
  intermediate_size: z.int().positive(),
  hidden_act: z.enum(['gelu', 'relu'], { error: "expected 'gelu' (exact erf, BERT's) or 'relu'" }).default('gelu'),
  hidden_dropout_prob: z.number().min(0).lt(1).default(0.1),
  attention_probs_dropout_prob: z.number().min(0).lt(1).default(0.1),
  classifier_dropout: z.number().min(0).lt(1).nullable().default(null),
  max_position_embeddings: z.int().positive().default(512),
  type_vocab_size: z.int().positive().default(2),
  layer_norm_eps: z.number().positive().default(1e-12),
  position_embedding_type: z.literal('absolute', { error: "only 'absolute' position embeddings are supported" }).default('absolute'),
  pad_token_id: z.int().nonnegative().default(0),
  num_labels: z.int().positive().optional(),
  id2label: z.record(z.string(), z.string()).optional(),
});

export type BertConfig = z.infer<typeof configSchema>;

/** A config from parts (the random model's) with transformers' defaults for the rest. */
export function bertConfig(fields: z.input<typeof configSchema>): BertConfig {
  return configSchema.parse(fields);
}

/** `DIR/config.json` as a BertConfig, or an error naming the file and the field. */
export function readBertConfig(dir: string): BertConfig {
  const path = join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`bert pretrained: cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`bert pretrained: ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  if (parsed.data.hidden_size % parsed.data.num_attention_heads !== 0) {
    throw new Error(`bert pretrained: ${path}: num_attention_heads ${parsed.data.num_attention_heads} does not divide hidden_size ${parsed.data.hidden_size}`);
  }
  return parsed.data;
}
