import cliProgress from 'cli-progress';
import { metricTitle } from '../../shared/metrics.js';
import { primaryMetric, validationMetric } from '../../shared/result.js';
import type { CellCounts, SweepEvent } from './monitor.js';

/**
 * How a sweep shows itself on a terminal without the dashboard: a progress bar with the cell
 * counts on a TTY, one line per event otherwise (CI logs, pipes). Failed cells and node changes
 * are printed in both modes.
 */
export interface ProgressView {
  event(event: SweepEvent, counts: CellCounts): void;
  line(text: string): void;
  stop(): void;
}

function eventLine(e: SweepEvent, c: CellCounts): string | null {
  const tally = `[${c.done + c.failed + c.cancelled}/${c.total}]`;
  // What the watches found when they started is the state, not news: a resume says it in one line.
  if ((e.type === 'cell' || e.type === 'result') && e.replayed) return null;
  switch (e.type) {
    case 'cell': {
      const s = e.state;
      if (s.status === 'running') return `${tally} ${s.cell} running on ${s.node}/${s.slot} (attempt ${s.attempt})`;
      if (s.status === 'failed') return `${tally} ${s.cell} FAILED after ${s.attempt} attempt(s): ${s.error ?? 'unknown error'}`;
      if (s.status === 'queued' && s.error) return `${tally} ${s.cell} attempt ${s.attempt} failed, will retry: ${s.error}`;
      if (s.status === 'cancelled') return `${tally} ${s.cell} cancelled`;
      return null;
    }
    case 'result': {
      // The task's primary metric (accuracy, or mIoU for segmentation), never assumed to be accuracy.
      const metric = primaryMetric(e.result);
      const acc = metric.values.at(-1);
      const title = metricTitle(metric.name);
      const secs = e.result.epoch_time.reduce((a, b) => a + b, 0);
      const d = e.result.divergence;
      const held = validationMetric(e.result)?.values.at(-1);
      const validation = e.result.validation ? `, validation ${title} ${held === undefined ? '-' : (held * 100).toFixed(2) + '%'}` : '';
      if (d) return `${tally} ${e.cell} DIVERGED at step ${d.step} (epoch ${d.epoch}, loss ${d.loss ?? 'NaN'}); last epoch's ${title} ${acc === undefined ? '-' : (acc * 100).toFixed(2) + '%'}${validation}, ${e.record.node}/${e.record.slot}`;
      return `${tally} ${e.cell} done: ${title} ${acc === undefined ? '-' : (acc * 100).toFixed(2) + '%'}${validation}, ${secs.toFixed(1)} s training, ${e.record.node}/${e.record.slot}`;
    }
    case 'node-joined':
      return `node ${e.node.node} joined: ${e.node.slots.map((s) => s.slot).join(', ')} (${e.node.host})`;
    case 'node-left':
      return `node ${e.node} left`;
    case 'gave-up':
      return `${tally} ${e.cell} FAILED: no result after ${e.deliveries} deliveries`;
    case 'unreadable-result':
      return `warning: ${e.cell}: ignoring a stored result that cannot be used: ${e.reason}`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'judged': {
      const j = e.judgement;
      const what = `a result for ${j.cell} from node ${j.node}${j.attempt === undefined ? '' : ` (attempt ${j.attempt})`}`;
      // A stale or duplicate result is the protocol working (a frozen worker came back); a
      // rejected one is a bug or an attack, and says so.
      return j.verdict === 'rejected' ? `warning: REJECTED ${what}: ${j.reason}` : `${tally} ${j.verdict} ${what} dropped: ${j.reason}`;
    }
    case 'sweep':
      return e.record.status === 'running' ? null : `sweep ${e.record.id} is ${e.record.status}`;
  }
}

export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (!stream.isTTY) {
    return {
      event: (e, c) => {
        const text = eventLine(e, c);
        if (text) stream.write(`${text}\n`);
      },
      line: (text) => stream.write(`${text}\n`),
      stop: () => undefined,
    };
  }
  // A MultiBar of one: only MultiBar can print lines above a live bar.
  const bars = new cliProgress.MultiBar(
    { stream, format: 'cells {bar} {value}/{total} | running {running} | failed {failed} | ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  return {
    event(e, c) {
      bar ??= bars.create(c.total, 0, { running: 0, failed: 0 });
      // Only what needs a person's attention is printed above the bar.
      if (e.type === 'node-joined' || e.type === 'node-left' || e.type === 'gave-up' || e.type === 'warning' || e.type === 'unreadable-result' || e.type === 'judged' || (e.type === 'cell' && e.state.status === 'failed' && !e.replayed)) {
        const text = eventLine(e, c);
        if (text) bars.log(`${text}\n`);
      }
      bar.setTotal(c.total);
      bar.update(c.done + c.failed + c.cancelled, { running: c.running, failed: c.failed });
    },
    line: (text) => (bar ? bars.log(`${text}\n`) : stream.write(`${text}\n`)),
    stop: () => bars.stop(),
  };
}
