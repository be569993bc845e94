/**
 * TensorFlow's native C library through @tensorflow/tfjs-node (backend name `tensorflow`): the
 * fastest backend on a CPU, and on a CUDA GPU when @tensorflow/tfjs-node-gpu is installed.
 *
 * Why optional: tfjs-node is an optionalDependency whose install script is denied (allowScripts),
 * because that script downloads libtensorflow and a prebuilt addon from storage.googleapis.com,
 * which offline machines cannot reach. After `npm ci` the package is there but its native addon
 * (lib/napi-v8/tfjs_binding.node) and deps/lib/libtensorflow* are not, so `probe()` says so.
 *
 * How it is built offline: `npm run setup:tensorflow` (scripts/setup-tensorflow.sh) first tries the
 * package's own installer, then takes libtensorflow_cc.so.2 (which exports TensorFlow's C API,
 * TF_* and TFE_*), libtensorflow_framework.so.2 and the C headers from the tensorflow-cpu 2.21
 * Python wheel (pip, or GRN_TF_WHEEL), lays them out in the package's deps/ folder and compiles
 * the addon with npm's bundled node-gyp. The addon only uses the stable C API, so TensorFlow 2.21
 * stands in for the 2.9.1 that tfjs-node 4.22 was released with.
 *
 * The CUDA build: `npm run setup:tensorflow -- --gpu --wheel-dir DIR` (scripts/setup-tensorflow-gpu.sh)
 * unpacks @tensorflow/tfjs-node-gpu beside tfjs-node and builds its addon the same way against the
 * CUDA build of the tensorflow wheel, with the CUDA 12 runtime wheels in its deps/nvidia; it records
 * the wheels in grn-build.json, which `probe` and `activate` report. When its addon is built it is
 * loaded first; the CPU build stays in place as the fallback.
 *
 * tfjs-node registers its backend with the tfjs-core that its @tensorflow/tfjs dependency
 * resolves; `activate` checks that this is the engine the project's own tfjs-core import sees.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { packageVersion, workerBundleRoot } from '../versions.js';
import { registerTensorflowKernels } from './tensorflow-kernels.js';
import type { ActivateOptions, Availability, Backend, DeviceReport } from './types.js';

const require = createRequire(import.meta.url);

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const CPU_PACKAGE = '@tensorflow/tfjs-node';
/** Load order: a CUDA build a user installed wins over the CPU build. */
const PACKAGES = [GPU_PACKAGE, CPU_PACKAGE] as const;
const SETUP_HINT = 'run `npm run setup:tensorflow`';
const GPU_SETUP_HINT = 'run `npm run setup:tensorflow -- --gpu --wheel-dir DIR` (see docs/tensorflow-gpu.md)';

/** An installed tfjs-node package and where its loader expects the native addon. */
interface Installed {
  pkg: string;
  dir: string;
  addon: string;
}

/** The part of tfjs-node's NodeJSKernelBackend this module reads. */
interface NodeKernelBackend {
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

/**
 * Finds a tfjs-node package without loading it, or returns null when it is not installed. The addon
 * path is what node-pre-gyp's find() gives tfjs-node's dist/index.js: binary.module_path with the
 * highest N-API version of binary.napi_versions that this Node supports (lib/napi-v8 on Node 20).
 * Loading node-pre-gyp itself costs ~200 ms, so it is only the fallback for other templates.
 */
function locate(pkg: string): Installed | null {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    return null;
  }
  const dir = dirname(pkgJson);
  const meta = JSON.parse(readFileSync(pkgJson, 'utf8')) as {
    binary?: { module_name?: string; module_path?: string; napi_versions?: number[] };
  };
  const { module_name: name, module_path: template, napi_versions: napis = [] } = meta.binary ?? {};
  const napi = Math.max(...napis.filter((v) => v <= Number(process.versions.napi)));
  if (name && template && Number.isFinite(napi)) {
    const modulePath = template.replace('{napi_build_version}', String(napi));
    if (!modulePath.includes('{')) return { pkg, dir, addon: join(dir, modulePath, `${name}.node`) };
  }
  const preGyp = createRequire(pkgJson)('@mapbox/node-pre-gyp') as { find(packageJson: string): string };
  return { pkg, dir, addon: preGyp.find(pkgJson) };
}

/** Why an installed package cannot load, or null when its addon and TensorFlow library are in place. */
function missingPiece(found: Installed): string | null {
  const hint = found.pkg === CPU_PACKAGE ? SETUP_HINT : GPU_SETUP_HINT;
  if (!existsSync(found.addon)) {
    return `native addon not built (no ${relative(process.cwd(), found.addon)}): ${hint}`;
  }
  if (process.platform === 'linux') {
    const libDir = join(found.dir, 'deps', 'lib');
    const hasLib = existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('libtensorflow.so'));
    if (!hasLib) return `TensorFlow C library missing from ${relative(process.cwd(), libDir)}: ${hint}`;
  }
  return null;
}

/** What scripts/setup-tensorflow-gpu.sh writes into the package it built. */
interface BuildRecord {
  tensorflow_wheel?: string;
  cuda?: boolean;
  nvidia_wheels?: string[];
}

/**
 * The package, its version and what its TensorFlow library came from: for tfjs-node-gpu built by
 * our setup, the tensorflow wheel and how many CUDA runtime wheels (a rehearsal build from the CPU
 * wheel says so); otherwise "CPU build" / "CUDA build" by package.
 */
function describeBuild(found: Installed): string {
  const name = `${found.pkg} ${packageVersion(found.pkg)}`;
  if (found.pkg === CPU_PACKAGE) return `${name} (CPU build)`;
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(join(found.dir, 'grn-build.json'), 'utf8')) as BuildRecord;
  } catch {
    return `${name} (CUDA build)`;
  }
  const wheels = record.nvidia_wheels?.length ?? 0;
  return record.cuda
    ? `${name} (CUDA build from ${record.tensorflow_wheel} and ${wheels} CUDA runtime wheel${wheels === 1 ? '' : 's'})`
    : `${name} (rehearsal build from ${record.tensorflow_wheel}: no CUDA)`;
}

function installedPackages(problems: string[]): Installed[] {
  const out: Installed[] = [];
  for (const pkg of PACKAGES) {
    try {
      const found = locate(pkg);
      if (found) out.push(found);
    } catch (err) {
      problems.push(`${pkg}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Why there is no tfjs-node, and how to get one: in a checkout npm installs it; the worker bundle leaves it out. */
function notInstalled(): string {
  const bundle = workerBundleRoot();
  if (bundle) {
    return (
      `${CPU_PACKAGE} is not in the worker bundle (libtensorflow is too large): set GRN_TENSORFLOW_MODULES to a ` +
      `node_modules folder that holds it, or put that folder at ${join(bundle, 'tensorflow', 'node_modules')} (${join(bundle, 'README.md')})`
    );
  }
  return `${CPU_PACKAGE} is not installed (optional dependency: run \`npm ci\` without --omit=optional, then \`npm run setup:tensorflow\`)`;
}

/** Where `pkg` gets its tfjs-core from (through @tensorflow/tfjs), for the mismatch message. */
function tfjsCoreSeenBy(found: Installed): string {
  try {
    const tfjs = createRequire(join(found.dir, 'package.json')).resolve('@tensorflow/tfjs');
    return createRequire(tfjs).resolve('@tensorflow/tfjs-core');
  } catch (err) {
    return `unresolvable (${(err as Error).message.split('\n')[0]})`;
  }
}

/** The physical GPU behind CUDA device 0 of this process, by name, or null when unknown. */
async function gpuName(deviceIndex: number | undefined): Promise<string | null> {
  const visible = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',')[0]?.trim();
  const index = visible || String(deviceIndex ?? 0);
  try {
    const { stdout } = await promisify(execFile)(
      'nvidia-smi',
      ['--query-gpu=name', '--format=csv,noheader', '-i', index],
      { timeout: 5000 },
    );
    return stdout.trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

/** TensorFlow's intra-op thread pool size: TF_NUM_INTRAOP_THREADS, else the schedulable CPUs. */
function intraOpThreads(): number {
  const fromEnv = Number.parseInt(process.env.TF_NUM_INTRAOP_THREADS ?? '', 10);
  return fromEnv > 0 ? fromEnv : availableParallelism();
}

export const tensorflowBackend: Backend = {
  name: 'tensorflow',
  async probe(): Promise<Availability> {
    const problems: string[] = [];
    const installed = installedPackages(problems);
    for (const found of installed) {
      const missing = missingPiece(found);
      if (missing === null) return { ok: true, detail: describeBuild(found) };
      problems.push(found.pkg === CPU_PACKAGE && installed.length === 1 ? missing : `${found.pkg}: ${missing}`);
    }
    return { ok: false, reason: problems.length > 0 ? problems.join('; ') : notInstalled() };
  },

  async activate(options: ActivateOptions = {}): Promise<DeviceReport> {
    // Pinning: CUDA reads CUDA_VISIBLE_DEVICES when TensorFlow initialises (at the import below),
    // so setting it here restricts this process to the one chosen GPU. A launcher that already set
    // it (the worker agent does, per trainer process) wins.
    if (options.deviceIndex !== undefined && process.env.CUDA_VISIBLE_DEVICES === undefined) {
      process.env.CUDA_VISIBLE_DEVICES = String(options.deviceIndex);
    }
    const failures: string[] = [];
    let loaded: { found: Installed; module: { version?: Record<string, string> } } | undefined;
    for (const found of installedPackages(failures)) {
      const missing = missingPiece(found);
      if (missing !== null) {
        failures.push(`${found.pkg}: ${missing}`);
        continue;
      }
      try {
        // The package locate() found, by its file: require.resolve honours NODE_PATH, where the worker
        // bundle's launcher puts a tfjs-node installed beside it, and import() of a bare name would
        // not. (Not a literal either way: both packages are optional, TypeScript must not resolve them.)
        const mod = (await import(pathToFileURL(require.resolve(found.pkg)).href)) as { default?: object };
        loaded = { found, module: (mod.default ?? mod) as { version?: Record<string, string> } };
        break;
      } catch (err) {
        failures.push(`${found.pkg}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    if (!loaded) {
      const why = failures.length > 0 ? failures.join('; ') : notInstalled();
      throw new Error(`cannot load TensorFlow's native backend: ${why}`);
    }
    const { found, module } = loaded;

    // Importing registered 'tensorflow' and made it current in the tfjs-core that the package
    // resolved; the project must see that same engine.
    const mismatch = () =>
      new Error(
        `${found.pkg} registered its backend with another TensorFlow.js engine than the project's ` +
          `@tensorflow/tfjs-core (project: ${require.resolve('@tensorflow/tfjs-core')}, ${found.pkg} via ` +
          `@tensorflow/tfjs: ${tfjsCoreSeenBy(found)}); make both resolve to one copy ` +
          `(\`npm ls @tensorflow/tfjs-core\`, \`npm dedupe\`)`,
      );
    if (!tf.findBackendFactory('tensorflow')) throw mismatch();
    if (!(await tf.setBackend('tensorflow'))) throw new Error('TensorFlow.js refused to start the tensorflow backend');
    await tf.ready();
    if (tf.getBackend() !== 'tensorflow') throw mismatch();

    const backend = tf.backend() as unknown as NodeKernelBackend;
    const tfVersion = backend.binding?.TF_Version ?? 'unknown';
    const gpu = backend.isUsingGpuDevice === true;
    const threads = intraOpThreads();
    // On a CPU, TensorFlow's faster kernels where tfjs-node's are slow (see tensorflow-kernels.ts).
    const kernels = gpu ? [] : registerTensorflowKernels();
    const device = gpu
      ? `${(await gpuName(options.deviceIndex)) ?? 'GPU'} (CUDA)`
      : `CPU (TensorFlow ${tfVersion}, ${threads} thread${threads === 1 ? '' : 's'})`;
    return {
      backend: 'tensorflow',
      device,
      gpu,
      // A CUDA build that is there but did not load is worth saying beside the CPU build that did.
      build: [describeBuild(found), ...failures].join('; '),
      versions: {
        [found.pkg]: module.version?.['tfjs-node'] ?? packageVersion(found.pkg),
        libtensorflow: tfVersion,
        // Which of tensorflow-kernels.ts's overrides ran (GRN_TF_KERNELS), for the record.
        kernel_overrides: kernels.join(',') || 'none',
      },
    };
  },
};
