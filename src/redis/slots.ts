/** Slots in a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The slot of a key or sharded channel, as Redis computes it: CRC16 (XMODEM) of its hash tag
 * (what lies between the first `{` and the next `}`, when not empty), else of the whole name.
 */
export function slotOf(name: string): number {
  const bytes = Buffer.from(name);
  let [start, end] = [0, bytes.length];
  const open = bytes.indexOf(OPEN_BRACE);
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE_BRACE, open + 1);
    if (close > open + 1) [start, end] = [open + 1, close];
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]! << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % CLUSTER_SLOTS;
}
