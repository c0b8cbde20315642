// An open refused without bit rot (strict mode, or a mode refusing damage in an earlier
// segment) must name the log's first invalid record, as the independent decoder finds it in
// the files the open read (src/wal/wal-format.md section 8): a refusal of a valid log, or one naming
// another place, is a default-mode-like failure (rule 2). Why here: the runner only captures
// the segments the open read and the error it threw; the decoding and the rule are the model's.

import { describeOpenFailure, type OpenFailure } from './open-failure.ts';
import { PASS, type Verdict, violation } from './verdict.ts';
import { decodeLog } from './wal-decode.ts';

/** `segments`: the log as the refused open found it (name -> bytes). */
export function checkRefusalNamesInvalid(
  error: OpenFailure,
  segments: ReadonlyMap<string, Uint8Array>,
): Verdict {
  const invalid = decodeLog(segments).firstInvalid;
  const found = describeOpenFailure(error);
  if (invalid === null)
    return violation(2, 'the open refused a log in which every record is valid', { found });
  if (
    invalid.segment === error.segment &&
    invalid.offset === error.offset &&
    invalid.reason === error.reason
  )
    return PASS;
  return violation(
    2,
    `the open refused the log naming the wrong place: its first invalid record is ${invalid.segment} offset ${invalid.offset} (${invalid.reason})`,
    { found },
  );
}
