import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { BACKENDS, DATASETS, FORMATS, MODELS, OPTIMIZERS, TASKS } from './catalog.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));

/** Every compiled module of the orchestrator (tests and worker-thread tasks aside). */
function orchestratorModules(dir = join(DIST, 'orchestrator')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return orchestratorModules(path);
    return e.name.endsWith('.js') && !e.name.endsWith('.test.js') ? [path] : [];
  });
}

describe('the catalog', () => {
  it('imports no TensorFlow.js, and neither does any orchestrator module', () => {
    const modules = [join(DIST, 'worker/engine/catalog.js'), ...orchestratorModules()];
    // A fresh process: importing @tensorflow/tfjs-core creates its engine as globalThis._tfengine.
    const script = `for (const m of ${JSON.stringify(modules)}) await import(m); process.stdout.write(JSON.stringify({ engine: globalThis._tfengine !== undefined }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, GRN_NO_MAIN: '1' } });
    assert.ok(modules.length > 50, `only ${modules.length} modules found under ${relative(DIST, 'orchestrator')}`);
    assert.deepEqual(JSON.parse(out), { engine: false });
  });

  it('has one entry per name, and every data set names a known task and a model of that task', () => {
    for (const d of DATASETS.entries) {
      assert.ok(TASKS[d.task], `${d.name}: task ${d.task}`);
      if (d.task === 'synthetic') continue;
      assert.ok(d.load, `${d.name} has no loader`);
      assert.equal(MODELS.get(d.defaultModel!).task, d.task, `${d.name}'s default model`);
    }
    for (const f of FORMATS.entries) assert.equal(MODELS.get(f.defaultModel).task, f.task, `format ${f.name}'s default model`);
    for (const o of OPTIMIZERS.entries) assert.doesNotThrow(() => o.schema.parse({}), `${o.name}'s defaults`);
    assert.ok(BACKENDS.names.includes('cpu'));
  });
});
