//! Finds HIPAA Safe Harbor identifiers in free text (questions, drafted answers, reviewer notes) and
//! replaces them with typed placeholders such as `[NAME]` and `[MRN]`.
//!
//! The redactor is rules, word lists and regular expressions: no model, no network, a few hundred
//! microseconds for a 2 KB question. It is built once ([`Redactor::shared`]) and used by every sink that
//! stores or sends text (audit trail, review queue, LLM endpoint) and by `cited redact`.
//!
//! What it is tuned to keep: doses, intervals, ICD-10 / CPT / HCPCS codes, NCD and policy numbers, lab
//! values, policy effective dates, ages of 89 and under and bare years. Clinician names are not patient
//! identifiers under Safe Harbor, but a name after "Dr." is still redacted when the word lists say it is
//! a name: a question cannot tell a treating physician from a patient who is a doctor.

mod names;
mod patterns;
mod spoken;
mod words;

use serde::Serialize;
use std::sync::LazyLock;

/// The kinds of identifier the redactor finds; each becomes the placeholder `[KIND]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhiKind {
    /// A person's name or initials: the patient, a relative.
    Name,
    /// A medical record number.
    Mrn,
    /// Member, MBI, claim, account and insurance policy numbers.
    Account,
    /// A Social Security number (or its last four digits).
    Ssn,
    /// Phone and fax numbers, national and international.
    Phone,
    /// An e-mail address.
    Email,
    /// A URL that identifies a person (public .gov pages are kept).
    Url,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A street address, with its city, state and ZIP when written together.
    Address,
    /// A ZIP code on its own.
    Zip,
    /// A date tied to the person (birth, admission, discharge, death, service).
    Date,
    /// An age of 90 or over (the digits only).
    Age,
    /// A device serial number.
    Device,
    /// A vehicle identification number or licence plate.
    Vehicle,
    /// The patient's employer.
    Employer,
    /// An outside facility where the patient was treated.
    Facility,
}

impl PhiKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [PhiKind; 16] = [
        PhiKind::Name,
        PhiKind::Mrn,
        PhiKind::Account,
        PhiKind::Ssn,
        PhiKind::Phone,
        PhiKind::Email,
        PhiKind::Url,
        PhiKind::Ip,
        PhiKind::Address,
        PhiKind::Zip,
        PhiKind::Date,
        PhiKind::Age,
        PhiKind::Device,
        PhiKind::Vehicle,
        PhiKind::Employer,
        PhiKind::Facility,
    ];

    /// The upper-case label: `NAME`, `MRN`, …
    pub fn label(self) -> &'static str {
        match self {
            PhiKind::Name => "NAME",
            PhiKind::Mrn => "MRN",
            PhiKind::Account => "ACCOUNT",
            PhiKind::Ssn => "SSN",
            PhiKind::Phone => "PHONE",
            PhiKind::Email => "EMAIL",
            PhiKind::Url => "URL",
            PhiKind::Ip => "IP",
            PhiKind::Address => "ADDRESS",
            PhiKind::Zip => "ZIP",
            PhiKind::Date => "DATE",
            PhiKind::Age => "AGE",
            PhiKind::Device => "DEVICE",
            PhiKind::Vehicle => "VEHICLE",
            PhiKind::Employer => "EMPLOYER",
            PhiKind::Facility => "FACILITY",
        }
    }

    /// Parses a label such as `NAME` (any case).
    pub fn from_label(label: &str) -> Option<PhiKind> {
        PhiKind::ALL
            .into_iter()
            .find(|kind| kind.label().eq_ignore_ascii_case(label))
    }
}

/// One identifier found in a text: byte offsets into that text, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PhiSpan {
    /// First byte of the identifier.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// What it is.
    pub kind: PhiKind,
}

/// A text with its identifiers replaced, and where they were in the original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redacted {
    /// The text with each identifier replaced by `[KIND]`.
    pub text: String,
    /// The identifiers, in the original text's byte offsets, sorted and non-overlapping.
    pub spans: Vec<PhiSpan>,
}

impl Redacted {
    /// Whether anything was replaced.
    pub fn changed(&self) -> bool {
        !self.spans.is_empty()
    }
}

/// A candidate identifier before overlaps are settled; a higher priority wins an overlap.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    start: usize,
    end: usize,
    kind: PhiKind,
    priority: u8,
}

/// The redactor: compiled patterns and word lists. Build it once; it is immutable and `Sync`.
pub struct Redactor {
    patterns: patterns::Patterns,
    spoken: spoken::Spoken,
    words: words::WordLists,
}

static SHARED: LazyLock<Redactor> = LazyLock::new(Redactor::new);

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new()
    }
}

impl Redactor {
    /// Compiles the patterns and loads the word lists compiled into the binary (tens of milliseconds).
    pub fn new() -> Redactor {
        Redactor {
            patterns: patterns::Patterns::new(),
            spoken: spoken::Spoken::new(),
            words: words::WordLists::load(),
        }
    }

    /// The process-wide redactor, built on first use.
    pub fn shared() -> &'static Redactor {
        &SHARED
    }

    /// The identifiers in `text`, sorted by position and non-overlapping.
    pub fn find(&self, text: &str) -> Vec<PhiSpan> {
        let mut candidates = Vec::new();
        self.patterns.find(text, &mut candidates);
        self.spoken.find(
            text,
            &|text, start| self.patterns.person_date(text, start),
            &mut candidates,
        );
        let mut found_names = Vec::new();
        names::find(text, &self.words, &candidates, &mut found_names);
        candidates.extend(found_names);
        settle(candidates)
    }

    /// `text` with every identifier replaced by its placeholder.
    pub fn redact(&self, text: &str) -> Redacted {
        let spans = self.find(text);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for span in &spans {
            out.push_str(&text[at..span.start]);
            out.push('[');
            out.push_str(span.kind.label());
            out.push(']');
            at = span.end;
        }
        out.push_str(&text[at..]);
        Redacted { text: out, spans }
    }
}

/// Keeps the highest-priority (then longest, then earliest) candidates that do not overlap.
fn settle(mut candidates: Vec<Candidate>) -> Vec<PhiSpan> {
    candidates.retain(|c| c.end > c.start);
    candidates.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<PhiSpan> = Vec::new();
    for c in candidates {
        if kept.iter().all(|k| c.end <= k.start || c.start >= k.end) {
            kept.push(PhiSpan {
                start: c.start,
                end: c.end,
                kind: c.kind,
            });
        }
    }
    kept.sort_by_key(|s| s.start);
    kept
}

#[cfg(test)]
mod tests;
