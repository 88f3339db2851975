//! Signed tree heads: the log's size and root hash at a time, signed with an Ed25519 key kept outside the
//! data directory. A compliance officer stores heads elsewhere; a later log must extend each of them.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::AuditError;
use crate::merkle::Hash;

/// Names the log in every head, so a head of some other log is never mistaken for one of this.
pub const LOG_NAME: &str = "cited-audit";

/// A signed statement of the log's size and root hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    /// Always [`LOG_NAME`].
    pub log: String,
    /// Records in the log.
    pub size: u64,
    /// RFC 6962 tree hash of those records, lower-case hex.
    pub root_hash: String,
    /// When the head was made (RFC 3339, UTC, seconds).
    pub timestamp: String,
    /// The signer's Ed25519 public key, hex (a convenience: verifiers check against a key they trust).
    pub public_key: String,
    /// Ed25519 signature of [`SignedHead::message`], hex.
    pub signature: String,
}

impl SignedHead {
    /// The bytes signed: `cited-audit-head v1\n{size}\n{root_hash}\n{timestamp}\n`.
    pub fn message(size: u64, root_hash: &str, timestamp: &str) -> Vec<u8> {
        format!("cited-audit-head v1\n{size}\n{root_hash}\n{timestamp}\n").into_bytes()
    }

    /// Signs `size` and `root` now.
    pub fn sign(size: u64, root: &Hash, at: DateTime<Utc>, key: &SigningKey) -> Self {
        let root_hash = hex::encode(root);
        let timestamp = at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let signature = key.sign(&Self::message(size, &root_hash, &timestamp));
        Self {
            log: LOG_NAME.into(),
            size,
            root_hash,
            timestamp,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// The root hash as bytes.
    pub fn root(&self) -> Result<Hash, AuditError> {
        decode_fixed(&self.root_hash, "root_hash")
    }

    /// Checks that `trusted` signed this head; a head signed with any other key is refused even if its
    /// signature is valid for the key it carries.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<(), AuditError> {
        if self.log != LOG_NAME {
            return Err(AuditError::BadHead(format!(
                "the head is of log {:?}, not {LOG_NAME}",
                self.log
            )));
        }
        if self.public_key != hex::encode(trusted.as_bytes()) {
            return Err(AuditError::BadHead(
                "the head is signed with another key than the trusted one".into(),
            ));
        }
        let signature = Signature::from_bytes(&decode_fixed(&self.signature, "signature")?);
        trusted
            .verify_strict(
                &Self::message(self.size, &self.root_hash, &self.timestamp),
                &signature,
            )
            .map_err(|_| AuditError::BadHead("the head's signature does not verify".into()))
    }
}

fn decode_fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], AuditError> {
    let bytes =
        hex::decode(text.trim()).map_err(|e| AuditError::BadHead(format!("{what}: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| AuditError::BadHead(format!("{what} must be {N} bytes")))
}

/// Reads a signing key: 64 hex characters (the 32-byte Ed25519 seed).
pub fn read_signing_key(path: &Path) -> Result<SigningKey, AuditError> {
    let text = std::fs::read_to_string(path).map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let seed: [u8; 32] = decode_fixed(&text, "signing key").map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key: 64 hex characters.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, AuditError> {
    let text = std::fs::read_to_string(path).map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    public_key_from_hex(&text).map_err(|e| AuditError::Key {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// A public key from 64 hex characters.
pub fn public_key_from_hex(text: &str) -> Result<VerifyingKey, AuditError> {
    let bytes: [u8; 32] = decode_fixed(text, "public key")?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| AuditError::BadHead("the public key is not a valid Ed25519 point".into()))
}

/// Makes a new key pair: the seed (hex) at `path`, readable by its owner only, and the public key at
/// `path.pub`. Refuses to overwrite an existing key.
pub fn generate_key(path: &Path) -> Result<VerifyingKey, AuditError> {
    let key_err = |reason: String| AuditError::Key {
        path: path.to_path_buf(),
        reason,
    };
    if path.exists() {
        return Err(key_err(
            "a key exists there already; it is never overwritten".into(),
        ));
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| key_err(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| key_err(e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| key_err(e.to_string()))?;
    std::io::Write::write_all(&mut file, format!("{}\n", hex::encode(seed)).as_bytes())
        .map_err(|e| key_err(e.to_string()))?;
    let public = key.verifying_key();
    let mut pub_path = path.as_os_str().to_owned();
    pub_path.push(".pub");
    std::fs::write(&pub_path, format!("{}\n", hex::encode(public.as_bytes())))
        .map_err(|e| key_err(e.to_string()))?;
    Ok(public)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_verifies_with_its_key_only() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let head = SignedHead::sign(3, &[1u8; 32], Utc::now(), &key);
        head.verify(&key.verifying_key()).expect("valid");
        assert!(head.verify(&other.verifying_key()).is_err());
        // Re-signed with another key: valid for the key it carries, refused against the trusted one.
        let resigned = SignedHead::sign(3, &[1u8; 32], Utc::now(), &other);
        assert!(resigned.verify(&key.verifying_key()).is_err());
        let mut bigger = head.clone();
        bigger.size = 4;
        assert!(bigger.verify(&key.verifying_key()).is_err());
    }

    #[test]
    fn generated_keys_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/audit.key");
        let public = generate_key(&path).expect("generate");
        let key = read_signing_key(&path).expect("read");
        assert_eq!(key.verifying_key(), public);
        let mut pub_path = path.clone().into_os_string();
        pub_path.push(".pub");
        assert_eq!(read_public_key(Path::new(&pub_path)).expect("pub"), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads the key");
        }
        assert!(generate_key(&path).is_err());
    }
}
