//! `cited audit`: keys, signed heads, verification, proofs, listing and export of the audit trail.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use cited_engine::cited_audit::{self, SignedHead};
use cited_engine::{Actor, AuditQuery, Engine};
use clap::{Args, Subcommand};
use serde_json::json;

/// Exit code when `audit verify` finds the log altered.
const EXIT_TAMPERED: u8 = 1;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Make an Ed25519 key pair for signing heads: the key at PATH (owner-only), its public half at
    /// PATH.pub. Keep it outside the data directory and set audit.signing_key.
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign the log's current size and root hash; print the head (store it somewhere else).
    Head,
    /// Recompute the whole log and check it against every head kept beside it and the heads given;
    /// names the first bad record. Exit 1 if the log was altered.
    Verify {
        /// A head kept elsewhere (repeatable): the log must extend it.
        #[arg(long = "against")]
        against: Vec<PathBuf>,
        /// The trusted public key (hex file); default: the public half of audit.signing_key.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// An inclusion proof of a record under a fresh head (for tools/verify_audit.py), or with
    /// --consistency a proof that the log extends an older head.
    Prove {
        /// The record's id.
        #[arg(required_unless_present = "consistency")]
        record_id: Option<String>,
        /// An older head file.
        #[arg(long)]
        consistency: Option<PathBuf>,
    },
    /// Who was told something from a version: every ask that cited it and every approved review answer
    /// citing it, with the version in force now.
    Impact {
        /// Document id.
        doc_id: String,
        /// The version.
        #[arg(long)]
        version: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Records, oldest first, filtered.
    List(AuditFilter),
    /// Records as JSON Lines (each line the exact text hashed into the log). The export is audited.
    Export(AuditFilter),
}

/// Which records.
#[derive(Args, Debug)]
pub struct AuditFilter {
    /// Records citing this document.
    #[arg(long)]
    doc: Option<String>,
    /// ...in this version.
    #[arg(long, requires = "doc")]
    version: Option<String>,
    /// By this user.
    #[arg(long)]
    user: Option<String>,
    /// Of this action (ask, search, review.approve, ingest, token.create, ...).
    #[arg(long)]
    action: Option<String>,
    /// With this status (answered, needs_review, no_answer, ...).
    #[arg(long)]
    status: Option<String>,
    /// At or after this time (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// Before this time.
    #[arg(long)]
    to: Option<String>,
    /// At most this many.
    #[arg(long)]
    limit: Option<usize>,
}

impl AuditFilter {
    fn query(&self) -> AuditQuery {
        AuditQuery {
            doc_id: self.doc.clone(),
            version: self.version.clone(),
            user_id: self.user.clone(),
            action: self.action.clone(),
            status: self.status.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit: self.limit,
        }
    }
}

fn read_head(path: &PathBuf) -> Result<SignedHead> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a signed head", path.display()))
}

/// Runs an `audit` subcommand.
pub fn audit(engine: &Engine, command: &AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Keygen { out } => {
            let public = cited_audit::generate_key(out)?;
            outln!("key written to {} (owner-only)", out.display());
            outln!("public key {}", hex_of(public.as_bytes()));
            outln!(
                "set audit.signing_key = {:?} in the config",
                out.display().to_string()
            );
        }
        AuditCommand::Head => {
            let head = engine.audit_head()?;
            outln!("{}", serde_json::to_string_pretty(&head)?);
        }
        AuditCommand::Verify {
            against,
            public_key,
            json,
        } => {
            let heads = against.iter().map(read_head).collect::<Result<Vec<_>>>()?;
            let trusted = public_key
                .as_ref()
                .map(|p| cited_audit::read_public_key(p))
                .transpose()?;
            let report = engine.audit_verify(&heads, trusted)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else if report.ok() {
                outln!(
                    "ok: {} records, root {}, {} head(s) extended",
                    report.size,
                    report.root_hash,
                    report.heads_checked
                );
            } else {
                for p in &report.problems {
                    outln!("TAMPERED: {p}");
                }
            }
            if !report.ok() {
                return Ok(ExitCode::from(EXIT_TAMPERED));
            }
        }
        AuditCommand::Prove {
            record_id,
            consistency,
        } => {
            let proof = match (consistency, record_id) {
                (Some(old), _) => {
                    serde_json::to_value(engine.audit_prove_consistency(read_head(old)?)?)?
                }
                (None, Some(id)) => serde_json::to_value(engine.audit_prove(id)?)?,
                (None, None) => anyhow::bail!("give a record id, or --consistency OLD_HEAD"),
            };
            outln!("{}", serde_json::to_string_pretty(&proof)?);
        }
        AuditCommand::Impact {
            doc_id,
            version,
            json,
        } => {
            let report = engine.audit_impact(doc_id, version)?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                outln!(
                    "{doc_id} v{version} is {}; in force now: {}",
                    report.status,
                    report
                        .in_force_now
                        .as_deref()
                        .map(|v| format!("v{v}"))
                        .unwrap_or_else(|| "no version".into())
                );
                outln!("{} ask(s) cited it:", report.answers.len());
                for a in &report.answers {
                    outln!("  {}	{}	{}	{}", a.at, a.user_id, a.status, a.record_id);
                }
                outln!(
                    "{} approved review answer(s) cite it:",
                    report.approved_reviews.len()
                );
                for r in &report.approved_reviews {
                    outln!(
                        "  {}	approved by {}",
                        r.review_id,
                        r.reviewer.as_deref().unwrap_or("?")
                    );
                }
            }
        }
        AuditCommand::List(filter) => {
            for r in engine.audit_records(&filter.query())? {
                let v: serde_json::Value = serde_json::from_str(&r.json)?;
                outln!(
                    "#{}\t{}\t{}\t{}\t{}\t{}",
                    r.seq,
                    v["at"].as_str().unwrap_or_default(),
                    v["user_id"].as_str().unwrap_or_default(),
                    v["action"].as_str().unwrap_or_default(),
                    v["status"].as_str().unwrap_or("-"),
                    r.record_id
                );
            }
        }
        AuditCommand::Export(filter) => {
            let records = engine.audit_records(&filter.query())?;
            engine.record(
                &Actor::operator(),
                "audit.export",
                None,
                json!({ "filter": filter.query(), "records": records.len() }),
            )?;
            for r in &records {
                outln!("{}", r.json);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
