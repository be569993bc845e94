import { execa } from 'execa';
import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { bundleJavaScript, packageDir } from './js-bundle.js';

/**
 * `npm run bundle`: the portable worker bundle, dist/bundle/grn-linux-x64.tar.xz. Unpacked on a
 * Linux x86-64 machine it runs `grn` with nothing installed: no Node, no npm, no internet. Layout
 * (the bundle's README.md, written from bundle-README.md, says the same to its users):
 *
 *   grn-linux-x64/grn            launcher (POSIX sh): the bundled Node on lib/grn.js
 *   grn-linux-x64/bin/node       the Node runtime the build ran on (process.execPath)
 *   grn-linux-x64/bin/nats-server  when the build machine has one
 *   grn-linux-x64/lib/           the project and its dependencies, bundled by esbuild (js-bundle.ts)
 *   grn-linux-x64/node_modules/  packages not bundled: webgpu (Dawn's addon, linux-x64 only) and
 *                                piscina; tfjs-backend-wasm's .wasm files; version records
 *   grn-linux-x64/sweeps/        the example sweep specs
 *
 * Each part is measured (unpacked, and with --sizes compressed on its own) for docs/benchmarks.md.
 */

export const BUNDLE_NAME = 'grn-linux-x64';
/** The compressed bundle must stay at or under this (issue 17: it travels to air-gapped GPU nodes). */
export const SIZE_LIMIT_BYTES = 48 * 1024 * 1024;

/**
 * Packages whose code is bundled into lib/ but whose version a result records (packageVersion()
 * reads `<name>/package.json`): each gets a package.json holding only its name and version.
 */
const VERSION_RECORDS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'];
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
/**
 * Packages shipped as packages in node_modules/ (js-bundle.ts EXTERNAL says why each is not bundled),
 * with the files of each that the bundle needs.
 */
const SHIPPED_PACKAGES: Readonly<Record<string, (file: string) => boolean>> = {
  // Its loader (index.js picks dist/<platform>-<arch>/dawn.node) and only this platform's addon.
  webgpu: (f) => ['package.json', 'index.js', 'LICENSE.md', 'dist/linux-x64/dawn.node'].includes(f),
  // Its compiled JavaScript (no sources, maps or type declarations).
  piscina: (f) => ['package.json', 'LICENSE'].includes(f) || (f.startsWith('dist/') && /\.m?js$/.test(f)),
};

export interface BuildOptions {
  /** The project root (dist/ must be compiled). */
  readonly root: string;
  /** Where the tarball (and the unpacked folder it is made from) go. */
  readonly outDir: string;
  /** The Node runtime to ship (default: the one running this build). */
  readonly node?: string;
  /** nats-server to ship; default: the one on PATH or in /usr/sbin, if any; null: none. */
  readonly natsServer?: string | null;
  /** Also compress each component on its own, for the size table (slower). */
  readonly componentSizes?: boolean;
  /**
   * xz preset (default 6: 33 MiB in about a minute of both cores' time per 50 MB). The test uses 0
   * (four times faster, 42 MiB): whatever a weaker preset keeps under the limit, 6 does too.
   */
  readonly xzLevel?: number;
  readonly log?: (line: string) => void;
}

export interface Component {
  readonly name: string;
  readonly what: string;
  /** Paths inside the bundle folder. */
  readonly paths: readonly string[];
  readonly bytes: number;
  readonly compressedBytes?: number;
}

export interface BundleReport {
  readonly tarball: string;
  /** The unpacked folder the tarball was made from. */
  readonly folder: string;
  readonly compressedBytes: number;
  readonly unpackedBytes: number;
  readonly components: readonly Component[];
  readonly node: string;
  readonly natsServer: string | null;
  readonly seconds: number;
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

/** `command -v nats-server`, plus Debian's /usr/sbin (not on an ordinary user's PATH). */
async function findNatsServer(): Promise<string | null> {
  const found = await execa('sh', ['-c', 'command -v nats-server || true']).catch(() => ({ stdout: '' }));
  const fromPath = found.stdout.trim();
  if (fromPath) return fromPath;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : null;
}

/** Every file under `dir`, relative to it, with '/' separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

async function copyInto(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
}

async function gitCommit(root: string): Promise<{ commit: string | null; dirty: boolean }> {
  const head = await execa('git', ['rev-parse', 'HEAD'], { cwd: root, reject: false });
  if (head.exitCode !== 0) return { commit: null, dirty: false };
  const status = await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, reject: false });
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== '' };
}

/**
 * `tar | xz -T0` of `folder` (relative to `parent`) into `file`; returns its size. Owners and
 * order fixed, so two builds of the same files differ only in their times.
 */
async function tarXz(parent: string, folder: string, file: string, level: number): Promise<number> {
  await execa('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-I', `xz -T0 -${level}`, '-cf', file, '-C', parent, folder]);
  return (await stat(file)).size;
}

/** Compressed size of some paths of the bundle on their own (for the size table). */
async function compressedSize(folder: string, paths: readonly string[], level: number): Promise<number> {
  const { stdout } = await execa('sh', ['-c', `tar --sort=name -cf - "$@" | xz -T0 -${level} | wc -c`, 'sh', ...paths], { cwd: folder });
  return Number(stdout.trim());
}

export async function buildBundle(options: BuildOptions): Promise<BundleReport> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const { root, outDir } = options;
  const level = options.xzLevel ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new Error(`xz level ${level}: expected 0 to 9`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the worker bundle is for linux-x64 and ships this machine's Node runtime: build it on linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  const node = options.node ?? process.execPath;
  const natsServer = options.natsServer === undefined ? await findNatsServer() : options.natsServer;
  const folder = join(outDir, BUNDLE_NAME);
  const tarball = join(outDir, `${BUNDLE_NAME}.tar.xz`);
  await rm(folder, { recursive: true, force: true });
  await rm(tarball, { force: true });
  await mkdir(folder, { recursive: true });
  const at = (...parts: string[]) => join(folder, ...parts);
  const nodeVersion = (await execa(node, ['--version'])).stdout.trim();
  if (!nodeVersion.startsWith('v20.')) log(`warning: ${node} is Node ${nodeVersion}; the project is built and tested on Node 20`);

  log(`javascript: esbuild of ${join(root, 'dist')} into lib/`);
  const js = await bundleJavaScript(root, at('lib'));

  log(`runtime: ${node} (${nodeVersion})`);
  await copyInto(node, at('bin', 'node'));

  for (const [pkg, wanted] of Object.entries(SHIPPED_PACKAGES)) {
    const dir = packageDir(root, pkg);
    for (const file of (await filesUnder(dir)).filter(wanted)) await copyInto(join(dir, file), at('node_modules', pkg, file));
  }

  const wasmDist = join(packageDir(root, WASM_PACKAGE), 'dist');
  const wasmFiles = (await readdir(wasmDist)).filter((f) => f.endsWith('.wasm'));
  for (const file of wasmFiles) await copyInto(join(wasmDist, file), at('node_modules', WASM_PACKAGE, 'dist', file));
  for (const pkg of VERSION_RECORDS) {
    const meta = JSON.parse(await readFile(join(packageDir(root, pkg), 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    const record = { name: meta.name, version: meta.version, license: meta.license, description: `version record: the code of ${meta.name} is bundled into lib/ (grn worker bundle)` };
    await mkdir(at('node_modules', pkg), { recursive: true });
    await writeFile(at('node_modules', pkg, 'package.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  let natsVersion: string | null = null;
  if (natsServer) {
    natsVersion = (await execa(natsServer, ['--version'])).stdout.trim();
    log(`nats-server: ${natsServer} (${natsVersion})`);
    await copyInto(natsServer, at('bin', 'nats-server'));
    const debianCopyright = '/usr/share/doc/nats-server/copyright';
    if (existsSync(debianCopyright)) await copyInto(debianCopyright, at('licenses', 'nats-server.copyright'));
  } else {
    log('nats-server: none on this machine (command -v nats-server): the bundle will use the node\'s own, if any');
  }

  const sweeps = join(root, 'sweeps');
  for (const file of (await readdir(sweeps)).filter((f) => /\.(ya?ml|json|md)$/.test(f))) await copyInto(join(sweeps, file), at('sweeps', file));

  const project = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string; version: string; license: string };
  const git = await gitCommit(root);
  // The project root marker (worker/engine/versions.ts looks for this name), "type": "module" for
  // lib/*.js, and what the bundle was built from; `gitCommit` goes into every result's manifest.
  const bundleMeta = {
    name: project.name,
    version: project.version,
    license: project.license,
    private: true,
    type: 'module',
    description: 'GradRetentionNet worker bundle for linux-x64: run ./grn',
    gitCommit: git.commit,
    bundle: {
      built_at: new Date().toISOString(),
      git_dirty: git.dirty,
      platform: 'linux-x64',
      node: nodeVersion,
      nats_server: natsVersion,
      components: ['node', 'javascript', 'webgpu (Dawn)', 'tfjs wasm', ...(natsVersion ? ['nats-server'] : [])],
    },
  };
  await writeFile(at('package.json'), `${JSON.stringify(bundleMeta, null, 2)}\n`);
  await copyFile(join(root, 'scripts', 'bundle', 'launcher.sh'), at('grn'));
  await chmod(at('grn'), 0o755);
  const readme = (await readFile(join(root, 'scripts', 'bundle', 'bundle-README.md'), 'utf8'))
    .replaceAll('{{version}}', project.version)
    .replaceAll('{{commit}}', git.commit ? `${git.commit.slice(0, 12)}${git.dirty ? ' (with uncommitted changes)' : ''}` : 'unknown')
    .replaceAll('{{node}}', nodeVersion)
    .replaceAll('{{nats}}', natsVersion ? `nats-server ${natsVersion.replace(/^nats-server:\s*/, '')}` : 'no nats-server (the build machine had none): install one, or set GRN_NATS_SERVER');
  await writeFile(at('README.md'), readme);

  const parts: Array<Omit<Component, 'bytes'>> = [
    { name: 'node', what: `Node.js ${nodeVersion} runtime`, paths: ['bin/node'] },
    { name: 'javascript', what: `the project and its dependencies, esbuild (${js.files.length} files)`, paths: ['lib'] },
    { name: 'webgpu', what: "Dawn's addon (npm webgpu), linux-x64 only", paths: ['node_modules/webgpu'] },
    { name: 'piscina', what: 'the worker-thread pool, as a package', paths: ['node_modules/piscina'] },
    { name: 'wasm', what: `tfjs-backend-wasm binaries (${wasmFiles.length})`, paths: [`node_modules/${WASM_PACKAGE}/dist`] },
    ...(natsServer ? [{ name: 'nats-server', what: natsVersion ?? 'nats-server', paths: ['bin/nats-server'] }] : []),
    {
      name: 'other',
      what: 'launcher, README, package.json, version records, example sweeps, licenses',
      paths: ['grn', 'README.md', 'package.json', 'sweeps', ...VERSION_RECORDS.map((p) => `node_modules/${p}/package.json`), ...(existsSync(at('licenses')) ? ['licenses'] : [])],
    },
  ];
  const components: Component[] = [];
  for (const part of parts) {
    let bytes = 0;
    for (const p of part.paths) bytes += await sizeOf(at(p));
    const compressedBytes = options.componentSizes ? await compressedSize(folder, part.paths, level) : undefined;
    components.push({ ...part, bytes, ...(compressedBytes !== undefined ? { compressedBytes } : {}) });
  }

  log(`compressing ${basename(tarball)} (xz -T0 -${level})`);
  const compressedBytes = await tarXz(outDir, BUNDLE_NAME, tarball, level);
  return {
    tarball,
    folder,
    compressedBytes,
    unpackedBytes: await sizeOf(folder),
    components,
    node: nodeVersion,
    natsServer: natsVersion,
    seconds: (performance.now() - started) / 1000,
  };
}
