import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Version of an installed package, read from its package.json ("unknown" if it has none). */
export function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The project root (where package.json is), from this module's location in dist/ or the source tree. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'grad-retention-net') return dir;
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the grad-retention-net package root');
}

/** The project's package.json; a worker bundle's also has `gitCommit` and `bundle` (scripts/bundle/build.ts). */
function readRootPackage(): { version: string; gitCommit?: unknown; bundle?: unknown } {
  return JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string; gitCommit?: unknown; bundle?: unknown };
}

/** The worker bundle's folder when running from one (its package.json has a `bundle` record, scripts/bundle/build.ts), else null. */
export function workerBundleRoot(): string | null {
  return readRootPackage().bundle ? projectRoot() : null;
}

let commit: string | null | undefined;

/**
 * The git commit of the checkout, or null outside a git checkout. A worker bundle is no checkout:
 * its package.json records the commit it was built from (`gitCommit`, scripts/bundle/), which wins,
 * so that a bundle unpacked inside some other repository does not report that repository's commit.
 */
export function gitCommit(): string | null {
  if (commit !== undefined) return commit;
  const recorded = readRootPackage().gitCommit;
  if (typeof recorded === 'string' || recorded === null) return (commit = recorded);
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    commit = null;
  }
  return commit;
}

/** Versions that decide a result's numbers: the project, Node, TensorFlow.js core (read from its package.json, not loaded). */
export function coreVersions(): Record<string, string> {
  const pkg = readRootPackage();
  return {
    'grad-retention-net': pkg.version,
    node: process.versions.node,
    '@tensorflow/tfjs-core': packageVersion('@tensorflow/tfjs-core'),
  };
}
