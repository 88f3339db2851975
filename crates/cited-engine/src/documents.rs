//! Documents as readers see them: the list with each version's dates and status, one version opened with
//! its section and chunk spans (what a citation opens into), and what changed between two versions. Every
//! call takes the caller's [`Access`]: a document outside it does not exist for that caller.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use cited_core::{Access, DocumentVersion, MetadataFilter, TextSpan, VersionStatus, in_force_on};
use serde::Serialize;

use crate::search::group_by_doc;
use crate::{Engine, EngineError};

/// One line of `docs list` and `GET /v1/documents`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    /// Document id.
    pub doc_id: String,
    /// Title of the newest version.
    pub title: String,
    /// Document type.
    pub doc_type: String,
    /// Label of the version in force today, if any.
    pub active_version: Option<String>,
    /// Number of committed versions.
    pub versions: usize,
    /// Every committed version, oldest first (by effective date, then ingest order), with its dates and
    /// status today.
    pub history: Vec<VersionSummary>,
}

/// A version's label, dates and status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSummary {
    /// Version label.
    pub version: String,
    /// First day in force.
    pub effective_date: Option<NaiveDate>,
    /// First day no longer in force.
    pub end_date: Option<NaiveDate>,
    /// Status today.
    pub status: VersionStatus,
    /// The status the source declares.
    pub declared_status: Option<String>,
    /// SHA-256 of the canonical text.
    pub content_hash: String,
}

impl VersionSummary {
    fn of(v: &DocumentVersion, status: VersionStatus) -> Self {
        Self {
            version: v.version.clone(),
            effective_date: v.effective_date,
            end_date: v.end_date,
            status,
            declared_status: v.declared_status.clone(),
            content_hash: v.content_hash.clone(),
        }
    }
}

/// A version as `docs show` presents it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    /// The catalog record.
    #[serde(flatten)]
    pub version: DocumentVersion,
    /// Status today.
    pub status: VersionStatus,
    /// Chunks of the version.
    pub chunks: usize,
}

/// A section of a version's canonical text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionSpan {
    /// Heading trail.
    pub section: String,
    /// Where it is, in bytes, code points and UTF-16 units.
    #[serde(flatten)]
    pub span: TextSpan,
}

/// A chunk (the unit retrieval returns) of a version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkSpan {
    /// Chunk id, as in search hits.
    pub chunk_id: u64,
    /// Heading trail.
    pub section: String,
    /// Page, for paged sources.
    pub page: Option<u32>,
    /// Where it is.
    #[serde(flatten)]
    pub span: TextSpan,
}

/// One version opened: its record, canonical text and the spans a citation is shown inside.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedVersion {
    /// Record, status and chunk count.
    #[serde(flatten)]
    pub view: VersionView,
    /// The canonical text; every citation is a span of it.
    pub text: String,
    /// Sections in text order.
    pub sections: Vec<SectionSpan>,
    /// Chunks in text order.
    pub chunk_spans: Vec<ChunkSpan>,
}

/// How a section differs between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionChangeKind {
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Removed,
    /// In both, with different words.
    Changed,
    /// In both, same words.
    Unchanged,
}

/// A section of either version and how it changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionChange {
    /// Heading trail.
    pub section: String,
    /// Added, removed, changed or unchanged.
    pub change: SectionChangeKind,
}

/// One run of the word diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    /// In both versions.
    Equal,
    /// Only in the newer version.
    Insert,
    /// Only in the older version.
    Delete,
}

/// A run of words with one diff operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffPiece {
    /// Equal, insert or delete.
    pub op: DiffOp,
    /// The words, with their whitespace.
    pub text: String,
}

/// What changed between two versions of a document.
#[derive(Debug, Clone, Serialize)]
pub struct VersionComparison {
    /// Document id.
    pub doc_id: String,
    /// Title of the newer version.
    pub title: String,
    /// The older version.
    pub from: VersionSummary,
    /// The newer version.
    pub to: VersionSummary,
    /// Sections of both versions, in the newer version's order, removed ones after.
    pub sections: Vec<SectionChange>,
    /// Word-level diff of the canonical texts.
    pub diff: Vec<DiffPiece>,
    /// Words only in `to`.
    pub words_added: usize,
    /// Words only in `from`.
    pub words_removed: usize,
}

/// Oldest first: by effective date (none = from the start), then by ingest order.
pub(crate) fn version_order(v: &DocumentVersion) -> (Option<NaiveDate>, i64) {
    (v.effective_date, v.ingest_seq)
}

/// A word diff that takes longer than this falls back to coarser runs rather than holding a reader.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

impl Engine {
    /// Committed versions of `doc_id` that `access` may read, oldest first; not found when there are none.
    fn readable_versions(
        &self,
        doc_id: &str,
        access: &Access,
    ) -> Result<Vec<DocumentVersion>, EngineError> {
        let not_found = || EngineError::NotFound(format!("no document with id {doc_id:?}"));
        if self.hidden(access)?.docs.contains(doc_id) {
            // The same answer as for a document that does not exist: its existence is not disclosed.
            return Err(not_found());
        }
        let versions = self.committed_versions_of(doc_id)?;
        if versions.is_empty() {
            return Err(not_found());
        }
        Ok(versions)
    }

    /// Every document `access` may read that has a committed version and matches every filter (a
    /// document matches when one of its versions does).
    pub fn list_documents(
        &self,
        filters: &[MetadataFilter],
        access: &Access,
    ) -> Result<Vec<DocumentSummary>, EngineError> {
        let hidden = self.hidden(access)?;
        let matching = if filters.is_empty() {
            None
        } else {
            self.check_filters(filters)?;
            Some(self.catalog.versions_matching(filters)?)
        };
        let mut committed = self.catalog.committed_versions()?;
        committed.sort_by_key(version_order);
        let today = Utc::now().date_naive();
        Ok(group_by_doc(&committed)
            .into_iter()
            .filter(|(doc_id, versions)| {
                !hidden.docs.contains(*doc_id)
                    && matching
                        .as_ref()
                        .is_none_or(|m| versions.iter().any(|v| m.contains(&v.version_id)))
            })
            .map(|(doc_id, versions)| {
                let timelines: Vec<_> = versions.iter().map(|v| v.timeline()).collect();
                let (active, statuses) = in_force_on(&timelines, today);
                let newest = versions.last();
                DocumentSummary {
                    doc_id: doc_id.to_string(),
                    title: newest.map(|v| v.title.clone()).unwrap_or_default(),
                    doc_type: newest.map(|v| v.doc_type.clone()).unwrap_or_default(),
                    active_version: versions
                        .iter()
                        .find(|v| Some(v.version_id) == active)
                        .map(|v| v.version.clone()),
                    versions: versions.len(),
                    history: versions
                        .iter()
                        .zip(statuses)
                        .map(|(v, status)| VersionSummary::of(v, status))
                        .collect(),
                }
            })
            .collect())
    }

    /// All committed versions of a document with their status today.
    pub fn document_versions(
        &self,
        doc_id: &str,
        access: &Access,
    ) -> Result<Vec<VersionView>, EngineError> {
        let versions = self.readable_versions(doc_id, access)?;
        let timelines: Vec<_> = versions.iter().map(|v| v.timeline()).collect();
        let (_, statuses) = in_force_on(&timelines, Utc::now().date_naive());
        let mut out = Vec::with_capacity(versions.len());
        for (version, status) in versions.into_iter().zip(statuses) {
            let chunks = self.catalog.chunk_ids_of(version.version_id)?.len();
            out.push(VersionView {
                version,
                status,
                chunks,
            });
        }
        Ok(out)
    }

    /// One version with its canonical text and its section and chunk spans.
    pub fn open_version(
        &self,
        doc_id: &str,
        version: &str,
        access: &Access,
    ) -> Result<OpenedVersion, EngineError> {
        let view = self
            .document_versions(doc_id, access)?
            .into_iter()
            .find(|v| v.version.version == version)
            .ok_or_else(|| EngineError::NotFound(format!("{doc_id} has no version {version:?}")))?;
        let text = self.version_text(view.version.version_id)?;
        let chunks = self
            .catalog
            .chunks(&self.catalog.chunk_ids_of(view.version.version_id)?)?;
        let mut chunk_spans = Vec::with_capacity(chunks.len());
        let mut sections: Vec<SectionSpan> = Vec::new();
        for c in chunks {
            let s = &c.chunk.span;
            let Some(span) = TextSpan::of(&text, s.start, s.end) else {
                continue;
            };
            // Consecutive chunks of one section make one section span.
            match sections.last_mut() {
                Some(last) if last.section == s.section && span.end >= last.span.start => {
                    if span.end > last.span.end {
                        last.span.end = span.end;
                        last.span.char_end = span.char_end;
                        last.span.utf16_end = span.utf16_end;
                    }
                }
                _ => sections.push(SectionSpan {
                    section: s.section.clone(),
                    span,
                }),
            }
            chunk_spans.push(ChunkSpan {
                chunk_id: c.chunk.chunk_id,
                section: s.section.clone(),
                page: s.page,
                span,
            });
        }
        Ok(OpenedVersion {
            view,
            text: text.to_string(),
            sections,
            chunk_spans,
        })
    }

    /// What changed from version `from` to version `to` of a document: each section as added, removed,
    /// changed or unchanged, and a word diff of the canonical texts.
    pub fn compare_versions(
        &self,
        doc_id: &str,
        (from, to): (&str, &str),
        access: &Access,
    ) -> Result<VersionComparison, EngineError> {
        let old = self.open_version(doc_id, from, access)?;
        let new = self.open_version(doc_id, to, access)?;
        let section_texts = |v: &OpenedVersion| -> Vec<(String, String)> {
            let mut out: Vec<(String, String)> = Vec::new();
            for s in &v.sections {
                let words = v
                    .text
                    .get(s.span.start..s.span.end)
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                match out.iter_mut().find(|(name, _)| *name == s.section) {
                    Some((_, text)) => {
                        text.push(' ');
                        text.push_str(&words);
                    }
                    None => out.push((s.section.clone(), words)),
                }
            }
            out
        };
        let (old_sections, new_sections) = (section_texts(&old), section_texts(&new));
        let mut sections: Vec<SectionChange> = new_sections
            .iter()
            .map(|(name, text)| SectionChange {
                section: name.clone(),
                change: match old_sections.iter().find(|(n, _)| n == name) {
                    None => SectionChangeKind::Added,
                    Some((_, t)) if t == text => SectionChangeKind::Unchanged,
                    Some(_) => SectionChangeKind::Changed,
                },
            })
            .collect();
        sections.extend(
            old_sections
                .iter()
                .filter(|(n, _)| !new_sections.iter().any(|(m, _)| m == n))
                .map(|(n, _)| SectionChange {
                    section: n.clone(),
                    change: SectionChangeKind::Removed,
                }),
        );
        let diff = word_diff(&old.text, &new.text);
        let count = |op: DiffOp| -> usize {
            diff.iter()
                .filter(|p| p.op == op)
                .map(|p| p.text.split_whitespace().count())
                .sum()
        };
        Ok(VersionComparison {
            doc_id: doc_id.to_string(),
            title: new.view.version.title.clone(),
            words_added: count(DiffOp::Insert),
            words_removed: count(DiffOp::Delete),
            from: VersionSummary::of(&old.view.version, old.view.status),
            to: VersionSummary::of(&new.view.version, new.view.status),
            sections,
            diff,
        })
    }
}

/// A word diff of two texts as runs of equal, inserted and deleted words. Changes separated only by
/// whitespace read as one change ("3 hours" → "1 hour", not "3" → "1", "hours" → "hour").
pub fn word_diff(old: &str, new: &str) -> Vec<DiffPiece> {
    let diff = similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_words(old, new);
    let changes: Vec<(similar::ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .collect();
    let mut pieces: Vec<DiffPiece> = Vec::new();
    let push = |pieces: &mut Vec<DiffPiece>, op: DiffOp, text: &str| {
        if text.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => pieces.push(DiffPiece {
                op,
                text: text.to_string(),
            }),
        }
    };
    // One change: what it removed and what it put in.
    let (mut deleted, mut inserted) = (String::new(), String::new());
    for (i, (tag, value)) in changes.iter().enumerate() {
        match tag {
            similar::ChangeTag::Delete => deleted.push_str(value),
            similar::ChangeTag::Insert => inserted.push_str(value),
            similar::ChangeTag::Equal => {
                let in_change = !(deleted.is_empty() && inserted.is_empty());
                let next_changes = changes
                    .get(i + 1)
                    .is_some_and(|(t, _)| *t != similar::ChangeTag::Equal);
                if in_change && next_changes && value.trim().is_empty() {
                    deleted.push_str(value);
                    inserted.push_str(value);
                    continue;
                }
                push(&mut pieces, DiffOp::Delete, &std::mem::take(&mut deleted));
                push(&mut pieces, DiffOp::Insert, &std::mem::take(&mut inserted));
                push(&mut pieces, DiffOp::Equal, value);
            }
        }
    }
    push(&mut pieces, DiffOp::Delete, &deleted);
    push(&mut pieces, DiffOp::Insert, &inserted);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(pieces: &[DiffPiece], keep: &[DiffOp]) -> String {
        pieces
            .iter()
            .filter(|p| keep.contains(&p.op))
            .map(|p| p.text.as_str())
            .collect()
    }

    #[test]
    fn a_word_diff_rebuilds_both_texts_and_marks_the_changed_words() {
        let old = "Give antibiotics within 3 hours of recognition.\nRepeat lactate.";
        let new = "Give broad-spectrum antibiotics within 1 hour of recognition.\nRepeat lactate.";
        let diff = word_diff(old, new);
        assert_eq!(joined(&diff, &[DiffOp::Equal, DiffOp::Delete]), old);
        assert_eq!(joined(&diff, &[DiffOp::Equal, DiffOp::Insert]), new);
        let changed = |op: DiffOp| -> Vec<&str> {
            diff.iter()
                .filter(|p| p.op == op)
                .map(|p| p.text.as_str())
                .collect()
        };
        assert_eq!(changed(DiffOp::Insert), ["broad-spectrum ", "1 hour"]);
        assert_eq!(changed(DiffOp::Delete), ["3 hours"]);
        assert!(
            !joined(&diff, &[DiffOp::Insert, DiffOp::Delete]).contains("lactate"),
            "unchanged words are not marked: {diff:?}"
        );
    }
}
