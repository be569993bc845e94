/**
 * `npm run bundle [-- --out DIR] [--sizes] [--xz-level 0-9] [--no-nats-server] [--json]`: builds the worker bundle
 * (build.ts) from the compiled project and prints what is in it and how large each part is.
 * --sizes also compresses each part on its own (about a minute more) for docs/benchmarks.md.
 * Exits 1 when the tarball is over the 48 MiB bar.
 */
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBundle, SIZE_LIMIT_BYTES, type BundleReport } from './build.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function printReport(report: BundleReport): void {
  const rows = report.components.map((c) => [c.name, mib(c.bytes), c.compressedBytes !== undefined ? mib(c.compressedBytes) : '', c.what]);
  rows.push(['total', mib(report.unpackedBytes), mib(report.compressedBytes), `${relative(process.cwd(), report.tarball)} (limit ${mib(SIZE_LIMIT_BYTES)})`]);
  const header = ['part', 'unpacked', 'xz alone', 'what'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`built in ${report.seconds.toFixed(1)} s; unpack with: tar -xJf ${relative(process.cwd(), report.tarball)} && ./grn-linux-x64/grn backends\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'dist', 'bundle') },
      sizes: { type: 'boolean', default: false },
      'xz-level': { type: 'string', default: '6' },
      'no-nats-server': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const report = await buildBundle({
    root: ROOT,
    outDir: values.out,
    componentSizes: values.sizes,
    xzLevel: Number(values['xz-level']),
    ...(values['no-nats-server'] ? { natsServer: null } : {}),
    log: (l) => process.stderr.write(`bundle: ${l}\n`),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
  if (report.compressedBytes > SIZE_LIMIT_BYTES) {
    process.stderr.write(`bundle: ${report.tarball} is ${mib(report.compressedBytes)}, over the ${mib(SIZE_LIMIT_BYTES)} limit: see which part grew above\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
