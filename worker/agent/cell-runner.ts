import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { casCell, createCell, FINAL_STATUSES, isRevisionConflict, queuedState, readCell, settleCell } from '../../shared/protocol/cell-store.js';
import {
  decodeJson,
  encodeJson,
  INLINE_RESULT_BYTES,
  TrialMessageSchema,
  WireFormatError,
  type CellState,
  type ResultRecord,
  type SweepStatus,
  type TelemetryMessage,
  type TrialMessage,
} from '../../shared/protocol/messages.js';
import { cellKey, checkpointObject, parseTrialSubject, subjects } from '../../shared/protocol/names.js';
import { attemptObjectPrefix, readStoredResult } from '../../shared/protocol/result-store.js';
import { primaryMetric, type TrialResult } from '../../shared/result.js';
import type { SlotExecutor } from './executor.js';
import type { CheckpointAt } from '../engine/checkpoint/index.js';
import { CellCheckpoints, takesCheckpoints } from './checkpoints.js';
import { TrainerCrashedError } from './trainer-process.js';

/** What the runner needs from its agent. */
export interface RunnerContext {
  readonly node: string;
  readonly nc: NatsConnection;
  /** Publishes submissions (acked by the stream). */
  readonly js: JetStreamClient;
  readonly cells: KV;
  readonly results: KV;
  readonly artifacts: ObjectStore;
  /** The sweep's status as the agent last saw it (undefined: unknown sweep). */
  sweepStatus(sweep: string): SweepStatus | undefined;
  maxDeliver(sweep: string): number;
  /** Milliseconds between `working()` heartbeats (a third of the consumer's ack wait). */
  readonly workingEveryMs: number;
  log(line: string): void;
}

export interface SlotHandle {
  readonly slot: string;
  readonly kind: 'gpu' | 'cpu';
  /** GPU index the trainer is pinned to; null for CPU slots. */
  readonly device: number | null;
  readonly executor: SlotExecutor;
  /** Holds a delivered message (claimed or not yet). */
  busy: boolean;
  /** Set while a cell runs, so a cancel or drain can find it. */
  running: { sweep: string; cell: string; handBack: boolean; cancelled: boolean; timedOut?: boolean } | null;
  samplesPerSecond: number | null;
}

export type Outcome = 'done' | 'duplicate' | 'retry' | 'failed' | 'cancelled' | 'skipped' | 'invalid' | 'handed-back' | 'stale';

const now = () => new Date().toISOString();

/**
 * The delivery's ack subject (`$JS.ACK.…`): the JsMsg type omits it, its implementation has it as
 * `reply`. Recorded with the claim so the orchestrator can hand the cell back when it knows this
 * worker died.
 */
function deliveryOf(msg: JsMsg): { delivery?: string } {
  const reply = (msg as unknown as { reply?: unknown }).reply;
  return typeof reply === 'string' && reply.startsWith('$JS.ACK.') ? { delivery: reply } : {};
}
const encoder = new TextEncoder();

/** A trial ran past `train.timeout`: the cell fails at once (see failAttempt). */
export class TrialTimeoutError extends Error {
  override name = 'TrialTimeoutError';
}

/** Retry delay after a failed attempt: 1 s, 2 s, 4 s, … capped at 15 s. */
function backoffMs(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs one delivered trial message to its end, keeping the protocol's promises:
 * - the result is written once: `results.create` is the linearisation point, so a second finisher
 *   (a redelivery after a lost lease) drops its result;
 * - every cell move is a compare-and-set on the cells bucket;
 * - the message is acked only after the result is stored, `working()` keeps the lease while the
 *   trial runs, a failure is nak'ed with back-off until max_deliver, then the cell is failed and
 *   the message term()ed (a work-queue stream would otherwise keep it forever);
 * - a message that does not parse is term()ed at once.
 */
export interface CellHooks {
  /** The slot took or finished a cell (for the registry). */
  onSlotChange?(): void;
  /**
   * The trainer is free again: storing the result and acking still follow, but the slot may take
   * its next cell meanwhile, which keeps those round trips off the critical path.
   */
  onTrainerFree?(): void;
  /** The running trial expects to end in about `ms` milliseconds. */
  onEta?(ms: number): void;
}

/**
 * The trial a message carries, checked against the subject it came on: the subject is what the
 * stream, the consumer's filter and the permissions see, so a body naming another cell is not
 * acted on (it would run, and store a result for, a cell this delivery is not about).
 */
export function decodeTrial(msg: JsMsg): TrialMessage {
  const trial = decodeJson(TrialMessageSchema, msg.data, `trial message on ${msg.subject}`);
  const parts = parseTrialSubject(msg.subject);
  if (!parts || parts.sweep !== trial.sweep || parts.cell !== trial.cell) {
    throw new WireFormatError(`trial message on ${msg.subject}: its body names cell ${trial.sweep}.${trial.cell}`);
  }
  return trial;
}

export async function runCell(msg: JsMsg, slot: SlotHandle, ctx: RunnerContext, hooks: CellHooks = {}): Promise<Outcome> {
  let trial;
  try {
    trial = decodeTrial(msg);
  } catch (err) {
    msg.term();
    // The subject still names the cell when the body cannot be read.
    const parts = parseTrialSubject(msg.subject);
    ctx.log(`invalid trial message on ${msg.subject}: ${(err as Error).message}`);
    if (parts) {
      const error = `invalid trial message: ${(err as Error).message}`;
      await settleCell(ctx.cells, cellKey(parts.sweep, parts.cell), (s) => (FINAL_STATUSES.has(s.status) ? null : { ...s, status: 'failed', error, updated_at: now() }));
    }
    return 'invalid';
  }
  const { sweep, cell } = trial;
  const key = cellKey(sweep, cell);
  const attempt = msg.info.deliveryCount;

  if (ctx.sweepStatus(sweep) === 'cancelled') {
    await settleCell(ctx.cells, key, (s) => (FINAL_STATUSES.has(s.status) ? null : { ...s, status: 'cancelled', updated_at: now() }));
    msg.term();
    return 'cancelled';
  }
  const claim = (from: CellState): CellState => ({
    ...from,
    status: 'running',
    attempt,
    node: ctx.node,
    slot: slot.slot,
    ...deliveryOf(msg),
    started_at: now(),
    updated_at: now(),
  });
  const telemetrySubject = subjects.telemetry(sweep, cell);
  // Files the running attempt made (Grad-CAM PNGs), stored with its result.
  let artefacts: Artefact[] = [];
  let deadline: NodeJS.Timeout | undefined;
  const limitS = trial.trial.timeoutS;
  // Where an earlier attempt (on any worker) got to: the trial resumes from its last checkpoint.
  const checkpoints = takesCheckpoints(trial.trial) ? new CellCheckpoints(ctx.artifacts, checkpointObject(sweep, cell), ctx.log) : null;
  let resumeFrom = checkpoints ? await checkpoints.load() : undefined;
  const start = (): Promise<TrialResult> => {
    slot.running = { sweep, cell, handBack: false, cancelled: false };
    if (limitS !== undefined) {
      const running = slot.running;
      deadline = setTimeout(() => {
        running.timedOut = true;
        ctx.log(`${key}: past its time limit of ${limitS} s (train.timeout): killing its trainer`);
        slot.executor.kill();
      }, limitS * 1000);
    }
    slot.samplesPerSecond = null;
    artefacts = [];
    return slot.executor.run(trial.trial, {
      onArtefact: (name, bytes) => void artefacts.push({ name, bytes }),
      onTelemetry(kind, record) {
        if (typeof record.samples_per_s === 'number') slot.samplesPerSecond = record.samples_per_s;
        const message: TelemetryMessage = { sweep, cell, node: ctx.node, slot: slot.slot, attempt, at: now(), kind, record };
        ctx.nc.publish(telemetrySubject, encodeJson(message));
      },
      onEta: (ms) => hooks.onEta?.(ms),
      ...(checkpoints ? { onCheckpoint: (bytes: Uint8Array, at: CheckpointAt) => checkpoints.save(bytes, at) } : {}),
    }, resumeFrom ? { resumeFrom } : {});
  };
  // The common case, a cell's first delivery, claims with one create-if-absent (an absent cell is
  // queued), and the trial starts while that request is in flight: a lost claim (rare: a
  // re-published cell) aborts it before it has done anything that counts. Otherwise read the
  // cell: finished already? someone else's? then compare-and-set, and only then start.
  let running = claim(queuedState(key));
  let revision: number | null = null;
  let execution: Promise<TrialResult> | undefined;
  if (attempt === 1) {
    execution = start();
    // A trial that fails fast (a missing data file) rejects while the claim is still in flight,
    // before anyone awaits it: mark the rejection handled here, or Node treats it as unhandled
    // (and kills the worker). It is still awaited, and reported, below.
    execution.catch(() => undefined);
    revision = await createCell(ctx.cells, key, running);
    if (revision === null) {
      slot.executor.abort();
      await execution.catch(() => undefined);
      execution = undefined;
      slot.running = null;
    }
  }
  if (revision === null) {
    const entry = await readCell(ctx.cells, key);
    if (entry?.unreadable) ctx.log(`${key}: ${entry.unreadable}; claiming it over that value`);
    const stored = await ctx.results.get(key);
    // A done cell without a stored result is run again: its result may be waiting for the
    // orchestrator to judge it, or the cell was marked done by someone who handed nothing in.
    if (stored && stored.operation === 'PUT' && !('unreadable' in (await readStoredResult(key, stored.value, ctx.artifacts)))) {
      // Finished by an earlier attempt that died before acking: make the cell say so, then drop.
      await settleCell(ctx.cells, key, (s) => (s.status === 'done' ? null : { ...s, status: 'done', updated_at: now() }));
      msg.ack();
      return 'duplicate';
    }
    if (entry && FINAL_STATUSES.has(entry.state.status) && entry.state.status !== 'done') {
      msg.ack();
      return 'skipped';
    }
    running = claim(entry?.state ?? queuedState(key));
    revision = entry ? await casCell(ctx.cells, key, entry.revision, running) : await createCell(ctx.cells, key, running);
    if (revision === null) {
      // Someone moved the cell between our read and write (a parallel redelivery): let it settle.
      msg.nak(500);
      return 'retry';
    }
  }

  hooks.onSlotChange?.();
  const heartbeat = setInterval(() => msg.working(), ctx.workingEveryMs);
  let result: TrialResult;
  try {
    try {
      result = await (execution ?? start());
    } catch (err) {
      // A checkpoint this trial cannot resume from (another trial's, damaged, an older engine's):
      // start from scratch in the same attempt, and drop it so no later attempt tries it again.
      if (!resumeFrom || (err as Error).name !== 'CheckpointError') throw err;
      ctx.log(`${key}: ${(err as Error).message}; starting from scratch`);
      await checkpoints?.discard();
      resumeFrom = undefined;
      clearTimeout(deadline);
      result = await start();
    }
  } catch (err) {
    clearInterval(heartbeat);
    clearTimeout(deadline);
    const state = slot.running ?? { cancelled: false, handBack: false, timedOut: false };
    slot.running = null;
    hooks.onTrainerFree?.();
    const error = state.timedOut ? new TrialTimeoutError(`timed out: still running after the ${limitS} s limit (train.timeout); its trainer was killed`) : (err as Error);
    // The next attempt (maybe on this worker, at once) resumes from the checkpoint being stored.
    await checkpoints?.settled();
    return failAttempt(msg, ctx, { key, attempt, revision, running, error, cancelled: state.cancelled, handBack: state.handBack });
  }
  clearInterval(heartbeat);
  clearTimeout(deadline);
  slot.running = null;
  // The slot's next cell first (it may be waiting, fetched ahead), then the registry.
  hooks.onTrainerFree?.();
  hooks.onSlotChange?.();
  // Let the slot's next fetch go out first: storing this result is off the critical path.
  await new Promise((resolve) => setImmediate(resolve));
  // A put landing after the acceptor deleted the checkpoint would leave it behind for good.
  await checkpoints?.settled();
  return storeResult(msg, ctx, { key, sweep, cell, attempt, slot: slot.slot, token: trial.token, result, artefacts, revision, running });
}

interface Artefact {
  readonly name: string;
  readonly bytes: Uint8Array;
}

async function storeResult(
  msg: JsMsg,
  ctx: RunnerContext,
  a: { key: string; sweep: string; cell: string; attempt: number; slot: string; token: string | undefined; result: TrialResult; artefacts: readonly Artefact[]; revision: number; running: CellState },
): Promise<Outcome> {
  const bytes = encoder.encode(JSON.stringify(a.result));
  // The task's primary metric (accuracy; mIoU for segmentation), not accuracy by assumption.
  const { name: metric, values } = primaryMetric(a.result);
  const finalScore = values.at(-1) ?? null;
  const finalLoss = a.result.test_loss.at(-1) ?? null;
  const record: ResultRecord = {
    sweep: a.sweep,
    cell: a.cell,
    node: ctx.node,
    slot: a.slot,
    attempt: a.attempt,
    object: null,
    bytes: bytes.length,
    status: a.result.status,
    metric,
    final_score: finalScore,
    final_loss: finalLoss,
    created_at: now(),
  };
  const attemptName = `${attemptObjectPrefix(a.sweep, a.cell, a.attempt, ctx.node)}${a.slot}`;
  if (bytes.length <= INLINE_RESULT_BYTES) record.result = a.result;
  else {
    record.object = `${attemptName}.json`;
    record.object_sha256 = createHash('sha256').update(bytes).digest('hex');
    await ctx.artifacts.putBlob({ name: record.object }, bytes);
  }
  // Each attempt's files under its own names: a late loser cannot overwrite the winner's.
  if (a.artefacts.length) {
    record.artefacts = [];
    for (const f of a.artefacts) {
      const object = `${attemptName}/${f.name}`;
      await ctx.artifacts.putBlob({ name: object }, f.bytes);
      record.artefacts.push({ name: f.name, object, bytes: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') });
    }
  }
  if (a.token !== undefined) record.token = a.token;
  // Handed in, not stored: the orchestrator's acceptor judges it (claim, token, schema) and is the
  // only writer of grn-results. The publish is acked by the stream, so once it returns the result
  // is safe whether or not an orchestrator runs now. No message id: a run of the same attempt again
  // (a redelivery after a restart) must not be dropped as a duplicate of a publish the server
  // recorded but could not store (a full disk); the acceptor keeps one result anyway.
  await ctx.js.publish(subjects.submit(ctx.node, a.sweep, a.cell), encodeJson(record));
  const divergedAt = a.result.divergence?.step;
  const done = (s: CellState): CellState => ({
    ...s,
    status: 'done',
    error: undefined,
    metric,
    final_score: finalScore,
    final_loss: finalLoss,
    ...(divergedAt === undefined ? {} : { diverged_at_step: divergedAt }),
    updated_at: now(),
  });
  // Usually nobody moved the cell since our claim: one compare-and-set. If someone did (the lease
  // ran out and the cell went elsewhere), the cell is theirs: the acceptor judges this result stale.
  if ((await casCell(ctx.cells, a.key, a.revision, done(a.running))) === null) {
    ctx.log(`${a.key}: attempt ${a.attempt} finished after the cell moved on (its lease ran out); handed in anyway, the orchestrator keeps one result`);
  }
  // A plain ack: if it is lost, the redelivery runs the cell again and the acceptor keeps one result.
  msg.ack();
  return 'done';
}

async function failAttempt(
  msg: JsMsg,
  ctx: RunnerContext,
  a: { key: string; attempt: number; revision: number; running: CellState; error: Error; cancelled: boolean; handBack: boolean },
): Promise<Outcome> {
  const message = `${a.error.name === 'Error' ? '' : `${a.error.name}: `}${a.error.message}`;
  // Every verdict below is a compare-and-set against our claim. When it fails because the cell
  // went to another delivery (this worker was frozen past its lease, and a redelivery runs
  // elsewhere), the message is no longer ours to settle: a NAK from here made JetStream deliver
  // the cell a third time, beside the live attempt (found by the chaos suite: a SIGSTOPped
  // worker's trainer killed after SIGCONT), and a TERM would end the live one's redeliveries.
  const settle = async (state: CellState): Promise<boolean> => {
    if ((await casCell(ctx.cells, a.key, a.revision, state)) !== null) return true;
    const current = await readCell(ctx.cells, a.key);
    const ours = current !== null && !current.unreadable && current.state.delivery === a.running.delivery && current.state.node === ctx.node;
    if (ours) return true;
    ctx.log(`${a.key}: attempt ${a.attempt} failed (${message}) after the cell moved on (its lease ran out); leaving it to its current holder`);
    return false;
  };
  if (a.cancelled) {
    if (!(await settle({ ...a.running, status: 'cancelled', updated_at: now() }))) return 'stale';
    msg.term();
    return 'cancelled';
  }
  if (a.handBack) {
    // Draining: give the cell back at once for another worker; the attempt still counts.
    if (!(await settle({ ...a.running, status: 'queued', error: 'handed back by a draining worker', updated_at: now() }))) return 'stale';
    msg.nak();
    return 'handed-back';
  }
  const maxDeliver = ctx.maxDeliver(a.running.sweep);
  // A time limit is the user's verdict on the cell, not a fault another attempt could mend.
  if (a.attempt >= maxDeliver || a.error instanceof TrialTimeoutError) {
    if (!(await settle({ ...a.running, status: 'failed', error: message, updated_at: now() }))) return 'stale';
    msg.term();
    ctx.log(`${a.key}: failed after ${a.attempt} attempt(s): ${message}`);
    return 'failed';
  }
  if (!(await settle({ ...a.running, status: 'queued', error: message, updated_at: now() }))) return 'stale';
  // A crashed trainer is restarted at once; a trial's own error waits a little before the retry.
  msg.nak(a.error instanceof TrainerCrashedError ? 0 : backoffMs(a.attempt));
  ctx.log(`${a.key}: attempt ${a.attempt}/${maxDeliver} failed (${message}); handed back for a retry`);
  return 'retry';
}
