import { planAblation, type AblationPlan } from './ablation.js';
import type { Finding } from './checks.js';
import type { FieldPath } from './locate.js';
import { AblateSchema, type KnownNames } from './spec.js';
import { unknownName } from './suggest.js';

/**
 * What is wrong with a spec's `ablate:` block beyond its shape: the optimizer is known and has
 * switches, the base's hyper-parameters are valid for it, and every component asked for by name
 * is one of its switches that the base can flip (the error says why not). A block the schema
 * rejects is left to the schema.
 */
export function ablationFindings(raw: Record<string, unknown>, known: KnownNames): Finding[] {
  if (raw.ablate === undefined) return [];
  const parsed = AblateSchema.safeParse(raw.ablate);
  if (!parsed.success) return [];
  const block = parsed.data;
  if (!known.optimizers.includes(block.optimizer)) return [{ path: ['ablate', 'optimizer'], message: unknownName('optimizer', block.optimizer, known.optimizers) }];
  const switches = known.training?.switches;
  // An optimizer without switches: its base's hyper-parameters are beside the point.
  if (switches && !switches(block.optimizer)) return planFindings(planAblation(block, undefined, known.optimizers.filter((o) => switches(o) !== undefined)));
  const findings: Finding[] = [];
  const answer = known.checkHyperparameters?.(block.optimizer, block.base) ?? [];
  for (const problem of typeof answer === 'string' ? [answer] : answer) {
    const key = Object.keys(block.base).find((k) => problem.includes(`'${k}'`) || problem.startsWith(`${k}:`));
    findings.push({ path: ['ablate', 'base', ...(key !== undefined ? [key] : [])], at: key !== undefined && /unknown/.test(problem) ? 'key' : 'value', message: `optimizer '${block.optimizer}': ${problem}` });
  }
  if (findings.length || !switches) return findings;
  return planFindings(planAblation(block, switches(block.optimizer)));
}

function planFindings(plan: AblationPlan): Finding[] {
  return plan.problems.map((p) => {
    const path: FieldPath = p.at === 'optimizer' ? ['ablate', 'optimizer'] : p.at === 'base' ? ['ablate', 'base'] : ['ablate', 'components', p.at];
    return { path, message: p.message };
  });
}
