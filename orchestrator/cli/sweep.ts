import { Command, Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GrnError, UsageError } from '../../shared/errors.js';
import { ID_PATTERN } from '../../shared/protocol/names.js';
import { skippedNotes } from '../../shared/sweep/ablation.js';
import { ablationOf, countCells, expandGrid, planHeadline } from '../../shared/sweep/grid.js';
import { trainingCatalog } from '../../worker/engine/catalog.js';
import { ensureStores } from '../sweep/infrastructure.js';
import { connectForCommand, connectToSweepStore, noServerError, type ServerFlags } from './locate.js';
import { exportSweep } from '../sweep/export.js';
import { MAX_CELLS_WITHOUT_YES, planSweepFromFile, planSweepFromText } from '../sweep/plan.js';
import { setSweepStatus } from '../sweep/publish.js';
import { EXIT, runSweep, type PlannedSweep, type RunOutcome } from '../sweep/run.js';
import { sweepStatus, printStatus } from './status.js';
import { connectionOptions, natsAuth, positiveInt, replicaCount, workerCount } from './options.js';
import { ABLATE_SOURCE, ablateOptions, ablationSpec, type AblateFlags } from './sweep-ablate.js';
import { sweepPlanCommand } from './sweep-plan.js';

interface RunFlags extends ServerFlags {
  localWorkers?: number | 'auto';
  slots?: number;
  id?: string;
  json?: boolean;
  yes?: boolean;
  replicas?: number;
}

function serverOptions(command: Command): Command {
  return connectionOptions(command, { required: false, help: "NATS server (default: the sweep's embedded one)" }).option('--results <dir>', 'results root folder', 'results');
}

function checkId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new UsageError(`sweep id '${id}': use letters, digits, '-' or '_'`);
  return id;
}

/**
 * The first signal interrupts (the sweep can be resumed) and the process stays to stop its
 * workers and server cleanly; a second one stops at once. Either way nothing is left running: the
 * process's exit handlers kill the embedded server and the local workers.
 */
function interruptSignal(id: string): AbortSignal {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      process.stderr.write(`\ninterrupted: stopping workers and the server (${signal} again to stop at once); \`grn sweep resume ${id}\` continues this sweep\n`);
      controller.abort();
      return;
    }
    process.stderr.write(`\ninterrupted again: stopping now; \`grn sweep resume ${id}\` continues this sweep\n`);
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return controller.signal;
}

function report(outcome: RunOutcome, id: string, json: boolean | undefined): void {
  const c = outcome.counts;
  if (json) process.stdout.write(`${JSON.stringify({ sweep: id, ...outcome }, null, 2)}\n`);
  process.stderr.write(`sweep ${id} ${outcome.status}: ${c.done} done, ${c.failed} failed, ${c.cancelled} cancelled of ${c.total}; results in ${outcome.resultsDir}\n`);
  for (const f of outcome.failed) process.stderr.write(`  failed ${f.cell}: ${f.error}\n`);
  if (outcome.fault) process.stderr.write(`  stopped: ${outcome.fault.message}\n  the sweep's state is kept; ${outcome.fault.reason === 'disk-full' ? 'free some space, then ' : ''}continue with: grn sweep resume ${id}\n`);
  else if (outcome.status === 'interrupted') process.stderr.write(`  continue with: grn sweep resume ${id}\n`);
  if (outcome.unwritten) process.stderr.write(`  ${outcome.unwritten} result file(s) are not in the results folder; once it is fixed: grn sweep export ${id}\n`);
  process.exitCode = outcome.exitCode;
}

/** The flags of a new sweep's run (`grn sweep run`, `grn sweep ablate`). */
function runOptions(command: Command): Command {
  return serverOptions(command)
    .addOption(new Option('--local-workers <n>', "local worker processes ('auto': one per GPU, else one per CPU slot; default auto, or 0 with --server)").argParser(workerCount))
    .option('--slots <n>', 'CPU slots per local worker', positiveInt)
    .option('--replicas <n>', 'copies JetStream keeps of the queue, buckets and artifacts (default $GRN_REPLICAS, else 3 on a cluster, 1 on one server)', replicaCount)
    .option('--id <id>', 'sweep id (default: <name>-<date>-<time>)')
    .option('--yes', `run a grid of more than ${MAX_CELLS_WITHOUT_YES.toLocaleString('en-US')} cells`)
    .option('--json', 'print the outcome as JSON on stdout');
}

/** Runs (or, with `resume`, continues) a planned sweep in its folder under --results and reports the outcome. */
async function runPlan(plan: PlannedSweep, flags: RunFlags, resume?: { retryFailed?: boolean }): Promise<void> {
  const outcome = await runSweep(plan, {
    server: flags.server,
    auth: natsAuth(flags),
    localWorkers: flags.localWorkers ?? (flags.server ? 0 : 'auto'),
    slots: flags.slots,
    ...(flags.replicas !== undefined ? { replicas: flags.replicas } : {}),
    resultsDir: join(flags.results, plan.id),
    ...(resume ? { resume: true, retryFailed: resume.retryFailed } : {}),
    signal: interruptSignal(plan.id),
  });
  report(outcome, plan.id, flags.json);
}

function runCommand(): Command {
  return runOptions(new Command('run'))
    .description('run a sweep spec to the end (embedded nats-server and local workers unless --server)')
    .argument('<spec>', 'sweep spec (YAML), e.g. sweeps/quick.yaml')
    .action(async (spec: string, flags: RunFlags) => {
      const plan = await planSweepFromFile(spec, { id: flags.id ? checkId(flags.id) : undefined, maxCells: flags.yes ? undefined : MAX_CELLS_WITHOUT_YES });
      await runPlan(plan, flags);
    });
}

/**
 * `grn sweep ablate OPTIMIZER --dataset … [--out SPEC.yaml]`: a one-component-off ablation's spec,
 * written to --out (then `grn sweep plan`/`run` it), or run at once with `grn sweep run`'s flags.
 */
function ablateCommand(): Command {
  return ablateOptions(runOptions(new Command('ablate')))
    .description('ablate an optimizer one switch at a time: its base configuration plus one variant per switch flipped, × data sets × seeds')
    .action(async (optimizer: string, flags: AblateFlags & RunFlags) => {
      const { text, spec } = ablationSpec(optimizer, flags);
      const notes = skippedNotes(ablationOf(spec, trainingCatalog)!).map((n) => `note: ${n}\n`).join('');
      if (flags.out) {
        await writeFile(flags.out, text).catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(`--out ${flags.out}: cannot write (${err.code ?? err.message})`);
        });
        // The whole grid is small (switches × data sets × seeds): the headline from its cells.
        const headline = countCells(spec, trainingCatalog) <= MAX_CELLS_WITHOUT_YES ? planHeadline(spec.name, expandGrid(spec, trainingCatalog)) : spec.name;
        process.stderr.write(`${notes}wrote ${flags.out}: ${headline}\ncheck it with: grn sweep plan ${flags.out}; run it with: grn sweep run ${flags.out}\n`);
        return;
      }
      process.stderr.write(notes);
      await runPlan(await planSweepFromText(text, ABLATE_SOURCE, { id: flags.id ? checkId(flags.id) : undefined, maxCells: flags.yes ? undefined : MAX_CELLS_WITHOUT_YES }), flags);
    });
}

function resumeCommand(): Command {
  return serverOptions(new Command('resume'))
    .description('continue a sweep: runs only the cells without a result')
    .argument('<id>', 'sweep id (its folder under --results holds the spec as run)')
    .addOption(new Option('--local-workers <n>', "local worker processes (default auto, or 0 with --server)").argParser(workerCount))
    .option('--slots <n>', 'CPU slots per local worker', positiveInt)
    .option('--replicas <n>', 'copies JetStream keeps (default $GRN_REPLICAS, else 3 on a cluster, 1 on one server); streams with another count are changed', replicaCount)
    .option('--retry-failed', 'run the failed cells again too (each gets max_deliver new attempts)')
    .option('--json', 'print the outcome as JSON on stdout')
    .action(async (id: string, flags: RunFlags & { retryFailed?: boolean }) => {
      const dir = join(flags.results, checkId(id));
      const specFile = join(dir, 'spec.yaml');
      const text = await readFile(specFile, 'utf8').catch(() => {
        throw new GrnError(`no sweep '${id}' under ${flags.results} (missing ${specFile})`);
      });
      // A resumed sweep's size was accepted when it started.
      const plan = await planSweepFromText(text, specFile, { id });
      await runPlan(plan, flags, { retryFailed: flags.retryFailed });
    });
}

function statusCommand(): Command {
  return serverOptions(new Command('status'))
    .description("a sweep's cells: live from the server while it runs, else from its results folder")
    .argument('<id>', 'sweep id')
    .option('--json', 'print as JSON')
    .action(async (id: string, flags: ServerFlags & { json?: boolean }) => {
      const status = await sweepStatus(flags, checkId(id));
      if (flags.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else printStatus(status, process.stdout);
    });
}

/** cancel / pause / continue: a status change on the server, which workers and orchestrator follow. */
function statusChangeCommand(name: 'cancel' | 'pause' | 'continue', description: string): Command {
  const target = name === 'cancel' ? 'cancelled' : name === 'pause' ? 'paused' : 'running';
  return serverOptions(new Command(name))
    .description(description)
    .argument('<id>', 'sweep id')
    .action(async (id: string, flags: ServerFlags) => {
      const connection = await connectForCommand(flags, checkId(id), `sweep ${name}`);
      if (!connection) throw noServerError(`grn sweep ${name}`, id);
      try {
        const stores = await ensureStores(connection.nc);
        const record = await setSweepStatus(stores, id, target);
        process.stderr.write(`sweep ${id}: ${record.status}\n`);
      } finally {
        await connection.nc.close();
      }
    });
}

function exportCommand(): Command {
  return serverOptions(new Command('export'))
    .description("write a sweep's results folder (cells, all_results.json, manifest, report) from the server, e.g. after the folder could not be written")
    .argument('<id>', 'sweep id')
    .option('--json', 'print what was exported as JSON')
    .action(async (id: string, flags: ServerFlags & { json?: boolean }) => {
      const connection = await connectToSweepStore(flags, checkId(id), 'sweep export');
      const dir = join(flags.results, id);
      try {
        const outcome = await exportSweep(await ensureStores(connection.nc), id, dir, connection.url);
        if (flags.json) process.stdout.write(`${JSON.stringify({ sweep: id, results: dir, ...outcome }, null, 2)}\n`);
        process.stderr.write(`sweep ${id} (${outcome.status}): ${outcome.written} of ${outcome.cells} results written to ${dir}\n`);
        for (const u of outcome.unreadable) process.stderr.write(`  ${u.cell}: stored result not usable: ${u.reason}\n`);
        if (outcome.unwritten) {
          process.stderr.write(`  ${outcome.unwritten} file(s) could still not be written to ${join(dir, 'cells')}\n`);
          process.exitCode = EXIT.incomplete;
          return;
        }
      } finally {
        await connection.close();
      }
      // Loaded only here: the report's plotting stack is large, and most sweep commands need none of it.
      await import('../reports/report.js')
        .then((r) => r.writeReport(dir, { baseline: 'sgd' }))
        .then(
        () => process.stderr.write(`report: ${join(dir, 'report.md')} and report.html\n`),
        (err: Error) => process.stderr.write(`warning: no report (${err.message}); retry with grn report ${dir}\n`),
      );
    });
}

export function sweepCommand(): Command {
  const sweep = new Command('sweep').description('plan, run and steer sweeps (optimizer × data set × seed grids)');
  for (const command of [
    sweepPlanCommand(),
    runCommand(),
    ablateCommand(),
    statusCommand(),
    resumeCommand(),
    exportCommand(),
    statusChangeCommand('cancel', 'cancel a sweep: no more cells are handed out, running ones abort'),
    statusChangeCommand('pause', 'stop handing out cells (running ones finish)'),
    statusChangeCommand('continue', 'hand out cells again after a pause'),
  ]) {
    sweep.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return sweep;
}

