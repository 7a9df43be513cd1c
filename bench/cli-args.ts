/** The benchmarks' command-line numbers: `--name N`, a positive integer, or the default. */
export function positiveIntArg(argv: readonly string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  const v = i >= 0 ? Number(argv[i + 1]) : dflt;
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`${name} must be a positive integer, got ${argv[i + 1]}`);
  return v;
}
