//! The audit trail's proofs, free of storage: every record is a leaf of an RFC 6962 Merkle tree and also
//! names the leaf hash of the record before it (a hash chain). The chain names the first bad record on
//! an edit, deletion, insertion or reordering inside the log; signed tree heads, kept by compliance
//! outside the server, catch what a chain cannot (a rewritten tail, a truncation) and let an outsider check
//! an inclusion or consistency proof without the database (`tools/verify_audit.py`).
//!
//! The catalog stores records and heads; the engine writes them; this crate only hashes, signs and checks.

mod head;
pub mod merkle;

use std::path::PathBuf;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

pub use ed25519_dalek::SigningKey;
pub use head::{
    LOG_NAME, SignedHead, generate_key, public_key_from_hex, read_public_key, read_signing_key,
};
pub use merkle::Hash;

/// Why an audit operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A key file could not be read, parsed or written.
    #[error("audit key {path}: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A head is malformed or its signature does not hold.
    #[error("audit head: {0}")]
    BadHead(String),
    /// A proof asked for is out of range.
    #[error("audit proof: {0}")]
    BadProof(String),
}

/// The fields every record starts with, which the chain check reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// Position in the log, from 0.
    pub seq: u64,
    /// Hex leaf hash of the record at `seq - 1`; empty for the first.
    pub prev_leaf: String,
    /// The record's id.
    pub record_id: String,
}

/// A record as stored: its position, id and exact JSON text (the leaf's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Position the database gives it.
    pub seq: u64,
    /// Id the database gives it.
    pub record_id: String,
    /// The JSON text hashed into the tree.
    pub json: String,
    /// The leaf hash stored beside it when it was appended (hex).
    pub leaf_hash: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records in the log.
    pub size: u64,
    /// Tree hash of all of them (hex).
    pub root_hash: String,
    /// Heads checked (signature and prefix).
    pub heads_checked: usize,
    /// Every problem, first bad record first; empty when the log is intact.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Leaf hashes of `records` in order.
pub fn leaves(records: &[StoredRecord]) -> Vec<Hash> {
    records
        .iter()
        .map(|r| merkle::leaf_hash(r.json.as_bytes()))
        .collect()
}

/// Checks a whole log: positions, the hash chain, each record's stored leaf hash, and every head (signed
/// by `trusted`, no larger than the log, its root the root of the log's first `size` records).
pub fn verify(
    records: &[StoredRecord],
    heads: &[SignedHead],
    trusted: &VerifyingKey,
) -> VerifyReport {
    let leaves = leaves(records);
    let mut problems = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let at = format!("record #{i} ({})", r.record_id);
        if r.seq != i as u64 {
            problems.push(format!(
                "{at} is stored at position {} where #{i} should be: a record before it was deleted, \
                 inserted or moved",
                r.seq
            ));
        }
        match serde_json::from_str::<ChainLink>(&r.json) {
            Err(e) => problems.push(format!("{at} is not a record: {e}")),
            Ok(link) => {
                if link.seq != i as u64 || link.record_id != r.record_id {
                    problems.push(format!(
                        "{at} says it is #{} ({}): records were reordered, inserted or deleted",
                        link.seq, link.record_id
                    ));
                }
                let expected = if i == 0 {
                    String::new()
                } else {
                    hex::encode(leaves[i - 1])
                };
                if link.prev_leaf != expected {
                    problems.push(format!(
                        "{at} does not follow record #{}: that record was edited, or one was inserted or \
                         deleted between them",
                        i.saturating_sub(1)
                    ));
                }
            }
        }
        if r.leaf_hash != hex::encode(leaves[i]) {
            problems.push(format!(
                "{at} was edited: its text no longer has the leaf hash stored when it was appended"
            ));
        }
    }
    for head in heads {
        let named = format!("the head of size {} made {}", head.size, head.timestamp);
        if let Err(e) = head.verify(trusted) {
            problems.push(format!("{named}: {e}"));
            continue;
        }
        if head.size > leaves.len() as u64 {
            problems.push(format!(
                "the log was truncated: {named} counts {} records, the log holds {}",
                head.size,
                leaves.len()
            ));
            continue;
        }
        let prefix = merkle::root(&leaves[..head.size as usize]);
        if hex::encode(prefix) != head.root_hash {
            problems.push(format!(
                "the log does not extend {named}: a record among the first {} was changed",
                head.size
            ));
        }
    }
    VerifyReport {
        size: leaves.len() as u64,
        root_hash: hex::encode(merkle::root(&leaves)),
        heads_checked: heads.len(),
        problems,
    }
}

/// An inclusion proof an outsider checks with `tools/verify_audit.py inclusion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The record's id.
    pub record_id: String,
    /// Its position.
    pub index: u64,
    /// Its exact JSON text.
    pub record: String,
    /// Sibling hashes from the leaf up (hex).
    pub audit_path: Vec<String>,
    /// The signed head the path leads to.
    pub head: SignedHead,
}

/// A consistency proof: the log of `second` extends the log of `first`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older head.
    pub first: SignedHead,
    /// The newer head.
    pub second: SignedHead,
    /// RFC 6962 consistency proof (hex).
    pub proof: Vec<String>,
}

/// The inclusion proof of record `index` under `head`, which must cover it and match the log.
pub fn prove_inclusion(
    records: &[StoredRecord],
    index: usize,
    head: SignedHead,
) -> Result<InclusionProof, AuditError> {
    let leaves = leaves(records);
    let size = usize::try_from(head.size).unwrap_or(usize::MAX);
    if size > leaves.len() || index >= size {
        return Err(AuditError::BadProof(format!(
            "record #{index} is not under a head of size {}",
            head.size
        )));
    }
    let path = merkle::inclusion_proof(&leaves[..size], index)
        .ok_or_else(|| AuditError::BadProof(format!("no record #{index}")))?;
    Ok(InclusionProof {
        record_id: records[index].record_id.clone(),
        index: index as u64,
        record: records[index].json.clone(),
        audit_path: path.iter().map(hex::encode).collect(),
        head,
    })
}

/// The consistency proof from `first` to `second` (both heads of this log, `first` the smaller).
pub fn prove_consistency(
    records: &[StoredRecord],
    first: SignedHead,
    second: SignedHead,
) -> Result<ConsistencyProof, AuditError> {
    let leaves = leaves(records);
    let n = usize::try_from(second.size).unwrap_or(usize::MAX);
    let m = usize::try_from(first.size).unwrap_or(usize::MAX);
    if n > leaves.len() || m > n {
        return Err(AuditError::BadProof(format!(
            "no consistency proof from size {} to size {} in a log of {}",
            first.size,
            second.size,
            leaves.len()
        )));
    }
    let proof = merkle::consistency_proof(&leaves[..n], m)
        .ok_or_else(|| AuditError::BadProof("the first head is larger than the second".into()))?;
    Ok(ConsistencyProof {
        first,
        second,
        proof: proof.iter().map(hex::encode).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// A log of `n` chained records, as the engine writes them.
    fn log(n: usize) -> Vec<StoredRecord> {
        let mut out: Vec<StoredRecord> = Vec::new();
        for i in 0..n {
            let prev = out
                .last()
                .map(|r| hex::encode(merkle::leaf_hash(r.json.as_bytes())))
                .unwrap_or_default();
            let json = serde_json::json!({
                "seq": i, "prev_leaf": prev, "record_id": format!("r{i}"),
                "action": "ask", "status": "answered"
            })
            .to_string();
            out.push(StoredRecord {
                seq: i as u64,
                record_id: format!("r{i}"),
                leaf_hash: hex::encode(merkle::leaf_hash(json.as_bytes())),
                json,
            });
        }
        out
    }

    fn head_of(records: &[StoredRecord], size: usize, key: &SigningKey) -> SignedHead {
        SignedHead::sign(
            size as u64,
            &merkle::root(&leaves(&records[..size])),
            Utc::now(),
            key,
        )
    }

    #[test]
    fn an_intact_log_verifies_and_every_kind_of_tampering_is_named() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let trusted = key.verifying_key();
        let records = log(12);
        let heads = vec![head_of(&records, 5, &key), head_of(&records, 12, &key)];
        assert!(verify(&records, &heads, &trusted).ok());

        // Edit record 4's text (and even its stored leaf hash): the chain names it through record 5.
        let mut edited = records.clone();
        edited[4].json = edited[4].json.replace("answered", "no_answer");
        edited[4].leaf_hash = hex::encode(merkle::leaf_hash(edited[4].json.as_bytes()));
        let report = verify(&edited, &heads, &trusted);
        assert!(
            report.problems[0].contains("follow record #4"),
            "{report:?}"
        );

        // The last record edited: its stored leaf hash and the head name it.
        let mut last = records.clone();
        last[11].json = last[11].json.replace("answered", "rejected");
        let report = verify(&last, &heads, &trusted);
        assert!(
            report.problems[0].contains("record #11 (r11) was edited"),
            "{report:?}"
        );

        // Deleted, inserted, reordered.
        let mut deleted = records.clone();
        deleted.remove(6);
        let report = verify(&deleted, &[], &trusted);
        assert!(report.problems[0].contains("record #6 (r7)"), "{report:?}");
        let mut inserted = records.clone();
        inserted.insert(3, records[2].clone());
        assert!(verify(&inserted, &[], &trusted).problems[0].contains("#3"));
        let mut reordered = records.clone();
        reordered.swap(7, 8);
        assert!(verify(&reordered, &[], &trusted).problems[0].contains("record #7 (r8)"));

        // Truncated: only a head knows how long the log was.
        let truncated = records[..9].to_vec();
        assert!(
            verify(&truncated, &[], &trusted).ok(),
            "a chain alone cannot see a cut tail"
        );
        let report = verify(&truncated, &heads, &trusted);
        assert!(
            report.problems.iter().any(|p| p.contains("truncated")),
            "{report:?}"
        );

        // The whole tail rewritten consistently (chain and stored hashes redone): the heads catch it.
        let mut rewritten = records[..3].to_vec();
        for r in log(12).into_iter().skip(3) {
            let mut r = r;
            r.json = r.json.replace("answered", "needs_review");
            rewritten.push(r);
        }
        for i in 3..12 {
            let prev = hex::encode(merkle::leaf_hash(rewritten[i - 1].json.as_bytes()));
            let mut v: serde_json::Value = serde_json::from_str(&rewritten[i].json).expect("json");
            v["prev_leaf"] = prev.into();
            rewritten[i].json = v.to_string();
            rewritten[i].leaf_hash = hex::encode(merkle::leaf_hash(rewritten[i].json.as_bytes()));
        }
        assert!(verify(&rewritten, &[], &trusted).ok());
        let report = verify(&rewritten, &heads, &trusted);
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("does not extend")),
            "{report:?}"
        );

        // A head re-signed with another key is refused.
        let other = SigningKey::from_bytes(&[4u8; 32]);
        let forged = vec![head_of(&records, 12, &other)];
        let report = verify(&records, &forged, &trusted);
        assert!(report.problems[0].contains("another key"), "{report:?}");
    }

    #[test]
    fn proofs_verify_against_their_heads() {
        let key = SigningKey::from_bytes(&[5u8; 32]);
        let records = log(20);
        let old = head_of(&records, 7, &key);
        let new = head_of(&records, 20, &key);
        for i in [0, 6, 13, 19] {
            let proof = prove_inclusion(&records, i, new.clone()).expect("proof");
            let path: Vec<Hash> = proof
                .audit_path
                .iter()
                .map(|h| hex::decode(h).expect("hex").try_into().expect("32"))
                .collect();
            assert!(merkle::verify_inclusion(
                &merkle::leaf_hash(proof.record.as_bytes()),
                proof.index,
                20,
                &path,
                &new.root().expect("root")
            ));
        }
        assert!(prove_inclusion(&records, 9, old.clone()).is_err());
        let consistency = prove_consistency(&records, old.clone(), new.clone()).expect("proof");
        let proof: Vec<Hash> = consistency
            .proof
            .iter()
            .map(|h| hex::decode(h).expect("hex").try_into().expect("32"))
            .collect();
        assert!(merkle::verify_consistency(
            (7, &old.root().expect("root")),
            (20, &new.root().expect("root")),
            &proof
        ));
    }
}
