// Bug-zoo variants for the classes of bug the harness was once blind to (issue 11): reads
// with bounds, failed groups, refused batches and sequence numbers, recovery modes on damage
// in an earlier segment, lifecycle (close, a second open), and liveness. Same format as
// zoo.ts (which lists them after its own); each is caught by the default campaign or explore.
//
//   name                          rules  needs     what is broken
//   failed-group-leader-only        7    campaign  a failed group refuses its first batch only; the rest never settle

import type { Mutant } from './zoo.ts';

const PIPELINE = 'src/db/write-pipeline.ts';

export const BLIND_SPOT_MUTANTS: readonly Mutant[] = [
  {
    name: 'failed-group-leader-only',
    bug: "a failed group commit rejects the leader's batch and forgets the other members: they stay pending forever",
    shipped:
      'error paths that complete only the request that hit the error, leaving the rest of a batch-of-requests hanging',
    rules: [7],
    needs: 'campaign',
    edits: [
      {
        file: PIPELINE,
        find: '    for (const pending of group) pending.reject(error);\n',
        replace: "    group[0]!.reject(error); // the leader's batch carries the error\n",
      },
    ],
  },
];
