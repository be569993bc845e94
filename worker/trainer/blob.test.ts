import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fromBlob, toBlob } from './blob.js';
import { INLINE_BLOB_BYTES } from './ipc.js';

test('small blobs travel inline, large ones as a file in the scratch folder, both byte for byte', async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'grn-blob-'));
  try {
    const small = Uint8Array.from({ length: 100 }, (_, i) => i);
    const inline = await toBlob(small, scratch, 'x');
    assert.ok('base64' in inline);
    assert.deepEqual(await fromBlob(inline), small);
    const large = new Uint8Array(INLINE_BLOB_BYTES + 5).map((_, i) => i % 251);
    const file = await toBlob(large.subarray(3), scratch, 'x');
    assert.ok('file' in file && file.file.startsWith(scratch) && existsSync(file.file));
    assert.deepEqual(await fromBlob(file), large.subarray(3));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
