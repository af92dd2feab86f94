// What an auditor checks in the browser, trusting nothing the server says about it: a C2SP
// signed note (Ed25519, WebCrypto) against a verifier key the auditor supplies, each event's
// hash recomputed from the event as shown (so the content on screen is the content proven), and
// RFC 9162 inclusion proofs (SHA-256) against the root that note signs.

const encoder = new TextEncoder();

export function fromBase64(text) {
  const binary = atob(text.trim());
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
export function fromHex(text) {
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new Error('not hex');
  return Uint8Array.from(text.match(/../g) || [], (byte) => parseInt(byte, 16));
}
export const toHex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// The store's canonical JSON (events/event.h): object keys sorted by their UTF-8 bytes, no
// whitespace, strings escaped as JSON.stringify does, which are the server's escapes too
// (\" \\ \b \f \n \r \t, other controls as \u00xx, everything else as is).
const utf8Order = (a, b) => {
  const x = encoder.encode(a), y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort(utf8Order)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// SHA-256 of the canonical envelope without `hash`: what the store hashed when it wrote the
// event. An event shown with other content than it was written with gets another hash.
export async function eventHash(event) {
  const { seq, stream, version, type, schema, at, actor, correlation, causation, payload, prev_hash } = event;
  const envelope = { seq, stream, version, type, schema, at, actor, correlation, causation, payload, prev_hash };
  return toHex(await sha256(encoder.encode(canonicalJson(envelope))));
}

// "<name>+<8 hex key id>+<base64 of 0x01 || 32-byte Ed25519 key>"; the id must be the key's.
async function parseVerifierKey(text) {
  // Only the first two '+' separate: the base64 key may contain '+' itself.
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first < 0 || second - first - 1 !== 8) throw new Error('a verifier key is name+keyid+key');
  const parts = [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)];
  const key = fromBase64(parts[2]);
  if (key.length !== 33 || key[0] !== 1) throw new Error('not an Ed25519 verifier key');
  const id = (await sha256(concat(encoder.encode(parts[0]), Uint8Array.of(0x0a), key))).slice(0, 4);
  if (toHex(id) !== parts[1].toLowerCase()) throw new Error('the key id does not match the key');
  return { name: parts[0], id, publicKey: key.slice(1) };
}

// Returns {origin, size, root (bytes)} of a checkpoint whose note the key signed; throws why not.
export async function openCheckpoint(note, verifierKeyText) {
  const verifier = await parseVerifierKey(verifierKeyText);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('a signed note needs a blank line before its signatures');
  const text = note.slice(0, split + 1);
  const prefix = `\u2014 ${verifier.name} `;
  const key = await crypto.subtle.importKey('raw', verifier.publicKey, { name: 'Ed25519' }, false, ['verify']);
  for (const line of note.slice(split + 2).split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const signature = fromBase64(line.slice(prefix.length));
    if (signature.length !== 68 || !equal(signature.slice(0, 4), verifier.id)) continue;
    if (!await crypto.subtle.verify({ name: 'Ed25519' }, key, signature.slice(4), encoder.encode(text))) {
      throw new Error('the signature does not verify');
    }
    const [origin, size, root] = text.split('\n');
    return { origin, size: Number(size), root: fromBase64(root) };
  }
  throw new Error(`the note carries no signature by ${verifier.name}`);
}

// RFC 9162 section 2.1.4.2: does `proof` (base64 hashes) show that the tree of `first` leaves
// with `firstRoot` is a prefix of the tree of `second` leaves with `secondRoot` — that the log
// between two checkpoints was only appended to, never rewritten?
export async function verifyConsistency(first, second, firstRoot, proof, secondRoot) {
  if (first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  let path = proof.map(fromBase64);
  if (!path.length || path.some((hash) => hash.length !== 32)) return false;
  if ((first & (first - 1)) === 0) path = [firstRoot, ...path];  // a power of two: its own root
  let fn = first - 1, sn = second - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await sha256(concat(Uint8Array.of(1), c, fr));
      sr = await sha256(concat(Uint8Array.of(1), c, sr));
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await sha256(concat(Uint8Array.of(1), sr, c));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

// RFC 9162 section 2.1.3.2: does `proof` (base64 hashes) lead from the leaf for `eventHashHex`
// at `index` to `root` in a tree of `size` leaves?
export async function verifyInclusion(index, size, eventHashHex, proof, root) {
  if (index >= size) return false;
  let r = await sha256(concat(Uint8Array.of(0), fromHex(eventHashHex)));
  let fn = index, sn = size - 1;
  for (const encoded of proof) {
    const p = fromBase64(encoded);
    if (sn === 0 || p.length !== 32) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}
