import { z } from 'zod';
import { UsageError } from '../../../shared/errors.js';
import type { TaskName } from '../datasets/data.js';
import { checkOptions } from '../options.js';
import { Registry } from '../registry.js';
import type { ModelFactory } from './types.js';

/** A model as the catalog knows it: what it is for, and where its implementation is. */
export interface ModelMeta {
  readonly name: string;
  readonly description: string;
  /** The task whose data sets it trains on; a spec pairing it with another task's data is refused. */
  readonly task: TaskName;
  /** The model's own options (a spec's model_options, ModelFactory.create's third argument); none when absent. */
  readonly options?: z.ZodObject;
  /**
   * The layers Grad-CAM can explain, in forward order (the default is the last); absent: none. The
   * model's implementation takes its `camLayers` from here, so a sweep knows them at plan time.
   */
  readonly camLayers?: readonly string[];
  readonly load: () => Promise<ModelFactory>;
}

/** The options of a model that declares none: any key is an error. */
const NO_OPTIONS = z.object({}).strict();

/** mlp's options: the width of its hidden layer. */
export const mlpOptions = z.object({ hidden: z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' }).default(64) }).strict();

const size = (what: string, fallback: number) => z.int({ error: `expected a whole number of ${what}` }).positive().default(fallback);
const dropout = z.number().min(0).lt(1, { error: 'expected a dropout rate in [0, 1)' });
const headsDivide = (o: { heads: number; dim?: number; hidden?: number }) => (o.dim ?? o.hidden ?? 0) % o.heads === 0;

/** The size of `bert` without `pretrained` (each overridable by its option): Google's BERT-Tiny. */
export const BERT_RANDOM = { layers: 2, hidden: 128, heads: 2, intermediate: 512 } as const;

/** Every model. Adding one is one file in this folder and one entry here. */
export const MODELS = new Registry<ModelMeta>('model', [
  {
    name: 'simple-cnn',
    description: "SimpleCNN of the original: 2 conv (32, 64) + max-pool, dense 128, dense classes (545,098 parameters on 32x32x3)",
    task: 'image-classification',
    // The original hooks `conv2`; each is the conv's output (bias added) before ReLU and pooling.
    camLayers: ['conv1', 'conv2'],
    load: () => import('./simple-cnn.js').then((m) => m.simpleCnn),
  },
  {
    name: 'mlp',
    description: 'flatten, dense hidden (64), ReLU, dense classes (tests and quick checks); option hidden',
    task: 'image-classification',
    options: mlpOptions,
    load: () => import('./mlp.js').then((m) => m.mlp),
  },
  {
    name: 'unet',
    description: 'a small U-Net: 3 levels of 2 conv 3x3 + ReLU (16, 32, 64), bilinear up, skips, 1x1 to classes (trains on CPU)',
    task: 'segmentation',
    camLayers: ['dec1', 'out'],
    load: () => import('./unet.js').then((m) => m.unet),
  },
  {
    name: 'fcn-resnet50',
    description: "torchvision's fcn_resnet50 from scratch, the original's model: dilated ResNet-50 + FCNHead, batch norm with running statistics (32,957,013 parameters for 21 classes)",
    task: 'segmentation',
    // The default, last, is the FCN head's last conv (classifier[4], the 1x1 to the classes), as the issue names it.
    camLayers: ['backbone.layer4', 'classifier.2', 'classifier.4'],
    load: () => import('./fcn-resnet50.js').then((m) => m.fcnResnet50),
  },
  {
    name: 'embedding-bag',
    description: 'fastText-style bag of embeddings: token embeddings (dim 64) averaged over the non-padding tokens, dense classes',
    task: 'text-classification',
    options: z.object({ dim: size('embedding features', 64) }).strict(),
    load: () => import('./embedding-bag.js').then((m) => m.embeddingBag),
  },
  {
    name: 'transformer',
    description:
      'Transformer encoder from scratch: token + learned position embeddings, 2 pre-LN layers (d 128, 4 heads, feed-forward 512, ReLU, dropout 0.1), key padding mask, mean over non-padding tokens, dense classes',
    task: 'text-classification',
    options: z
      .object({ layers: size('layers', 2), dim: size('model features', 128), heads: size('attention heads', 4), feedforward: size('feed-forward features', 512), dropout: dropout.default(0.1) })
      .strict()
      .refine(headsDivide, { error: 'heads must divide dim' }),
    load: () => import('./transformer.js').then((m) => m.transformer),
  },
  {
    name: 'bert',
    description:
      `BERT (post-LN encoder, exact GELU, tanh pooler on [CLS], dense classes) as Hugging Face's BertForSequenceClassification; 'pretrained: DIR' loads a checkpoint folder (config.json + model.safetensors), otherwise a small random one (${BERT_RANDOM.layers} layers, hidden ${BERT_RANDOM.hidden}, ${BERT_RANDOM.heads} heads, intermediate ${BERT_RANDOM.intermediate}; BERT-Tiny's shape)`,
    task: 'text-classification',
    options: z
      .object({
        pretrained: z.string({ error: 'expected the path of a folder holding config.json and model.safetensors' }).min(1).optional(),
        layers: z.int().positive().optional(),
        hidden: z.int().positive().optional(),
        heads: z.int().positive().optional(),
        intermediate: z.int().positive().optional(),
      })
      .strict()
      .refine((o) => !(o.pretrained && (o.layers || o.hidden || o.heads || o.intermediate)), { error: 'layers, hidden, heads and intermediate come from the checkpoint\'s config.json when pretrained is given' })
      .refine((o) => (o.hidden ?? BERT_RANDOM.hidden) % (o.heads ?? BERT_RANDOM.heads) === 0, { error: 'heads must divide hidden' }),
    load: () => import('./bert/model.js').then((m) => m.bert),
  },
]);

/**
 * A model's options checked against its schema: the options with its defaults filled in, and one
 * problem per bad entry naming the option ([] when valid; then `options` is what the model gets).
 */
export function modelOptions(name: string, given: Readonly<Record<string, unknown>>): { options: Record<string, unknown>; problems: string[] } {
  return checkOptions(MODELS.get(name).options ?? NO_OPTIONS, `model '${name}'`, given);
}

/** What is wrong with a model's options (empty when they are fine), each naming the model. */
export function modelOptionProblems(name: string, options: Readonly<Record<string, unknown>>): string[] {
  return modelOptions(name, options).problems;
}

/** A model's options with the catalog's defaults filled in (what its factory builds from), or a usage error listing the problems. */
export function parseModelOptions<T = Record<string, unknown>>(name: string, options: Readonly<Record<string, unknown>> = {}): T {
  const { options: parsed, problems } = modelOptions(name, options);
  if (problems.length) throw new UsageError(problems.join('; '));
  return parsed as T;
}
