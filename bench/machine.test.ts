import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuDescription, oneDnnFromLog, threadEnvironment } from './machine.js';

test('cpuinfo: the model and only the flags that matter, once each, sorted', () => {
  const cpuinfo = [
    'processor\t: 0',
    'model name\t: Intel(R) Xeon(R) Processor',
    'flags\t\t: fpu sse2 fma avx avx2 avx512f avx512dq avx512_bf16 amx_bf16 amx_tile avx_vnni',
    '',
    'processor\t: 1',
    'model name\t: Intel(R) Xeon(R) Processor',
    'flags\t\t: fpu sse2 fma avx avx2 avx512f avx512dq avx512_bf16 amx_bf16 amx_tile avx_vnni',
  ].join('\n');
  assert.deepEqual(cpuDescription(cpuinfo), { model: 'Intel(R) Xeon(R) Processor', flags: ['amx_bf16', 'amx_tile', 'avx2', 'avx512_bf16', 'avx512f', 'avx_vnni', 'fma'] });
});

test("TensorFlow's own start-up line says whether oneDNN is on", () => {
  assert.equal(oneDnnFromLog('I0000 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results'), 'on');
  assert.equal(oneDnnFromLog('oneDNN custom operations are off.'), 'off');
  assert.equal(oneDnnFromLog(''), 'not logged');
});

test('thread settings: as inherited, null when unset', () => {
  const env = threadEnvironment({ TF_NUM_INTRAOP_THREADS: '2' });
  assert.equal(env.TF_NUM_INTRAOP_THREADS, '2');
  assert.equal(env.TF_ENABLE_ONEDNN_OPTS, null);
  assert.equal(env.OMP_NUM_THREADS, null);
});
