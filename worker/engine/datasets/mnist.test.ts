import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DataFileError } from '../../../shared/errors.js';
import { writeMnistFixture } from '../../../test/helpers/mnist-fixture.js';
import { fetchDataFile, sha256 } from './files.js';
import { loadMnist, MNIST_MEAN, MNIST_STD } from './mnist.js';

describe('MNIST loader', () => {
  let dir: string;
  before(async () => {
    dir = await writeMnistFixture({ train: 50, test: 20 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loads gzip IDX files from a folder, normalised as the original', async () => {
    const data = await loadMnist({ dataDir: dir, seed: 1 });
    assert.equal(data.train.count, 50);
    assert.equal(data.test.count, 20);
    assert.equal(data.train.pixels.length, 50 * 784);
    assert.deepEqual(data.sample.shape, [28, 28, 1]);
    // Pixels stay the file's bytes; the original's normalisation is applied per batch on the device.
    const raw = gunzipSync(await readFile(join(dir, 'train-images-idx3-ubyte.gz'))).subarray(16);
    assert.deepEqual(Buffer.from(data.train.pixels), Buffer.from(raw));
    assert.deepEqual(data.sample.normalization, { mean: [MNIST_MEAN], std: [MNIST_STD], arithmetic: 'float64' });
    assert.deepEqual(Array.from(data.train.labels.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.equal(data.sha256['train-images-idx3-ubyte.gz'], sha256(gunzipSync(await readFile(join(dir, 'train-images-idx3-ubyte.gz')))));
  });

  it('loads raw (uncompressed) IDX files and honours the limits', async () => {
    const rawDir = await writeMnistFixture({ train: 30, test: 10, gzip: false });
    try {
      const data = await loadMnist({ dataDir: rawDir, trainLimit: 7, testLimit: 3, seed: 1 });
      assert.equal(data.train.count, 7);
      assert.equal(data.train.pixels.length, 7 * 784);
      assert.equal(data.test.count, 3);
    } finally {
      await rm(rawDir, { recursive: true, force: true });
    }
  });

  it('names a missing file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'grn-empty-'));
    try {
      await assert.rejects(loadMnist({ dataDir: empty, seed: 1 }), (e: unknown) => {
        assert.ok(e instanceof DataFileError);
        assert.match(e.message, /train-images-idx3-ubyte\.gz: file not found/);
        return true;
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('names a labels file that disagrees with its images', async () => {
    const other = await writeMnistFixture({ train: 40, test: 10 });
    const mismatched = await writeMnistFixture({ train: 30, test: 10 });
    try {
      await writeFile(join(other, 'train-labels-idx1-ubyte.gz'), await readFile(join(mismatched, 'train-labels-idx1-ubyte.gz')));
      await assert.rejects(loadMnist({ dataDir: other, seed: 1 }), /train-labels-idx1-ubyte\.gz: holds 30 labels but .* holds 40 images/);
    } finally {
      await rm(other, { recursive: true, force: true });
      await rm(mismatched, { recursive: true, force: true });
    }
  });
});

describe('download with checksum', () => {
  let server: ReturnType<typeof createServer>;
  let base: string;
  let payload: Buffer;
  let cacheDir: string;
  let requests = 0;
  before(async () => {
    const fixture = await writeMnistFixture({ train: 10, test: 10 });
    payload = await readFile(join(fixture, 't10k-labels-idx1-ubyte.gz'));
    await rm(fixture, { recursive: true, force: true });
    cacheDir = await mkdtemp(join(tmpdir(), 'grn-cache-'));
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/good/labels.gz') res.end(payload);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads from the first mirror that answers, verifies, caches, then reads the cache', async () => {
    const digest = sha256(gunzipSync(payload));
    const file = { name: 'labels.gz', sha256: digest, urls: [`${base}/missing/labels.gz`, `${base}/good/labels.gz`] };
    const first = await fetchDataFile(file, { cacheDir });
    assert.equal(first.sha256, digest);
    assert.equal(requests, 2);
    const second = await fetchDataFile(file, { cacheDir });
    assert.equal(second.sha256, digest);
    assert.equal(requests, 2, 'second read comes from the cache');
  });

  it('refuses a download whose checksum is wrong and keeps nothing', async () => {
    const file = { name: 'other.gz', sha256: sha256(gunzipSync(payload)), urls: [`${base}/good/labels.gz`] };
    await assert.rejects(fetchDataFile({ ...file, sha256: '0'.repeat(64) }, { cacheDir }), /other\.gz: downloaded file has SHA-256 [0-9a-f]{64}, expected 0{64}/);
    await assert.rejects(readFile(join(cacheDir, 'other.gz')), { code: 'ENOENT' });
  });

  it('says to use --data-dir when no mirror answers', async () => {
    const file = { name: 'x.gz', sha256: '0'.repeat(64), urls: [`${base}/missing/x.gz`] };
    await assert.rejects(fetchDataFile(file, { cacheDir }), /could not download .*HTTP 404.*--data-dir DIR/);
  });
});
