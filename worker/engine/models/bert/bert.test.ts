import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { lossAcrossSteps, parameterCount, syntheticText, textSample } from '../../../../test/helpers/synthetic-text.js';
import { cpuBackend } from '../../backends/cpu.js';
import { stream } from '../../random.js';
import { modelByName } from '../index.js';
import { readSafetensors } from './safetensors.js';

/**
 * `bert` against Hugging Face transformers. The fixture (fixture/: config.json and
 * model.safetensors as save_pretrained writes them, expected.json with the ids and PyTorch's
 * eval-mode logits) is a tiny random BertForSequenceClassification (vocab 99, hidden 32, 2 layers,
 * 4 heads, intermediate 37, 3 labels) made by reference.py beside this file; regenerate with
 *   /root/torchenv/bin/pip install torch transformers safetensors
 *   /root/torchenv/bin/python worker/engine/models/bert/reference.py
 * This test reads only the committed files (no torch needed).
 */
const FIXTURE = fileURLToPath(new URL('../../../../../worker/engine/models/bert/fixture/', import.meta.url));
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as { input_ids: number[][]; attention_mask: number[][]; logits: number[][]; parameters: number };
const fixtureSample = textSample({ vocabSize: 99, maxLength: 12, classes: 3, padId: 0 });

let dir: string;
before(async () => {
  await cpuBackend.activate();
  dir = mkdtempSync(join(tmpdir(), 'grn-bert-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file of float32 tensors (the reader's inverse, for the checks below). */
function writeSafetensors(path: string, tensors: Record<string, { shape: number[]; values: Float32Array }>, dtype = 'F32'): void {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, ...chunks]));
}

describe('bert', () => {
  it("computes transformers' logits for the fixture checkpoint (to 1e-4), with its parameter count", async () => {
    assert.deepEqual(expected.attention_mask, expected.input_ids.map((row) => row.map((id) => Number(id !== 0))), 'the reference masks exactly the padding');
    const model = (await modelByName('bert')).create(fixtureSample, stream(1, 'init'), { pretrained: FIXTURE });
    assert.equal(parameterCount(model), expected.parameters);
    const ids = tf.tensor2d(expected.input_ids, undefined, 'int32');
    const logits = model.predict(ids).arraySync() as number[][];
    const worst = Math.max(...logits.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected.logits[i]![j]!))));
    process.stdout.write(`# largest |logit - PyTorch's|: ${worst.toExponential(2)}\n`);
    logits.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected.logits[i]![j]!) < 1e-4, `logit [${i}][${j}]: ${v}, PyTorch ${expected.logits[i]![j]}`)));
    // Dropout (0.1 from config.json) is on in training only.
    assert.notDeepEqual(model.predict(ids, true).arraySync(), logits);
    ids.dispose();
    model.dispose();
  });

  it('initialises a fresh classifier for the data set when the checkpoint has none (a plain pre-trained BERT)', async () => {
    const base = join(dir, 'base');
    mkdirSync(base);
    copyFileSync(join(FIXTURE, 'config.json'), join(base, 'config.json'));
    const stored = readSafetensors(join(FIXTURE, 'model.safetensors'));
    // A bare BertModel's names (no `bert.` prefix), without the classifier.
    const kept = Object.fromEntries([...stored].filter(([n]) => !n.startsWith('classifier.')).map(([n, t]) => [n.replace(/^bert\./, ''), { shape: [...t.shape], values: t.values() }]));
    writeSafetensors(join(base, 'model.safetensors'), kept);
    const factory = await modelByName('bert');
    const full = factory.create(fixtureSample, stream(1, 'init'), { pretrained: FIXTURE });
    const fresh = factory.create({ ...fixtureSample, classes: 5 }, stream(1, 'init'), { pretrained: base });
    const n = full.variables.length;
    for (let i = 0; i < n - 2; i++) assert.deepEqual(fresh.variables[i]!.dataSync(), full.variables[i]!.dataSync(), `variable ${i}`);
    const [weight, bias] = fresh.variables.slice(-2);
    assert.deepEqual(weight!.shape, [32, 5]);
    assert.ok(bias!.dataSync().every((b) => b === 0));
    const w = Array.from(weight!.dataSync());
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    assert.ok(std > 0.012 && std < 0.03, `classifier std ${std}, BERT's init draws 0.02`);
    full.dispose();
    fresh.dispose();
  });

  it('refuses a data set that does not fit the checkpoint, and a folder without its files, naming what', async () => {
    const factory = await modelByName('bert');
    assert.throws(() => factory.create({ ...fixtureSample, vocabSize: 100 }, stream(1, 'init'), { pretrained: FIXTURE }), /vocabulary has 100 ids but the model embeds only 99/);
    assert.throws(() => factory.create({ ...fixtureSample, maxLength: 65 }, stream(1, 'init'), { pretrained: FIXTURE }), /65 tokens long .* at most 64/);
    assert.throws(() => factory.create({ ...fixtureSample, classes: 4 }, stream(1, 'init'), { pretrained: FIXTURE }), /classifier\.weight' is \[3,32\]/);
    assert.throws(() => factory.create(fixtureSample, stream(1, 'init'), { pretrained: join(dir, 'nowhere') }), /cannot read .*nowhere.*config\.json/);
    assert.throws(() => factory.create(fixtureSample, stream(1, 'init'), { pretrained: FIXTURE, layers: 4 }), /come from the checkpoint's config\.json/);
  });

  it('without pretrained: a small random BERT of the options, N(0, 0.02) weights, that trains', async () => {
    const factory = await modelByName('bert');
    const sample = textSample({ vocabSize: 40, maxLength: 10, classes: 2 });
    const [V, P, T, H, I, L, C] = [40, 512, 2, 16, 24, 1, 2];
    const perLayer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
    const model = factory.create(sample, stream(1, 'init'), { layers: L, hidden: H, heads: 2, intermediate: I });
    assert.equal(parameterCount(model), (V + P + T) * H + 2 * H + L * perLayer + (H * H + H) + (H * C + C));
    const word = model.variables[0]!.dataSync();
    assert.ok(word.slice(0, H).every((x) => x === 0), 'the padding row starts at zero');
    model.dispose();
    const data = syntheticText(sample, 8, stream(2, 'data'));
    const trained = factory.create(sample, stream(3, 'init'), { layers: L, hidden: H, heads: 2, intermediate: I });
    const { before: b, after: a } = await lossAcrossSteps(trained, data, 'adam', { lr: 1e-2 }, 3);
    assert.ok(a < b, `loss ${b} → ${a}`);
    trained.dispose();
  });
});

describe('safetensors', () => {
  it('reads F32, F16 and BF16 tensors as float32, and names a file that is not one', () => {
    const f32 = join(dir, 'f32.safetensors');
    writeSafetensors(f32, { a: { shape: [2, 2], values: Float32Array.of(1, -2.5, 0.125, 3e4) } });
    assert.deepEqual(Array.from(readSafetensors(f32).get('a')!.values()), [1, -2.5, 0.125, 3e4]);
    const half = (bits: number[]) => {
      const b = new Uint16Array(bits);
      return new Float32Array(b.buffer); // two halves per float32 slot: the writer only copies bytes
    };
    const f16 = join(dir, 'f16.safetensors');
    writeSafetensors(f16, { h: { shape: [4], values: half([0x3c00, 0xc000, 0x3555, 0x0001]) } }, 'F16');
    const h = readSafetensors(f16).get('h')!.values();
    assert.deepEqual([h[0], h[1], h[3]], [1, -2, 2 ** -24]);
    assert.ok(Math.abs(h[2]! - 1 / 3) < 1e-3);
    const bf16 = join(dir, 'bf16.safetensors');
    writeSafetensors(bf16, { b: { shape: [2], values: half([0x3f80, 0xc040]) } }, 'BF16');
    assert.deepEqual(Array.from(readSafetensors(bf16).get('b')!.values()), [1, -3]);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
    assert.throws(() => readSafetensors(bad), /bad\.safetensors: not a safetensors file \(header length 200/);
  });
});
