// Public API of the walcheck harness (`import ... from 'walcheck/harness'`): the runners, the
// oracle they share, and the filesystems that simulate and emulate crashes. A plain list of
// re-exports: the code lives in the modules named.

// The crash campaign on the simulated filesystem, resolving to `walcheck crash --json`'s summary.
export {
  type CrashSummary,
  crashSummary,
  runCampaign,
  type RunCampaignOptions,
} from './campaign/crash-campaign.ts';
export type { CampaignProgress, CampaignSummary } from './campaign/campaign.ts';
export type { EngineDatabase, EngineModule } from './engine/engine-under-test.ts';
export { reproduce, type ReproResult } from './campaign/repro.ts';

// Every crash point of a small workload with every outcome variant.
export {
  EXPLORE_KINDS,
  type ExploreKind,
  type ExploreOptions,
  type ExploreSummary,
  type ExploreViolation,
  runExplore,
} from './explore/explore.ts';

// A real engine process killed and recovered on a real directory.
export {
  type CycleRow,
  type RealOptions,
  type RealSummary,
  runRealSuite,
} from './real/real-suite.ts';
export { DAMAGE_KINDS, type DamageKind } from './real/damage.ts';

// The oracle (model/crash-model.md section 2) and its model, the History.
export * from '../model/oracle.ts';

// Filesystems: simulated (crash states, injected faults) and power-loss emulation on a real disk.
export { type CrashPoint, SimCrashError, SimFs, type SimFsOptions } from './disk/sim-fs.ts';
export {
  PowerLossFileSystem,
  type PowerLossOptions,
  type TearOptions,
} from './disk/power-loss-fs.ts';
export { DEFAULT_OUTCOME_KINDS, OUTCOME_KINDS, type OutcomeKind } from './disk/crash-outcome.ts';
export type { FaultKind, FaultPlan, FaultRule } from './disk/fault-plan.ts';

export { type HarnessInputCode, HarnessInputError } from './base/harness-error.ts';

// Crash-testing an engine of your own: the interface it implements (on the simulated
// filesystem), the adapter of walcheck's own engine, and the judge every runner shares.
export type {
  CrashTestDatabase,
  CrashTestEngine,
  CrashTestEntry,
  CrashTestFeatures,
  CrashTestOpenOptions,
  CrashTestRecoveryReport,
  RecoveryMode,
} from './engine/engine-interface.ts';
export {
  asCrashTestEngine,
  type EngineUnderTest,
  walcheckEngine,
} from './engine/engine-under-test.ts';
export { type AckRule, ackRuleFor, recoverCopy } from './judge/ack-rule.ts';
export {
  checkAckRecovered,
  judgeFirstAck,
  type JudgeRecoveryOptions,
  judgeRecovery,
  type RecoveredCopy,
  type RecoverySeen,
} from '../model/judge.ts';
export { errorCode, type OpenFailure, openFailureOf } from '../model/open-failure.ts';
export type { Batch, BatchOp } from '../src/batch.ts';
export type { FileHandle, FileStat, FileSystem, Lock, OpenMode } from '../src/fs/types.ts';
