import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeTar } from './image-fixtures.js';

/**
 * Text data set fixtures in the real formats — AG_NEWS's quoted CSV, the aclImdb folder and its
 * .tar.gz, IMDB's review,sentiment,split CSV (gzip), a user's CSV, Hugging Face-style Parquet —
 * small and deterministic, with texts whose words depend on the class, so a mix-up of labels and
 * texts shows.
 */

/** Words of each class (and some shared ones); text `i` of class `c` draws from them by index. */
const CLASS_WORDS = [
  ['election', 'minister', 'treaty', 'border'],
  ['goal', 'match', 'league', 'coach'],
  ['shares', 'market', 'profit', 'bank'],
  ['software', 'chip', 'space', 'robot'],
];
const SHARED = ['the', 'a', 'new', 'report', 'says', 'today'];

/** A deterministic text of class `label` (0-based), its `index`-th: a few words, punctuation, case. */
export function fixtureText(label: number, index: number, words = 6): string {
  const own = CLASS_WORDS[label % CLASS_WORDS.length]!;
  const out: string[] = [];
  for (let k = 0; k < words; k++) out.push(k % 2 ? SHARED[(index + k) % SHARED.length]! : own[(index * 3 + k) % own.length]!);
  out[0] = out[0]!.charAt(0).toUpperCase() + out[0]!.slice(1);
  return `${out.join(' ')}, ${own[index % own.length]}!`;
}

/** A CSV field, always quoted as AG_NEWS's are (quotes doubled). */
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function put(path: string, bytes: string | Uint8Array, gzip = false): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, gzip ? gzipSync(bytes) : bytes);
  return path;
}

export interface AgNewsSpec {
  readonly trainPerClass?: number;
  readonly testPerClass?: number;
  /** Only test.csv, as the team's copy. */
  readonly onlyTest?: boolean;
  readonly gzip?: boolean;
  /** Rows appended verbatim to the first file written (bad rows). */
  readonly extraRows?: readonly string[];
}

/** AG_NEWS rows `"class","title","description"`, classes 1–4 interleaved as in the real files. */
export function agNewsCsv(perClass: number, offset = 0): string {
  const lines: string[] = [];
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < 4; c++) lines.push([String(c + 1), fixtureText(c, offset + i, 3), fixtureText(c, offset + i + 7, 5)].map(quote).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** An ag_news_csv folder: train.csv, test.csv, classes.txt. */
export async function writeAgNewsFolder(root: string, spec: AgNewsSpec = {}): Promise<string> {
  const { trainPerClass = 6, testPerClass = 3, onlyTest = false, gzip = false, extraRows = [] } = spec;
  const ext = gzip ? '.gz' : '';
  const extra = extraRows.length ? `${extraRows.join('\n')}\n` : '';
  if (!onlyTest) await put(join(root, `train.csv${ext}`), agNewsCsv(trainPerClass) + extra, gzip);
  await put(join(root, `test.csv${ext}`), agNewsCsv(testPerClass, 100) + (onlyTest ? extra : ''), gzip);
  await put(join(root, 'classes.txt'), 'World\nSports\nBusiness\nSci/Tech\n');
  return root;
}

/** aclImdb's files by path: train|test/pos|neg/<id>_<rating>.txt, plus unsup/ and the extra files the real archive has. */
export function aclImdbFiles(perClass = 4, top = 'aclImdb'): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const text = (s: string) => new TextEncoder().encode(s);
  for (const split of ['train', 'test']) {
    for (const [label, cls] of ['neg', 'pos'].entries()) {
      for (let i = 0; i < perClass; i++) {
        const rating = cls === 'pos' ? 7 + (i % 4) : 1 + (i % 4);
        files[`${top}/${split}/${cls}/${i}_${rating}.txt`] = text(`${fixtureText(label, i + (split === 'test' ? 50 : 0), 8)}<br /><br />${fixtureText(label, i + 3, 4)}`);
      }
    }
    files[`${top}/${split}/labeledBow.feat`] = text('0:1 1:2\n');
    files[`${top}/${split}/urls_pos.txt`] = text('http://www.imdb.com/title/tt0000001/usercomments\n');
  }
  files[`${top}/train/unsup/0_0.txt`] = text('an unlabelled review that must not be read');
  files[`${top}/imdb.vocab`] = text('the\nand\n');
  files[`${top}/README`] = text('Large Movie Review Dataset v1.0\n');
  return files;
}

/** The aclImdb folder under `root` (root/aclImdb/…); returns root. */
export async function writeAclImdbFolder(root: string, perClass = 4): Promise<string> {
  for (const [path, bytes] of Object.entries(aclImdbFiles(perClass))) await put(join(root, path), bytes);
  return root;
}

/** aclImdb_v1.tar.gz at `out`. */
export async function writeAclImdbArchive(out: string, perClass = 4): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  return writeTar(out, aclImdbFiles(perClass), true);
}

/** IMDB's CSV `review,sentiment[,split_inferred]` (quoted reviews, gzip when the name ends .gz). */
export async function writeImdbCsv(out: string, options: { perClass?: number; split?: boolean; extraRows?: readonly string[] } = {}): Promise<string> {
  const { perClass = 4, split = true, extraRows = [] } = options;
  const lines = [split ? 'review,sentiment,split_inferred' : 'review,sentiment'];
  for (const s of ['train', 'test']) {
    for (let i = 0; i < perClass; i++) {
      for (const [label, sentiment] of ['negative', 'positive'].entries()) {
        const review = `${fixtureText(label, i + (s === 'test' ? 50 : 0), 8)} "quoted" <br />${fixtureText(label, i, 3)}`;
        lines.push([quote(review), sentiment, ...(split ? [s] : [])].join(','));
      }
    }
  }
  lines.push(...extraRows);
  return put(out, `${lines.join('\n')}\n`, out.endsWith('.gz'));
}

/** A user's CSV: columns id, label, text (label values are names; header unless `header: false`). */
export function csvTextRows(perClass: number, offset: number, labels: readonly string[] = ['cat', 'dog', 'eel']): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < perClass; i++) labels.forEach((name, c) => rows.push([String(offset + rows.length), name, fixtureText(c, offset + i, 5)]));
  return rows;
}

/** train.csv and test.csv(.gz) with id,label,text in `root`. */
export async function writeCsvTextFolder(root: string, options: { perClass?: number; header?: boolean; gzip?: boolean; extraRows?: readonly string[] } = {}): Promise<string> {
  const { perClass = 4, header = true, gzip = false, extraRows = [] } = options;
  const csv = (rows: string[][], extra: readonly string[] = []) => `${[...(header ? ['id,label,text'] : []), ...rows.map((r) => r.map(quote).join(',')), ...extra].join('\n')}\n`;
  await put(join(root, 'train.csv'), csv(csvTextRows(perClass, 0), extraRows));
  await put(join(root, `test.csv${gzip ? '.gz' : ''}`), csv(csvTextRows(Math.max(1, perClass >> 1), 1000)), gzip);
  return root;
}

/**
 * Parquet files as the Hub serves them: data/train-00000-of-00001.parquet and
 * data/test-00000-of-00001.parquet with columns text (string) and label (int32), and, when
 * `classNames`, the `huggingface` metadata naming the labels (a ClassLabel).
 */
export async function writeParquetFolder(root: string, options: { perClass?: number; classNames?: readonly string[]; nullText?: boolean } = {}): Promise<string> {
  const { perClass = 4, classNames } = options;
  const classes = classNames?.length ?? 3;
  const kv = classNames
    ? [{ key: 'huggingface', value: JSON.stringify({ info: { features: { text: { dtype: 'string', _type: 'Value' }, label: { names: classNames, _type: 'ClassLabel' } } } }) }]
    : undefined;
  for (const [split, n, offset] of [['train', perClass, 0], ['test', Math.max(1, perClass >> 1), 500]] as const) {
    const texts: Array<string | null> = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < classes; c++) {
        texts.push(fixtureText(c, offset + i, 6));
        labels.push(c);
      }
    }
    if (options.nullText && split === 'train') texts[1] = null;
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'text', data: texts, type: 'STRING' },
        { name: 'label', data: labels, type: 'INT32' },
      ],
      ...(kv ? { kvMetadata: kv } : {}),
    });
    await put(join(root, 'data', `${split}-00000-of-00001.parquet`), new Uint8Array(buffer));
  }
  return root;
}

/** A BERT vocab.txt (specials first, then words and ## pieces), and tokenizer_config.json beside it. */
export async function writeBertVocab(root: string, options: { lowercase?: boolean } = {}): Promise<string> {
  const words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ',', '!', '<', '>', '/', '"', 'the', 'a', 'new', 'report', 'says', 'today', 'goal', 'match', 'league', 'coach', 'elect', '##ion', 'minister', 'treat', '##y', 'br', 'quoted'];
  await put(join(root, 'vocab.txt'), `${words.join('\n')}\n`);
  await put(join(root, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: options.lowercase ?? true }));
  return join(root, 'vocab.txt');
}
