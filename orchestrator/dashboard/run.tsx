import { render } from 'ink';
import { join } from 'node:path';
import { readServerInfo } from '../server/embedded.js';
import { launchDetachedSweep, waitForSweepServer } from './launch.js';
import type { WorkerChoice } from './panels/launcher.js';
import { Root, type RootExit, type StartMode } from './root.js';
import { attachSession, manifestSession, type Session } from './session.js';
import { describeSpec, listSpecs } from './specs.js';
import { INK_MAX_FPS } from './hooks/use-store-frame.js';
import { existsSync } from 'node:fs';

export interface DashboardOptions {
  /** Launch this spec (in the background) and attach to it. */
  readonly spec?: string;
  readonly localWorkers: WorkerChoice;
  /** Results root (results/<id>/ per sweep). */
  readonly results: string;
  /** Attach to a sweep on this server. */
  readonly server?: string;
  readonly creds?: string;
  readonly token?: string;
  /** The sweep to attach to (with --server, or found under --results). */
  readonly sweep?: string;
  /** Where the launcher looks for specs. */
  readonly specsDir: string;
}

// The alternate screen (as less, htop and vim use): the dashboard does not scroll the person's
// terminal history away, and what was on screen comes back when it quits.
const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

function reattachCommand(results: string) {
  return (id: string) => `grn dashboard --sweep ${id}${results === 'results' ? '' : ` --results ${results}`}`;
}

/** A sweep launched here: results/<id>/.nats/server.json gives the URL and the orchestrator's key. */
async function openLocalSweep(id: string, options: DashboardOptions): Promise<Session> {
  const dir = join(options.results, id);
  const info = await readServerInfo(join(dir, '.nats'));
  if (!info) return manifestSession(dir, id);
  return attachSession({ url: info.url, auth: { creds: options.creds ?? info.orchestratorCreds, token: options.token }, sweepId: id, mustExist: true, resultsDir: dir, reattach: reattachCommand(options.results) });
}

async function launchAndAttach(spec: string, workers: WorkerChoice, options: DashboardOptions, progress: (text: string) => void): Promise<Session> {
  const launched = await launchDetachedSweep(spec, workers, options.results);
  progress(`sweep ${launched.id} started in the background (pid ${launched.pid}; log ${launched.log})`);
  progress('waiting for its nats-server…');
  try {
    const server = await waitForSweepServer(launched);
    progress(`attaching to ${server.url}…`);
    return await attachSession({ url: server.url, auth: { creds: server.orchestratorCreds }, sweepId: launched.id, resultsDir: launched.resultsDir, reattach: reattachCommand(options.results) });
  } catch (err) {
    // A sweep small enough to end before we attached left its manifest: show that.
    if (existsSync(join(launched.resultsDir, 'manifest.json'))) return manifestSession(launched.resultsDir, launched.id);
    throw err;
  }
}

function startMode(options: DashboardOptions): StartMode {
  if (options.spec) {
    const spec = options.spec;
    return { kind: 'open', open: (progress) => launchAndAttach(spec, options.localWorkers, options, progress) };
  }
  if (options.server) {
    const url = options.server;
    const local = options.sweep && existsSync(join(options.results, options.sweep)) ? join(options.results, options.sweep) : null;
    return {
      kind: 'open',
      open: async (progress) => {
        progress(`connecting to ${url}…`);
        return attachSession({ url, auth: { creds: options.creds, token: options.token }, sweepId: options.sweep, mustExist: true, resultsDir: local });
      },
    };
  }
  if (options.sweep) {
    const id = options.sweep;
    return { kind: 'open', open: () => openLocalSweep(id, options) };
  }
  return { kind: 'launcher' };
}

/** What the terminal says after the dashboard closed. */
function farewell(exit: RootExit): string | null {
  if (exit.how === 'quit' || exit.how === 'error') return null;
  const { store, sweepId, reattach } = exit.session;
  const c = store.counts();
  const where = store.resultsDir ? `; results in ${store.resultsDir}` : '';
  if (exit.how === 'left') return `sweep ${sweepId} keeps running in the background (${c.done + c.failed + c.cancelled}/${c.total} cells finished); re-attach with: ${reattach}`;
  if (exit.how === 'cancelled') return `sweep ${sweepId}: cancel requested — queued cells are dropped, running ones abort${where}`;
  return `sweep ${sweepId} ${store.sweep?.status ?? 'ended'}: ${c.done} done, ${c.failed} failed, ${c.cancelled} cancelled of ${c.total}${where}${store.reportPath ? `; report ${store.reportPath}` : ''}`;
}

/** Runs the Ink dashboard until the person quits; returns the process exit code. */
export async function runDashboard(options: DashboardOptions): Promise<number> {
  let resolveExit!: (exit: RootExit) => void;
  const exited = new Promise<RootExit>((resolve) => (resolveExit = resolve));
  // Killed (not quit): give the terminal its screen back. A launched sweep runs on regardless.
  const onTerm = () => {
    process.stdout.write(LEAVE_ALT_SCREEN);
    process.exit(143);
  };
  process.once('SIGTERM', onTerm);
  process.stdout.write(ENTER_ALT_SCREEN);
  let exit: RootExit;
  try {
    const ink = render(
      <Root
        start={startMode(options)}
        specsDir={options.specsDir}
        loadSpecs={() => listSpecs(options.specsDir)}
        describe={describeSpec}
        workers={options.localWorkers}
        launch={(spec, workers, progress) => launchAndAttach(spec, workers, options, progress)}
        onExit={resolveExit}
      />,
      // Ctrl-C is a key like q (it detaches; the sweep runs on); the app handles it. Store-driven
      // frames are throttled by the app (≤ 10/s); Ink's limit only caps key-press redraws.
      { exitOnCtrlC: false, maxFps: INK_MAX_FPS },
    );
    exit = await Promise.race([exited, ink.waitUntilExit().then(() => ({ how: 'quit', session: null }) as const)]);
    ink.unmount();
    await ink.waitUntilExit().catch(() => undefined);
  } finally {
    process.stdout.write(LEAVE_ALT_SCREEN);
    process.off('SIGTERM', onTerm);
  }
  if (exit.session) await exit.session.close();
  if (exit.how === 'error') throw exit.error;
  const text = farewell(exit);
  if (text) process.stdout.write(`${text}\n`);
  return 0;
}
