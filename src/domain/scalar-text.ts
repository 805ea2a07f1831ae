// A scalar of a parsed XML tree as text. Trees arrive from the parser with string leaves and are built
// by the engine with string, number and boolean leaves; containers and missing values have no text.
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}
