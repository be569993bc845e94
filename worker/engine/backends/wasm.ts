/**
 * TensorFlow.js's WebAssembly backend under Node, patched so that it can train.
 *
 * Why the workarounds (tfjs-backend-wasm 4.22, measured on the SimpleCNN training step):
 *  1. The wasm backend is built for inference. It has no `Conv2DBackpropFilter` kernel, so the
 *     gradient of any conv2d fails ("kernel not registered"). Every other kernel a conv-net step
 *     hits (Conv2DBackpropInput, MaxPoolGrad, Step for the ReLU gradient, the softmax
 *     cross-entropy pieces, BatchMatMul, ...) exists. We register Conv2DBackpropFilter built only
 *     from other wasm kernels: im2col (PadV2 + Slice/StridedSlice per filter tap + Concat) and one
 *     XNNPACK matmul.
 *  2. Its `BatchMatMul` runs fast (XNNPACK) only without transposes; with transposeA/transposeB it
 *     falls back to a naive loop that is 10-30x slower, and the backward pass of every dense layer
 *     uses exactly those (dW = xᵀ·dy, dx = dy·Wᵀ). We re-register `BatchMatMul` for 'wasm' with a
 *     wrapper that materialises the transpose with the wasm `Transpose` kernel and then calls the
 *     original kernel without transpose flags.
 *  3. No threads under Node: tfjs only uses the SIMD+threads binary where it can spawn Web
 *     Workers, which it cannot under Node, so the single-threaded SIMD binary is used (we also pin
 *     the flag so that a future detection change cannot pick a binary that hangs).
 * The .wasm binaries are loaded from node_modules/@tensorflow/tfjs-backend-wasm/dist (no network).
 *
 * Gradients themselves (tf.registerGradient configs) are not registered here: that is global and
 * backend-independent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageVersion } from './cpu.js';
import type { Availability, Backend, DeviceReport } from './types.js';

const require = createRequire(import.meta.url);
const PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** Smallest wasm module using a SIMD instruction (from wasm-feature-detect, as tfjs uses it). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);

function wasmDistDir(): string {
  return join(dirname(require.resolve(`${PACKAGE}/package.json`)), 'dist');
}

function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

export const wasmBackend: Backend = {
  name: 'wasm',
  async probe(): Promise<Availability> {
    if (typeof WebAssembly !== 'object') return { ok: false, reason: 'this Node.js has no WebAssembly' };
    let dir: string;
    try {
      dir = wasmDistDir();
    } catch {
      return { ok: false, reason: `${PACKAGE} is not installed (run npm install)` };
    }
    const simd = simdSupported();
    const binary = simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
    if (!existsSync(join(dir, binary))) return { ok: false, reason: `${binary} missing from ${dir}` };
    return { ok: true, detail: simd ? 'WebAssembly SIMD, 1 thread' : 'WebAssembly (no SIMD), 1 thread' };
  },
  async activate(): Promise<DeviceReport> {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Importing registered the backend and its kernels; patch them before the backend starts so
    // that the kernels' setup functions run against the started backend.
    installTrainingKernels();
    if (tf.getBackend() !== 'wasm') {
      // Threads need Web Workers, which Node does not give to Emscripten's pthreads here.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setWasmPaths(wasmDistDir() + '/');
      if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js refused to start the wasm backend');
    }
    await tf.ready();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const threads = wasm.getThreadsCount();
    return {
      backend: 'wasm',
      device: `CPU (WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'})`,
      gpu: false,
      versions: { [PACKAGE]: packageVersion(PACKAGE) },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Kernels

type KernelBackend = tf.KernelBackend;
type TensorInfo = tf.TensorInfo;

const PATCHED = Symbol.for('grn.wasm.trainingKernels');

/**
 * Registers the training kernels the wasm backend lacks and replaces its BatchMatMul. Idempotent
 * (marks the patched kernel), so activating twice or in a process that already patched is safe.
 */
export function installTrainingKernels(): void {
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (!matMul) throw new Error(`${PACKAGE} is not loaded: its BatchMatMul kernel is not registered`);
  if ((matMul as unknown as Record<symbol, unknown>)[PATCHED]) return;

  const originalMatMul = matMul.kernelFunc;
  const transposeKernel = kernelOf('Transpose');

  /** BatchMatMul with materialised transposes: the wasm kernel is only fast without them. */
  const batchMatMul: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = (attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return originalMatMul({ inputs, backend, attrs });
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const owned: TensorInfo[] = [];
    const swapLast = (t: TensorInfo): TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      const out = transposeKernel({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
      owned.push(out);
      return out;
    };
    try {
      return originalMatMul({
        inputs: { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of owned) (backend as KernelBackend).disposeData(t.dataId);
    }
  };

  tf.unregisterKernel('BatchMatMul', 'wasm');
  const patched: tf.KernelConfig = { ...matMul, kernelFunc: batchMatMul };
  (patched as unknown as Record<symbol, unknown>)[PATCHED] = true;
  tf.registerKernel(patched);

  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter });
  }
}

/** The kernel function registered for 'wasm' under `name`, called as a plain function. */
function kernelOf(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc;
}

/**
 * dW[i,j,c,o] = Σ_{n,y,x} xPadded[n, y·s + i, x·s + j, c] · dy[n, y, x, o], computed as
 * im2col(x) (rows: output pixels, columns: (i, j, c) in filter order) times dy, in one matmul.
 * Built from wasm kernels only; every intermediate is disposed here.
 */
const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as KernelBackend;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  let { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const run = (name: string, kernelInputs: tf.NamedTensorInfoMap, kernelAttrs: tf.NamedAttrMap = {}): TensorInfo =>
    kernelOf(name)({ inputs: kernelInputs, backend, attrs: kernelAttrs }) as TensorInfo;
  const owned: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => {
    owned.push(t);
    return t;
  };
  const release = (t: TensorInfo): void => {
    const i = owned.indexOf(t);
    if (i >= 0) owned.splice(i, 1);
    backend.disposeData(t.dataId);
  };

  try {
    if (dataFormat === 'NCHW') {
      x = keep(run('Transpose', { x }, { perm: [0, 2, 3, 1] }));
      dy = keep(run('Transpose', { x: dy }, { perm: [0, 2, 3, 1] }));
    }
    const [n, , , inChannels] = x.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
    const outChannels = filterShape[3];
    const { top, bottom, left, right } = info.padInfo;

    let xp = x;
    if (top || bottom || left || right) {
      xp = keep(
        run('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }),
      );
    }

    // One [n, oh, ow, c] window per filter tap, concatenated on channels: im2col in NHWC order.
    const taps: TensorInfo[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(
          keep(
            sh === 1 && sw === 1
              ? run('Slice', { x: xp }, { begin: [0, i, j, 0], size: [n, oh, ow, inChannels] })
              : run(
                  'StridedSlice',
                  { x: xp },
                  {
                    begin: [0, i, j, 0],
                    end: [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, inChannels],
                    strides: [1, sh, sw, 1],
                    beginMask: 0,
                    endMask: 0,
                    ellipsisMask: 0,
                    newAxisMask: 0,
                    shrinkAxisMask: 0,
                  },
                ),
          ),
        );
      }
    }
    // Concat takes its inputs as an array (the engine passes tf.concat's list through as is).
    const cols = taps.length === 1 ? taps[0]! : keep(run('Concat', taps as unknown as tf.NamedTensorInfoMap, { axis: 3 }));
    if (cols !== taps[0]) for (const t of taps) release(t);

    const pixels = n * oh * ow;
    const depth = kh * kw * inChannels;
    const patches = keep(run('Reshape', { x: cols }, { shape: [pixels, depth] }));
    const grad = keep(run('Reshape', { x: dy }, { shape: [pixels, outChannels] }));

    // dW = patchesᵀ·dy. Transpose whichever side is cheaper: patches (pixels × depth), or dy
    // (pixels × out) plus the small result (out × depth).
    let dw: TensorInfo;
    if (pixels * depth <= pixels * outChannels + depth * outChannels) {
      const pt = keep(run('Transpose', { x: patches }, { perm: [1, 0] }));
      dw = keep(run('BatchMatMul', { a: pt, b: grad }, { transposeA: false, transposeB: false }));
    } else {
      const gt = keep(run('Transpose', { x: grad }, { perm: [1, 0] }));
      const dwt = keep(run('BatchMatMul', { a: gt, b: patches }, { transposeA: false, transposeB: false }));
      dw = keep(run('Transpose', { x: keep(run('Reshape', { x: dwt }, { shape: [outChannels, depth] })) }, { perm: [1, 0] }));
    }
    const out = run('Reshape', { x: dw }, { shape: filterShape });
    return out;
  } finally {
    for (const t of owned) backend.disposeData(t.dataId);
  }
};
