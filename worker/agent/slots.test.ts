import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planSlots, sharedCoreThreads } from './slots.js';

const gpu = (index: number) => ({ index, name: 'GPU', utilisation_pct: 0, vram_used_mb: 0, vram_total_mb: 80_000, temperature_c: null, power_w: null });

describe('slot plans', () => {
  it('one slot per GPU, pinned by CUDA_VISIBLE_DEVICES; one CPU slot without GPUs keeps every core', () => {
    assert.deepEqual(
      planSlots([gpu(0), gpu(3)], undefined, 16, {}).map((p) => [p.slot, p.device, p.env]),
      [
        ['gpu0', 0, { CUDA_VISIBLE_DEVICES: '0' }],
        ['gpu3', 3, { CUDA_VISIBLE_DEVICES: '3' }],
      ],
    );
    assert.deepEqual(planSlots([], undefined, 16, {}), [{ slot: 'cpu0', kind: 'cpu', device: null, env: { CUDA_VISIBLE_DEVICES: '' } }]);
  });

  it('several CPU slots share the cores: TensorFlow pools of cores / slots threads, at least 1', () => {
    const plans = planSlots([], 4, 16, {});
    assert.equal(plans.length, 4);
    for (const p of plans) assert.deepEqual(p.env, { CUDA_VISIBLE_DEVICES: '', TF_NUM_INTRAOP_THREADS: '4', TF_NUM_INTEROP_THREADS: '4' });
    assert.equal(planSlots([], 3, 2, {})[0]!.env['TF_NUM_INTRAOP_THREADS'], '1');
  });

  it('thread counts the agent was started with are left to it', () => {
    const [p] = planSlots([], 2, 8, { TF_NUM_INTRAOP_THREADS: '3' });
    assert.deepEqual(p!.env, { CUDA_VISIBLE_DEVICES: '', TF_NUM_INTEROP_THREADS: '4' });
  });
});

describe('sharedCoreThreads', () => {
  it('a share of the cores per trainer for each TensorFlow pool the environment leaves unset; nothing for one trainer', () => {
    assert.deepEqual(sharedCoreThreads(1, 8, {}), {});
    assert.deepEqual(sharedCoreThreads(2, 8, {}), { TF_NUM_INTRAOP_THREADS: '4', TF_NUM_INTEROP_THREADS: '4' });
    assert.deepEqual(sharedCoreThreads(4, 2, {}), { TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' });
    assert.deepEqual(sharedCoreThreads(2, 8, { TF_NUM_INTEROP_THREADS: '1' }), { TF_NUM_INTRAOP_THREADS: '4' });
  });
});
