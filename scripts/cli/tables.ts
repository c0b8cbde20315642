// The tables and charts that both the commands and REPORT.md print, in one place: a command
// prints them to the terminal, `walcheck report` embeds them.

import type { AuditSummary } from '../../faults/audit/audit-run.ts';
import type { CampaignSummary } from '../../faults/campaign/campaign.ts';
import { HARNESS_AREAS, type HarnessProfile } from '../../faults/campaign/harness-profile.ts';
import { type CampaignJson, campaignJson, statsOf } from '../../faults/campaign/shard-json.ts';
import { OUTCOME_KINDS } from '../../faults/disk/crash-outcome.ts';
import { EXPLORE_KINDS, type ExploreSummary } from '../../faults/explore/explore.ts';
import { CORRECT_ENGINE, type MutantRow } from '../../faults/mutants/run-mutants.ts';
import type { BenchResult } from '../bench/engine-bench.ts';
import type { PairedRatio } from '../bench/measure.ts';
import type { BenchTarget } from '../bench/targets.ts';
import { barChart } from './bar-chart.ts';
import { plural } from './output.ts';

/** The summary of a crash campaign (walcheck crash). */
export function campaignTable(summary: CampaignSummary | CampaignJson): string[] {
  const json = 'command' in summary ? summary : campaignJson(summary);
  const s = statsOf(json);
  const n = (value: number): string => value.toLocaleString('en-US');
  const shards =
    json.shard !== null
      ? `, shard ${json.shard.index}/${json.shard.count}`
      : json.shards.length > 1
        ? `, ${json.shards.length} shards merged`
        : '';
  const rows: [string, string][] = [
    [
      'scenarios',
      `${n(json.runs)} of ${n(json.runsPlanned)} (seed ${json.seed}${shards})${stopNote(json)}`,
    ],
    [
      'crash points',
      `${n(s.crashes)} (${n(s.crashesMidCycle)} at a chosen operation, ${n(s.crashes - s.crashesMidCycle)} after the last)`,
    ],
    ...OUTCOME_KINDS.filter((kind) => s.outcomes[kind] > 0).map((kind): [string, string] => [
      `  outcome ${kind}`,
      n(s.outcomes[kind]),
    ]),
    [
      'logs damaged before an open',
      `${n(s.damaged)} (a record torn or a header field flipped; ${n(s.damagedEarlier)} in an earlier segment)`,
    ],
    [
      'faults planned / fired',
      `${n(s.faultsInjected)} / ${n(s.faultsFired)} (write, fsync, syncDir, open, rename, truncate)`,
    ],
    [
      'recoveries checked',
      `${n(s.recoveries)} (${n(s.openRetries)} retried in-process after a failure, ${n(s.readOnlyOpens)} read-only first, ${n(s.openRefusals)} refusals allowed)`,
    ],
    ['batches issued', n(s.batches)],
    ['acks checked durable', n(s.acks)],
    ['violations', n(json.violations)],
    ['time', `${json.seconds.toFixed(1)} s, ${json.scenariosPerSec.toFixed(0)} scenarios/s`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

function stopNote(json: CampaignJson): string {
  switch (json.stoppedBy) {
    case 'complete':
      return '';
    case 'violation':
      return ': stopped at the first violation';
    case 'deadline':
      return ': the --seconds budget ended the run';
    case 'interrupted':
      return ': INTERRUPTED (SIGINT/SIGTERM), not a complete run';
  }
}

/** The summary of an exploration (walcheck explore). */
export function exploreTable(summary: ExploreSummary): string[] {
  const n = (value: number): string => value.toLocaleString('en-US');
  const rows: [string, string][] = [
    ['workload', `${summary.workload}: ${summary.operations} filesystem operations`],
    ['crash points', `${n(summary.crashPoints)} (before and after each operation)`],
    ...EXPLORE_KINDS.map((kind): [string, string] => [
      `  states ${kind}`,
      `${n(summary.states[kind])}${summary.bounded[kind] > 0 ? ` (bounded at ${n(summary.bounded[kind])} crash points)` : ''}`,
    ]),
    ['states total', n(EXPLORE_KINDS.reduce((sum, kind) => sum + summary.states[kind], 0))],
    ['acks checked durable', n(summary.acksChecked)],
    ['violations', n(summary.violations.length)],
    ['time', `${summary.seconds.toFixed(1)} s`],
  ];
  if (summary.interrupted === true)
    rows.push(['INTERRUPTED', 'SIGINT/SIGTERM stopped it: not a complete exploration']);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}
/** Writes/s by number of writers, engine against LevelDB. */
export function writersChart(r: BenchResult): string[] {
  return barChart(
    'writers',
    r.sweep.map((point) => String(point.writers)),
    [
      {
        label: 'walcheck engine, writes/s',
        values: r.sweep.map((point) => point.engine),
        glyph: '█',
      },
      { label: 'LevelDB sync, writes/s', values: r.sweep.map((point) => point.level), glyph: '░' },
    ],
  );
}

/** The human table of measures, also used by REPORT.md. */
export function benchTable(r: BenchResult): string[] {
  const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  // Median of the turn-by-turn ratios, and their quartiles: how far apart the turns were.
  const paired = (p: PairedRatio): string =>
    `${p.median.toFixed(2)}x (turns ${p.q1.toFixed(2)}-${p.q3.toFixed(2)})`;
  const mib = (r.largeOpen.segmentBytes / 2 ** 20).toFixed(0);
  return [
    '| measure | result | vs |',
    '|---|---|---|',
    `| raw O_DSYNC write (${r.rawBytes} B) | ${rate(r.rawDsyncWritesPerSec)} writes/s | ${ratio(r.rawDsyncWritesPerSec, r.rawSyncsPerSec)} raw write + datasync |`,
    `| raw write + datasync (${r.rawBytes} B) | ${rate(r.rawSyncsPerSec)} syncs/s | |`,
    `| engine, 1 writer | ${rate(r.serialWritesPerSec)} writes/s | ${paired(r.serialVsLevel)} LevelDB (totals ${ratio(r.serialWritesPerSec, r.levelSerialWritesPerSec)}), ${paired(r.serialVsRawDsync)} raw O_DSYNC (totals ${ratio(r.serialWritesPerSec, r.rawDsyncWritesPerSec)}) |`,
    `| engine, ${r.writers} writers | ${rate(r.concurrentWritesPerSec)} writes/s | ${ratio(r.concurrentWritesPerSec, r.levelConcurrentWritesPerSec)} LevelDB |`,
    `| LevelDB sync, 1 writer | ${rate(r.levelSerialWritesPerSec)} writes/s | |`,
    `| LevelDB sync, ${r.writers} writers | ${rate(r.levelConcurrentWritesPerSec)} writes/s | |`,
    `| replay of ${rate(r.replayRecords)} puts | ${rate(r.replayRecordsPerSec)} records/s, ${r.replayMBPerSec.toFixed(0)} MB/s | ${r.replaySeconds.toFixed(2)} s |`,
    `| memtable after replay | ${r.memtableBytesPerRecord.toFixed(0)} bytes/record | |`,
    `| open, ${mib} MiB last segment | writable ${r.largeOpen.writableSeconds.toFixed(2)} s, read-only ${r.largeOpen.readOnlySeconds.toFixed(2)} s | ${ratio(r.largeOpen.writableSeconds, r.largeOpen.readOnlySeconds)} |`,
  ];
}

/** target | ratio | met/missed. */
export function targetsTable(targets: readonly BenchTarget[]): string[] {
  return [
    '| target | ratio | met/missed |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.ratio.toFixed(2)}x | ${t.met ? 'met' : 'missed'} |`),
  ];
}

/** The human table (markdown), also used by REPORT.md. */
export function mutantsTable(rows: readonly MutantRow[]): string[] {
  const lines = [
    '| variant | caught | rule | harness | scenarios | seconds | shrunk batches | bug | repro token |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const caught =
      row.variant === CORRECT_ENGINE
        ? row.ok
          ? 'no (correct)'
          : 'VIOLATION'
        : row.caught
          ? 'yes'
          : 'NO';
    const rule = row.rule === null ? '-' : `${row.rule} ${row.ruleName}`;
    const shrunk =
      row.shrunkBatches === null ? '-' : `${row.shrunkBatches} (of ${row.originalBatches})`;
    const cells = [
      row.variant,
      caught,
      rule,
      row.harness ?? row.harnesses.join('+'),
      row.scenarios.toLocaleString('en-US'),
      row.seconds.toFixed(1),
      shrunk,
      row.bug,
      row.token === null ? '-' : `\`${row.token}\``,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

/** One line on how a variant of the bug zoo fared. */
export function outcomeText(row: MutantRow): string {
  const error = row.error === null ? '' : ` (harness error: ${row.error})`;
  if (!row.caught) {
    const verdict = row.variant === CORRECT_ENGINE ? 'no violation' : 'NOT CAUGHT';
    return `${verdict} in ${plural(row.scenarios, 'scenario')}, ${row.seconds.toFixed(1)} s (${row.harnesses.join(' + ')})${error}`;
  }
  const verdict = row.variant === CORRECT_ENGINE ? 'VIOLATION' : 'caught';
  const shrunk =
    row.shrunkBatches === null
      ? ''
      : `, shrunk to ${row.shrunkBatches} batch${row.shrunkBatches === 1 ? '' : 'es'}`;
  return `${verdict} by rule ${row.rule} (${row.ruleName}) in ${row.harness} after ${plural(row.scenarios, 'scenario')}, ${row.seconds.toFixed(1)} s${shrunk}${error}`;
}

/** The summary of a power-loss audit (walcheck audit): a row per cycle, then the totals. */
export function auditTable(s: AuditSummary): string[] {
  const n = (value: number): string => value.toLocaleString('en-US');
  const lines = [
    '| cycle | ops traced | acks | crash points | states | distinct images | judged | continuations | violations | next cycle from |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of s.cycles)
    lines.push(
      `| ${c.cycle} | ${n(c.opsTraced)} | ${n(c.acks)} | ${n(c.crashPoints)} | ${n(c.states)} | ${n(c.distinctImages)} | ${n(c.judged)} | ${n(c.continuations)} | ${n(c.violations)} | ${c.next === null ? '-' : `${c.next.token} (k=${c.next.k})`} |`,
    );
  lines.push(
    '',
    `engine ${s.engine}, seed ${s.seed}: ${n(s.opsTraced)} operations traced, ${n(s.acks)} acks, ` +
      `${n(s.crashPoints)} crash points, ${n(s.states)} states, ${n(s.distinctImages)} distinct images ` +
      `(${n(s.judged)} judged with their ack counts), ${n(s.continuations)} continuations, ` +
      `${n(s.violations)} violations; ${s.seconds.toFixed(1)} s, ${s.statesPerSecond.toFixed(0)} states/s` +
      (s.interrupted ? ' (INTERRUPTED: partial)' : ''),
  );
  return lines;
}

/**
 * Scenarios/s, the crash work a scenario does (a rate means something only at a known amount
 * of work: a faster campaign of smaller scenarios checks less), then the share of the time per
 * area of the harness.
 */
export function harnessTable(p: HarnessProfile): string[] {
  const { stats } = p.summary;
  const per = (n: number): string => (n / Math.max(stats.scenarios, 1)).toFixed(2);
  return [
    `crash campaign: seed ${p.seed}, ${p.runs} runs, ${p.scenariosPerSec.toFixed(0)} scenarios/s (${p.seconds.toFixed(1)} s, one thread, under the profiler)`,
    `per scenario: ${per(stats.crashes)} crash points, ${per(stats.recoveries)} recoveries, ${per(stats.batches)} batches issued, ${per(stats.acks)} acks checked`,
    '',
    '| area | share of busy time |',
    '|---|---|',
    ...HARNESS_AREAS.map((area) => `| ${area} | ${(p.shares[area] * 100).toFixed(1)}% |`),
  ];
}
