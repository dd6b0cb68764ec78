// CI's reporter: a skipped or todo test fails the run. The helpers already throw in CI when a tool
// is missing; this also catches a forgotten .skip and any skip they do not know about.
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export class NoSkippedTests implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const skipped = modules.flatMap((m) => [...m.children.allTests('skipped')]);
    if (skipped.length === 0) return;
    console.error(`\n${skipped.length} skipped tests, which CI does not allow:`);
    for (const t of skipped) console.error(`  ${relative(process.cwd(), t.module.moduleId)}: ${t.fullName}`);
    process.exitCode = 1;
  }
}
