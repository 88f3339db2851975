"""Tests for tools/verify_audit.py (stdlib unittest only).

Run from the repository root:  python3 -m unittest tools/test_verify_audit.py
"""

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "verify_audit.py")
_spec = importlib.util.spec_from_file_location("verify_audit", SCRIPT)
va = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(va)


# --------------------------------------------------------------------------
# Test-only helpers: Ed25519 signing (RFC 8032 section 5.1.5/5.1.6) and
# reference Merkle functions written straight from RFC 6962 section 2.1.
# --------------------------------------------------------------------------

def ed25519_expand(seed):
    """RFC 8032 section 5.1.5: the clamped scalar a and the prefix from SHA-512(seed)."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    a, _ = ed25519_expand(seed)
    return va.point_encode(va._point_mul(a, va.BASE))


def ed25519_sign(seed, message):
    """RFC 8032 section 5.1.6."""
    a, prefix = ed25519_expand(seed)
    public = va.point_encode(va._point_mul(a, va.BASE))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % va.L
    r_bytes = va.point_encode(va._point_mul(r, va.BASE))
    k = int.from_bytes(hashlib.sha512(r_bytes + public + message).digest(), "little") % va.L
    return r_bytes + ((r + k * a) % va.L).to_bytes(32, "little")


def split_point(n):
    """The largest power of two strictly smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries):
    """RFC 6962 section 2.1: MTH(D[n]) over raw entries."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = split_point(n)
    return hashlib.sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:])).digest()


def ref_path(m, entries):
    """RFC 6962 section 2.1.1: PATH(m, D[n])."""
    n = len(entries)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return ref_path(m, entries[:k]) + [ref_mth(entries[k:])]
    return ref_path(m - k, entries[k:]) + [ref_mth(entries[:k])]


def ref_subproof(m, entries, b):
    """RFC 6962 section 2.1.2: SUBPROOF(m, D[n], b)."""
    n = len(entries)
    if m == n:
        return [] if b else [ref_mth(entries)]
    k = split_point(n)
    if m <= k:
        return ref_subproof(m, entries[:k], b) + [ref_mth(entries[k:])]
    return ref_subproof(m - k, entries[k:], False) + [ref_mth(entries[:k])]


def ref_consistency(m, entries):
    """PROOF(m, D[n]) for 0 < m < n; empty for m == 0 or m == n (RFC 9162 convention)."""
    if m == 0 or m == len(entries):
        return []
    return ref_subproof(m, entries, True)


def flip(data, byte=0, bit=0):
    out = bytearray(data)
    out[byte] ^= 1 << bit
    return bytes(out)


def accepts_inclusion(index, size, leaf, path, root):
    try:
        va.verify_inclusion(index, size, leaf, path, root)
        return True
    except va.VerifyError:
        return False


def accepts_consistency(size1, size2, root1, root2, proof):
    try:
        va.verify_consistency(size1, size2, root1, root2, proof)
        return True
    except va.VerifyError:
        return False


# --------------------------------------------------------------------------
# Ed25519
# --------------------------------------------------------------------------

# RFC 8032 section 7.1: (name, secret key, public key, message, signature).
_MSG_1024 = (
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
    "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
    "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
    "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
    "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
    "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
    "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
    "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
    "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
    "c60c905c15fc910840b94c00a0b9d0")

RFC8032_VECTORS = [
    ("TEST 1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("TEST 2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("TEST 3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ("TEST 1024",
     "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     _MSG_1024,
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"),
    ("TEST SHA(abc)",
     "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     hashlib.sha512(b"abc").hexdigest(),
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
]


class Ed25519Tests(unittest.TestCase):
    def test_rfc8032_vectors_verify(self):
        for name, _, pk, msg, sig in RFC8032_VECTORS:
            with self.subTest(name):
                self.assertTrue(va.ed25519_verify(bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)))

    def test_vector_inputs_are_exact(self):
        # TEST 1024's message is 1023 bytes; TEST SHA(abc)'s is SHA-512("abc").
        self.assertEqual(len(bytes.fromhex(_MSG_1024)), 1023)
        self.assertTrue(RFC8032_VECTORS[4][3].startswith("ddaf35a193617aba"))

    def test_test_signer_reproduces_vectors(self):
        # Ed25519 is deterministic: the helper used for fixtures must give the RFC's bytes.
        for name, sk, pk, msg, sig in RFC8032_VECTORS:
            with self.subTest(name):
                self.assertEqual(ed25519_public(bytes.fromhex(sk)).hex(), pk)
                self.assertEqual(ed25519_sign(bytes.fromhex(sk), bytes.fromhex(msg)).hex(), sig)

    def test_flipped_bits_fail(self):
        for name, _, pk, msg, sig in RFC8032_VECTORS:
            pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
            with self.subTest(name):
                if msg:
                    self.assertFalse(va.ed25519_verify(pk, flip(msg, len(msg) - 1, 3), sig))
                self.assertFalse(va.ed25519_verify(pk, msg + b"\x00", sig))
                for byte in (0, 31, 32, 63):
                    self.assertFalse(va.ed25519_verify(pk, msg, flip(sig, byte, 1)))
                for byte in (0, 17, 31):
                    self.assertFalse(va.ed25519_verify(flip(pk, byte, 2), msg, sig))

    def test_non_canonical_s_is_rejected(self):
        _, _, pk, msg, sig = RFC8032_VECTORS[0]
        pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
        s = int.from_bytes(sig[32:], "little")
        # S + L satisfies the group equation too; RFC 8032 5.1.7 requires rejecting it.
        malleated = sig[:32] + (s + va.L).to_bytes(32, "little")
        self.assertFalse(va.ed25519_verify(pk, msg, malleated))
        self.assertFalse(va.ed25519_verify(pk, msg, sig[:32] + va.L.to_bytes(32, "little")))

    def test_undecodable_points_are_rejected(self):
        _, _, pk, msg, sig = RFC8032_VECTORS[1]
        pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
        y = 2
        while va._recover_x(y, 0) is not None:   # find a y with no point on the curve
            y += 1
        off_curve = y.to_bytes(32, "little")
        non_canonical_y = (va.P + 1).to_bytes(32, "little")   # y >= p must not decode
        self.assertIsNone(va.point_decode(off_curve))
        self.assertIsNone(va.point_decode(non_canonical_y))
        self.assertIsNone(va.point_decode((1 | 1 << 255).to_bytes(32, "little")))  # x = 0, sign 1
        for bad in (off_curve, non_canonical_y):
            self.assertFalse(va.ed25519_verify(bad, msg, sig))
            self.assertFalse(va.ed25519_verify(pk, msg, bad + sig[32:]))

    def test_wrong_lengths_fail(self):
        _, _, pk, msg, sig = RFC8032_VECTORS[2]
        pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
        self.assertFalse(va.ed25519_verify(pk[:31], msg, sig))
        self.assertFalse(va.ed25519_verify(pk, msg, sig[:63]))
        self.assertFalse(va.ed25519_verify(pk, msg, sig + b"\x00"))


# --------------------------------------------------------------------------
# Merkle: known answers from Certificate Transparency / transparency-dev/merkle
# --------------------------------------------------------------------------

CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # size 0
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",  # size 8
)]
# transparency-dev/merkle proof/verify_test.go (0-based index here).
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


class KnownAnswerTests(unittest.TestCase):
    def test_ct_roots_for_every_prefix(self):
        for n in range(0, 9):
            with self.subTest(size=n):
                self.assertEqual(ref_mth(CT_LEAVES[:n]).hex(), CT_ROOTS[n].hex())

    def test_empty_tree_and_hash_prefixes(self):
        self.assertEqual(va.EMPTY_ROOT, hashlib.sha256(b"").digest())
        self.assertEqual(va.leaf_hash(b""), CT_ROOTS[1])            # one empty leaf
        self.assertEqual(va.node_hash(va.leaf_hash(b""), va.leaf_hash(b"\x00")), CT_ROOTS[2])

    def test_ct_inclusion_proofs(self):
        for index, size, path in CT_INCLUSION:
            with self.subTest(index=index, size=size):
                path = [bytes.fromhex(h) for h in path]
                self.assertEqual(ref_path(index, CT_LEAVES[:size]), path)
                va.verify_inclusion(index, size, va.leaf_hash(CT_LEAVES[index]), path, CT_ROOTS[size])

    def test_ct_consistency_proofs(self):
        for m, n, proof in CT_CONSISTENCY:
            with self.subTest(m=m, n=n):
                proof = [bytes.fromhex(h) for h in proof]
                self.assertEqual(ref_consistency(m, CT_LEAVES[:n]), proof)
                va.verify_consistency(m, n, CT_ROOTS[m], CT_ROOTS[n], proof)


# --------------------------------------------------------------------------
# Merkle: every shape of tree up to 40 leaves
# --------------------------------------------------------------------------

MAX_SIZE = 40
ENTRIES = [json.dumps({"seq": i, "event": f"test-{i}", "note": "é" * (i % 3)},
                      ensure_ascii=False).encode("utf-8") for i in range(MAX_SIZE)]
ROOTS = [ref_mth(ENTRIES[:n]) for n in range(MAX_SIZE + 1)]


class InclusionTests(unittest.TestCase):
    def test_reference_root_matches_split_rule(self):
        # A midpoint split would give a different root for non-powers of two.
        self.assertEqual(ROOTS[3], va.node_hash(va.node_hash(va.leaf_hash(ENTRIES[0]), va.leaf_hash(ENTRIES[1])),
                                                va.leaf_hash(ENTRIES[2])))

    def test_every_index_and_size(self):
        count = 0
        for size in range(1, MAX_SIZE + 1):
            for index in range(size):
                path = ref_path(index, ENTRIES[:size])
                va.verify_inclusion(index, size, va.leaf_hash(ENTRIES[index]), path, ROOTS[size])
                count += 1
        self.assertEqual(count, MAX_SIZE * (MAX_SIZE + 1) // 2)

    def test_tampering_is_rejected(self):
        for size in range(1, MAX_SIZE + 1):
            root = ROOTS[size]
            for index in range(size):
                leaf = va.leaf_hash(ENTRIES[index])
                path = ref_path(index, ENTRIES[:size])
                where = f"index {index} size {size}"
                self.assertFalse(accepts_inclusion(index, size, va.leaf_hash(ENTRIES[index] + b" "), path, root), where)
                self.assertFalse(accepts_inclusion(index, size, flip(leaf, 5, 0), path, root), where)
                self.assertFalse(accepts_inclusion(index, size, leaf, path, flip(root, 31, 7)), where)
                for i in range(len(path)):
                    bad = list(path)
                    bad[i] = flip(bad[i], i % 32, 3)
                    self.assertFalse(accepts_inclusion(index, size, leaf, bad, root), where)
                if path:
                    self.assertFalse(accepts_inclusion(index, size, leaf, path[:-1], root), where)
                    self.assertFalse(accepts_inclusion(index, size, leaf, path[1:], root), where)
                self.assertFalse(accepts_inclusion(index, size, leaf, path + [root], root), where)
                for other in range(size + 1):
                    if other != index:
                        self.assertFalse(accepts_inclusion(other, size, leaf, path, root), f"{where} as {other}")

    def test_index_out_of_range_message(self):
        with self.assertRaisesRegex(va.VerifyError, "index out of range"):
            va.verify_inclusion(5, 5, va.leaf_hash(b"x"), [], ROOTS[5])
        with self.assertRaisesRegex(va.VerifyError, "index out of range"):
            va.verify_inclusion(0, 0, va.leaf_hash(b"x"), [], va.EMPTY_ROOT)
        with self.assertRaisesRegex(va.VerifyError, "root mismatch"):
            va.verify_inclusion(0, 1, va.leaf_hash(b"x"), [], ROOTS[1])


    def test_record_binding(self):
        va.check_record_binding('{"seq": 3, "record_id": "a"}', "a", 3)
        va.check_record_binding('not json at all', "a", 3)          # nothing to compare
        va.check_record_binding('{"other": 1}', "a", 3)
        with self.assertRaisesRegex(va.VerifyError, "record_id mismatch"):
            va.check_record_binding('{"seq": 3, "record_id": "b"}', "a", 3)
        with self.assertRaisesRegex(va.VerifyError, "index mismatch"):
            va.check_record_binding('{"seq": 4, "record_id": "a"}', "a", 3)
        with self.assertRaisesRegex(va.VerifyError, "index mismatch"):
            va.check_record_binding('{"seq": true, "record_id": "a"}', "a", 1)

class ConsistencyTests(unittest.TestCase):
    def test_every_pair(self):
        count = 0
        for n in range(0, MAX_SIZE + 1):
            for m in range(0, n + 1):
                proof = ref_consistency(m, ENTRIES[:n])
                va.verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)
                count += 1
        self.assertEqual(count, (MAX_SIZE + 1) * (MAX_SIZE + 2) // 2)

    def test_tampering_is_rejected(self):
        for n in range(1, MAX_SIZE + 1):
            for m in range(1, n + 1):
                proof = ref_consistency(m, ENTRIES[:n])
                r1, r2 = ROOTS[m], ROOTS[n]
                where = f"{m} -> {n}"
                for i in range(len(proof)):
                    bad = list(proof)
                    bad[i] = flip(bad[i], 0, 4)
                    self.assertFalse(accepts_consistency(m, n, r1, r2, bad), where)
                if proof:
                    self.assertFalse(accepts_consistency(m, n, r1, r2, proof[:-1]), where)
                    self.assertFalse(accepts_consistency(m, n, r1, r2, proof[1:]), where)
                    self.assertFalse(accepts_consistency(m, n, r1, r2, []), where)
                self.assertFalse(accepts_consistency(m, n, r1, r2, proof + [r1]), where)
                self.assertFalse(accepts_consistency(m, n, flip(r1, 1, 1), r2, proof), where)
                self.assertFalse(accepts_consistency(m, n, r1, flip(r2, 2, 2), proof), where)
                if m < n:
                    # A head of the old size with a root from a different history.
                    forked = ref_mth(ENTRIES[:m - 1] + [b"forged"])
                    self.assertFalse(accepts_consistency(m, n, forked, r2, proof), where)
                    self.assertFalse(accepts_consistency(n, m, r2, r1, proof), where)
                    self.assertFalse(accepts_consistency(m - 1, n, ROOTS[m - 1], r2, proof), where)

    def test_degenerate_cases(self):
        root5 = ROOTS[5]
        va.verify_consistency(5, 5, root5, root5, [])
        va.verify_consistency(0, 5, va.EMPTY_ROOT, root5, [])
        va.verify_consistency(0, 0, va.EMPTY_ROOT, va.EMPTY_ROOT, [])
        with self.assertRaisesRegex(va.VerifyError, "forked"):
            va.verify_consistency(5, 5, root5, ROOTS[4], [])
        with self.assertRaisesRegex(va.VerifyError, "must be empty"):
            va.verify_consistency(5, 5, root5, root5, [root5])
        with self.assertRaisesRegex(va.VerifyError, "must be empty"):
            va.verify_consistency(0, 5, va.EMPTY_ROOT, root5, [root5])
        with self.assertRaisesRegex(va.VerifyError, "larger"):
            va.verify_consistency(6, 5, ROOTS[6], root5, [])
        with self.assertRaisesRegex(va.VerifyError, "empty"):
            va.verify_consistency(3, 5, ROOTS[3], root5, [])

    def test_wrong_length_reasons(self):
        proof = ref_consistency(6, ENTRIES[:13])
        with self.assertRaisesRegex(va.VerifyError, "too short"):
            va.verify_consistency(6, 13, ROOTS[6], ROOTS[13], proof[:-1])
        with self.assertRaisesRegex(va.VerifyError, "too long"):
            va.verify_consistency(6, 13, ROOTS[6], ROOTS[13], proof + [ROOTS[1]])
        path = ref_path(3, ENTRIES[:13])
        with self.assertRaisesRegex(va.VerifyError, "too short"):
            va.verify_inclusion(3, 13, va.leaf_hash(ENTRIES[3]), path[:-1], ROOTS[13])
        with self.assertRaisesRegex(va.VerifyError, "too long"):
            va.verify_inclusion(3, 13, va.leaf_hash(ENTRIES[3]), path + [ROOTS[1]], ROOTS[13])


# --------------------------------------------------------------------------
# End to end: signed JSON files checked by the script in a subprocess
# --------------------------------------------------------------------------

SEED = hashlib.sha256(b"cited audit verifier test key").digest()
OTHER_SEED = hashlib.sha256(b"some other key").digest()


def make_head(size, root, seed=SEED, timestamp="2026-11-30T08:31:00Z", public=None):
    """A signed tree head exactly as `cited audit head` writes it."""
    message = f"cited-audit-head v1\n{size}\n{root.hex()}\n{timestamp}\n".encode("utf-8")
    return {"log": "cited-audit", "size": size, "root_hash": root.hex(), "timestamp": timestamp,
            "public_key": (public or ed25519_public(seed)).hex(),
            "signature": ed25519_sign(seed, message).hex()}


class EndToEndTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.key_hex = ed25519_public(SEED).hex()
        cls.other_hex = ed25519_public(OTHER_SEED).hex()
        cls.key_file = cls.write("key.pub", "  " + cls.key_hex[:32] + "\n" + cls.key_hex[32:].upper() + "\n")
        cls.other_key_file = cls.write("other.pub", cls.other_hex + "\n")
        cls.records = [json.dumps({"seq": i, "prev_leaf": "", "record_id": f"rec-{i:03d}",
                                   "action": "answer.cited", "who": "Zoë"}, ensure_ascii=False)
                       for i in range(10)]
        entries = [r.encode("utf-8") for r in cls.records]
        cls.head10 = make_head(10, ref_mth(entries))
        cls.head6 = make_head(6, ref_mth(entries[:6]), timestamp="2026-11-29T08:00:00Z")
        cls.inclusion = {"record_id": "rec-007", "index": 7, "record": cls.records[7],
                         "audit_path": [h.hex() for h in ref_path(7, entries)], "head": cls.head10}
        cls.consistency = {"first": cls.head6, "second": cls.head10,
                           "proof": [h.hex() for h in ref_consistency(6, entries)]}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def write(cls, name, content):
        path = os.path.join(cls.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=1))
        return path

    def run_script(self, *args):
        proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout.strip(), proc.stderr

    def check(self, command, doc, *, ok, contains, key_args=None, name=None):
        path = self.write(name or f"{command}-{self.id().rsplit('.', 1)[-1]}.json", doc)
        code, out, err = self.run_script(command, path, *(key_args or ["--public-key-file", self.key_file]))
        self.assertEqual(code, 0 if ok else 1, out + err)
        self.assertEqual(len(out.splitlines()), 1, out)
        self.assertTrue(out.startswith("OK: " if ok else "FAIL: "), out)
        self.assertIn(contains, out)
        return out

    def test_head_ok(self):
        self.check("head", self.head10, ok=True, contains="size 10")
        self.check("head", self.head10, ok=True, contains="signed by the trusted key",
                   key_args=["--public-key", self.key_hex])

    def test_head_signed_with_another_key(self):
        self.check("head", make_head(10, bytes.fromhex(self.head10["root_hash"]), seed=OTHER_SEED),
                   ok=False, contains="signed with another key")
        self.check("head", self.head10, ok=False, contains="signed with another key",
                   key_args=["--public-key-file", self.other_key_file])

    def test_head_bad_signature(self):
        # Claims the trusted key but was signed by another one.
        forged = make_head(10, bytes.fromhex(self.head10["root_hash"]), seed=OTHER_SEED,
                           public=bytes.fromhex(self.key_hex))
        self.check("head", forged, ok=False, contains="bad signature")
        for field, value in (("size", 11), ("timestamp", "2026-11-30T08:31:01Z"),
                             ("root_hash", "00" * 32)):
            with self.subTest(field):
                self.check("head", dict(self.head10, **{field: value}), ok=False, contains="bad signature")

    def test_head_malformed(self):
        self.check("head", "{not json", ok=False, contains="malformed JSON")
        self.check("head", "[1, 2]", ok=False, contains="malformed JSON")
        self.check("head", dict(self.head10, root_hash=self.head10["root_hash"].upper()),
                   ok=False, contains="malformed hex")
        self.check("head", dict(self.head10, signature="zz" * 64), ok=False, contains="malformed hex")
        self.check("head", dict(self.head10, size="10"), ok=False, contains="non-negative integer")
        self.check("head", {k: v for k, v in self.head10.items() if k != "signature"},
                   ok=False, contains="missing field 'signature'")
        text = json.dumps(self.head10)
        self.check("head", text[:-1] + ', "size": 11}', ok=False, contains="duplicate key")

    def test_inclusion_ok(self):
        out = self.check("inclusion", self.inclusion, ok=True, contains="record 7 (id rec-007)")
        self.assertIn(self.head10["root_hash"], out)
        self.assertIn("log of size 10", out)

    def test_inclusion_failures(self):
        self.check("inclusion", dict(self.inclusion, record=self.records[7].replace("Zoë", "Zoe")),
                   ok=False, contains="root mismatch")
        self.check("inclusion", dict(self.inclusion, index=6), ok=False, contains="root mismatch")
        self.check("inclusion", dict(self.inclusion, index=10), ok=False, contains="index out of range")
        # The proof's record_id is not signed: it must agree with the proven record.
        self.check("inclusion", dict(self.inclusion, record_id="rec-003"), ok=False,
                   contains="record_id mismatch")
        path = list(self.inclusion["audit_path"])
        path[1] = ("0" if path[1][0] != "0" else "1") + path[1][1:]
        self.check("inclusion", dict(self.inclusion, audit_path=path), ok=False, contains="root mismatch")
        self.check("inclusion", dict(self.inclusion, audit_path=path[:-1]), ok=False, contains="too short")
        self.check("inclusion", dict(self.inclusion, audit_path=path[:1] + ["12 34"]), ok=False,
                   contains="malformed hex")
        self.check("inclusion", dict(self.inclusion, head=make_head(10, bytes.fromhex(self.head10["root_hash"]),
                                                                    seed=OTHER_SEED)),
                   ok=False, contains="signed with another key")

    def test_consistency_ok(self):
        out = self.check("consistency", self.consistency, ok=True, contains="size 6")
        self.assertIn("size 10", out)
        self.check("consistency", {"first": self.head10, "second": self.head10, "proof": []},
                   ok=True, contains="size 10")

    def test_consistency_failures(self):
        c = self.consistency
        self.check("consistency", dict(c, first=c["second"], second=c["first"]), ok=False, contains="larger")
        proof = list(c["proof"])
        proof[0] = ("f" if proof[0][0] != "f" else "e") + proof[0][1:]
        self.check("consistency", dict(c, proof=proof), ok=False, contains="root mismatch")
        forked = make_head(6, ref_mth([r.encode() for r in self.records[:5]] + [b"{}"]))
        self.check("consistency", dict(c, first=forked), ok=False, contains="root mismatch")
        self.check("consistency", dict(c, second=make_head(10, bytes.fromhex(self.head10["root_hash"]),
                                                           seed=OTHER_SEED)),
                   ok=False, contains="second head is signed with another key")
        self.check("consistency", dict(c, first=dict(c["first"], size=5)), ok=False,
                   contains="bad signature on first head")

    def test_usage_errors_exit_2(self):
        head = self.write("usage-head.json", self.head10)
        for args in ([], ["head"], ["head", head], ["verify", head, "--public-key", self.key_hex],
                     ["head", head, "--public-key", self.key_hex, "--public-key-file", self.key_file],
                     ["head", head, "--public-key", "abcd"],
                     ["head", head, "--public-key-file", os.path.join(self.dir, "missing.pub")],
                     ["head", os.path.join(self.dir, "missing.json"), "--public-key", self.key_hex]):
            with self.subTest(args=args):
                code, out, _ = self.run_script(*args)
                self.assertEqual(code, 2)
                self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main()
