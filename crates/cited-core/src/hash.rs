use sha2::{Digest, Sha256};

/// SHA-256 of `text`, lowercase hex. Used as a version's `content_hash` over its canonical text, and as the
/// fingerprint of a source file's raw bytes.
pub fn content_hash(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(
            content_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
