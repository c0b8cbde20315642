// JUnit XML for CI: a suite of test cases whose names never depend on the result (a CI
// tracks a case by its name across runs), each failing with a message and a body.

import { access, constants, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RULE_NAMES, type RuleNumber } from '../../model/verdict.ts';
import { CliFailure, EXIT_OK, EXIT_USAGE } from './command.ts';
import type { CampaignJson } from '../../faults/campaign/shard-json.ts';

export interface TestCase {
  classname: string;
  name: string;
  seconds: number;
  failure?: { message: string; body: string };
  /** A case that checked nothing (a shard of no run): reported skipped, not passed. */
  skipped?: string;
}

/** The oracle's rules (model/crash-model.md section 2), one test case each. */
export const RULES = (Object.keys(RULE_NAMES) as unknown as RuleNumber[]).map(
  Number,
) as RuleNumber[];

export function junitXml(suite: string, cases: readonly TestCase[]): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const seconds = cases.reduce((sum, c) => sum + c.seconds, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${seconds.toFixed(3)}">`,
  ];
  for (const c of cases) {
    const open = `  <testcase classname="${xml(c.classname)}" name="${xml(c.name)}" time="${c.seconds.toFixed(3)}"`;
    if (c.failure !== undefined) {
      lines.push(
        `${open}>`,
        `    <failure message="${xml(c.failure.message)}">${xml(c.failure.body)}</failure>`,
        '  </testcase>',
      );
    } else if (c.skipped !== undefined) {
      lines.push(`${open}>`, `    <skipped message="${xml(c.skipped)}"/>`, '  </testcase>');
    } else lines.push(`${open}/>`);
  }
  lines.push('</testsuite>', '');
  return lines.join('\n');
}

/**
 * One test case per oracle rule, failing with the violations of that rule. They take no time
 * of their own: the run's case holds it, so the suite's time is the run's, counted once.
 */
export function ruleCases(
  classname: string,
  prefix: string,
  violations: readonly { rule: number; message: string; body: string }[],
): TestCase[] {
  return RULES.map((rule) => {
    const found = violations.filter((v) => v.rule === rule);
    const name = `${prefix}: rule ${rule} (${RULE_NAMES[rule]})`;
    if (found.length === 0) return { classname, name, seconds: 0 };
    return {
      classname,
      name,
      seconds: 0,
      failure: {
        message: found.map((v) => v.message).join('; '),
        body: found.map((v) => v.body).join('\n\n'),
      },
    };
  });
}

/**
 * Checks before a run that `path` can be written (its directory exists and is writable; an
 * existing file is a writable file), so a long run does not end with nowhere to put its result.
 */
export async function checkOutputPath(option: string, path: string): Promise<void> {
  const full = resolve(path);
  const fail = (why: string): never => {
    throw new CliFailure(EXIT_USAGE, `option ${option}: cannot write ${path}: ${why}`);
  };
  const existing = await stat(full).catch(() => null);
  if (existing !== null) {
    if (!existing.isFile()) fail('it is not a file');
    await access(full, constants.W_OK).catch(() => fail('it is not writable'));
    return;
  }
  const dir = dirname(full);
  const parent = await stat(dir).catch(() => null);
  if (parent === null) fail(`directory ${dir} does not exist`);
  if (!parent!.isDirectory()) fail(`${dir} is not a directory`);
  await access(dir, constants.W_OK).catch(() => fail(`directory ${dir} is not writable`));
}

/**
 * Writes the JUnit file once the run is over and returns the exit status. The path was
 * checked before the run (checkOutputPath), so a failure here is rare (a disk filled, a
 * directory removed); it is said on stderr and fails a passing run with exit 3, but never
 * hides what the run found: a violation (1) or an interrupt (130, 143) keeps its status.
 */
export async function writeJunitAfter(
  command: string,
  path: string | undefined,
  xml: () => string,
  exit: number,
): Promise<number> {
  if (path === undefined) return exit;
  try {
    await writeFile(path, xml());
    return exit;
  } catch (error) {
    const kept = exit === EXIT_OK ? '' : ` (exit ${exit} is the run's own)`;
    process.stderr.write(
      `walcheck ${command}: --junit: cannot write ${path}: ${(error as Error).message}${kept}\n`,
    );
    return exit === EXIT_OK ? EXIT_USAGE : exit;
  }
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * Per shard: one case that the shard ran its scenarios (fails when interrupted, skipped when
 * it held none), and one case per oracle rule failing with that rule's violations.
 */
export function campaignJunit(json: CampaignJson, suite: string): string {
  const cases: TestCase[] = [];
  for (const shard of json.shards) {
    const classname = `walcheck.crash.seed-${json.seed}`;
    const prefix = `${suite} seed ${json.seed} runs ${json.runsRequested} shard ${shard.index}/${shard.count}`;
    const run: TestCase = { classname, name: `${prefix}: scenarios run`, seconds: shard.seconds };
    if (shard.stoppedBy === 'interrupted')
      run.failure = {
        message: `interrupted after ${shard.runs} of ${shard.runsPlanned} scenarios`,
        body: 'SIGINT or SIGTERM stopped the run before it was complete',
      };
    else if (shard.runs === 0) run.skipped = 'no scenario ran in this shard';
    cases.push(run);
    const violations = json.violationList
      .filter((v) => v.runIndex % shard.count === shard.index)
      .map((v) => ({
        rule: v.rule,
        message: `rule ${v.rule} (${v.ruleName}) in run ${v.runIndex}: walcheck repro ${v.token}`,
        body: v.report,
      }));
    cases.push(...ruleCases(classname, prefix, violations));
  }
  return junitXml(suite, cases);
}
