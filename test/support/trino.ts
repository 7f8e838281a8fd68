/**
 * Trino's SqlVarbinary.toHexString (how Athena prints varbinary), written independently of the code under
 * test: lines of 32 bytes joined by a line break, words of 8 bytes joined by three spaces, bytes as two
 * lower-case hex digits joined by one space.
 */
export function trinoHex(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0'));
  const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
  return chunk(hex, 32)
    .map((line) => chunk(line, 8).map((word) => word.join(' ')).join('   '))
    .join('\n');
}
