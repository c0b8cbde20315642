// The one client of the stdio `load` protocol (faults/engine/protocol/load-client.ts): acks
// streamed in line order, and every buffer and wait bounded, each problem naming its limit
// and the line it stopped at.

import { describe, expect, it } from 'vitest';
import { LOAD_LIMITS, LoadClient, type LoadLimits } from '../faults/engine/protocol/load-client.ts';

/** An engine as a shell script (started as `sh -c SCRIPT`). */
function start(script: string, limits: Partial<LoadLimits> = {}, onAck?: () => void) {
  return LoadClient.start(['sh', '-c', script], process.cwd(), { limits, onAck });
}

/** Acks every line read with seqStart n and count 1, then exits 0 at end of input. */
const ACKER = 'n=1; while read l; do echo "{\\"seqStart\\":$n,\\"count\\":1}"; n=$((n+1)); done';

describe('the load client', () => {
  it('streams acks in line order, checks counts, and ends when stdin is closed', async () => {
    const seen: number[] = [];
    const client = await LoadClient.start(['sh', '-c', ACKER], process.cwd(), {
      onAck: (ack, index) => seen.push(index, ack.seqStart!),
    });
    client.send(['a', 'b'], [1, 1]);
    client.send(['c']);
    client.endInput();
    const end = await client.ended;
    expect(end).toMatchObject({ problem: null, stopped: false, written: 3, stdoutLines: 3 });
    expect(end.exit).toEqual({ code: 0, signal: null });
    expect(seen).toEqual([0, 1, 1, 2, 2, 3]);
    const miscounted = await start(ACKER);
    miscounted.send(['a'], [2]);
    expect((await miscounted.ended).problem).toEqual({
      kind: 'protocol',
      message: 'ack 1 says count 1, but its batch holds 2 operations',
    });
  });

  it('a line longer than lineBytesMax, complete or not: the limit and the line named', async () => {
    const partial = await start(`read l; echo '{}'; head -c 2000 /dev/zero | tr '\\0' x; sleep 30`);
    partial.send(['a']);
    const end = await partial.ended;
    expect(end.problem).toMatchObject({ kind: 'protocol' });
    expect(end.problem!.message).toMatch(
      /^stdout line 2 is longer than 1000 bytes \(limit lineBytesMax\): x{80}\.\.\.$/,
    );
    expect(end.acks).toEqual([{}]);
    const whole = await start(`printf '%0300d\\n' 0; sleep 30`, { lineBytesMax: 100 });
    whole.send(['a']);
    expect((await whole.ended).problem!.message).toMatch(
      /^stdout line 1 is longer than 100 bytes \(limit lineBytesMax\)/,
    );
    expect(LOAD_LIMITS.lineBytesMax).toBe(1000);
  });

  it('more lines than linesMax: the limit and the line named', async () => {
    const client = await start(`printf '\\n\\n\\n\\n\\n\\n\\n\\n'; sleep 30`, { linesMax: 5 });
    client.send(['a']);
    expect((await client.ended).problem).toEqual({
      kind: 'protocol',
      message: 'the engine printed more than 5 lines on stdout (limit linesMax), at line 6',
    });
  });

  it('silent past silenceMsMax while it owes an ack: killed, the limit and the line named', async () => {
    // 1 s: long enough for sh to start and ack line 1 on a loaded machine
    const client = await start(`read l; echo '{}'; sleep 30`, { silenceMsMax: 1000 });
    client.send(['a', 'b']);
    const end = await client.ended;
    expect(end.problem).toEqual({
      kind: 'timeout',
      message:
        'the engine printed nothing for 1 s after its ack of line 1 (2 lines sent; limit silenceMsMax)',
    });
    expect(end.exit.signal).toBe('SIGKILL');
    const never = await start('sleep 30', { silenceMsMax: 200 });
    never.send(['a']);
    expect((await never.ended).problem!.message).toBe(
      'the engine printed nothing for 0.2 s before its first ack (1 line sent; limit silenceMsMax)',
    );
  });

  it('silence is no problem while nothing is owed; runMsMax bounds the whole run', async () => {
    let acked!: () => void;
    const ack = new Promise<void>((resolve) => (acked = resolve));
    const idle = await start(ACKER, { silenceMsMax: 1000 }, () => acked());
    idle.send(['a']);
    await ack;
    await new Promise((resolve) => setTimeout(resolve, 1500)); // acked: the engine owes nothing
    expect(idle.running).toBe(true);
    idle.stop();
    expect(await idle.ended).toMatchObject({ problem: null, stopped: true, written: 1 });
    const slow = await start(`read l; sleep 30`, { runMsMax: 300 });
    slow.send(['a']);
    slow.endInput();
    expect((await slow.ended).problem).toEqual({
      kind: 'timeout',
      message:
        "'load' did not finish within 0.3 s before its first ack (1 line sent, stdin closed; limit runMsMax)",
    });
  });

  it('an ack with no line sent, a bad ack line, and abort', async () => {
    const eager = await start(`echo '{}'; sleep 30`);
    expect((await eager.ended).problem!.message).toBe(
      'ack 1 arrived, but only 0 lines were written',
    );
    const chatty = await start(`read l; echo hello; sleep 30`);
    chatty.send(['a']);
    expect((await chatty.ended).problem!.message).toBe('stdout line is not JSON: hello');
    const controller = new AbortController();
    const stuck = await LoadClient.start(['sh', '-c', 'sleep 30'], process.cwd(), {
      signal: controller.signal,
    });
    controller.abort(new Error('stop now'));
    expect((await stuck.ended).problem).toMatchObject({ kind: 'aborted' });
  });
});
