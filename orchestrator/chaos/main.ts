/**
 * `npm run chaos -- [--cells 200] [--kills 20] [--seed N] [--workers 3] [--ack-wait-ms 4000]
 * [--max-deliver 5] [--checkpoint-every 4] [--timeout-s S] [--keep] [--json]`: a real sweep through the real `grn` CLI,
 * hit with SIGKILLs of trainers, workers, nats-server and the orchestrator (then resumed) and a
 * worker SIGSTOPped past its lease, at moments fixed by --seed; then every cell is judged
 * (verify.ts defines the counters). Prints a table; with --json the last line is one JSON object
 * of the counters. Exit 0 when nothing was lost or duplicated, 1 otherwise, 2 for bad flags.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runChaos, type ChaosOptions, type ChaosReport } from './harness.js';

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a non-negative integer, got '${value}'`);
  return n;
}

export function formatReport(report: ChaosReport, options: { seed: number; workers: number; ackWaitMs: number; checkpointEvery: number }): string {
  const c = report.counters;
  const lines = [
    `chaos: ${c.cells} cells, ${report.faults.length} faults (seed ${options.seed}), ${options.workers} local workers, ack wait ${options.ackWaitMs / 1000} s: ${report.seconds.toFixed(0)} s${report.timedOut ? ' (TIMED OUT)' : ''}`,
    `orchestrator runs: ${report.exits.map(String).join(' → ')}${report.crashes.length ? ` (${report.crashes.length} crashed without writing the manifest: run ${report.crashes.map((c) => c.run).join(', ')}; resumed)` : ''}`,
    '',
    ' #  at  fired  fault              target / outcome',
    ...report.faults.map((f) => `${String(f.index).padStart(2)}  ${String(f.afterResults).padStart(3)}  ${String(f.firedAt ?? '-').padStart(5)}  ${f.kind.padEnd(17)}  ${f.target}${f.target ? ': ' : ''}${f.outcome}`),
    '',
    ...Object.entries(c).map(([k, v]) => `${k.padEnd(24)} ${String(v).padStart(7)}`),
  ];
  const bad = report.cells.filter((v) => v.verdict !== 'completed' || v.duplicated);
  if (bad.length) lines.push('', 'cells not completed exactly once:', ...bad.map((v) => `  ${v.cell}: ${v.verdict}${v.duplicated ? ', duplicated' : ''} (attempts ${v.attempts}) ${v.note}`));
  const over = options.checkpointEvery > 0 ? report.cells.filter((v) => v.wasted > options.checkpointEvery) : [];
  if (over.length) lines.push('', `cells that wasted more than one checkpoint interval (${options.checkpointEvery} steps); runs as node#attempt:first-last step:`, ...over.map((v) => `  ${v.cell}: ${v.wasted} steps; ${v.runs}`));
  return lines.join('\n');
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: {
        cells: { type: 'string' },
        kills: { type: 'string' },
        seed: { type: 'string' },
        workers: { type: 'string' },
        'ack-wait-ms': { type: 'string' },
        'max-deliver': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'timeout-s': { type: 'string' },
        keep: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`chaos: ${(err as Error).message}\n`);
    return 2;
  }
  let options: Omit<ChaosOptions, 'log'>;
  try {
    const cells = positive(values.cells, 'cells', DEFAULT_OPTIONS.cells);
    options = {
      cells,
      kills: positive(values.kills, 'kills', DEFAULT_OPTIONS.kills),
      seed: positive(values.seed, 'seed', DEFAULT_OPTIONS.seed),
      workers: positive(values.workers, 'workers', DEFAULT_OPTIONS.workers),
      ackWaitMs: positive(values['ack-wait-ms'], 'ack-wait-ms', DEFAULT_OPTIONS.ackWaitMs),
      maxDeliver: positive(values['max-deliver'], 'max-deliver', DEFAULT_OPTIONS.maxDeliver),
      checkpointEvery: positive(values['checkpoint-every'], 'checkpoint-every', DEFAULT_OPTIONS.checkpointEvery),
      timeoutMs: positive(values['timeout-s'], 'timeout-s', 120 + cells * 10) * 1000,
      keep: values.keep,
    };
    if (options.cells < 1 || options.workers < 1 || options.ackWaitMs < 1000 || options.maxDeliver < 1) throw new Error('--cells, --workers and --max-deliver must be at least 1, --ack-wait-ms at least 1000');
  } catch (err) {
    process.stderr.write(`chaos: ${(err as Error).message}\n`);
    return 2;
  }
  const report = await runChaos({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${formatReport(report, options)}\n`);
  for (const crash of report.crashes) process.stdout.write(`\norchestrator run ${crash.run} crashed (exit ${crash.exit}); its last lines:\n${crash.tail}\n`);
  if (report.dir) process.stdout.write(`run folder kept: ${report.dir}\n`);
  const fired = report.faults.filter((f) => f.firedAt !== null).length;
  if (values.json) process.stdout.write(`${JSON.stringify({ ...report.counters, checkpoint_every: options.checkpointEvery, faults: fired, orchestrator_crashes: report.crashes.length, seconds: Math.round(report.seconds) })}\n`);
  return report.counters.lost === 0 && report.counters.duplicated === 0 && !report.timedOut ? 0 : 1;
}

// Run only as the script (`npm run chaos`): importing the module (the catalog test imports every
// orchestrator module) must not start a chaos run.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
