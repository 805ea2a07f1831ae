// Where results go: lines for a person on stdout, or with --json one JSON document a script can read.
// Progress and notes go to stderr, so stdout stays what a script wants to capture.

export class Printer {
  constructor(readonly json: boolean) {}

  /** Prints `lines` for a person, or `data` as JSON with --json. */
  result(lines: readonly string[], data: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  }

  /** A note for a person (never in --json output). */
  note(line: string): void {
    if (!this.json) process.stderr.write(`${line}\n`);
  }
}

/** Columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
