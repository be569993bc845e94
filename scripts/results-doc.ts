import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { unpackResults } from '../orchestrator/reports/archive.js';
import { writeReport } from '../orchestrator/reports/report.js';
import { STUDY_RENDERS } from '../orchestrator/reports/study/renders.js';
import { readStudy, renderResultsDoc } from '../orchestrator/reports/study/results-doc.js';

/**
 * `npm run results-doc -- [--render] [--check]`: docs/results.md from docs/study/.
 *   --render  first re-render every report of the study from its archive (renders.ts)
 *   --check   write nothing; exit 1 when docs/results.md is not what the reports give
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STUDY = join(ROOT, 'docs/study');
const RESULTS = join(ROOT, 'docs/results.md');

const { values } = parseArgs({ options: { render: { type: 'boolean', default: false }, check: { type: 'boolean', default: false } } });

if (values.render) {
  for (const r of STUDY_RENDERS) {
    const archive = join(STUDY, r.archive);
    if (!existsSync(archive)) {
      process.stderr.write(`results-doc --render: ${archive} is missing (docs/study/README.md says how it is made)\n`);
      process.exit(1);
    }
    const unpacked = await unpackResults(archive);
    try {
      process.stderr.write(`rendering docs/study/${r.out} from ${r.archive} (baseline ${r.baseline})\n`);
      await writeReport(unpacked.dir, { baseline: r.baseline, formats: [...r.formats], out: join(STUDY, r.out), png: r.png });
    } finally {
      await unpacked.cleanup();
    }
  }
}

const doc = renderResultsDoc(await readStudy(STUDY));
if (values.check) {
  const committed = await readFile(RESULTS, 'utf8').catch(() => '');
  if (committed !== doc) {
    process.stderr.write('docs/results.md is not what docs/study/ gives: run `npm run results-doc`\n');
    process.exit(1);
  }
  process.stderr.write('docs/results.md matches docs/study/\n');
} else {
  await writeFile(RESULTS, doc);
  process.stderr.write(`wrote ${RESULTS}\n`);
}
