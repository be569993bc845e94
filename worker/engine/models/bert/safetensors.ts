import { readFileSync } from 'node:fs';

/**
 * A reader of the safetensors format (Hugging Face's checkpoint files): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`
 * and the raw little-endian tensors after it, offsets relative to the end of the header. Tensors
 * come back as float32 whatever their stored float type (F32, F16, BF16, F64), which is what the
 * engine computes in. No npm package for it is maintained for Node; the format is this small.
 */
export interface StoredTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The values as float32, decoded when asked (a checkpoint may hold integer buffers it never needs). */
  values(): Float32Array;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

export function readSafetensors(path: string): Map<string, StoredTensor> {
  const file = readFileSync(path);
  const fail = (problem: string) => new Error(`${path}: not a safetensors file (${problem})`);
  if (file.length < 8) throw fail('shorter than its 8-byte header length');
  const headerLength = Number(file.readBigUInt64LE(0));
  if (8 + headerLength > file.length) throw fail(`header length ${headerLength} exceeds the file's ${file.length} bytes`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (err) {
    throw fail(`its header is not JSON: ${(err as Error).message}`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = entry;
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets;
    if (!(begin >= 0 && end >= begin && dataStart + end <= file.length)) {
      throw fail(`tensor '${name}' (${dtype} ${JSON.stringify(shape)}) has offsets [${begin}, ${end}] outside the file`);
    }
    const values = () => {
      const width = BYTES[dtype];
      if (!width) throw new Error(`${path}: tensor '${name}' is ${dtype}; only float tensors (${Object.keys(BYTES).join(', ')}) are read`);
      if (end - begin !== count * width) throw fail(`tensor '${name}' (${dtype} ${JSON.stringify(shape)}) spans ${end - begin} bytes, not ${count * width}`);
      return decode(file.subarray(dataStart + begin, dataStart + end), dtype, count);
    };
    tensors.set(name, { dtype, shape, values });
  }
  return tensors;
}

function decode(bytes: Buffer, dtype: string, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F64') out[i] = view.getFloat64(i * 8, true);
    else if (dtype === 'BF16') out[i] = bf16(view.getUint16(i * 2, true));
    else out[i] = f16(view.getUint16(i * 2, true));
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the top half of a float32. */
function bf16(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

/** IEEE half precision: 1 sign, 5 exponent, 10 mantissa bits. */
function f16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 31) return mantissa ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}
