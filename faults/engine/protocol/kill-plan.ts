// When a cycle of `walcheck real` SIGKILLs the engine, drawn from the seed. Lines are
// streamed with at most `window` unacknowledged at a time, so group commits carry several.
//
//   after-ack   right after the n-th acknowledgement of the cycle arrives (more lines are
//               usually in flight)
//   in-flight   once `warmAcks` acks showed the engine running: n more lines written at
//               once, the kill right after the write (delayMs 0) or a few ms later, acks pending
//   delay       ms milliseconds after the first acknowledgement, mid-stream

import type { Rng } from '../../base/rng.ts';

export type KillPlan =
  | { readonly kind: 'after-ack'; readonly window: number; readonly ack: number }
  | {
      readonly kind: 'in-flight';
      readonly window: number;
      readonly warmAcks: number;
      readonly lines: number;
      readonly delayMs: number;
    }
  | { readonly kind: 'delay'; readonly window: number; readonly ms: number };

const WINDOW_MAX = 24;
const ACK_MAX = 60;
const WARM_ACKS_MAX = 8;
const BURST_LINES_MAX = 64;
const BURST_DELAYS_MS = [0, 0, 1, 2, 5] as const;
const DELAY_MS_MAX = 60;

export function drawKillPlan(rng: Rng): KillPlan {
  const window = rng.range(1, WINDOW_MAX);
  switch (rng.int(3)) {
    case 0:
      return { kind: 'after-ack', window, ack: rng.range(1, ACK_MAX) };
    case 1:
      return {
        kind: 'in-flight',
        window,
        warmAcks: rng.range(1, WARM_ACKS_MAX),
        lines: rng.range(1, BURST_LINES_MAX),
        delayMs: rng.pick(BURST_DELAYS_MS),
      };
    default:
      return { kind: 'delay', window, ms: rng.int(DELAY_MS_MAX + 1) };
  }
}

export function describeKillPlan(plan: KillPlan): string {
  switch (plan.kind) {
    case 'after-ack':
      return `after ack ${plan.ack} (window ${plan.window})`;
    case 'in-flight':
      return `${plan.lines} lines in flight after ack ${plan.warmAcks}, +${plan.delayMs} ms`;
    case 'delay':
      return `${plan.ms} ms after the first ack (window ${plan.window})`;
  }
}
