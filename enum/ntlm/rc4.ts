/**
 * RC4, which Node's OpenSSL 3 default provider no longer offers. NTLM session security keeps one RC4 state per
 * direction for the whole connection: sealing and the signature checksums draw from one continuous keystream
 * ([MS-NLMP] 3.4, 3.4.3, 3.4.4.2). Not for any other use: RC4 is broken.
 */

const PLACEHOLDER_KEY = new Uint8Array(1);

export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  /** The key-scheduling algorithm over a 1- to 256-byte key. */
  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) throw new RangeError(`an RC4 key is 1 to 256 bytes, got ${key.length}`);
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    for (let i = 0, j = 0; i < 256; i++) {
      j = (j + s[i]! + key[i % key.length]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
    }
  }

  /** `data` XOR the next `data.length` keystream bytes, in a new buffer; the state moves on. */
  update(data: Uint8Array): Buffer {
    const s = this.#s;
    const out = Buffer.allocUnsafe(data.length);
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
      out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
    return out;
  }

  /** A copy of the current state, to roll back to when a received message fails verification. */
  clone(): Rc4 {
    const copy = new Rc4(PLACEHOLDER_KEY);
    copy.#restoreFrom(this);
    return copy;
  }

  /** Take over `other`'s state (the inverse of `clone`). */
  restore(other: Rc4): void {
    this.#restoreFrom(other);
  }

  #restoreFrom(other: Rc4): void {
    this.#s.set(other.#s);
    this.#i = other.#i;
    this.#j = other.#j;
  }
}

/** [MS-NLMP] 6 RC4K: RC4 with a fresh state, for one message (the key exchange). */
export function rc4k(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
