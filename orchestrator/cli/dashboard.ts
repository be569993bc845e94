import { Command, Option } from 'commander';
import { UsageError } from '../../shared/errors.js';
import { ID_PATTERN } from '../../shared/protocol/names.js';
import { natsUrl, workerCount } from './options.js';

interface DashboardFlags {
  localWorkers?: number | 'auto';
  results: string;
  server?: string;
  creds?: string;
  token?: string;
  sweep?: string;
  specs: string;
}

/**
 * Ink's CI detection (is-in-ci, read once at import) makes it print only the last frame, which
 * is right for logs but wrong for a person at a terminal inside a CI-flavoured shell (a tmux on a
 * CI machine, a devcontainer with CI=1). The dashboard only runs on a TTY, so it drops the hint
 * before Ink is loaded.
 */
function forgetCiForInk(): void {
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[key];
}

/**
 * Ink colours through chalk, which turns colour off for FORCE_COLOR=0, TERM=dumb or a terminal
 * without colour support, but ignores the NO_COLOR convention (no-color.org): that is mapped to
 * FORCE_COLOR=0 here, before chalk is loaded. The dashboard marks selections with ▸ as well as
 * inverse video, so it stays usable in black and white.
 */
function honourNoColor(): void {
  if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
}

/** `grn dashboard`: the terminal UI (launcher, live grid, nodes and GPUs, trial telemetry, steering). */
export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('terminal dashboard: launch a sweep or attach to a running one, watch cells, nodes and GPUs live, pause/cancel/retry')
    .argument('[spec]', 'sweep spec to launch in the background and watch (without it: the launcher, or --server/--sweep to attach)')
    .addOption(new Option('--local-workers <n>', "local worker processes for a launched sweep ('auto': one per GPU, else one per CPU slot)").argParser(workerCount))
    .option('--results <dir>', 'results root folder', 'results')
    .option('--server <url>', 'attach to a sweep on this NATS server', natsUrl)
    .option('--creds <file>', 'credentials for --server (read-only unless they allow control)')
    .option('--token <token>', 'token for --server')
    .option('--sweep <id>', 'the sweep to attach to (default with --server: the newest running one)')
    .option('--specs <dir>', 'where the launcher looks for specs', 'sweeps')
    .action(async (spec: string | undefined, flags: DashboardFlags) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new UsageError('grn dashboard needs a terminal (stdin and stdout are not a TTY); without one, run `grn sweep run SPEC`, which prints one line per event');
      }
      if (spec && (flags.server || flags.sweep)) throw new UsageError('give a spec to launch, or --server/--sweep to attach, not both');
      if (flags.sweep && !ID_PATTERN.test(flags.sweep)) throw new UsageError(`--sweep '${flags.sweep}': use letters, digits, '-' or '_'`);
      forgetCiForInk();
      honourNoColor();
      // React's production build (the development one checks and logs, several times slower per
      // frame); decided when React is first imported, i.e. just below.
      process.env.NODE_ENV ??= 'production';
      const { runDashboard } = await import('../dashboard/run.js');
      process.exitCode = await runDashboard({
        spec,
        localWorkers: flags.localWorkers ?? 'auto',
        results: flags.results,
        server: flags.server,
        creds: flags.creds,
        token: flags.token,
        sweep: flags.sweep,
        specsDir: flags.specs,
      });
    });
}
