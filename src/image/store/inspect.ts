// The virtual size of uploaded data, as Glance's format inspector reports it on upload: a raw
// disk is as large as its data; a qcow2 disk says how large it is in its header. Other formats are
// left without a virtual size.
const QCOW2_MAGIC = Buffer.from('QFI\xfb', 'latin1');

export function virtualSize(diskFormat: string | null, size: number, head: Buffer): number | null {
  if (diskFormat === 'raw') return size;
  if (diskFormat === 'qcow2' && head.length >= 32 && head.subarray(0, 4).equals(QCOW2_MAGIC)) {
    const v = head.readBigUInt64BE(24);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
  }
  return null;
}
