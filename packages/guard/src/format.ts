/**
 * Human (text) and machine (JSON) renderings of a check result.
 */
import { CheckResult, Finding, Severity } from './model';

const WIDTH = 100;

/** Counts shared by the text summary and the JSON `summary`, so both always agree. */
interface Summary {
  /** Findings that block (not accepted). */
  readonly blocking: number;
  /** Findings that only warn (not accepted). */
  readonly warnings: number;
  /** Blocking findings accepted through an id. */
  readonly accepted: number;
  /** Accepted ids that matched no finding. */
  readonly staleAccepts: number;
  /** Accepted ids without `@hash` that matched a finding. */
  readonly unboundAccepts: number;
}

function summarize(result: CheckResult): Summary {
  const blocking = result.findings.filter((f) => f.severity === Severity.BLOCK).length;
  const accepted = result.findings.filter((f) => f.accepted).length;
  return {
    blocking,
    warnings: result.findings.length - blocking - accepted,
    accepted,
    staleAccepts: result.staleAccepts.length,
    unboundAccepts: result.unboundAccepts.length,
  };
}

/**
 * Renders a check result for people: one block per finding (object, field, change, why, fix, id to
 * accept it), then stale and unbound acceptances and a summary line. Ends with a newline.
 *
 * @param result the result of `checkUpgrade`
 */
export function formatFindings(result: CheckResult): string {
  const lines: string[] = [];
  for (const finding of result.findings) {
    lines.push(...formatFinding(finding), '');
  }
  for (const id of result.staleAccepts) {
    lines.push(`STALE     accepted id matches no finding (remove it): ${id}`, '');
  }
  for (const id of result.unboundAccepts) {
    lines.push(
      ...wrap(
        `NOTE      accepted id without @hash: it accepts any change of that field, not only the reviewed one; use the full id printed with the finding: ${id}`,
        '',
        '          ',
      ),
      '',
    );
  }
  lines.push(summaryLine(result));
  return `${lines.join('\n')}\n`;
}

function tag(finding: Finding): string {
  if (finding.accepted) {
    return 'ACCEPTED';
  }
  return finding.severity === Severity.BLOCK ? 'BLOCK' : 'WARN';
}

function formatFinding(finding: Finding): string[] {
  const where = finding.field ? `${finding.object.display} ${finding.field}` : finding.object.display;
  const lines = [`${tag(finding).padEnd(9)} ${where}: ${finding.change}`];
  lines.push(...wrap(finding.reason, '    Why: ', '         '));
  finding.fix.split('\n').forEach((line, i) => {
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    const text = line.slice(indent.length);
    if (text.startsWith('kubectl ')) {
      // Commands are never wrapped: they must stay copy-pasteable.
      lines.push(`         ${line}`);
      return;
    }
    // Prose wraps under itself; a numbered step ("1. ...") wraps under its text.
    const hanging = /^\d+\. /.test(text) ? '   ' : '';
    const first = i === 0 ? `    Fix: ${indent}` : `         ${indent}`;
    lines.push(...wrap(text, first, `         ${indent}${hanging}`));
  });
  if (finding.accepted) {
    lines.push(`    Accepted: ${finding.id}`);
  } else if (finding.severity === Severity.BLOCK) {
    lines.push(`    To accept after review: --accept '${finding.id}'`);
  } else {
    lines.push(`    Id: ${finding.id}`);
  }
  return lines;
}

/** Word-wraps prose at WIDTH columns: `first` starts the first line, `continuation` the others. */
function wrap(text: string, first: string, continuation: string): string[] {
  const lines: string[] = [];
  let current = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && current.length + 1 + word.length > WIDTH) {
      lines.push(current);
      current = continuation + word;
    } else {
      current += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(current);
  return lines;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summaryLine(result: CheckResult): string {
  const counts = summarize(result);
  const parts = [count(counts.blocking, 'blocking finding'), count(counts.warnings, 'warning')];
  if (counts.accepted > 0) {
    parts.push(`${counts.accepted} accepted`);
  }
  if (counts.staleAccepts > 0) {
    parts.push(count(counts.staleAccepts, 'stale acceptance'));
  }
  if (counts.unboundAccepts > 0) {
    parts.push(count(counts.unboundAccepts, 'unbound acceptance'));
  }
  const objects = `(${count(result.oldObjectCount, 'object')} before, ${result.newObjectCount} after)`;
  return result.blocking
    ? `NOT SAFE: ${parts.join(', ')} ${objects}. Fix the blocking findings, or accept reviewed ones with --accept ID.`
    : `Safe to apply: ${parts.join(', ')} ${objects}.`;
}

/**
 * Renders a check result as JSON (pretty-printed, ends with a newline): `{ blocking, summary: { blocking,
 * warnings, accepted, staleAccepts, unboundAccepts }, oldObjectCount, newObjectCount, findings, staleAccepts,
 * unboundAccepts }`. The summary counts are the ones of the text summary line.
 *
 * @param result the result of `checkUpgrade`
 */
export function formatFindingsJson(result: CheckResult): string {
  const output = {
    blocking: result.blocking,
    summary: summarize(result),
    oldObjectCount: result.oldObjectCount,
    newObjectCount: result.newObjectCount,
    findings: result.findings,
    staleAccepts: result.staleAccepts,
    unboundAccepts: result.unboundAccepts,
  };
  return `${JSON.stringify(output, null, 2)}\n`;
}
