import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * `npm run setup:tensorflow -- --gpu --wheel-dir DIR` (scripts/setup-tensorflow-gpu.sh and
 * scripts/tf_wheels.py), run as users run it. Fast tests use folders of small wheels generated
 * here (real zip files with a METADATA); the rehearsal builds the addon from the real tensorflow_cpu
 * wheel that `npm run setup` caches in .grn/cache, into a scratch node_modules, never the project's.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TF_VERSION = '2.21.0';
const CPU_WHEEL = `tensorflow_cpu-${TF_VERSION}-cp311-cp311-manylinux_2_27_x86_64.whl`;
const CUDA_WHEEL = `tensorflow-${TF_VERSION}-cp311-cp311-manylinux_2_27_x86_64.whl`;
const STRICT = process.env.GRN_SETUP_STRICT === '1';

// Scratch folders live under .grn/ (gitignored), on the cache's filesystem so the rehearsal can
// hard-link the 850 MB library instead of copying it.
mkdirSync(join(ROOT, '.grn'), { recursive: true });
const scratch = mkdtempSync(join(ROOT, '.grn', 'test-setup-gpu-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const folder = (): string => {
  const dir = join(scratch, `wheels-${++folders}`);
  mkdirSync(dir);
  return dir;
};

/** Writes a zip file with these members (Python's zipfile: the same reader the script uses). */
function writeZip(path: string, members: Record<string, string | Buffer>): void {
  const encoded = Object.fromEntries(Object.entries(members).map(([name, data]) => [name, Buffer.from(data).toString('base64')]));
  execFileSync('python3', ['-c', `
import base64, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for name, data in json.load(sys.stdin).items():
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o755 if '/bin/' in name else 0o644) << 16
        z.writestr(info, base64.b64decode(data))
`, path], { input: JSON.stringify(encoded) });
}

/** The and-cuda lines of tensorflow 2.21.0's METADATA, shortened to three packages. */
const AND_CUDA = [
  'nvidia-cublas-cu12<13.0,>=12.5.3.2',
  'nvidia-cuda-runtime-cu12<13.0,>=12.5.82',
  'nvidia-cudnn-cu12<10.0,>=9.3.0.75',
];

/** A tensorflow wheel with a METADATA in the real one's shape (base requirements, an extra). */
function tensorflowWheel(dir: string, file = CUDA_WHEEL, andCuda = AND_CUDA): string {
  const name = file.split('-')[0]!;
  const metadata = [
    'Metadata-Version: 2.4',
    `Name: ${name}`,
    `Version: ${TF_VERSION}`,
    'Requires-Dist: absl-py>=1.0.0',
    'Requires-Dist: numpy>=1.26.0',
    'Provides-Extra: and-cuda',
    ...andCuda.map((r) => `Requires-Dist: ${r}; extra == "and-cuda"`),
    'Provides-Extra: gcs',
    'Requires-Dist: nvidia-gcs-helper-cu12>=1.0; extra == "gcs"',
    '',
    'TensorFlow is an open source machine learning framework. Requires-Dist: not-a-header',
  ].join('\n');
  writeZip(join(dir, file), { [`${name}-${TF_VERSION}.dist-info/METADATA`]: metadata, 'tensorflow/__init__.py': '' });
  return join(dir, file);
}

/** An nvidia-*-cu12 wheel holding one library (and what the script leaves out: headers, Python). */
function nvidiaWheel(dir: string, project: string, version: string, pkg: string, lib: string, platform = 'manylinux2014_x86_64', content: Buffer | string = `fake ${lib}`): string {
  const file = `${project.replaceAll('-', '_')}-${version}-py3-none-${platform}.whl`;
  writeZip(join(dir, file), {
    [`nvidia/${pkg}/lib/${lib}`]: content,
    [`nvidia/${pkg}/include/${pkg}.h`]: '/* header */',
    [`nvidia/${pkg}/__init__.py`]: '',
    'nvidia/__init__.py': '',
    [`${project.replaceAll('-', '_')}-${version}.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: ${project}\nVersion: ${version}\n`,
  });
  return join(dir, file);
}

function allNvidiaWheels(dir: string): void {
  nvidiaWheel(dir, 'nvidia-cublas-cu12', '12.5.3.2', 'cublas', 'libcublas.so.12');
  nvidiaWheel(dir, 'nvidia-cuda-runtime-cu12', '12.5.82', 'cuda_runtime', 'libcudart.so.12');
  nvidiaWheel(dir, 'nvidia-cudnn-cu12', '9.3.0.75', 'cudnn', 'libcudnn.so.9');
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run setup:tensorflow -- ARGS`, without npm (it only runs this script). */
function setup(args: string[], timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', [join(ROOT, 'scripts/setup-tensorflow.sh'), ...args], { cwd: ROOT, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function fails(args: string[], message: RegExp): Promise<Run> {
  const r = await setup(args);
  assert.equal(r.code, 1, `expected exit 1\n${r.stderr}`);
  assert.match(r.stderr, /setup-tensorflow-gpu: ERROR: /);
  assert.match(r.stderr, message);
  return r;
}

describe('setup-tensorflow --gpu: the wheel folder', () => {
  it('needs --wheel-dir', async () => {
    await fails(['--gpu'], /--gpu needs --wheel-dir DIR: a folder with the tensorflow==2\.21\.0 wheel/);
  });

  it('names a wheel folder that does not exist', async () => {
    const missing = join(scratch, 'no-such-folder');
    await fails(['--gpu', '--wheel-dir', missing], new RegExp(`the wheel folder ${missing} does not exist`));
  });

  it('names the folder without a tensorflow wheel and what it holds', async () => {
    const dir = folder();
    nvidiaWheel(dir, 'nvidia-cublas-cu12', '12.5.3.2', 'cublas', 'libcublas.so.12');
    await fails(['--gpu', '--wheel-dir', dir], new RegExp(`no tensorflow-2\\.21\\.0-\\*\\.whl in ${dir} \\(it holds nvidia_cublas_cu12-12\\.5\\.3\\.2-py3-none-manylinux2014_x86_64\\.whl\\); .*pip download`));
  });

  it('says so when the folder has only the CPU build, and how to rehearse with it', async () => {
    const dir = folder();
    tensorflowWheel(dir, CPU_WHEEL);
    await fails(['--gpu', '--wheel-dir', dir], new RegExp(`${dir} has only the CPU build of TensorFlow \\(${CPU_WHEEL}\\); the GPU route needs the CUDA build, .*add --accept-cpu-wheel`));
  });

  it('refuses another TensorFlow version, naming the file', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'tensorflow-2.20.0-cp311-cp311-manylinux_2_17_x86_64.whl'), '');
    await fails(['--gpu', '--wheel-dir', dir], /has tensorflow-2\.20\.0-cp311-cp311-manylinux_2_17_x86_64\.whl, but this setup builds against TensorFlow 2\.21\.0/);
  });

  it('refuses a wheel that is not a zip', async () => {
    const dir = folder();
    writeFileSync(join(dir, CUDA_WHEEL), '<html>502 Bad Gateway</html>');
    await fails(['--gpu', '--wheel-dir', dir], new RegExp(`${join(dir, CUDA_WHEEL)} is not a wheel: not a readable zip archive`));
  });

  it('refuses a wheel for another platform or Python', async () => {
    const mac = folder();
    tensorflowWheel(mac, `tensorflow-${TF_VERSION}-cp311-cp311-macosx_12_0_arm64.whl`);
    await fails(['--gpu', '--wheel-dir', mac], /tensorflow-2\.21\.0-cp311-cp311-macosx_12_0_arm64\.whl: platform tag macosx_12_0_arm64 is not Linux x86_64/);
    const pure = folder();
    tensorflowWheel(pure, `tensorflow-${TF_VERSION}-py3-none-manylinux_2_27_x86_64.whl`);
    await fails(['--gpu', '--wheel-dir', pure], /python tag py3 is not a CPython 3 build \(expected cp3XX\)/);
    const arm = folder();
    tensorflowWheel(arm);
    nvidiaWheel(arm, 'nvidia-cublas-cu12', '12.5.3.2', 'cublas', 'libcublas.so.12');
    nvidiaWheel(arm, 'nvidia-cuda-runtime-cu12', '12.5.82', 'cuda_runtime', 'libcudart.so.12');
    nvidiaWheel(arm, 'nvidia-cudnn-cu12', '9.3.0.75', 'cudnn', 'libcudnn.so.9', 'manylinux2014_aarch64');
    await fails(['--gpu', '--wheel-dir', arm], /nvidia_cudnn_cu12-9\.3\.0\.75-py3-none-manylinux2014_aarch64\.whl: platform tag manylinux2014_aarch64 is not Linux x86_64/);
  });

  it('names each missing and-cuda wheel with the version its METADATA asks for', async () => {
    const dir = folder();
    tensorflowWheel(dir);
    nvidiaWheel(dir, 'nvidia-cublas-cu12', '12.5.3.2', 'cublas', 'libcublas.so.12');
    await fails(['--gpu', '--wheel-dir', dir], new RegExp(
      `${dir} lacks wheels that ${CUDA_WHEEL} requires for its and-cuda extra \\(read from its METADATA\\): ` +
        'nvidia-cuda-runtime-cu12<13\\.0,>=12\\.5\\.82, nvidia-cudnn-cu12<10\\.0,>=9\\.3\\.0\\.75; on a machine with internet: pip download'));
  });

  it('refuses an nvidia wheel of a version the METADATA excludes', async () => {
    const dir = folder();
    tensorflowWheel(dir);
    allNvidiaWheels(dir);
    rmSync(join(dir, 'nvidia_cudnn_cu12-9.3.0.75-py3-none-manylinux2014_x86_64.whl'));
    nvidiaWheel(dir, 'nvidia-cudnn-cu12', '8.9.7.29', 'cudnn', 'libcudnn.so.8');
    await fails(['--gpu', '--wheel-dir', dir], /has nvidia_cudnn_cu12-8\.9\.7\.29-py3-none-manylinux2014_x86_64\.whl, but tensorflow-2\.21\.0-\S+ requires nvidia-cudnn-cu12<10\.0,>=9\.3\.0\.75 for its and-cuda extra/);
  });
});

describe('setup-tensorflow --gpu: the tfjs-node-gpu tarball', () => {
  it('takes it from the wheel folder only if it is the published 4.22.0 (by its integrity)', async (t) => {
    // The script checks for the CPU package (whose dependencies tfjs-node-gpu uses) before the tarball.
    if (!existsSync(join(ROOT, 'node_modules/@tensorflow/tfjs-node/package.json'))) {
      t.skip('node_modules/@tensorflow/tfjs-node is not installed (npm ci --omit=optional)');
      return;
    }
    const dir = folder();
    tensorflowWheel(dir);
    allNvidiaWheels(dir);
    const tgz = join(dir, 'tensorflow-tfjs-node-gpu-4.22.0.tgz');
    writeFileSync(tgz, 'a tarball from somewhere else');
    const r = await fails(['--gpu', '--wheel-dir', dir, '--prefix', join(scratch, 'tgz-prefix')],
      new RegExp(`${tgz} is not the published @tensorflow/tfjs-node-gpu 4\\.22\\.0 \\(integrity sha512-\\S+, expected sha512-p//NN6DG`));
    assert.doesNotMatch(r.stderr, /fetching @tensorflow\/tfjs-node-gpu/, 'a tarball in the wheel folder is used, not the registry');
    assert.ok(!existsSync(join(scratch, 'tgz-prefix/node_modules/@tensorflow/tfjs-node-gpu')), 'nothing is installed');
  });
});

describe('setup-tensorflow --gpu: the METADATA of the tensorflow wheel', () => {
  it('reads the and-cuda requirements, not the base ones, another extra or the description', () => {
    const dir = folder();
    const wheel = tensorflowWheel(dir);
    const out = execFileSync('python3', [join(ROOT, 'scripts/tf_wheels.py'), 'and-cuda', wheel], { encoding: 'utf8' });
    assert.deepEqual(out.trim().split('\n'), AND_CUDA);
  });

  it('--check picks the wheels the METADATA names (the newest that fits) and ignores the rest', async () => {
    const dir = folder();
    tensorflowWheel(dir);
    allNvidiaWheels(dir);
    nvidiaWheel(dir, 'nvidia-cublas-cu12', '12.9.1.4', 'cublas', 'libcublas.so.12'); // newer, still <13
    nvidiaWheel(dir, 'nvidia-cublas-cu12', '13.0.0.19', 'cublas', 'libcublas.so.13'); // excluded by <13.0
    nvidiaWheel(dir, 'nvidia-nccl-cu12', '2.27.7', 'nccl', 'libnccl.so.2'); // not in this METADATA
    writeFileSync(join(dir, 'numpy-2.3.0-cp311-cp311-manylinux_2_27_x86_64.whl'), 'pip download brings these too');
    const r = await setup(['--gpu', '--wheel-dir', dir, '--check']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `tensorflow\t${join(dir, CUDA_WHEEL)}\tcuda`,
      `nvidia\tnvidia-cublas-cu12\t${join(dir, 'nvidia_cublas_cu12-12.9.1.4-py3-none-manylinux2014_x86_64.whl')}`,
      `nvidia\tnvidia-cuda-runtime-cu12\t${join(dir, 'nvidia_cuda_runtime_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl')}`,
      `nvidia\tnvidia-cudnn-cu12\t${join(dir, 'nvidia_cudnn_cu12-9.3.0.75-py3-none-manylinux2014_x86_64.whl')}`,
    ]);
    assert.match(r.stderr, /TensorFlow: tensorflow-2\.21\.0-cp311-cp311-manylinux_2_27_x86_64\.whl \(CUDA build\)/);
    assert.match(r.stderr, /CUDA runtime wheels \(the and-cuda extra of its METADATA\): 3 \(nvidia_cublas_cu12-12\.9\.1\.4-/);
  });

  it('refuses a tensorflow wheel whose METADATA has no and-cuda extra', async () => {
    const dir = folder();
    tensorflowWheel(dir, CUDA_WHEEL, []);
    await fails(['--gpu', '--wheel-dir', dir], /its METADATA names no and-cuda requirements/);
  });

  it('--accept-cpu-wheel takes the CPU build and an empty set of absent nvidia wheels, with warnings', async () => {
    const dir = folder();
    tensorflowWheel(dir, CPU_WHEEL);
    const r = await setup(['--gpu', '--wheel-dir', dir, '--accept-cpu-wheel', '--check']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `tensorflow\t${join(dir, CPU_WHEEL)}\tcpu`);
    assert.match(r.stderr, /warning: rehearsal: using the CPU build tensorflow_cpu-2\.21\.0-\S+ \(--accept-cpu-wheel\)/);
    assert.match(r.stderr, new RegExp(`warning: rehearsal: ${dir} lacks the and-cuda wheels \\(nvidia-cublas-cu12<13\\.0,>=12\\.5\\.3\\.2, .*\\); building with none`));
  });

  it('extracts what runs from an nvidia wheel in its own layout: libraries and tools, no headers or Python', () => {
    const dir = folder();
    const wheel = join(dir, 'nvidia_cuda_nvcc_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl');
    writeZip(wheel, {
      'nvidia/cuda_nvcc/bin/ptxas': '#!/bin/sh\n',
      'nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc': 'bitcode',
      'nvidia/cuda_nvcc/lib/libnvptxcompiler_static.a': 'archive',
      'nvidia/cuda_nvcc/include/crt/host_config.h': '/* header */',
      'nvidia/cuda_nvcc/__init__.py': '',
      'nvidia_cuda_nvcc_cu12-12.5.82.dist-info/METADATA': 'Name: nvidia-cuda-nvcc-cu12\n',
    });
    const dest = join(dir, 'out');
    execFileSync('python3', [join(ROOT, 'scripts/tf_wheels.py'), 'extract-nvidia', wheel, dest]);
    const files = (execFileSync('find', [dest, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n')).map((f) => f.slice(dest.length + 1)).sort();
    assert.deepEqual(files, ['nvidia/cuda_nvcc/bin/ptxas', 'nvidia/cuda_nvcc/nvvm/libdevice/libdevice.10.bc']);
    assert.equal(statSync(join(dest, 'nvidia/cuda_nvcc/bin/ptxas')).mode & 0o111, 0o111, 'ptxas stays executable');
  });
});

describe('setup-tensorflow --gpu: rehearsal on the real tensorflow_cpu wheel', () => {
  const cachedWheel = join(ROOT, '.grn', 'cache', CPU_WHEEL);

  /** Whether the project's CPU build loads (checked before and after: the GPU route must not break it). */
  function cpuAddonLoads(): boolean {
    try {
      execFileSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: ROOT, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  it('builds tfjs-node-gpu from it into a scratch node_modules, loads it (GPU: false), and leaves tfjs-node working', { timeout: 600_000 }, async (t) => {
    if (!existsSync(cachedWheel)) {
      // CI runs `npm run setup` first, which caches this wheel; there its absence is a failure.
      assert.ok(!STRICT, `GRN_SETUP_STRICT=1 but ${cachedWheel} is missing: \`npm run setup\` caches it`);
      t.skip(`${CPU_WHEEL} is not in .grn/cache (\`npm run setup\` downloads it, ~270 MB)`);
      return;
    }
    const cpuBefore = cpuAddonLoads();
    const dir = folder();
    symlinkSync(cachedWheel, join(dir, CPU_WHEEL));
    const prefix = join(scratch, 'prefix');
    const started = Date.now();
    const r = await setup(['--gpu', '--wheel-dir', dir, '--accept-cpu-wheel', '--prefix', prefix], 540_000);
    if (r.code !== 0 && /npm could not fetch @tensorflow\/tfjs-node-gpu/.test(r.stderr) && !STRICT) {
      t.skip('the npm registry is not reachable for @tensorflow/tfjs-node-gpu and .grn/cache has no tarball of it');
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    t.diagnostic(`rehearsal build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.match(r.stderr, /warning: rehearsal: .* lacks the and-cuda wheels \(nvidia-cublas-cu12/);
    assert.match(r.stderr, /no CUDA runtime libraries to place \(rehearsal\)/);
    assert.match(r.stderr, /@tensorflow\/tfjs-node-gpu 4\.22\.0, TensorFlow C library 2\.21\.0, backend tensorflow, GPU: false, matMul ok/);

    const pkg = join(prefix, 'node_modules/@tensorflow/tfjs-node-gpu');
    assert.deepEqual(JSON.parse(readFileSync(join(pkg, 'grn-build.json'), 'utf8')), {
      'tfjs-node-gpu': '4.22.0', tensorflow_wheel: CPU_WHEEL, cuda: false, nvidia_wheels: [],
    });
    assert.ok(existsSync(join(pkg, 'lib/napi-v8/tfjs_binding.node')));
    assert.ok(readdirSync(join(pkg, 'deps/lib')).includes('libtensorflow_framework.so.2'));
    // The addon finds libtensorflow through its own rpath, as the CPU build's does.
    const dynamic = execFileSync('readelf', ['-d', join(pkg, 'lib/napi-v8/tfjs_binding.node')], { encoding: 'utf8' });
    assert.match(dynamic, /RUNPATH.*\[\$ORIGIN\/\.\.\/\.\.\/deps\/lib\]/);
    assert.match(dynamic, /NEEDED.*\[libtensorflow_cc\.so\.2\]/);

    // Loaded on its own, as the backend loads it: the project's tfjs-core sees its kernels.
    const loaded = execFileSync(process.execPath, ['-e', `
      const tf = require(${JSON.stringify(pkg)});
      const core = require('@tensorflow/tfjs-core');
      console.log(JSON.stringify({ backend: core.getBackend(), gpu: tf.backend().binding.isUsingGpuDevice(),
        sum: tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0] }));
    `], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    assert.deepEqual(JSON.parse(loaded), { backend: 'tensorflow', gpu: false, sum: 5 });
    assert.equal(cpuAddonLoads(), cpuBefore, 'the CPU build in node_modules/@tensorflow/tfjs-node loads as before');

    // Built from the same wheels and still loading: a second run keeps it.
    const again = await setup(['--gpu', '--wheel-dir', dir, '--accept-cpu-wheel', '--prefix', prefix], 120_000);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /is already built from these wheels; nothing to do/);

    // With an and-cuda wheel present, the rehearsal uses it. Its library (a real shared object with
    // libcudart's SONAME, compiled here) goes to deps/nvidia in the wheel's layout; the RUNPATH check
    // reads the real libtensorflow_framework.so.2 (the library that dlopens CUDA libraries), whose
    // CPU build names no nvidia folder, so the addon links the library itself: once the addon is
    // loaded, the library is in the process, where TensorFlow's dlopen("libcudart.so.12") finds it.
    const source = join(scratch, 'empty.c');
    writeFileSync(source, 'int grn_fake_cudart;\n');
    const fakeCudart = join(scratch, 'libcudart.so.12');
    execFileSync('cc', ['-shared', '-fPIC', '-Wl,-soname,libcudart.so.12', '-o', fakeCudart, source]);
    const fakeWheel = nvidiaWheel(dir, 'nvidia-cuda-runtime-cu12', '12.5.82', 'cuda_runtime', 'libcudart.so.12', undefined, readFileSync(fakeCudart));
    // The script caches each wheel's extraction in .grn/cache; this fake one's goes when the test ends.
    const fakeExtraction = join(ROOT, '.grn/cache', basename(fakeWheel, '.whl'));
    t.after(() => {
      const stamp = `${statSync(fakeWheel).size} ${Math.floor(statSync(fakeWheel).mtimeMs / 1000)}\n`;
      if (existsSync(join(fakeExtraction, '.complete')) && readFileSync(join(fakeExtraction, '.complete'), 'utf8') === stamp) {
        rmSync(fakeExtraction, { recursive: true, force: true });
      }
    });
    const withCuda = await setup(['--gpu', '--wheel-dir', dir, '--accept-cpu-wheel', '--prefix', prefix], 540_000);
    assert.equal(withCuda.code, 0, withCuda.stderr);
    assert.match(withCuda.stderr, /CUDA runtime wheels \(the and-cuda extra of its METADATA\): 1 \(nvidia_cuda_runtime_cu12-12\.5\.82-/);
    assert.deepEqual(readdirSync(join(pkg, 'deps/nvidia/cuda_runtime')), ['lib']);
    assert.deepEqual(readFileSync(join(pkg, 'deps/nvidia/cuda_runtime/lib/libcudart.so.12')), readFileSync(fakeCudart));
    assert.match(withCuda.stderr, /the RUNPATH of libtensorflow_framework\.so\.2 \(none\) does not name deps\/nvidia\/cuda_runtime\/lib: the addon links those 1 libraries itself/);
    const linked = execFileSync('readelf', ['-d', join(pkg, 'lib/napi-v8/tfjs_binding.node')], { encoding: 'utf8' });
    assert.match(linked, /NEEDED.*\[libcudart\.so\.12\]/);
    assert.match(linked, /RUNPATH.*\$ORIGIN\/\.\.\/\.\.\/deps\/nvidia\/cuda_runtime\/lib/);
    const maps = execFileSync(process.execPath, ['-e', `
      require(${JSON.stringify(pkg)});
      console.log(require('fs').readFileSync('/proc/self/maps', 'utf8'));
    `], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    assert.ok(maps.includes(join(pkg, 'deps/nvidia/cuda_runtime/lib/libcudart.so.12')), 'libcudart.so.12 is loaded with the addon');
    assert.match(withCuda.stderr, /GPU: false, matMul ok/);
    assert.deepEqual(JSON.parse(readFileSync(join(pkg, 'grn-build.json'), 'utf8')).nvidia_wheels, ['nvidia_cuda_runtime_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl']);
  });
});
