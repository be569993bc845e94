import { UsageError } from '../../shared/errors.js';
import { unknownName } from '../../shared/sweep/suggest.js';

/**
 * One registry per concept (data sets, formats, models, optimizers, backends, tasks): entries by
 * name, in the order they were listed, each stated once. Entries are metadata that loads no
 * TensorFlow.js; the implementation comes through the entry's own lazy `load()`.
 */
export class Registry<T extends { readonly name: string }> {
  private readonly byName: ReadonlyMap<string, T>;

  constructor(
    /** What an entry is, for messages: 'data set', 'model', … */
    readonly kind: string,
    readonly entries: readonly T[],
  ) {
    const map = new Map<string, T>();
    for (const e of entries) {
      if (map.has(e.name)) throw new Error(`${kind} '${e.name}' is registered twice`);
      map.set(e.name, e);
    }
    this.byName = map;
  }

  get names(): string[] {
    return this.entries.map((e) => e.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  find(name: string): T | undefined {
    return this.byName.get(name);
  }

  /** The entry, or a usage error that lists the known names (and the closest one). */
  get(name: string): T {
    const found = this.byName.get(name);
    if (!found) throw new UsageError(unknownName(this.kind, name, this.names));
    return found;
  }
}
