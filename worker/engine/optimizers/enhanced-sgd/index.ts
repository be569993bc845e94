import type { OptimizerFactory } from '../types.js';
import { createEnhancedSgd } from './optimizer.js';
import type { z } from 'zod';
import type { enhancedSgdSchema } from './params.js';

export { MODE_DEFAULTS, MODES, SWITCHES } from './params.js';

/** EnhancedSGD: SGD steered by a Q-learning controller (modes intended, as-written, seed, off). */
export const enhancedSgd: OptimizerFactory<z.infer<typeof enhancedSgdSchema>> = {
  create: (hp, seed) => createEnhancedSgd(hp, seed),
};
