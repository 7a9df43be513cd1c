/** The `-f/--filter key=value` and `-q`/`--no-trunc` options the `ls` commands share. */
import type { controlpb } from '../../proto/index.js';
import { filters, keyValues } from './parse.js';

export interface ListOptions {
  quiet?: boolean;
  /** false with `--no-trunc`. */
  trunc?: boolean;
  filter?: string[];
}

/**
 * The Control API's filters from `-f name=PREFIX`, `id=PREFIX`, `label=KEY[=VALUE]`, and the values of
 * the `extra` keys, which the command applies itself.
 * @throws FlagError for an unknown key or a malformed filter
 */
export function listFilters(
  texts: readonly string[] | undefined,
  extra: readonly string[] = [],
): { request: controlpb.ListFilters; filters: Map<string, string[]> } {
  const f = filters('--filter', texts, ['name', 'id', 'label', ...extra]);
  return {
    request: {
      namePrefixes: f.get('name') ?? [],
      idPrefixes: f.get('id') ?? [],
      labels: keyValues('--filter label', f.get('label')),
    },
    filters: f,
  };
}
