import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The JavaScript of the worker bundle: the compiled project (dist/) and its dependencies bundled by
 * esbuild into a few files in one folder (lib/), as ES modules, so that no node_modules tree is
 * needed beside it. What this has to get right:
 *
 * - Every file the program starts by path is an entry of its own (ENTRIES): the CLI, the trainer
 *   child process, the piscina task files. Each is self-contained (no shared chunks: a process or
 *   thread loads one file), and all sit side by side in lib/. Where the program names them,
 *   shared/entry-points.ts, is swapped for the bundle's variant, which finds them beside itself.
 * - CommonJS dependencies inside ES modules get `require`, `__filename` and `__dirname` from the
 *   banner (esbuild leaves them free), so their dynamic `require(x)` calls work.
 * - What a worker never needs is left out (LEFT_OUT): its import is swapped for a module that
 *   says so, and the build fails if any of its packages still got in through another import.
 * - Some packages stay outside (EXTERNAL) and are shipped as packages beside lib/ (build.ts) or
 *   not at all (tfjs-node: the launcher can put one on NODE_PATH).
 */

/** Output name in lib/ → the compiled file it starts from, relative to the project root. */
export const ENTRIES: Readonly<Record<string, string>> = {
  grn: 'dist/scripts/bundle/entries/grn.js',
  trainer: 'dist/worker/trainer/main.js',
  'decode-images.task': 'dist/worker/engine/datasets/decode/decode-images.task.js',
  'write-files.task': 'dist/orchestrator/sweep/write-files.task.js',
};

/** Modules swapped for the bundle's own: compiled module → its replacement (both under dist/). */
const SWAPPED: Readonly<Record<string, string>> = {
  'shared/entry-points.js': 'scripts/bundle/entry-points.js',
};

/**
 * What a worker does not need, swapped for a module that says so when used, and the packages
 * that must then be absent from the bundle. The report renders plots with vega and rasterises them
 * with resvg's native addon; the dashboard is Ink and React. Both are run from a checkout.
 */
const LEFT_OUT: ReadonlyArray<{ module: string; stub: string; packages: readonly string[] }> = [
  { module: 'orchestrator/reports/report.js', stub: 'scripts/bundle/left-out/report.js', packages: ['vega', 'vega-lite', '@resvg/resvg-js', '@stdlib/stats-wilcoxon'] },
  { module: 'orchestrator/dashboard/run.js', stub: 'scripts/bundle/left-out/dashboard.js', packages: ['ink', 'react', 'yoga-layout'] },
];

/**
 * Resolved at run time from lib/, i.e. from the bundle's node_modules/ or NODE_PATH:
 * - webgpu: a native addon, loaded by a variable specifier (it is optional);
 * - tfjs-node(-gpu): optional and not shipped (libtensorflow is hundreds of MB);
 * - piscina: the thread pool's own worker script (piscina/dist/worker.js) and a task file must
 *   share one copy of piscina, since move() marks transferred results with a symbol private to
 *   the module; a copy bundled into each would not recognise the other's.
 */
export const EXTERNAL = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'piscina'];

const BANNER = [
  "import { createRequire as __grnCreateRequire } from 'node:module';",
  "import { fileURLToPath as __grnFileURLToPath } from 'node:url';",
  "import { dirname as __grnDirname } from 'node:path';",
  'const require = __grnCreateRequire(import.meta.url);',
  'const __filename = __grnFileURLToPath(import.meta.url);',
  'const __dirname = __grnDirname(__filename);',
].join(' ');

/** Redirects an import that resolves to one of `swaps`' compiled files to its replacement. */
function swapModules(dist: string, swaps: Readonly<Record<string, string>>): Plugin {
  const byPath = new Map(Object.entries(swaps).map(([from, to]) => [join(dist, from), join(dist, to)]));
  return {
    name: 'grn-swap-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const replacement = byPath.get(resolve(args.resolveDir, args.path));
        return replacement ? { path: replacement } : undefined;
      });
    },
  };
}

export interface JsBundle {
  /** Files written to lib/, relative to it, with their sizes. */
  readonly files: ReadonlyArray<{ file: string; bytes: number }>;
  /** npm packages whose code is in the bundle, with their bytes in it. */
  readonly packages: Readonly<Record<string, number>>;
}

/** The npm package a bundled input file belongs to (`…/node_modules/@scope/name/x.js` → `@scope/name`), or null for our own code. */
export function packageOf(input: string): string | null {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return null;
  const [first, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? null);
}

function packageBytes(metafile: Metafile): Record<string, number> {
  const bytes: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = packageOf(input);
      if (pkg) bytes[pkg] = (bytes[pkg] ?? 0) + bytesInOutput;
    }
  }
  return bytes;
}

/** Bundles the compiled project (root/dist must be built) into `libDir`. */
export async function bundleJavaScript(root: string, libDir: string): Promise<JsBundle> {
  const dist = join(root, 'dist');
  const entryPoints = Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)]));
  const swaps = { ...SWAPPED, ...Object.fromEntries(LEFT_OUT.map((l) => [l.module, l.stub])) };
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir: libDir,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Not minified: an uncaught error prints its source line, and a stack trace from a worker node
    // should read as the code does. (xz makes the difference small.)
    legalComments: 'eof',
    banner: { js: BANNER },
    external: EXTERNAL,
    plugins: [swapModules(dist, swaps)],
    metafile: true,
    logLevel: 'silent',
  });
  const metafile = result.metafile!;
  const packages = packageBytes(metafile);
  const leaked = LEFT_OUT.flatMap((l) => l.packages.filter((p) => packages[p] !== undefined).map((p) => `${p} (left out with ${l.module})`));
  if (leaked.length) {
    throw new Error(`the bundle still contains ${leaked.join(', ')}: some module imports it directly; make that import lazy (import() where it is used), as orchestrator/cli/report.ts does`);
  }
  const files = Object.entries(metafile.outputs).map(([file, out]) => ({ file: relative(libDir, resolve(root, file)), bytes: out.bytes }));
  for (const warning of result.warnings) process.stderr.write(`esbuild: ${warning.text}${warning.location ? ` (${warning.location.file}:${warning.location.line})` : ''}\n`);
  return { files: files.sort((a, b) => a.file.localeCompare(b.file)), packages };
}

/**
 * The folder of an installed package (for the files it ships beside its code). Found from its main
 * file, since packages with an `exports` map (piscina) do not export their package.json.
 */
export function packageDir(root: string, pkg: string): string {
  let dir = dirname(createRequire(join(root, 'package.json')).resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== pkg) {
    if (dirname(dir) === dir) throw new Error(`cannot find the folder of the package ${pkg} (from ${root})`);
    dir = dirname(dir);
  }
  return dir;
}
