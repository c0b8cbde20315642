// What a bug-zoo variant is: a name, the bug it mirrors, the rules expected to catch it, and
// the edits that make it from a copy of src/ (mutant-engine.ts applies them).

import type { RuleNumber } from '../../model/verdict.ts';

export interface Edit {
  /** Path from the project root, e.g. 'src/db/log-writer.ts'. */
  readonly file: string;
  /** Text that must occur exactly once in the file. */
  readonly find: string;
  readonly replace: string;
}

/** Which harness run is expected to catch a variant. */
/** 'audit': `walcheck audit` of the variant as a process (mutant-audit.ts), real system calls. */
export type MutantNeeds = 'campaign' | 'explore' | 'audit';

export interface Mutant {
  readonly name: string;
  /** One line: what the variant does wrong. */
  readonly bug: string;
  /** One line: the class of real engine bug it mirrors. */
  readonly shipped: string;
  /** The oracle rules (model/crash-model.md section 2) expected to catch it. */
  readonly rules: readonly RuleNumber[];
  readonly needs: MutantNeeds;
  readonly edits: readonly Edit[];
}
