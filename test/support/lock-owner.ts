// What a LOCK file written by this engine holds: `pid boot-id start-ticks\n` (src/fs/lock-protocol.ts).

export function ownerLine(pid: number): RegExp {
  return new RegExp(`^${pid} \\S+ \\S+\\n$`);
}
