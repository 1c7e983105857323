// Strict base64url without padding (RFC 4648 section 5), as JWS uses it:
// no padding, no white space, no other alphabet, and the unused low bits
// of the last character must be zero, so one byte string has exactly one
// text (a token cannot be re-spelled). The same rules as the Rust decoders.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** The bytes of `text`, or `null` when it is not strict base64url. */
export function decode(text) {
  const n = text.length;
  if (n % 4 === 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  const at = (i) => {
    const c = text.charCodeAt(i);
    return c < 128 ? VALUES[c] : -1;
  };
  let o = 0;
  let i = 0;
  // four characters, three bytes at a time
  for (; i + 4 <= n; i += 4) {
    const a = at(i);
    const b = at(i + 1);
    const c = at(i + 2);
    const d = at(i + 3);
    if ((a | b | c | d) < 0) return null;
    const x = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = x >> 16;
    out[o++] = (x >> 8) & 0xff;
    out[o++] = x & 0xff;
  }
  if (i === n) return out;
  // the last two or three characters: the bits below their last whole byte must be zero (canonical form)
  const a = at(i);
  const b = at(i + 1);
  const c = n - i === 3 ? at(i + 2) : 0;
  if ((a | b | c) < 0 || (n - i === 2 ? b & 0xf : c & 0x3)) return null;
  out[o++] = (a << 2) | (b >> 4);
  if (n - i === 3) out[o] = ((b & 0xf) << 4) | (c >> 2);
  return out;
}
