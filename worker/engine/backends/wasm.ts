/**
 * TensorFlow.js's WebAssembly backend under Node, patched so that it can train.
 *
 * Why the workarounds (tfjs-backend-wasm 4.22, measured on the SimpleCNN training step at batch 64;
 * together they take it from failing to ~400 samples/s on one core):
 *  1. The wasm backend is built for inference: it has no `Conv2DBackpropFilter` kernel, so the
 *     gradient of any conv2d fails. Every other kernel a conv-net step hits (Conv2DBackpropInput,
 *     MaxPoolGrad, Step for the ReLU gradient, Max/Exp/Log/Sum/RealDiv for softmax cross-entropy,
 *     BatchMatMul, ...) exists. We register Conv2DBackpropFilter as im2col + one XNNPACK matmul: the
 *     transposed im2col matrix is gathered from x in JavaScript straight into the wasm heap (the
 *     same gather from Slice/Concat kernels took 3-5x longer, both being JavaScript loops there).
 *  2. Its `BatchMatMul` runs XNNPACK only without transposes; with transposeA/transposeB it takes a
 *     naive loop that is 10-30x slower, and the backward pass of every dense layer uses exactly
 *     those (dW = xᵀ·dy, dx = dy·Wᵀ). We re-register `BatchMatMul` for 'wasm' with a wrapper that
 *     materialises the transpose with the wasm `Transpose` kernel, then calls the original kernel
 *     without transpose flags.
 *  3. Its `Conv2DBackpropInput` is a plain loop (~10x slower than the forward conv). For stride 1
 *     we re-register it as a forward XNNPACK Conv2D with the rotated filter; other cases keep it.
 *  4. No threads under Node: tfjs uses the SIMD+threads binary only where it can spawn Web Workers
 *     for Emscripten's pthreads, which it does not under Node, so the single-threaded SIMD binary
 *     runs (the flag is pinned so that a detection change cannot pick the threaded one).
 * The .wasm binaries are loaded from node_modules/@tensorflow/tfjs-backend-wasm/dist (no network).
 * Gradient functions (tf.registerGradient) are not registered here: they are global, see
 * ../tfjs-setup.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageVersion } from '../versions.js';
import type { Availability, Backend, DeviceReport } from './types.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

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

type TensorInfo = tf.TensorInfo;
type WasmBackend = BackendWasm;
type Conv4D = [number, number, number, number];

const PATCHED = Symbol.for('grn.wasm.trainingKernels');

/**
 * Registers the training kernels the wasm backend lacks or runs slowly: Conv2DBackpropFilter (new),
 * BatchMatMul and Conv2DBackpropInput (wrapped: fast paths, the original kernel otherwise).
 * Idempotent: the patched BatchMatMul carries a mark, so a second call does nothing.
 */
export function installTrainingKernels(): void {
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (!matMul) throw new Error(`${PACKAGE} is not loaded: its BatchMatMul kernel is not registered`);
  if ((matMul as unknown as Record<symbol, unknown>)[PATCHED]) return;

  replaceKernel('BatchMatMul', (original) => batchMatMulWithoutTransposes(original), true);
  replaceKernel('Conv2DBackpropInput', (original) => conv2DBackpropInputViaConv2D(original));
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter });
  }
}

/** Re-registers a wasm kernel with a wrapper around its kernel function (keeping its setup). */
function replaceKernel(name: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc, mark = false): void {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  const replacement: tf.KernelConfig = { ...config, kernelFunc: wrap(config.kernelFunc) };
  if (mark) (replacement as unknown as Record<symbol, unknown>)[PATCHED] = true;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel(replacement);
}

/** Runs the kernel registered for 'wasm' under `name` (the patched one where we patched it). */
function run(backend: WasmBackend, name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return config.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** Collects intermediate tensors of a kernel and disposes them at the end. */
class Scratch {
  private readonly owned: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackend) {}
  keep(t: TensorInfo): TensorInfo {
    this.owned.push(t);
    return t;
  }
  dispose(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}

/**
 * BatchMatMul with the transposes materialised by the wasm Transpose kernel: the wasm kernel runs
 * XNNPACK only without transpose flags and a naive loop otherwise (measured 25 ms vs 2 ms for the
 * SimpleCNN's 3136x64 · 64x128 weight gradient).
 */
function batchMatMulWithoutTransposes(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = (attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const wasm = backend as WasmBackend;
    const scratch = new Scratch(wasm);
    const swapLastTwo = (t: TensorInfo): TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      return scratch.keep(run(wasm, 'Transpose', { x: t }, { perm }));
    };
    try {
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      return original({
        inputs: { a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      scratch.dispose();
    }
  };
}

/**
 * Conv2DBackpropInput for stride 1 (NHWC) as a forward XNNPACK Conv2D of dy with the filter rotated
 * by 180° and its in/out channels swapped, padded so that the output has the input's size. The
 * wasm kernel's own loop is ~10x slower (213 ms vs 19 ms for the SimpleCNN's second conv at batch
 * 64). Strided or NCHW convolutions keep the original kernel.
 */
function conv2DBackpropInputViaConv2D(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as WasmBackend;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    if (dataFormat === 'NCHW' || !tf.backend_util.tupleValuesAreOne(strides)) return original(args);
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Conv4D, 1, 1, pad, dimRoundingMode);
    const { filterHeight: kh, filterWidth: kw, inHeight, inWidth, outHeight, outWidth } = info;
    const { top, left } = info.padInfo;
    const pads = [kh - 1 - top, inHeight + top - outHeight, kw - 1 - left, inWidth + left - outWidth];
    if (pads.some((p) => p < 0)) return original(args);
    const [padTop, padBottom, padLeft, padRight] = pads as [number, number, number, number];
    const scratch = new Scratch(backend);
    try {
      const flipped = scratch.keep(run(backend, 'Reverse', { x: filter }, { dims: [0, 1] }));
      const swapped = scratch.keep(run(backend, 'Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }));
      return run(
        backend,
        'Conv2D',
        { x: dy, filter: swapped },
        {
          strides: 1,
          pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]],
          dataFormat: 'NHWC',
          dilations: 1,
        },
      );
    } finally {
      scratch.dispose();
    }
  };
}

/**
 * The filter gradient, missing from the wasm backend:
 *   dW[i,j,c,o] = Σ_{n,y,x} xPadded[n, y·sh + i, x·sw + j, c] · dy[n, y, x, o]
 * computed as one XNNPACK matmul colsᵀ · dy, where colsᵀ (rows: filter taps (i, j, c) in filter
 * order; columns: output pixels) is gathered from x straight into the wasm heap. Gathering the
 * transposed layout directly avoids a transpose of the large operand, and no transpose flag is
 * needed on the matmul.
 */
const conv2DBackpropFilter: tf.KernelFunc = (args) => {
  const backend = args.backend as WasmBackend;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  let { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const scratch = new Scratch(backend);
  try {
    if (dataFormat === 'NCHW') {
      x = scratch.keep(run(backend, 'Transpose', { x }, { perm: [0, 2, 3, 1] }));
      dy = scratch.keep(run(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] }));
    }
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('wasm Conv2DBackpropFilter supports float32 only');
    const info = tf.backend_util.computeConv2DInfo(x.shape as Conv4D, filterShape, strides, 1, pad, dimRoundingMode);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const { top, left } = info.padInfo;
    const pixels = batchSize * outHeight * outWidth;
    const taps = filterHeight * filterWidth * inChannels;

    const cols = scratch.keep(backend.makeOutput([taps, pixels], 'float32'));
    // Views after the allocation: allocating can grow (and so detach) the wasm memory.
    const xs = backend.typedArrayFromHeap(x) as Float32Array;
    const out = backend.typedArrayFromHeap(cols) as Float32Array;
    const rowStride = inWidth * inChannels;
    const imageStride = inHeight * rowStride;
    let o = 0;
    for (let i = 0; i < filterHeight; i++) {
      for (let j = 0; j < filterWidth; j++) {
        // Output columns whose input column ox·sw + j − left lies inside the image.
        const first = Math.min(outWidth, Math.max(0, Math.ceil((left - j) / strideWidth)));
        const end = Math.max(first, Math.min(outWidth, Math.floor((inWidth - 1 + left - j) / strideWidth) + 1));
        for (let c = 0; c < inChannels; c++) {
          for (let n = 0; n < batchSize; n++) {
            const image = n * imageStride + c;
            for (let oy = 0; oy < outHeight; oy++) {
              const iy = oy * strideHeight + i - top;
              if (iy < 0 || iy >= inHeight) {
                out.fill(0, o, o + outWidth);
                o += outWidth;
                continue;
              }
              if (first > 0) out.fill(0, o, o + first);
              let src = image + iy * rowStride + (first * strideWidth + j - left) * inChannels;
              const step = strideWidth * inChannels;
              for (let ox = first; ox < end; ox++, src += step) out[o + ox] = xs[src]!;
              if (end < outWidth) out.fill(0, o + end, o + outWidth);
              o += outWidth;
            }
          }
        }
      }
    }

    const grad = scratch.keep(run(backend, 'Reshape', { x: dy }, { shape: [pixels, info.outChannels] }));
    const dw = scratch.keep(run(backend, 'BatchMatMul', { a: cols, b: grad }, { transposeA: false, transposeB: false }));
    return run(backend, 'Reshape', { x: dw }, { shape: filterShape });
  } finally {
    scratch.dispose();
  }
};
