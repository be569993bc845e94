import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Model } from '../models/types.js';
import type { Optimizer, SavedTensor } from '../optimizers/types.js';
import type { LoopState } from '../train.js';
import { CheckpointError } from './errors.js';
import { decodeCheckpoint, encodeCheckpoint, type TensorData } from './format.js';
import { checkIdentity, identityHash, type TrialIdentity } from './identity.js';

/** Where a checkpoint was taken: epochs and global steps completed. */
export interface CheckpointAt {
  readonly epoch: number;
  readonly step: number;
}

/** What a checkpoint is taken of and restored into. */
export interface TrainingParts {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly identity: TrialIdentity;
}

const MODEL_VARIABLE = 'model/variable/';
const MODEL_BUFFER = 'model/buffer/';
const OPTIMIZER = 'optimizer/';

const Stream = z.object({ c: z.number(), s0: z.number(), s1: z.number(), s2: z.number() });
const count = z.number().int().nonnegative();
const State = z.object({
  trial: z.record(z.string(), z.unknown()),
  trial_hash: z.string(),
  saved_at: z.string(),
  at: z.object({ epoch: count, step: count }),
  model: z.object({ name: z.string(), variables: count, buffers: count, random: z.array(z.number()).nullable() }),
  optimizer: z.object({ name: z.string(), host: z.record(z.string(), z.unknown()) }),
  loop: z.object({
    epoch: count,
    batch: count,
    step: count,
    shuffle: Stream,
    epochs: z.array(z.record(z.string(), z.unknown())),
    steps: z.array(z.record(z.string(), z.unknown())),
    records: z.array(z.record(z.string(), z.unknown()).nullable()),
    lossSum: z.number(),
    lossesRead: count,
    lastFinite: z.object({ step: count, loss: z.number() }).nullable(),
    elapsed: z.number(),
  }),
});

/**
 * Takes a checkpoint of the training as it stands. The state is captured before this returns (the
 * device tensors as clones, which cost no copy where tensors are immutable, as in TensorFlow.js);
 * reading them back and encoding happen in the returned promise, while training may go on.
 */
export function captureCheckpoint(parts: TrainingParts, loop: LoopState): Promise<Uint8Array> {
  const { model, optimizer, identity } = parts;
  const clones = new Map<string, tf.Tensor>();
  model.variables.forEach((v, i) => clones.set(`${MODEL_VARIABLE}${i}`, tf.clone(v)));
  model.buffers?.forEach((v, i) => clones.set(`${MODEL_BUFFER}${i}`, tf.clone(v)));
  const saved = optimizer.saveState();
  for (const [key, t] of Object.entries(saved.tensors)) clones.set(`${OPTIMIZER}${key}`, t);
  const at: CheckpointAt = { epoch: loop.epoch, step: loop.step };
  const state: z.input<typeof State> = {
    trial: identity,
    trial_hash: identityHash(identity),
    saved_at: new Date().toISOString(),
    at,
    model: { name: model.name, variables: model.variables.length, buffers: model.buffers?.length ?? 0, random: model.randomState?.save() ?? null },
    optimizer: { name: optimizer.name, host: saved.host },
    loop: loop as unknown as z.input<typeof State>['loop'],
  };
  return (async () => {
    try {
      const values = await Promise.all([...clones.values()].map((t) => t.data()));
      const tensors = new Map<string, TensorData>();
      [...clones].forEach(([name, t], i) => {
        const data = values[i]!;
        if (!(data instanceof Float32Array)) throw new Error(`checkpoint: tensor '${name}' is ${t.dtype}, only float32 state is saved`);
        tensors.set(name, { shape: t.shape, data });
      });
      return encodeCheckpoint(state, tensors);
    } finally {
      tf.dispose([...clones.values()]);
    }
  })();
}

/**
 * Puts a checkpoint's weights, buffers, optimizer and model randomness into freshly built `parts`
 * and returns the loop state to continue from. Throws CheckpointError for damaged bytes, a
 * checkpoint of another trial, or one whose tensors do not fit this model; `parts` are untouched
 * until all of that has been checked.
 */
export function restoreCheckpoint(bytes: Uint8Array, parts: TrainingParts): { loop: LoopState; at: CheckpointAt } {
  const decoded = decodeCheckpoint(bytes);
  const parsed = State.safeParse(decoded.state);
  if (!parsed.success) throw new CheckpointError('corrupt', `its state is malformed (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const state = parsed.data;
  checkIdentity(state.trial, parts.identity);
  const { model, optimizer } = parts;
  if (state.model.name !== model.name || state.optimizer.name !== optimizer.name) {
    throw new CheckpointError('incompatible', `it holds ${state.model.name}/${state.optimizer.name}, the trial builds ${model.name}/${optimizer.name}`);
  }
  const fit = (prefix: string, variables: readonly tf.Variable[], saved: number) => {
    if (saved !== variables.length) throw new CheckpointError('incompatible', `${saved} ${prefix}* tensors, the model has ${variables.length}`);
    return variables.map((v, i) => {
      const t = decoded.tensors.get(`${prefix}${i}`);
      if (!t) throw new CheckpointError('corrupt', `tensor '${prefix}${i}' is missing`);
      if (t.shape.length !== v.shape.length || t.shape.some((d, k) => d !== v.shape[k])) {
        throw new CheckpointError('incompatible', `tensor '${prefix}${i}' is [${t.shape}], the model's is [${v.shape}]`);
      }
      return t;
    });
  };
  const weights = fit(MODEL_VARIABLE, model.variables, state.model.variables);
  const buffers = fit(MODEL_BUFFER, model.buffers ?? [], state.model.buffers);
  const optimizerTensors: Record<string, SavedTensor> = {};
  for (const [name, t] of decoded.tensors) if (name.startsWith(OPTIMIZER)) optimizerTensors[name.slice(OPTIMIZER.length)] = t;

  tf.tidy(() => {
    model.variables.forEach((v, i) => v.assign(tf.tensor(weights[i]!.data, v.shape, 'float32')));
    (model.buffers ?? []).forEach((v, i) => v.assign(tf.tensor(buffers[i]!.data, v.shape, 'float32')));
  });
  optimizer.loadState({ host: state.optimizer.host, tensors: optimizerTensors });
  if (state.model.random) model.randomState?.restore(state.model.random);
  return { loop: state.loop as unknown as LoopState, at: state.at };
}

/** What a checkpoint is, without restoring it (for stores and logs); throws CheckpointError as restore does. */
export function checkpointInfo(bytes: Uint8Array): { at: CheckpointAt; trialHash: string; savedAt: string; model: string; optimizer: string } {
  const parsed = State.safeParse(decodeCheckpoint(bytes).state);
  if (!parsed.success) throw new CheckpointError('corrupt', 'its state is malformed');
  const s = parsed.data;
  return { at: s.at, trialHash: s.trial_hash, savedAt: s.saved_at, model: s.model.name, optimizer: s.optimizer.name };
}
