/**
 * Test helper (not exported): builds a zlib stream that inflates to `1 + 258·k` zero bytes
 * from about 13 bits per 258 bytes, without running a compressor over the inflated size.
 * One fixed-Huffman block: a literal 0, then `k` matches of length 258 at distance 1.
 * @param matches - The number of 258-byte matches (k).
 * @returns The zlib-wrapped stream (valid header and Adler-32).
 */
export function deflateBomb(matches: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 + 8 + 13 * matches + 7) / 8) + 2 + 4 + 1);
  out[0] = 0x78;
  out[1] = 0x01;
  let pos = 2;
  let bitBuffer = 0;
  let bitCount = 0;
  const bits = (value: number, count: number) => {
    bitBuffer |= value << bitCount;
    bitCount += count;
    while (bitCount >= 8) {
      out[pos++] = bitBuffer & 0xff;
      bitBuffer >>>= 8;
      bitCount -= 8;
    }
  };
  // Huffman codes are stored most significant bit first
  const code = (value: number, count: number) => {
    let reversed = 0;
    for (let i = 0; i < count; i++) reversed |= ((value >> i) & 1) << (count - 1 - i);
    bits(reversed, count);
  };
  bits(1, 1); // BFINAL
  bits(1, 2); // BTYPE = fixed Huffman
  code(0x30, 8); // literal 0
  for (let i = 0; i < matches; i++) {
    code(0xc5, 8); // length symbol 285 = 258
    code(0, 5); // distance symbol 0 = 1
  }
  code(0, 7); // end of block
  if (bitCount > 0) bits(0, 8 - bitCount);
  const size = 1 + 258 * matches;
  const adler = (((size % 65521) << 16) | 1) >>> 0;
  out[pos++] = adler >>> 24;
  out[pos++] = (adler >>> 16) & 0xff;
  out[pos++] = (adler >>> 8) & 0xff;
  out[pos++] = adler & 0xff;
  return out.subarray(0, pos);
}
