/** One told step as the summary shows it. */
export interface DemoStepResult {
  step: string;
  expected: string;
  observed: string;
  pass: boolean;
  /** Not told at all (what it needs does not run): shown as SKIP, and does not fail the demo. */
  skipped?: boolean;
}

/** PASS, FAIL or SKIP: how the summary shows a step. */
export function resultOf(result: DemoStepResult): 'PASS' | 'FAIL' | 'SKIP' {
  if (result.skipped) return 'SKIP';
  return result.pass ? 'PASS' : 'FAIL';
}

/** The summary table: each step with what was expected, what was observed, PASS or FAIL. */
export function summaryTable(results: readonly DemoStepResult[]): string {
  const rows = [
    ['step', 'expected', 'observed', 'result'],
    ...results.map((r) => [r.step, r.expected, r.observed, resultOf(r)]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join(' | ')
        .trimEnd(),
    )
    .join('\n');
}
