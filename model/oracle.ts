// The oracle: the independent judge of model/crash-model.md section 2. Pure functions over the
// History (the model), what the harness observed, and file contents it captured:
//
//   rule 1  checkAckDurable     at each acknowledgement, against the durable view
//   rule 2  checkRecovery       a default open succeeds; state = model after a whole k
//   rule 3  checkRecovery       never part of a batch
//   rule 4  checkRecovery       reads at snapshots see the batches ending at or before s
//                               (check-snapshots.ts)
//   rule 5  checkContinuation   new batches from lastSeq + 1 (and ack seqs, checkFailClosed)
//   rule 6  checkRecovery       bit rot: open fails naming it, or k < j and the report names it
//   rule 7  checkFailClosed     failed writes are never acked; go on without, or refuse
//   rule 8  checkQuarantine     removed bytes are in quarantine/, byte for byte
//
// Checks of the engine's behaviour besides crashes (issue 11):
//   rule 4  checkScan           bounded scans (gt/gte/lt/lte, reverse, limit) against the model
//   rule 7  checkFailedAbsent   reads after a failed write show the acknowledged batches alone
//   5 / 7   livenessViolation   a write, open or close that never settles
//   rule 2  checkSecondOpen     a second writable open while the first is open fails LOCKED
//   2/6/8   checkRecoveryMode   the recovery-mode table of src/wal/wal-format.md section 7
//   rule 2  checkRefusalNamesInvalid  a refusal without bit rot names the first invalid record
//   2 / 4   checkGetAgrees      a get agrees with the full scan of the same state (check-reads.ts)
//   rule 4  checkLatestRead     a read while open shows the model after every batch
//   rule 5  checkRefusedWrite   a write refused with nothing failed underneath (check-continuation.ts)
//   rule 8  checkQuarantineKept, checkSetAsideSince, checkUnchanged, checkNotCreated
//                               nothing leaves quarantine/; a read-only open changes nothing
//
// Every check returns plain data ({ ok: true } or a Violation); formatVerdict prints it.

export { checkAckDurable, logDecoderFor } from './check-ack.ts';
export { checkContinuation, checkRefusedWrite } from './check-continuation.ts';
export { checkFailClosed } from './check-fail-closed.ts';
export {
  checkNotCreated,
  checkQuarantine,
  checkQuarantineKept,
  checkSetAsideSince,
  checkUnchanged,
  type LogFiles,
} from './check-quarantine.ts';
export { checkGetAgrees, checkLatestRead } from './check-reads.ts';
export { checkRefusalNamesInvalid } from './check-refusal.ts';
export {
  type BitRot,
  checkRecovery,
  type Observed,
  type RecoveryContext,
  type RecoveryReportView,
} from './check-recovery.ts';
export type { SnapshotRead } from './check-snapshots.ts';
export {
  type BatchFate,
  type BatchId,
  type BatchStatus,
  History,
  type HistoryEvent,
  type IssuedBatch,
  type Line,
  type LineName,
  REFUSED_BEFORE_WRITE_CODES,
} from './history.ts';
export { type Entry, PrefixModel } from './prefix-model.ts';
export {
  formatVerdict,
  type Pass,
  type RecoveryPass,
  type RecoveryVerdict,
  RULE_NAMES,
  type RuleNumber,
  type Verdict,
  type Violation,
} from './verdict.ts';
export {
  type DecodedLog,
  type DecodedRecord,
  decodeLog,
  firstDamagedRecord,
  type FirstInvalid,
  type InvalidReason,
  LogDecoder,
  logFilesOf,
  quarantineFiles,
  segmentFiles,
} from './wal-decode.ts';
export { checkFailedAbsent } from './check-failed-absent.ts';
export { checkSecondOpen, type SecondOpen } from './check-lifecycle.ts';
export { livenessViolation, type Stall } from './check-liveness.ts';
export { checkRecoveryMode, type ModeOutcome } from './check-recovery-mode.ts';
export { checkScan, expectedScan, type ScanBounds } from './check-scans.ts';
