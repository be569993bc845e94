import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { resolveSettings } from '../../shared/settings.js';
import { BACKENDS, catalogDefaults, DATASETS, datasetOptionProblems, FORMATS, hyperparameterProblems, MODELS, modelOptions, OPTIMIZERS, TASKS, trainingCatalog } from './catalog.js';

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

describe('training defaults (shared/settings.ts)', () => {
  it("every task's and data set's defaults are valid: hyper-parameters for every optimizer, options for the data set, model options for the model", () => {
    const sources = [
      ...Object.values(TASKS).map((t) => ({ what: `task ${t.name}`, defaults: t.defaults, choice: undefined })),
      ...DATASETS.entries.map((d) => ({ what: `data set ${d.name}`, defaults: d.defaults, choice: { dataset: d.name } })),
      ...FORMATS.entries.map((f) => ({ what: `format ${f.name}`, defaults: f.defaults, choice: { dataset: 'x', kind: f.name } })),
    ];
    for (const { what, defaults, choice } of sources) {
      for (const o of OPTIMIZERS.entries) assert.deepEqual(hyperparameterProblems(o.name, defaults?.hyperparameters ?? {}), [], `${what} for ${o.name}`);
      if (choice) assert.deepEqual(datasetOptionProblems(choice, { ...defaults?.options }), [], `${what}'s options`);
      for (const [model, options] of Object.entries(defaults?.model_options ?? {})) assert.deepEqual(modelOptions(model, options).problems, [], `${what}: ${model}`);
    }
  });

  it("the original's per-task settings: text batch 16 and lr 0.01 for every optimizer, segmentation batch 4", () => {
    const text = catalogDefaults(TASKS['text-classification'], { defaultModel: 'transformer', defaults: { options: { max_length: 128 }, hyperparameters: { weight_decay: 0 } } });
    assert.deepEqual(text, { batch_size: 16, hyperparameters: { lr: 0.01, weight_decay: 0 }, options: { max_length: 128 }, model_options: {}, model: 'transformer' });
    assert.equal(catalogDefaults(TASKS.segmentation, { defaults: { batch_size: 2 } }).batch_size, 2, "the data set's own over its task's");
    assert.equal(catalogDefaults(TASKS.segmentation, {}).batch_size, 4);
  });

  it('mnist and cifar10 train as before: the built-in batch size and epochs, each optimizer its own lr', () => {
    for (const dataset of ['mnist', 'cifar10']) {
      for (const [optimizer, lr] of [['sgd', 0.01], ['adam', 1e-3]] as const) {
        const s = resolveSettings(trainingCatalog, { choice: { dataset }, optimizer, layers: [] });
        assert.deepEqual([s.batch_size, s.epochs, s.model, s.model_options, s.data_options, s.hyperparameters.lr], [64, 2, 'simple-cnn', {}, {}, lr], `${dataset} ${optimizer}`);
      }
    }
  });
});
