import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { backendByName } from '../../worker/engine/backends/index.js';

/**
 * Backends CI must have (GRN_REQUIRE_BACKENDS, a comma list): a test that needs one of them fails
 * where it is missing instead of being skipped.
 */
export const requiredBackends: ReadonlySet<string> = new Set((process.env.GRN_REQUIRE_BACKENDS ?? '').split(',').filter(Boolean));

/**
 * Whether `name` can run here. When it cannot, the test is skipped with the reason — or fails,
 * when GRN_REQUIRE_BACKENDS names it.
 */
export async function backendOrSkip(t: TestContext, name: string): Promise<boolean> {
  const availability = await (await backendByName(name)).probe();
  if (availability.ok) return true;
  assert.ok(!requiredBackends.has(name), `${name} is required here but unavailable: ${availability.reason}`);
  t.skip(`${name} unavailable: ${availability.reason}`);
  return false;
}
