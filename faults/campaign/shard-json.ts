// The --json summary of a crash campaign (or of one shard of it), and the merge of shard
// summaries into the summary of the whole campaign (`walcheck merge`). Runs are split by
// index (run i belongs to shard i % N), each run's scenario comes from its own seed and
// stats are sums, so the merge of shards 0/N .. N-1/N of a seed and run count has the
// counts of the unsharded campaign. Plain data in, plain data out; the CLI reads the files.

import { OUTCOME_KINDS } from '../disk/crash-outcome.ts';
import { HarnessInputError } from '../base/harness-error.ts';
import { PACKAGE_VERSION } from '../base/runtime.ts';
import type { CampaignSummary } from './campaign.ts';
import type { ScenarioShape } from './scenario.ts';
import { addStats, emptyStats, type ScenarioStats } from './stats.ts';

/** The version of walcheck (package.json): summaries of different versions do not merge. */
export const WALCHECK_VERSION: string = PACKAGE_VERSION;
/** Version of this JSON layout. */
const FORMAT = 1;
/** Shard summaries merged at most. */
const SHARDS_MAX = 10_000;

export interface ShardPart {
  index: number;
  count: number;
  runs: number;
  runsPlanned: number;
  stoppedBy: CampaignSummary['stoppedBy'];
  seconds: number;
}

export interface ViolationEntry {
  runIndex: number;
  rule: number;
  ruleName: string;
  token: string;
  report: string;
}

export type CampaignJson = {
  command: 'crash';
  format: number;
  walcheckVersion: string;
  seed: number;
  runsRequested: number;
  shape: ScenarioShape;
  variant: string;
  /** This summary's shard, null for a whole campaign (unsharded, or merged). */
  shard: { index: number; count: number } | null;
  /** Every shard this summary covers. */
  shards: ShardPart[];
  runs: number;
  runsPlanned: number;
  stoppedBy: CampaignSummary['stoppedBy'];
  interrupted: boolean;
  violations: number;
  violationList: ViolationEntry[];
  /** The first violation: its rule, its token for `walcheck repro`, and the full report. */
  firstViolation: { rule: number; token: string; report: string } | null;
  seconds: number;
  scenariosPerSec: number;
} & ScenarioStats;

export function campaignJson(summary: CampaignSummary): CampaignJson {
  const shard = summary.shard ?? { index: 0, count: 1 };
  const violationList = summary.violations.map((v) => ({
    runIndex: v.runIndex,
    rule: v.rule,
    ruleName: v.ruleName,
    token: v.token,
    report: v.report,
  }));
  return {
    command: 'crash',
    format: FORMAT,
    walcheckVersion: WALCHECK_VERSION,
    seed: summary.seed,
    runsRequested: summary.runsRequested,
    shape: summary.shape,
    variant: summary.variant,
    shard: summary.shard,
    shards: [
      {
        ...shard,
        runs: summary.runs,
        runsPlanned: summary.runsPlanned,
        stoppedBy: summary.stoppedBy,
        seconds: summary.seconds,
      },
    ],
    runs: summary.runs,
    runsPlanned: summary.runsPlanned,
    stoppedBy: summary.stoppedBy,
    interrupted: summary.stoppedBy === 'interrupted',
    violations: violationList.length,
    violationList,
    firstViolation: firstOf(violationList),
    seconds: summary.seconds,
    scenariosPerSec: summary.scenariosPerSec,
    ...summary.stats,
  };
}

/** The stats fields of a summary. */
export function statsOf(json: CampaignJson): ScenarioStats {
  const stats = emptyStats();
  for (const key of Object.keys(stats) as (keyof ScenarioStats)[]) {
    if (key === 'outcomes')
      for (const kind of OUTCOME_KINDS) stats.outcomes[kind] = json.outcomes[kind] ?? 0;
    else stats[key] = json[key];
  }
  return stats;
}

/** The summary in a file's text: its last line that is a JSON object (`crash --json > f`). */
export function readCampaignJson(text: string, name: string): CampaignJson {
  const lines = text.split('\n').filter((line) => line.trim().startsWith('{'));
  const last = lines.at(-1);
  let value: unknown;
  try {
    value = last === undefined ? undefined : JSON.parse(last);
  } catch {
    value = undefined;
  }
  const json = value as Partial<CampaignJson> | undefined;
  if (json === undefined || json.command !== 'crash' || !Array.isArray(json.shards))
    throw new HarnessInputError(
      'BAD_OPTION',
      `${name} holds no 'walcheck crash --json' summary (its last JSON line is not one)`,
    );
  if (json.format !== FORMAT)
    throw new HarnessInputError(
      'BAD_OPTION',
      `${name}: summary format ${json.format}, this walcheck reads ${FORMAT}`,
    );
  return json as CampaignJson;
}

/** The fields that must agree for summaries to be parts of one campaign. */
function campaignKey(json: CampaignJson): string {
  return JSON.stringify({
    walcheckVersion: json.walcheckVersion,
    seed: json.seed,
    runs: json.runsRequested,
    shape: json.shape,
    variant: json.variant,
  });
}

/**
 * The summary of the whole campaign from summaries of its shards (named for messages).
 * Refuses parts of different campaigns (version, seed, runs, shape, variant), different
 * shard counts, a shard given twice, and a missing shard.
 */
export function mergeCampaignJson(
  parts: readonly { name: string; json: CampaignJson }[],
): CampaignJson {
  if (parts.length === 0 || parts.length > SHARDS_MAX)
    throw new HarnessInputError('BAD_OPTION', `merge takes 1 to ${SHARDS_MAX} summaries`);
  const first = parts[0]!;
  const count = first.json.shards[0]?.count ?? 1;
  const seen = new Map<number, string>();
  for (const { name, json } of parts) {
    if (campaignKey(json) !== campaignKey(first.json))
      throw new HarnessInputError(
        'BAD_OPTION',
        `${name} is not part of the campaign of ${first.name}: ${differences(first.json, json)}`,
      );
    for (const shard of json.shards) {
      if (shard.count !== count)
        throw new HarnessInputError(
          'BAD_OPTION',
          `${name} is shard ${shard.index}/${shard.count}, ${first.name} is of ${count} shards`,
        );
      const other = seen.get(shard.index);
      if (other !== undefined)
        throw new HarnessInputError(
          'BAD_OPTION',
          `shard ${shard.index}/${count} is in both ${other} and ${name}`,
        );
      seen.set(shard.index, name);
    }
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw new HarnessInputError(
      'BAD_OPTION',
      `shard${missing.length > 1 ? 's' : ''} ${missing
        .slice(0, 10)
        .map((i) => `${i}/${count}`)
        .join(
          ', ',
        )}${missing.length > 10 ? ', ...' : ''} missing: a merge covers every shard of the campaign`,
    );
  return combine(parts.map((p) => p.json));
}

function combine(parts: readonly CampaignJson[]): CampaignJson {
  const first = parts[0]!;
  const stats = emptyStats();
  for (const part of parts) addStats(stats, statsOf(part));
  const shards = parts.flatMap((p) => p.shards).sort((a, b) => a.index - b.index);
  const violationList = parts
    .flatMap((p) => p.violationList)
    .sort((a, b) => a.runIndex - b.runIndex);
  const runs = parts.reduce((sum, p) => sum + p.runs, 0);
  const seconds = Math.max(...parts.map((p) => p.seconds));
  const stops = new Set(shards.map((s) => s.stoppedBy));
  const stoppedBy =
    (['interrupted', 'violation', 'deadline'] as const).find((s) => stops.has(s)) ?? 'complete';
  return {
    ...first,
    ...stats,
    shard: null,
    shards,
    runs,
    runsPlanned: parts.reduce((sum, p) => sum + p.runsPlanned, 0),
    stoppedBy,
    interrupted: stoppedBy === 'interrupted',
    violations: violationList.length,
    violationList,
    firstViolation: firstOf(violationList),
    seconds,
    scenariosPerSec: runs / Math.max(seconds, 1e-9),
  };
}

function differences(a: CampaignJson, b: CampaignJson): string {
  const fields: [string, unknown, unknown][] = [
    ['walcheck version', a.walcheckVersion, b.walcheckVersion],
    ['seed', a.seed, b.seed],
    ['runs', a.runsRequested, b.runsRequested],
    ['shape', JSON.stringify(a.shape), JSON.stringify(b.shape)],
    ['variant', a.variant, b.variant],
  ];
  return fields
    .filter(([, x, y]) => x !== y)
    .map(([what, x, y]) => `${what} ${String(y)}, not ${String(x)}`)
    .join('; ');
}

function firstOf(violations: readonly ViolationEntry[]): CampaignJson['firstViolation'] {
  const first = violations[0];
  return first === undefined
    ? null
    : { rule: first.rule, token: first.token, report: first.report };
}
