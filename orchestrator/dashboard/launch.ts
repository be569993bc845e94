import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../server/process.js';
import { GrnError } from '../../shared/errors.js';
import { readServerInfo } from '../server/embedded.js';
import { MAX_CELLS_WITHOUT_YES, planSweepFromFile, sweepIdFor } from '../sweep/plan.js';
import { entryPoints } from '../../shared/entry-points.js';

const GRN_BIN = fileURLToPath(entryPoints.grn);

export interface LaunchedSweep {
  readonly id: string;
  /** results/<id> */
  readonly resultsDir: string;
  readonly pid: number;
  /** Where the detached `grn sweep run` writes its one line per event. */
  readonly log: string;
}

/** A fresh sweep id that no folder under `root` uses yet (two launches in one second differ). */
export function freshSweepId(name: string, root: string, at = new Date()): string {
  const base = sweepIdFor(name, at);
  let id = base;
  for (let n = 2; existsSync(join(root, id)); n++) id = `${base}-${n}`;
  return id;
}

/**
 * Starts `grn sweep run SPEC --id ID --results ROOT` as a detached background process (its own
 * session, no terminal, output to results/<id>/orchestrator.log), so the sweep outlives the
 * dashboard: quitting the dashboard only detaches. The spec is checked first, here, so a typo is
 * shown in the launcher rather than buried in a log.
 */
export async function launchDetachedSweep(spec: string, localWorkers: number | 'auto', resultsRoot: string): Promise<LaunchedSweep> {
  // Past the size limit the launcher says so; such a grid is started with `grn sweep run --yes`.
  const plan = await planSweepFromFile(spec, { maxCells: MAX_CELLS_WITHOUT_YES });
  const id = freshSweepId(plan.name, resultsRoot);
  const resultsDir = join(resultsRoot, id);
  mkdirSync(resultsDir, { recursive: true });
  const log = join(resultsDir, 'orchestrator.log');
  const fd = openSync(log, 'a');
  try {
    const child = spawn(process.execPath, [GRN_BIN, 'sweep', 'run', spec, '--id', id, '--results', resultsRoot, '--local-workers', String(localWorkers)], {
      detached: true,
      stdio: ['ignore', fd, fd],
      // Ink's CI detection and a forced colour level mean nothing to a process writing a log.
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    child.unref();
    if (child.pid === undefined) throw new GrnError(`could not start \`grn sweep run ${spec}\``);
    return { id, resultsDir, pid: child.pid, log };
  } finally {
    closeSync(fd);
  }
}

async function logTail(log: string, lines = 6): Promise<string> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Waits until the launched sweep's embedded server is up (results/<id>/.nats/server.json names a
 * live nats-server), and returns how to reach it. A sweep process that dies first is reported
 * with the end of its log.
 */
export async function waitForSweepServer(launched: LaunchedSweep, timeoutMs = 60_000): Promise<{ url: string; orchestratorCreds: string }> {
  const dir = resolve(launched.resultsDir, '.nats');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await readServerInfo(dir).catch(() => null);
    if (info) return { url: info.url, orchestratorCreds: info.orchestratorCreds };
    if (!isAlive(launched.pid)) {
      // One last look: it may have written server.json and exited at once (a tiny sweep).
      const late = await readServerInfo(dir).catch(() => null);
      if (late) return { url: late.url, orchestratorCreds: late.orchestratorCreds };
      throw new GrnError(`the sweep ${launched.id} stopped before its server was up; the end of ${launched.log}:\n${await logTail(launched.log)}`);
    }
    if (Date.now() > deadline) throw new GrnError(`the sweep ${launched.id} did not start its server within ${Math.round(timeoutMs / 1000)} s; see ${launched.log}`);
    await sleep(100);
  }
}
