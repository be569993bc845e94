import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { z } from 'zod';
import { plannedCells, syntheticResult, type SyntheticSpec } from '../../orchestrator/reports/synthetic.js';
import { decodeTrial } from '../../worker/agent/cell-runner.js';
import { TrialResultSchema } from '../result.js';
import { TrialConfigSchema } from '../trial.js';
import { decodeCellState } from './cell-store.js';
import {
  CellStateSchema,
  decodeJson,
  encodeJson,
  GpuMetricsSchema,
  NodeMetricsSchema,
  NodeRecordSchema,
  ResultRecordSchema,
  SweepRecordSchema,
  TelemetryMessageSchema,
  TRIAL_MESSAGE_FORMAT,
  TrialMessageSchema,
  WireFormatError,
} from './messages.js';
import { readStoredResult } from './result-store.js';

/**
 * Hostile input for every wire decoder: random bytes, random JSON, and valid messages mutated (a
 * field dropped, replaced by any JSON value, a key added, the bytes cut or flipped). Each input
 * decodes, or fails with a WireFormatError (decodeJson, decodeTrial) / an `unreadable` reason
 * (decodeCellState, readStoredResult) that names the message, and nothing else: no TypeError, no
 * hang. Fixed seeds and run counts, so a failure reproduces (fast-check prints the seed and path).
 */
const SEED = 20240611;
const RUNS = 300;
/** Any one input taking longer than this is a hang for our purposes. */
const SLOW_MS = 1000;

const NOW = '2024-06-11T10:00:00.000Z';
const trial = TrialConfigSchema.parse({ dataset: 'sleep', optimizer: 'sgd', seed: 1, epochs: 1 });
const synth: SyntheticSpec = { name: 'fz', optimizers: ['sgd'], datasets: ['mnist'], seeds: [1], epochs: 2, stepsPerEpoch: 3, telemetryEvery: 1 };
const trialResult = syntheticResult(plannedCells(synth)[0]!, synth);

/** One valid value per schema, and how its decoder names it in messages. */
const VALID: Record<string, { schema: z.ZodType; value: Record<string, unknown>; what: string }> = {
  trial: { schema: TrialMessageSchema, value: { format: TRIAL_MESSAGE_FORMAT, sweep: 's1', cell: 'c1', trial }, what: 'trial message on grn.trials.s1.c1' },
  sweep: {
    schema: SweepRecordSchema,
    value: { format: 'grn.sweep/1', id: 's1', name: 'quick', status: 'running', cells: 6, max_deliver: 3, spec_yaml: 'name: quick\n', created_at: NOW, updated_at: NOW },
    what: 'sweep s1',
  },
  cell: { schema: CellStateSchema, value: { sweep: 's1', cell: 'c1', status: 'running', attempt: 1, node: 'n1', slot: 'n1-cpu0', updated_at: NOW }, what: 'cell s1.c1' },
  result: {
    schema: ResultRecordSchema,
    value: { sweep: 's1', cell: 'c1', node: 'n1', slot: 'n1-cpu0', attempt: 1, object: null, result: trialResult, bytes: 100, status: 'completed', final_score: 0.9, final_loss: 0.1, created_at: NOW },
    what: 'result s1.c1',
  },
  node: {
    schema: NodeRecordSchema,
    value: {
      format: 'grn.node/1',
      node: 'n1',
      host: 'h',
      pid: 1,
      version: '0.1.0',
      backend: 'cpu',
      gpus: [{ index: 0, name: 'H200', vram_total_mb: 141000 }],
      slots: [{ slot: 'n1-gpu0', kind: 'gpu', device: 0, sweep: null, cell: null, trainer_pid: null, samples_per_s: null }],
      draining: false,
      started_at: NOW,
      heartbeat_at: NOW,
      cells_done: 0,
      cells_failed: 0,
    },
    what: 'node n1',
  },
  telemetry: { schema: TelemetryMessageSchema, value: { sweep: 's1', cell: 'c1', node: 'n1', slot: 'n1-cpu0', at: NOW, kind: 'step', record: { step: 1, loss: 2.3 } }, what: 'grn.telemetry.s1.c1' },
  gpu: {
    schema: GpuMetricsSchema,
    value: { node: 'n1', gpu: 0, name: 'H200', utilisation_pct: 50, vram_used_mb: 1, vram_total_mb: 2, temperature_c: 40, power_w: 300, at: NOW },
    what: 'grn.gpu.n1.0',
  },
  'node metrics': { schema: NodeMetricsSchema, value: { node: 'n1', cpu_pct: 1, ram_used_mb: 1, ram_total_mb: 2, at: NOW }, what: 'grn.node.n1' },
};

const json = (v: unknown) => encodeJson(v);

/** A value with one thing changed: a key dropped, a value replaced (anywhere, one level down too), a key added. */
function mutated(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  const key = fc.constantFrom(...keys);
  const nested = keys.filter((k) => base[k] !== null && typeof base[k] === 'object' && !Array.isArray(base[k]));
  const arbitraries: Array<fc.Arbitrary<unknown>> = [
    key.map((k) => {
      const { [k]: _drop, ...rest } = base;
      return rest;
    }),
    fc.tuple(key, fc.jsonValue({ maxDepth: 3 })).map(([k, v]) => ({ ...base, [k]: v })),
    fc.tuple(fc.string(), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...base, [k]: v })),
    fc.tuple(key, fc.constantFrom(1e308, -1, 2 ** 53, 0.5, Number.MAX_SAFE_INTEGER + 2, '', '\u0000', 'x'.repeat(10_000), [], {}, null, true)).map(([k, v]) => ({ ...base, [k]: v })),
  ];
  if (nested.length > 0) {
    arbitraries.push(
      fc.tuple(fc.constantFrom(...nested), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([k, inner, v]) => ({ ...base, [k]: { ...(base[k] as object), [inner]: v } })),
    );
  }
  return fc.oneof(...arbitraries);
}

/** Bytes of a mutated value, of the valid value cut short or with bytes flipped, random JSON, random bytes. */
function hostileBytes(base: Record<string, unknown>): fc.Arbitrary<Uint8Array> {
  const valid = json(base);
  return fc.oneof(
    mutated(base).map(json),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const out = valid.slice();
      for (const [at, b] of flips) out[at] = b;
      return out;
    }),
    fc.jsonValue({ maxDepth: 4 }).map(json),
    fc.uint8Array({ maxLength: 256 }),
    fc.string({ unit: 'binary', maxLength: 64 }).map((text) => new TextEncoder().encode(text)),
    fc.constantFrom(
      new TextEncoder().encode('['.repeat(100_000)),
      new TextEncoder().encode(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
      new TextEncoder().encode('{"__proto__": {"format": "x"}}'),
      new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      new Uint8Array(0),
    ),
  );
}

/** Runs `fn`, which must return or throw a WireFormatError naming `what`; timed. */
function expectTypedOrOk(fn: () => unknown, what: string): void {
  const started = performance.now();
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WireFormatError, `expected a WireFormatError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.ok(err.message.startsWith(`${what}: `), `the message names the message: ${err.message}`);
    // One line, and nothing of the (hostile) bytes that a terminal would act on.
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(err.message), `no control characters: ${JSON.stringify(err.message)}`);
  }
  assert.ok(performance.now() - started < SLOW_MS, 'decoded in bounded time');
}

for (const [name, { schema, value, what }] of Object.entries(VALID)) {
  test(`fuzz decodeJson(${name}): decodes, or a one-line WireFormatError naming '${what}'`, () => {
    assert.deepEqual(schema.safeParse(value).success, true, 'the valid sample is valid');
    fc.assert(
      fc.property(hostileBytes(value), (bytes) => expectTypedOrOk(() => decodeJson(schema, bytes, what), what)),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('fuzz decodeTrial: a trial message decodes, or a WireFormatError naming its subject', () => {
  const subjects = fc.oneof(fc.constant('grn.trials.s1.c1'), fc.constant('grn.trials.s1.other'), fc.string({ maxLength: 30 }));
  fc.assert(
    fc.property(hostileBytes(VALID.trial!.value), subjects, (data, subject) => {
      const msg = { data, subject } as unknown as JsMsg;
      expectTypedOrOk(() => decodeTrial(msg), `trial message on ${subject}`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('fuzz decodeCellState: never throws; an unreadable value is queued with the reason naming the cell', () => {
  const keys = fc.oneof(fc.constant('s1.c1'), fc.constant('s1.c2'), fc.string({ maxLength: 20 }));
  fc.assert(
    fc.property(hostileBytes(VALID.cell!.value), keys, (bytes, key) => {
      const started = performance.now();
      const { state, unreadable } = decodeCellState(key, bytes);
      assert.ok(performance.now() - started < SLOW_MS);
      if (unreadable === undefined) assert.equal(`${state.sweep}.${state.cell}`, key);
      else {
        assert.ok(unreadable.startsWith(`unreadable cell state (cell ${key}: `), unreadable);
        assert.equal(state.status, 'queued');
        assert.equal(state.error, unreadable);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('fuzz readStoredResult: never throws; an unusable record or trial result is unreadable, naming the key', async () => {
  assert.ok(TrialResultSchema.safeParse(trialResult).success, 'the synthetic trial result is valid');
  // The Object Store holds random bytes, or a mutated trial result, or nothing, for any name.
  const blobs = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 64 }), mutated(trialResult).map(json), fc.constant(json(trialResult)));
  const records = fc.oneof(
    hostileBytes(VALID.result!.value),
    fc.tuple(mutated(trialResult), fc.boolean()).map(([result, inline]) => json({ ...VALID.result!.value, result: inline ? result : undefined, object: inline ? null : 'obj-1' })),
  );
  await fc.assert(
    fc.asyncProperty(records, blobs, async (value, blob) => {
      const store = { getBlob: async () => blob } as unknown as ObjectStore;
      const started = performance.now();
      const out = await readStoredResult('s1.c1', value, store);
      assert.ok(performance.now() - started < SLOW_MS);
      if ('unreadable' in out) assert.ok(out.unreadable.startsWith('result s1.c1: '), out.unreadable);
      else assert.equal(out.record.cell, 'c1');
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('regression (fuzz): not-JSON bytes with a newline and a terminal escape give a one-line, escaped message', () => {
  // Found by the fuzz above: V8 quotes the input in its JSON.parse message, so the bytes reached the log as they were.
  const bytes = new TextEncoder().encode('ab\ncd\u001b[31m');
  assert.throws(
    () => decodeJson(NodeMetricsSchema, bytes, 'grn.node.n1'),
    (err: Error) => err instanceof WireFormatError && err.message === 'grn.node.n1: not JSON (Unexpected token \'a\', "ab\\u000acd\\u001b[31m" is not valid JSON)',
  );
  // A record key from the wire is part of the path.
  const telemetry = { ...VALID.telemetry!.value, record: { 'a\u001b[2Jb': [] } };
  assert.throws(() => decodeJson(TelemetryMessageSchema, json(telemetry), 't'), /^WireFormatError: t: record\.a\\u001b\[2Jb: /);
});
