import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { FINAL_STATUSES, isRevisionConflict, readCell, settleCell } from '../../shared/protocol/cell-store.js';
import { decodeJson, encodeJson, ResultRecordSchema, type CellState, type ResultRecord } from '../../shared/protocol/messages.js';
import { acceptorName, cellKey, checkpointObject, parseSubmitSubject, SUBMISSIONS_STREAM } from '../../shared/protocol/names.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import { attemptObjectPrefix } from '../../shared/protocol/result-store.js';
import type { ClaimTokens } from './claim-token.js';
import type { Stores } from './infrastructure.js';

/**
 * The only writer of `grn-results`. Workers hand results in on `grn.submit.<node>.<sweep>.<cell>`
 * (a subject the server lets only that node publish on); each is judged here before it becomes the
 * cell's result:
 * - `rejected`: not a result record, a record naming another node or cell than its subject, a cell
 *   that is not in the sweep, no valid claim token (the cell was never delivered to that node), no
 *   claim by that node, or a result object that is missing or altered;
 * - `stale`: from an attempt that no longer holds the cell's claim (a frozen worker that came back
 *   after its lease ran out and the cell went elsewhere);
 * - `duplicate`: the cell has its result already;
 * - `accepted`: stored (create-if-absent), and the cell made done.
 * Every verdict but `accepted` is reported and the submission dropped; a claim holder's unusable
 * result fails the cell with the reason, so the sweep still ends. Submissions wait in a work-queue
 * stream with a durable consumer, so results handed in while no orchestrator runs are judged when
 * one resumes.
 */
export type Verdict = 'accepted' | 'duplicate' | 'stale' | 'rejected';

export interface Judgement {
  readonly verdict: Verdict;
  readonly cell: string;
  readonly node: string;
  readonly attempt?: number;
  readonly reason?: string;
}

export interface AcceptorOptions {
  readonly nc: NatsConnection;
  readonly stores: Stores;
  readonly sweep: string;
  readonly cells: ReadonlySet<string>;
  readonly tokens: ClaimTokens;
  readonly onJudgement: (judgement: Judgement) => void | Promise<void>;
  /** A submission could not be judged yet (the server is away, its store full). */
  readonly onTrouble?: (message: string) => void | Promise<void>;
}

const now = () => new Date().toISOString();

export class ResultAcceptor {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  readonly counts: Record<Verdict, number> = { accepted: 0, duplicate: 0, stale: 0, rejected: 0 };

  constructor(private readonly options: AcceptorOptions) {}

  async start(): Promise<void> {
    const consumer = await jetstream(this.options.nc).consumers.get(SUBMISSIONS_STREAM, acceptorName(this.options.sweep));
    this.messages = await consumer.consume({ max_messages: 256 });
    const messages = this.messages;
    this.loop = (async () => {
      for await (const msg of messages) {
        let judgement: Judgement;
        try {
          judgement = await this.judge(msg);
        } catch (err) {
          // The server went away mid-judgement (or its store is full): judge it again later, and
          // say so once per submission so a stuck one is not silent.
          msg.nak(1000);
          if (msg.info.deliveryCount === 1 || msg.info.deliveryCount % 30 === 0) {
            await this.options.onTrouble?.(`judging the submission on ${msg.subject} failed (${(err as Error).message}); trying again`);
          }
          continue;
        }
        msg.ack();
        this.counts[judgement.verdict]++;
        await this.options.onJudgement(judgement);
      }
    })();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
  }

  /** One submission's verdict, with every write it implies done (the caller acks). */
  async judge(msg: JsMsg): Promise<Judgement> {
    const { stores, sweep } = this.options;
    const from = parseSubmitSubject(msg.subject);
    if (!from || from.sweep !== sweep) return { verdict: 'rejected', cell: '?', node: from?.node ?? '?', reason: `a submission on ${msg.subject}, not grn.submit.<node>.${sweep}.<cell>` };
    const { node, cell } = from;
    const key = cellKey(sweep, cell);
    const reject = (reason: string, attempt?: number): Judgement => ({ verdict: 'rejected', cell, node, attempt, reason });
    let record: ResultRecord;
    try {
      record = decodeJson(ResultRecordSchema, msg.data, `result for ${key} from node ${node}`);
    } catch (err) {
      return this.failHolder(key, node, reject((err as Error).message));
    }
    const { attempt } = record;
    if (record.node !== node) return reject(`the record says node '${record.node}', but node '${node}' sent it`, attempt);
    if (record.sweep !== sweep || record.cell !== cell) return reject(`the record names cell ${cellKey(record.sweep, record.cell)}`, attempt);
    if (!this.options.cells.has(cell)) return reject(`sweep ${sweep} has no cell '${cell}'`, attempt);
    if (!this.options.tokens.verify(cell, record.token)) return reject('no valid claim token: the cell was never delivered to this node', attempt);

    const stored = await stores.results.get(key);
    const current = stored?.operation === 'PUT' ? await readStoredResult(key, stored.value, stores.artifacts) : null;
    if (current && !('unreadable' in current)) {
      // The same attempt again: a submission re-delivered after the acceptor stored it but before
      // its ack arrived. Nothing to report.
      if (current.record.node === node && current.record.attempt === attempt) return { verdict: 'accepted', cell, node, attempt };
      await this.dropObjects(record);
      return { verdict: 'duplicate', cell, node, attempt, reason: `attempt ${current.record.attempt} on node ${current.record.node} stored the result first` };
    }

    const entry = await readCell(stores.cells, key);
    const claim = entry?.state;
    if (!claim || claim.node !== node || claim.attempt !== attempt || entry?.unreadable) {
      await this.dropObjects(record);
      if (!claim?.node || entry?.unreadable) return reject(`node '${node}' holds no claim on the cell`, attempt);
      if (claim.node !== node && claim.attempt < attempt) return reject(`attempt ${attempt} is newer than the cell's claim (attempt ${claim.attempt} on node ${claim.node})`, attempt);
      return { verdict: 'stale', cell, node, attempt, reason: `attempt ${attempt} on node ${node} no longer holds the claim (attempt ${claim.attempt} on node ${claim.node} does)` };
    }

    const problem = await this.objectProblem(key, record);
    if (problem) return this.failHolder(key, node, reject(problem, attempt));
    const { token: _token, ...kept } = record;
    if (!(await this.store(key, kept, stored?.operation === 'PUT' ? stored.revision : null))) {
      return { verdict: 'duplicate', cell, node, attempt, reason: 'another submission was stored first' };
    }
    const done = (s: CellState): CellState => ({
      ...s,
      status: 'done',
      error: undefined,
      ...(record.metric === undefined ? {} : { metric: record.metric }),
      final_score: record.final_score,
      final_loss: record.final_loss,
      updated_at: now(),
    });
    await settleCell(stores.cells, key, (s) => (s.status === 'done' && s.final_score === record.final_score ? null : done(s)));
    // The cell's result is stored: its checkpoint has nothing left to resume.
    await stores.artifacts.delete(checkpointObject(sweep, cell)).catch(() => undefined);
    return { verdict: 'accepted', cell, node, attempt };
  }

  /** Why the record's trial result cannot be used (its object missing, altered or malformed), or null. */
  private async objectProblem(key: string, record: ResultRecord): Promise<string | null> {
    const { artifacts } = this.options.stores;
    if (record.object) {
      const blob = await artifacts.getBlob(record.object);
      if (!blob) return `its result object ${record.object} is not in the Object Store`;
      if (record.object_sha256 && createHash('sha256').update(blob).digest('hex') !== record.object_sha256) {
        return `its result object ${record.object} does not match the SHA-256 it was handed in with (altered after)`;
      }
    }
    const readable = await readStoredResult(key, encodeJson(record), artifacts);
    return 'unreadable' in readable ? readable.unreadable : null;
  }

  /** Create-if-absent; over an unreadable record (a bug's or an old one) by compare-and-set. */
  private async store(key: string, record: ResultRecord, unreadableRevision: number | null): Promise<boolean> {
    const bytes = encodeJson(record);
    try {
      if (unreadableRevision === null) await this.options.stores.results.create(key, bytes);
      else await this.options.stores.results.update(key, bytes, unreadableRevision);
      return true;
    } catch (err) {
      if (isRevisionConflict(err)) return false;
      throw err;
    }
  }

  /**
   * A result the cell's claim holder handed in that cannot be used ends the cell failed with the
   * reason (its message is acked already, so nothing else would end it); from anyone else it is
   * only reported.
   */
  private async failHolder(key: string, node: string, judgement: Judgement): Promise<Judgement> {
    const entry = await readCell(this.options.stores.cells, key);
    if (entry && entry.state.node === node && !entry.unreadable && (judgement.attempt === undefined || judgement.attempt === entry.state.attempt)) {
      const error = `result rejected: ${judgement.reason}`;
      await settleCell(this.options.stores.cells, key, (s) => (s.node !== node || (FINAL_STATUSES.has(s.status) && s.status !== 'done') ? null : { ...s, status: 'failed', error, updated_at: now() }));
    }
    return judgement;
  }

  /**
   * Deletes the files a dropped submission stored, but only under its own attempt's names: a
   * record pointing at another attempt's objects (the stored result's) must not delete them.
   */
  private async dropObjects(record: ResultRecord): Promise<void> {
    const own = `${attemptObjectPrefix(record.sweep, record.cell, record.attempt, record.node)}`;
    for (const object of [record.object, ...(record.artefacts ?? []).map((f) => f.object)]) {
      if (object?.startsWith(own)) await this.options.stores.artifacts.delete(object).catch(() => undefined);
    }
  }
}
