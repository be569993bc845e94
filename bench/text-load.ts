import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../worker/engine/datasets/catalog.js';
import type { LoadOptions, TextClassificationData } from '../worker/engine/datasets/data.js';
import { benchArgs } from './args.js';

/**
 * `npm run bench -- text-load [--json] [--ag-news DIR] [--imdb PATH] [--tokenizer PATH]`: loading
 * the team's text copies — AG_NEWS (test.csv only, so an 80/20 holdout) and the IMDB CSV — cold
 * (fresh cache: parse, build the vocabulary, tokenise) and warm (token-cache hit), with what each
 * holds: counts, vocabulary, token bytes, the process's RSS and array buffers after the load, the
 * share of [UNK] among test tokens and of texts cut at max_length, and the test accuracy of a
 * multinomial naive Bayes on the token ids (a sanity check that the ids carry the classes, not a
 * model of the project). Not a test: it reads the copies.
 */
export async function run(args: string[]): Promise<void> {
  const flags = benchArgs(args, {
    'ag-news': { type: 'string', default: '../shared/datasets/ag_news' },
    imdb: { type: 'string', default: '../shared/datasets/imdb/imdb_50k.csv.gz' },
    tokenizer: { type: 'string' },
  });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const cacheDir = await mkdtemp(join(tmpdir(), 'grn-bench-text-'));
  const results: Array<Record<string, unknown>> = [];
  try {
    const cases: Array<{ dataset: string; options: Partial<LoadOptions> }> = [
      { dataset: 'ag_news', options: { dataDir: flags['ag-news'] as string, holdout: 0.2 } },
      { dataset: 'imdb', options: { dataDir: flags.imdb as string } },
    ];
    for (const c of cases) {
      for (const run of ['cold', 'warm']) {
        const start = performance.now();
        const cpu = process.cpuUsage();
        const data = (await loadDataset({ dataset: c.dataset }, { ...c.options, cacheDir, seed: 1, tokenizer: flags.tokenizer as string | undefined })) as TextClassificationData;
        const seconds = (performance.now() - start) / 1000;
        const used = process.cpuUsage(cpu);
        const mem = process.memoryUsage();
        const { maxLength, vocabSize, padId } = data.sample;
        const unk = data.sample.tokenizer.source === 'training split' ? 1 : -1;
        let tokens = 0;
        let unknown = 0;
        for (const t of data.test.tokens) if (t !== padId) (tokens++, t === unk && unknown++);
        let cut = 0;
        for (let i = 0; i < data.test.count; i++) if (data.test.tokens[(i + 1) * maxLength - 1] !== padId) cut++;
        const row = {
          dataset: c.dataset,
          run,
          seconds: +seconds.toFixed(2),
          // CPU time of this process: on a shared machine, what the load itself costs.
          cpuSeconds: +((used.user + used.system) / 1e6).toFixed(2),
          train: data.train.count,
          test: data.test.count,
          classes: data.sample.classes,
          vocabSize,
          maxLength,
          tokenizer: data.sample.tokenizer.algorithm,
          tokenMiB: +((data.train.tokens.byteLength + data.test.tokens.byteLength) / 2 ** 20).toFixed(1),
          testUnkShare: unk >= 0 ? +(unknown / tokens).toFixed(4) : null,
          testCutShare: +(cut / data.test.count).toFixed(4),
          naiveBayesAccuracy: run === 'cold' ? +naiveBayes(data).toFixed(4) : undefined,
          rssMiB: Math.round(mem.rss / 2 ** 20),
          arrayBuffersMiB: Math.round(mem.arrayBuffers / 2 ** 20),
          heapUsedMiB: Math.round(mem.heapUsed / 2 ** 20),
        };
        results.push(row);
        log(
          `${c.dataset} ${run}: ${row.seconds} s (CPU ${row.cpuSeconds} s), ${row.train} train / ${row.test} test, ${row.classes} classes, vocabulary ${vocabSize}, ` +
            `${row.tokenMiB} MiB of token ids, [UNK] ${unk >= 0 ? `${(100 * row.testUnkShare!).toFixed(2)} %` : 'n/a'} of test tokens, ` +
            `${(100 * row.testCutShare).toFixed(1)} % of test texts cut at ${maxLength}${row.naiveBayesAccuracy !== undefined ? `, naive Bayes ${(100 * row.naiveBayesAccuracy).toFixed(2)} %` : ''}; RSS ${row.rssMiB} MiB, array buffers ${row.arrayBuffersMiB} MiB, heap ${row.heapUsedMiB} MiB`,
        );
      }
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Test accuracy of multinomial naive Bayes (add-one smoothing) over the non-padding token ids. */
function naiveBayes(data: TextClassificationData): number {
  const { maxLength: L, vocabSize: V, classes: C, padId } = data.sample;
  const counts = Array.from({ length: C }, () => new Float64Array(V).fill(1));
  const prior = new Float64Array(C);
  for (let i = 0; i < data.train.count; i++) {
    const c = data.train.labels[i]!;
    prior[c]!++;
    for (let k = 0; k < L; k++) {
      const t = data.train.tokens[i * L + k]!;
      if (t !== padId) counts[c]![t]!++;
    }
  }
  const logP = counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((x) => Math.log(x / total));
  });
  let right = 0;
  for (let i = 0; i < data.test.count; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < C; c++) {
      let score = Math.log(prior[c]!);
      for (let k = 0; k < L; k++) {
        const t = data.test.tokens[i * L + k]!;
        if (t !== padId) score += logP[c]![t]!;
      }
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    if (best === data.test.labels[i]) right++;
  }
  return right / data.test.count;
}
