// Strict base64url without padding (RFC 4648 section 5), as JWS uses it:
// no padding, no white space, no other alphabet, and the unused low bits
// of the last character must be zero, so one byte string has exactly one
// text (a token cannot be re-spelled). The same rules as the Rust decoders.
// The checks are made here; the decoding is the platform's own (Node's
// Buffer, or atob), which reads strict text exactly.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STRICT = /^[\w-]*$/; // \w is [A-Za-z0-9_]

const bytesOf = globalThis.Buffer
  ? (text) => globalThis.Buffer.from(text, "base64url")
  : (text) => {
      const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
      const out = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
      return out;
    };

/** The bytes of `text`, or `null` when it is not strict base64url. */
export function decode(text) {
  const n = text.length;
  if (n % 4 === 1 || !STRICT.test(text)) return null;
  // the bits below the last whole byte must be zero (canonical form)
  const last = ALPHABET.indexOf(text[n - 1]);
  if (n % 4 === 2 ? last & 0xf : n % 4 === 3 ? last & 0x3 : 0) return null;
  return bytesOf(text);
}
