import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataFileError } from '../../../shared/errors.js';
import { idxBytes } from '../../../test/helpers/mnist-fixture.js';
import { decompress, parseIdx } from './idx.js';

describe('IDX parsing', () => {
  const bytes = idxBytes([2, 2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));

  it('reads dims and data from raw and gzip bytes alike', () => {
    for (const input of [bytes, gzipSync(bytes)]) {
      const idx = parseIdx(decompress(input, 'f'), 'f', 3);
      assert.deepEqual(idx.dims, [2, 2, 3]);
      assert.deepEqual(Array.from(idx.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
  });

  it('names the file and the problem for a wrong magic', () => {
    const bad = Uint8Array.from(bytes);
    bad[0] = 0x50;
    assert.throws(() => parseIdx(bad, 'x/images.idx', 3), (e: unknown) => {
      assert.ok(e instanceof DataFileError);
      assert.equal(e.file, 'x/images.idx');
      assert.match(e.message, /wrong magic 50 00 08 03/);
      return true;
    });
  });

  it('rejects a truncated body, saying how much is missing', () => {
    assert.throws(() => parseIdx(bytes.subarray(0, bytes.length - 2), 'f', 3), /truncated: header promises 12 values \(2x2x3\), file holds 10/);
  });

  it('rejects the wrong rank (labels passed as images)', () => {
    assert.throws(() => parseIdx(bytes, 'f', 1), /has 3 dimensions, expected 1/);
  });

  it('rejects a truncated gzip stream', () => {
    const gz = gzipSync(bytes);
    assert.throws(() => decompress(gz.subarray(0, gz.length - 6), 'data.gz'), /data.gz: corrupt or truncated gzip stream/);
  });
});
