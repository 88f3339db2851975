#!/usr/bin/env python3
"""Independent verifier for the tamper-evident audit log of Cited.

Runs on a compliance officer's machine without the database or the server:
Python 3.11+, standard library only.

    verify_audit.py head        HEAD.json  --public-key-file KEY.pub
    verify_audit.py inclusion   PROOF.json --public-key-file KEY.pub
    verify_audit.py consistency PROOF.json --public-key HEX

Prints one line, ``OK: ...`` (exit 0) or ``FAIL: <reason>`` (exit 1).
Command-line mistakes, an unusable trusted key or an unreadable file exit 2.

Formats:
  * Merkle tree: RFC 6962 / RFC 9162 with SHA-256 (leaf = H(0x00 || data),
    node = H(0x01 || left || right), empty tree = H("")).
  * Signed tree head: JSON {log, size, root_hash, timestamp, public_key,
    signature}; the Ed25519 (RFC 8032) signature covers the UTF-8 bytes of
    "cited-audit-head v1\\n" + size + "\\n" + root_hash + "\\n" + timestamp + "\\n".
  * Inclusion proof: {record_id, index, record, audit_path, head}.
  * Consistency proof: {first, second, proof}.
"""

import argparse
import hashlib
import json
import re
import sys

LOG_NAME = "cited-audit"
HEAD_PREFIX = "cited-audit-head v1\n"
EMPTY_ROOT = hashlib.sha256(b"").digest()
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_HEX128 = re.compile(r"[0-9a-fA-F]{128}")
_LOWER_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX_DESC = {_HEX64: "64 hex characters", _HEX128: "128 hex characters",
             _LOWER_HEX64: "64 lower-case hex characters"}


class VerifyError(Exception):
    """A check failed; the message is the reason printed after ``FAIL:``."""


class UsageError(Exception):
    """The command line (or the trusted key / a file it names) is unusable: exit 2."""


# --------------------------------------------------------------------------
# Ed25519 verification (RFC 8032 section 5.1, modelled on the section 6 code)
# --------------------------------------------------------------------------

P = 2**255 - 19                                          # field prime
L = 2**252 + 27742317777372353535851937790883648493      # group order
D = -121665 * pow(121666, P - 2, P) % P                  # curve constant d
SQRT_M1 = pow(2, (P - 1) // 4, P)                        # sqrt(-1) mod p


def _point_add(a, b):
    """Add two points in extended coordinates (X, Y, Z, T), x=X/Z, y=Y/Z, xy=T/Z.

    RFC 8032 section 5.1.4 (the "add-2008-hwcd-3" formulas, complete for Ed25519).
    """
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % P
    pb = (y1 + x1) * (y2 + x2) % P
    pc = t1 * 2 * D * t2 % P
    pd = z1 * 2 * z2 % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _point_mul(s, point):
    """Scalar multiplication [s]point by double-and-add (RFC 8032 section 6)."""
    q = (0, 1, 1, 0)  # the neutral element
    while s > 0:
        if s & 1:
            q = _point_add(q, point)
        point = _point_add(point, point)
        s >>= 1
    return q


def _point_equal(a, b):
    """Projective equality: x1/z1 == x2/z2 and y1/z1 == y2/z2."""
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y, sign):
    """Solve x^2 = (y^2 - 1) / (d y^2 + 1) for x (RFC 8032 section 5.1.3 steps 1-4).

    Returns None when decoding must fail: y >= p, no square root, or x == 0
    with the sign bit set.
    """
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def point_decode(data):
    """Decode a 32-byte point encoding (RFC 8032 section 5.1.3); None if invalid."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def point_encode(point):
    """Encode a point as 32 bytes: y little-endian, top bit = low bit of x (section 5.1.2)."""
    x, y, z, _ = point
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)                      # base point B


def ed25519_verify(public_key, message, signature):
    """Verify a pure Ed25519 signature (RFC 8032 section 5.1.7).

    Rejects keys or R that do not decode and non-canonical S (S >= L), then
    checks [S]B == R + [k]A with k = SHA-512(R || A || M) mod L (the
    cofactorless equation, as in the RFC's section 6 reference code).
    """
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = point_decode(public_key)
    if a is None:
        return False
    r_bytes = signature[:32]
    r = point_decode(r_bytes)
    if r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + public_key + message).digest(), "little") % L
    return _point_equal(_point_mul(s, BASE), _point_add(r, _point_mul(k, a)))


# --------------------------------------------------------------------------
# Merkle tree (RFC 6962 section 2.1 / RFC 9162 section 2.1)
# --------------------------------------------------------------------------

def leaf_hash(data):
    """MTH({d}) = SHA-256(0x00 || d) (RFC 6962 section 2.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    """Interior node = SHA-256(0x01 || left || right) (RFC 6962 section 2.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(index, size, leaf, path):
    """Recompute the root from an audit path (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise VerifyError(f"index out of range: index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise VerifyError("audit path is too long for this index and tree size")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerifyError("audit path is too short for this index and tree size")
    return r


def verify_inclusion(index, size, leaf, path, root):
    """Check that `leaf` is at `index` in the tree of `size` leaves with `root`."""
    computed = root_from_inclusion_proof(index, size, leaf, path)
    if computed != root:
        raise VerifyError(f"root mismatch: the proof yields {computed.hex()} "
                          f"but the signed head says {root.hex()}")


def verify_consistency(size1, size2, root1, root2, proof):
    """Check that tree (size1, root1) is a prefix of tree (size2, root2).

    RFC 9162 section 2.1.4.2, with the usual degenerate cases first: equal
    sizes need an empty proof and equal roots; an empty first tree is a prefix
    of anything, with an empty proof.
    """
    if size1 > size2:
        raise VerifyError(f"the first head (size {size1}) is larger than the second (size {size2})")
    if size1 == size2:
        if proof:
            raise VerifyError("consistency proof must be empty when both heads have the same size")
        if root1 != root2:
            raise VerifyError(f"root mismatch: two heads of size {size1} have different roots "
                              f"({root1.hex()} vs {root2.hex()}): the log forked")
        return
    if size1 == 0:
        if proof:
            raise VerifyError("consistency proof must be empty when the first tree is empty")
        return
    if not proof:
        raise VerifyError("consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:        # size1 is an exact power of two
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerifyError("consistency proof is too long for these tree sizes")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerifyError("consistency proof is too short for these tree sizes")
    if fr != root1:
        raise VerifyError(f"root mismatch: the proof yields {fr.hex()} for the first tree "
                          f"but its signed head says {root1.hex()}")
    if sr != root2:
        raise VerifyError(f"root mismatch: the proof yields {sr.hex()} for the second tree "
                          f"but its signed head says {root2.hex()}")


# --------------------------------------------------------------------------
# JSON documents
# --------------------------------------------------------------------------

def _reject_duplicates(pairs):
    """object_pairs_hook: a key given twice makes the document ambiguous."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise VerifyError(f"malformed JSON: duplicate key {key!r}")
        obj[key] = value
    return obj


def _reject_constant(name):
    raise VerifyError(f"malformed JSON: {name} is not allowed")


def parse_json(text):
    """Parse strict JSON (no duplicate keys, no NaN/Infinity) into an object."""
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicates,
                           parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise VerifyError(f"malformed JSON: {e}") from None
    if not isinstance(value, dict):
        raise VerifyError("malformed JSON: the document is not an object")
    return value


def _field(obj, name, where):
    if name not in obj:
        raise VerifyError(f"malformed {where}: missing field {name!r}")
    return obj[name]


def _int_field(obj, name, where):
    value = _field(obj, name, where)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VerifyError(f"malformed {where}: {name!r} must be a non-negative integer")
    return value


def _hex_field(value, pattern, what):
    """Decode strict hex (bytes.fromhex alone would accept spaces)."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise VerifyError(f"malformed hex: {what} must be {_HEX_DESC[pattern]}")
    return bytes.fromhex(value)


def _hash_list(value, what):
    if not isinstance(value, list):
        raise VerifyError(f"malformed {what}: must be a list of 64-hex hashes")
    return [_hex_field(h, _HEX64, f"{what}[{i}]") for i, h in enumerate(value)]


def head_message(size, root_hex, timestamp):
    """The bytes a tree head's signature covers (the cited-audit-head v1 format)."""
    return f"{HEAD_PREFIX}{size}\n{root_hex}\n{timestamp}\n".encode("utf-8")


def check_head(head, trusted_key, where="head"):
    """Validate a signed tree head against the trusted key; return (size, root, head)."""
    if not isinstance(head, dict):
        raise VerifyError(f"malformed {where}: must be a JSON object")
    log = _field(head, "log", where)
    if log != LOG_NAME:
        raise VerifyError(f"malformed {where}: log is {log!r}, expected {LOG_NAME!r}")
    size = _int_field(head, "size", where)
    root_hex = _field(head, "root_hash", where)
    root = _hex_field(root_hex, _LOWER_HEX64, f"{where}.root_hash")
    timestamp = _field(head, "timestamp", where)
    if not isinstance(timestamp, str) or not timestamp or any(
            ord(ch) < 0x20 or ord(ch) == 0x7F for ch in timestamp):
        raise VerifyError(f"malformed {where}: timestamp must be a non-empty one-line string")
    public_key = _hex_field(_field(head, "public_key", where), _HEX64, f"{where}.public_key")
    signature = _hex_field(_field(head, "signature", where), _HEX128, f"{where}.signature")
    if public_key != trusted_key:
        raise VerifyError(f"{where} is signed with another key: {public_key.hex()} "
                          f"is not the trusted key {trusted_key.hex()}")
    if not ed25519_verify(trusted_key, head_message(size, root_hex, timestamp), signature):
        raise VerifyError(f"bad signature on {where} (size {size}, root {root_hex})")
    if size == 0 and root != EMPTY_ROOT:
        raise VerifyError(f"root mismatch: {where} has size 0 but its root is not SHA-256(\"\")")
    return size, root, head


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

def cmd_head(doc, key):
    """`head`: the file is one signed tree head."""
    size, root, head = check_head(doc, key)
    return (f"OK: head of size {size} with root {root.hex()} at {head['timestamp']} "
            f"is signed by the trusted key")


def cmd_inclusion(doc, key):
    """`inclusion`: a record, its index and audit path, and the signed head."""
    size, root, head = check_head(_field(doc, "head", "inclusion proof"), key)
    record_id = _field(doc, "record_id", "inclusion proof")
    if not isinstance(record_id, str):
        raise VerifyError("malformed inclusion proof: 'record_id' must be a string")
    index = _int_field(doc, "index", "inclusion proof")
    record = _field(doc, "record", "inclusion proof")
    if not isinstance(record, str):
        raise VerifyError("malformed inclusion proof: 'record' must be a string")
    try:
        data = record.encode("utf-8")
    except UnicodeEncodeError:
        raise VerifyError("malformed inclusion proof: 'record' is not valid Unicode") from None
    path = _hash_list(_field(doc, "audit_path", "inclusion proof"), "audit_path")
    verify_inclusion(index, size, leaf_hash(data), path, root)
    check_record_binding(record, record_id, index)
    return (f"OK: record {index} (id {record_id}) is in the log of size {size} "
            f"with root {root.hex()} (head signed at {head['timestamp']})")


def check_record_binding(record, record_id, index):
    """Tie the proof's unsigned `record_id` and `index` to the proven record text.

    Cited records are JSON objects that start with `seq` and `record_id`; where
    the record names them, they must agree with the proof. A record that is not
    a JSON object, or lacks those fields, is not checked here.
    """
    try:
        fields = parse_json(record)
    except VerifyError:
        return
    if "record_id" in fields and fields["record_id"] != record_id:
        raise VerifyError(f"record_id mismatch: the proof says {record_id!r} "
                          f"but the proven record says {fields['record_id']!r}")
    seq = fields.get("seq", index)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq != index:
        raise VerifyError(f"index mismatch: the proof says index {index} "
                          f"but the proven record says seq {seq!r}")


def cmd_consistency(doc, key):
    """`consistency`: two signed heads and the proof that the older is a prefix."""
    size1, root1, _ = check_head(_field(doc, "first", "consistency proof"), key, "first head")
    size2, root2, _ = check_head(_field(doc, "second", "consistency proof"), key, "second head")
    proof = _hash_list(_field(doc, "proof", "consistency proof"), "proof")
    verify_consistency(size1, size2, root1, root2, proof)
    return (f"OK: the log of size {size1} (root {root1.hex()}) is a prefix of the log of "
            f"size {size2} (root {root2.hex()}); both heads are signed by the trusted key")


COMMANDS = {"head": cmd_head, "inclusion": cmd_inclusion, "consistency": cmd_consistency}


def parse_trusted_key(text, source):
    """A trusted key: 64 hex characters, whitespace ignored."""
    compact = "".join(text.split())
    if not _HEX64.fullmatch(compact):
        raise UsageError(f"{source} must be 64 hex characters (an Ed25519 public key)")
    key = bytes.fromhex(compact)
    if point_decode(key) is None:
        raise UsageError(f"{source} is not a valid Ed25519 public key")
    return key


def _read(path, what, binary=False):
    try:
        with open(path, "rb" if binary else "r", encoding=None if binary else "utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {what} {path}: {e}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Verify Cited audit-log tree heads, inclusion and consistency proofs "
                    "against a trusted Ed25519 public key (RFC 6962/9162, RFC 8032).")
    parser.add_argument("command", choices=sorted(COMMANDS), help="what FILE contains")
    parser.add_argument("file", help="the JSON file to verify")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--public-key", metavar="HEX", help="trusted public key, 64 hex")
    group.add_argument("--public-key-file", metavar="PATH",
                       help="file holding the trusted public key as 64 hex")
    args = parser.parse_args(argv)             # exits 2 on usage errors
    try:
        if args.public_key is not None:
            key = parse_trusted_key(args.public_key, "--public-key")
        else:
            key = parse_trusted_key(_read(args.public_key_file, "key file"), "--public-key-file")
        raw = _read(args.file, "file", binary=True)
    except UsageError as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 2
    try:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise VerifyError("malformed JSON: the file is not UTF-8") from None
        print(COMMANDS[args.command](parse_json(text), key))
        return 0
    except VerifyError as e:
        print(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
