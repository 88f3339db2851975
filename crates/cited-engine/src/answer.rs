//! `ask`: retrieve, draft, verify, cite, score confidence, route (answered / needs_review / no_answer), and
//! reuse answers a reviewer approved while the versions they cite are still in force.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use cited_answer::{
    AnswerError, Answerer, ConfidenceSignals, ExtractiveAnswerer, LlmAnswerer, LlmSettings,
    Passage, RemovedSentence, SupportPolicy, answer_shape, answers_unit, asked_quantity,
    asked_unit, asks_for_code, asks_for_items, asks_for_list, asks_for_number, confidence,
    content_terms, facts, gives_items, is_list_item, negated, question_parts, rescale_relevance,
    scope_mismatch, specificity, split_sentences, stated_values, states_quantity, verify,
};
use cited_core::{
    Access, AnswerSentence, AnswerStatus, Citation, DocumentVersion, MetadataFilter, SearchHit,
    SearchMode, SearchRequest, TextSpan, VersionFilter, VersionState, VersionStatus, in_force_on,
};
use cited_embed::cosine;
use cited_redact::{PhiKind, Redactor};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, PendingReview};
use crate::review::item_is_visible;
use crate::search::Hidden;
use crate::trace::{AskTrace, StageClock, TraceCandidate, TracePassage, TraceSentence};
use crate::understand::{
    Correction, ReadQuestion, VersionReference, Vocabulary, asks_what_changed, load_dictionary,
    read_question, version_reference,
};
use crate::{Engine, EngineError};

/// A question.
#[derive(Debug, Clone, Default)]
pub struct AskRequest {
    /// The question.
    pub question: String,
    /// Metadata filters, as for search.
    pub filters: Vec<MetadataFilter>,
    /// Answer from the versions in force on this date instead of today.
    pub as_of: Option<NaiveDate>,
    /// Passages to retrieve (default: `answer.k`).
    pub k: Option<usize>,
    /// `(no_answer_floor, review_threshold)` instead of the configured ones (evals sweep them).
    pub thresholds: Option<(f32, f32)>,
    /// Route as usual but create no review item (evals).
    pub dry_run: bool,
    /// Return the [`AskTrace`] with the answer (review items always store it).
    pub trace: bool,
    /// Whose question it is: only documents this access may read are retrieved, cited or reused.
    pub access: Access,
    /// Who asks, for the audit trail (default: the operator at the shell).
    pub actor: Actor,
}

/// What an ask reports while it works (see [`Engine::ask_with_events`]).
#[derive(Debug, Clone, Copy)]
pub enum AskEvent<'a> {
    /// The passages the answerer will read.
    Retrieved(&'a [Passage]),
    /// A sentence that passed verification, with its citations among `citations` (every citation so
    /// far, numbered as in the final answer).
    Sentence {
        /// 0-based position in the answer.
        index: usize,
        /// The sentence.
        sentence: &'a AnswerSentence,
        /// The citations made so far.
        citations: &'a [Citation],
    },
}

/// The answer contract (`cited ask --json`).
#[derive(Debug, Clone, Serialize)]
pub struct AskResponse {
    /// answered, needs_review or no_answer.
    pub status: AnswerStatus,
    /// Answer text with `[n]` markers; only when answered.
    pub answer: Option<String>,
    /// Answer sentences with their citation numbers; empty unless answered.
    pub sentences: Vec<AnswerSentence>,
    /// Citations of the answer; for needs_review and no_answer, the evidence passages.
    pub citations: Vec<Citation>,
    /// 0..1.
    pub confidence: f32,
    /// The review item created for a needs_review answer.
    pub review_id: Option<String>,
    /// Set when the answer is a reviewer-approved one.
    pub reviewed_by: Option<String>,
    /// Why the answer is not (fully) automatic.
    pub reasons: Vec<String>,
    /// What the user must know about the answer: the version or date it came from when the question
    /// named one, a retired or not-yet-effective document with its dates, a premise the documents
    /// contradict, a part of the question the documents do not answer, what changed between versions.
    pub notices: Vec<String>,
    /// Words of the question read as other words (spelling, shorthand) before retrieval.
    pub corrections: Vec<Correction>,
    /// Drafted sentences that verification removed.
    pub unsupported_sentences: usize,
    /// The signals behind the confidence.
    pub signals: ConfidenceSignals,
    /// Which answerer drafted it.
    pub answerer: String,
    /// The date whose in-force versions were used.
    pub as_of: NaiveDate,
    /// Wall time.
    pub took_ms: f64,
    /// How the answer came about, when the request asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<AskTrace>,
}

impl AskResponse {
    /// Completes `trace` with this response's outcome and the stage timings, and attaches it if `want`.
    fn traced(mut self, mut trace: AskTrace, clock: &StageClock, want: bool) -> (Self, AskTrace) {
        trace.signals = self.signals;
        trace.confidence = self.confidence;
        trace.route = if self.reasons.is_empty() {
            self.status.to_string()
        } else {
            format!("{}: {}", self.status, self.reasons.join("; "))
        };
        if trace.answerer.is_empty() {
            trace.answerer = self.answerer.clone();
        }
        trace.stages = clock.timings();
        if want {
            self.trace = Some(trace.clone());
        }
        (self, trace)
    }
}

/// What a review item stores about its draft (the JSON in the catalog).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewDraft {
    /// Verified sentences of the draft (may be empty).
    pub sentences: Vec<AnswerSentence>,
    /// Their citations.
    pub citations: Vec<Citation>,
    /// The retrieved passages, numbered for an edited answer to cite.
    pub evidence: Vec<Citation>,
    /// Sentences verification removed, with reasons.
    pub removed: Vec<RemovedDraftSentence>,
    /// The date the draft answered for.
    pub as_of: NaiveDate,
}

/// A removed sentence as stored for reviewers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemovedDraftSentence {
    /// Text.
    pub text: String,
    /// Reason.
    pub reason: String,
}

impl From<RemovedSentence> for RemovedDraftSentence {
    fn from(r: RemovedSentence) -> Self {
        Self {
            text: r.text,
            reason: r.reason,
        }
    }
}

/// An approved answer as stored for reuse.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovedAnswer {
    /// Sentences.
    pub sentences: Vec<AnswerSentence>,
    /// Citations (each names doc, version and content hash).
    pub citations: Vec<Citation>,
}

/// The scope an approved answer may be reused in: the normalised question plus the filters it was asked
/// under, in a canonical order. An answer approved for `payer=A` is not an answer for `payer=B`.
pub fn scope_key(question: &str, filters: &[MetadataFilter]) -> String {
    let mut parts: Vec<String> = filters
        .iter()
        .map(|f| format!("{}={}", f.key, f.value.to_lowercase()))
        .collect();
    parts.sort();
    parts.dedup();
    format!("{}|{}", question_key(question), parts.join("&"))
}

/// Replaces, in every string of `value`, each identifier the redactor finds in `question` (and each
/// word of a name of three letters or more) by its placeholder: reasons ("the documents never mention
/// guichard") and draft sentences repeat words of the question.
fn scrub_identifiers(value: serde_json::Value, question: &str) -> serde_json::Value {
    let found = Redactor::shared().find(question);
    if found.is_empty() {
        return value;
    }
    let mut needles: Vec<(String, &'static str)> = Vec::new();
    for span in &found {
        let text = &question[span.start..span.end];
        let label = span.kind.label();
        needles.push((text.to_lowercase(), label));
        if span.kind == PhiKind::Name {
            for word in text.split(|c: char| !c.is_alphanumeric()) {
                if word.chars().count() >= 3 {
                    needles.push((word.to_lowercase(), label));
                }
            }
        }
    }
    // Longest first, so "jane roe" goes before "jane".
    needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    scrub_value(value, &needles)
}

fn scrub_value(value: serde_json::Value, needles: &[(String, &'static str)]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(scrub_text(&s, needles)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| scrub_value(v, needles)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, scrub_value(v, needles)))
                .collect(),
        ),
        other => other,
    }
}

/// Case-insensitive whole-word replacement of each needle.
fn scrub_text(text: &str, needles: &[(String, &'static str)]) -> String {
    let mut out = text.to_string();
    for (needle, label) in needles {
        let mut result = String::with_capacity(out.len());
        let lower = out.to_lowercase();
        // Lower-casing can change byte lengths (rare letters); then this needle is skipped.
        if lower.len() != out.len() {
            continue;
        }
        let mut at = 0;
        while let Some(found) = lower[at..].find(needle.as_str()) {
            let start = at + found;
            let end = start + needle.len();
            let bounded = |i: usize, before: bool| {
                let c = if before {
                    out[..i].chars().next_back()
                } else {
                    out[i..].chars().next()
                };
                c.is_none_or(|c| !c.is_alphanumeric())
            };
            if bounded(start, true) && bounded(end, false) {
                result.push_str(&out[at..start]);
                result.push('[');
                result.push_str(label);
                result.push(']');
            } else {
                result.push_str(&out[at..end]);
            }
            at = end;
        }
        result.push_str(&out[at..]);
        out = result;
    }
    out
}

/// Lower case, single spaces, no trailing punctuation: how repeated questions are recognised.
pub fn question_key(question: &str) -> String {
    question
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .trim_end_matches(['?', '.', '!', ' '])
        .to_string()
}

/// Words of a question that say what kind of thing is asked, not which thing: never a reason to review.
const GENERIC_QUESTION_WORDS: &[&str] = &[
    "what",
    "which",
    "when",
    "where",
    "who",
    "how",
    "does",
    "do",
    "is",
    "are",
    "can",
    "could",
    "should",
    "would",
    "the",
    "and",
    "for",
    "medicare",
    "cms",
    "national",
    "nationally",
    "coverage",
    "covered",
    "cover",
    "covers",
    "determination",
    "ncd",
    "ncds",
    "policy",
    "policies",
    "protocol",
    "protocols",
    "hospital",
    "patient",
    "patients",
    "beneficiary",
    "beneficiaries",
    "document",
    "documents",
    "rule",
    "rules",
    "required",
    "requirement",
    "requirements",
    "criteria",
    "guideline",
    "guidelines",
    "cdc",
    "please",
    "tell",
    "need",
    "know",
    "quick",
    "question",
    "hey",
    "thanks",
    "exactly",
    "currently",
    "current",
    "version",
    "versions",
    "northwind",
    "brigid",
    "sbh",
    "nwh",
    "id",
    "yes",
    "okay",
    "ok",
];

/// Words that name a kind of document, code or payer detail this product's corpus may not hold.
const SCOPE_WORDS: &[&str] = &[
    "lcd",
    "lcds",
    "article",
    "articles",
    "billing",
    "bill",
    "billed",
    "cpt",
    "hcpcs",
    "icd",
    "modifier",
    "modifiers",
    "fee",
    "fees",
    "payment",
    "payments",
    "reimbursement",
    "reimburse",
    "reimbursed",
    "price",
    "cost",
    "costs",
    "copay",
    "copayment",
    "deductible",
    "coinsurance",
    "brand",
    "brands",
    "manufacturer",
    "phone",
    "fax",
    "address",
    "website",
    "portal",
    "medicaid",
    "aetna",
    "cigna",
    "humana",
    "unitedhealthcare",
    "tricare",
    "pediatric",
    "paediatric",
    "children",
    "child",
    "infant",
    "infants",
    "neonatal",
    "neonate",
    "neonates",
    "pregnancy",
    "pregnant",
    "state",
    "county",
    "contractor",
    "contractors",
    "jurisdiction",
    "mac",
];

/// "the copay for a CPAP machine" is not answered by "Northwind does not cover CPAP for snoring", nor "the
/// starting dose of gabapentin" by a sentence whose only number is a reference: a dose, an amount of money
/// or a percentage asked for and not stated.
fn unstated_quantity(question: &str, answer: &str) -> Option<String> {
    let asked = asked_quantity(question)?;
    (!states_quantity(answer, asked)).then(|| {
        format!(
            "the question asks for {}; the answer states none",
            asked.describe()
        )
    })
}

/// Why the answer is not the kind of answer the question asks for, if it is not: a number ("how many
/// days", "how many sessions") the answer does not state, items it does not list, a level it does not give,
/// another body region or population than the one asked about, a code it does not give, a value the
/// question states (a patient's age) that no condition of the answer speaks to.
pub fn unaddressed_kind(question: &str, answer: &str) -> Option<String> {
    let answer_facts = facts(answer);
    if let Some(unit) = asked_unit(question)
        && !answer_facts.iter().any(|f| answers_unit(f, &unit))
    {
        let what = if unit == "time" {
            "a time or duration".to_string()
        } else {
            format!("a number of {unit}s")
        };
        return Some(format!(
            "the question asks for {what}; the answer states none"
        ));
    }
    // "cervical spine MRI" answered with the lumbar policy, "outpatient" with the inpatient rule.
    if let Some((asked, answered)) = scope_mismatch(question, answer) {
        return Some(format!(
            "the question asks about \"{asked}\"; the answer speaks of \"{answered}\""
        ));
    }
    let shape = answer_shape(question);
    if let Some(noun) = &shape.counted
        && !shape.counted_in(answer)
    {
        return Some(format!(
            "the question asks how many ({noun}); the answer states no number of them"
        ));
    }
    if asks_for_items(question) && !gives_items(answer) {
        return Some("the question asks for a list; the answer gives none".into());
    }
    if shape.level && shape.fit(answer) < 1.0 {
        return Some("the question asks for a level or threshold; the answer states none".into());
    }
    if asks_for_number(question)
        && !shape.counted_in(answer)
        && !answer_facts.iter().any(|f| {
            f.unit.is_some() || f.number().is_some_and(|v| !(1900.0..=2100.0).contains(&v))
        })
    {
        return Some("the question asks for a number; the answer states none".into());
    }
    if let Some(reason) = unstated_quantity(question, answer) {
        return Some(reason);
    }
    if asks_for_code(question)
        && !answer_facts
            .iter()
            .any(|f| f.number().is_none() && f.value.chars().any(|c| c.is_ascii_digit()))
    {
        return Some("the question asks for a code; the answer gives none".into());
    }
    // A patient measurement the question states (age, weight, BMI, a lab value) must meet a condition of
    // the answer; durations and counts in a question usually describe the rule itself ("the 12-week
    // trial"), so they are not held to this.
    for value in stated_values(question) {
        let Some(unit) = &value.unit else { continue };
        let measurement = [
            "year",
            "kg",
            "kg/m2",
            "mmhg",
            "%",
            "ml/minute",
            "mg/dl",
            "mmol/l",
            "/µl",
            "cm",
            "lb",
        ]
        .contains(&unit.as_str());
        if !measurement || value.comparator != cited_answer::Comparator::Eq {
            continue;
        }
        if !answer_facts.iter().any(|f| {
            f.unit.as_deref().is_some_and(|u| {
                u.split('/')
                    .any(|p| unit.split('/').any(|q| q == p && !q.is_empty()))
            })
        }) {
            return Some(format!(
                "the question states {value}; no condition of the answer speaks to it"
            ));
        }
    }
    None
}

/// What "what changed" answers with: sentences of both versions, their citations, and notices.
type ChangesAnswer = (Vec<AnswerSentence>, Vec<Citation>, Vec<String>);

/// Whether a drafted text ends inside a list (its last line is an item, or it ends with ';' or ':').
fn ends_in_list(text: &str) -> bool {
    let last = text.lines().last().unwrap_or_default().trim_end();
    is_list_item(last) || last.ends_with(';') || last.ends_with(':')
}

/// Values the question states that the answer contradicts: "within 3 hours" asked, "within 1 hour"
/// answered. A value the answer's condition admits ("creatinine clearance 25" against "below 30") agrees.
pub fn premise_conflicts(question: &str, answer: &str) -> Vec<String> {
    // A value that describes the patient ("back pain for 3 weeks") is a condition, not a claim about the
    // document; only a question that takes a rule for granted states a premise.
    if !presumes(question) {
        return Vec::new();
    }
    let answer_facts = facts(answer);
    let mut out = Vec::new();
    for q in stated_values(question) {
        let Some(unit) = &q.unit else { continue };
        let same_unit: Vec<_> = answer_facts
            .iter()
            .filter(|a| a.unit.as_ref() == Some(unit))
            .collect();
        if same_unit.is_empty() {
            continue;
        }
        let agrees = same_unit.iter().any(|a| {
            q.supported_by(a)
                || q.number().and_then(|x| a.admits(x)).unwrap_or(false)
                || (q.interval().is_some() && a.interval() == q.interval())
        });
        if !agrees && let Some(a) = same_unit.first() {
            out.push(format!("the question says {q}, the cited passage says {a}"));
        }
    }
    out
}

/// Whether a question takes a claim for granted: "Since ...", "Why is ...", "..., right?".
fn presumes(question: &str) -> bool {
    let q = question.trim().to_lowercase();
    [
        "why ",
        "since ",
        "given that ",
        "given ",
        "because ",
        "how come ",
        "as ",
        "now that ",
    ]
    .iter()
    .any(|p| q.starts_with(p))
        || [
            ", right",
            " right?",
            "correct?",
            "isn't it",
            "is it true",
            "confirm that",
            "i heard",
            "i read",
        ]
        .iter()
        .any(|p| q.contains(p))
        || q.contains(" since ")
}

/// A question that takes a claim for granted ("Why is CPAP covered for snoring?", "Since X is not
/// required, ...") while the sentence that answers it says the opposite.
pub fn premise_polarity_conflict(question: &str, sentences: &[AnswerSentence]) -> Option<String> {
    let q = question.trim().to_lowercase();
    if !presumes(question) {
        return None;
    }
    let terms = content_terms(&q);
    let best = sentences.iter().max_by_key(|s| {
        let have = content_terms(&s.text);
        terms.iter().filter(|t| have.contains(t)).count()
    })?;
    let have = content_terms(&best.text);
    let shared = terms.iter().filter(|t| have.contains(t)).count();
    (shared * 2 >= terms.len() && negated(&q) != negated(&best.text)).then(|| {
        if negated(&best.text) {
            "the question takes for granted what the cited passage says is not so".to_string()
        } else {
            "the question takes for granted a \"not\" the cited passage does not say".to_string()
        }
    })
}

/// Joins sentences with their `[n]` markers.
pub fn render_answer(sentences: &[AnswerSentence]) -> String {
    sentences
        .iter()
        .map(|s| {
            let marks: String = s.citations.iter().map(|n| format!("[{n}]")).collect();
            format!("{} {marks}", s.text.trim())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a citation points into: a document version and where in it.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    doc_id: &'a str,
    version: &'a str,
    title: &'a str,
    section: &'a str,
    page: Option<u32>,
}

impl<'a> From<&'a Passage> for Source<'a> {
    fn from(p: &'a Passage) -> Self {
        Self {
            doc_id: &p.doc_id,
            version: &p.version,
            title: &p.title,
            section: &p.section,
            page: p.page,
        }
    }
}

impl<'a> From<&'a SearchHit> for Source<'a> {
    fn from(h: &'a SearchHit) -> Self {
        Self {
            doc_id: &h.doc_id,
            version: &h.version,
            title: &h.title,
            section: &h.section,
            page: h.page,
        }
    }
}

impl<'a> From<&'a DocumentVersion> for Source<'a> {
    fn from(v: &'a DocumentVersion) -> Self {
        Self {
            doc_id: &v.doc_id,
            version: &v.version,
            title: &v.title,
            section: "",
            page: None,
        }
    }
}

impl<'a> From<&'a Citation> for Source<'a> {
    fn from(c: &'a Citation) -> Self {
        Self {
            doc_id: &c.doc_id,
            version: &c.version,
            title: &c.title,
            section: &c.section,
            page: c.page,
        }
    }
}

/// Numbers citations in order of first use and recomputes every quote from the catalog.
pub(crate) struct CitationBuilder<'e> {
    engine: &'e Engine,
    texts: HashMap<(String, String), (String, Arc<str>)>,
    pub(crate) citations: Vec<Citation>,
}

impl<'e> CitationBuilder<'e> {
    pub(crate) fn new(engine: &'e Engine) -> Self {
        Self {
            engine,
            texts: HashMap::new(),
            citations: Vec::new(),
        }
    }

    /// The content hash and canonical text of a version, read from the catalog once per builder.
    fn version(
        &mut self,
        doc_id: &str,
        version: &str,
    ) -> Result<Option<&(String, Arc<str>)>, EngineError> {
        let key = (doc_id.to_string(), version.to_string());
        if !self.texts.contains_key(&key) {
            let Some(v) = self.engine.catalog.find_version(doc_id, version)? else {
                return Ok(None);
            };
            let text = self.engine.version_text(v.version_id)?;
            self.texts.insert(key.clone(), (v.content_hash, text));
        }
        Ok(self.texts.get(&key))
    }

    fn text(&mut self, source: Source<'_>) -> Result<Option<&str>, EngineError> {
        Ok(self
            .version(source.doc_id, source.version)?
            .map(|(_, t)| &**t))
    }

    /// Where the list whose item ends at `end` ends in the version's text: after its last consecutive item.
    pub(crate) fn list_end(
        &mut self,
        source: Source<'_>,
        end: usize,
    ) -> Result<usize, EngineError> {
        let Some(text) = self.text(source)? else {
            return Ok(end);
        };
        let mut at = end;
        loop {
            let rest = &text[at..];
            let Some(line_start) = rest.find('\n') else {
                break;
            };
            // Items follow on the next line, or after one blank line.
            let after = &rest[line_start + 1..];
            let skipped = after.len() - after.trim_start_matches([' ', '\t', '\n']).len();
            let blank_lines = after[..skipped].matches('\n').count();
            let line = &after[skipped..];
            let line_end = line.find('\n').unwrap_or(line.len());
            let before = text[..at].trim_end().to_lowercase();
            let continues = before.ends_with([';', ':'])
                || before.ends_with(" and,")
                || before.ends_with(" or,")
                || before.ends_with(" and")
                || before.ends_with(" or");
            if blank_lines > 1
                || !rest[..line_start].trim().is_empty()
                || line[..line_end].trim().is_empty()
                || !(is_list_item(&line[..line_end]) || continues)
            {
                break;
            }
            at += line_start + 1 + skipped + line[..line_end].trim_end().len();
        }
        Ok(at)
    }

    /// `canonical_text[start..end]` of a version.
    pub(crate) fn text_of(
        &mut self,
        source: Source<'_>,
        start: usize,
        end: usize,
    ) -> Result<Option<String>, EngineError> {
        Ok(self
            .text(source)?
            .and_then(|t| t.get(start..end))
            .map(str::to_string))
    }

    /// The number of the citation of `[start, end)` in this version, adding it if new. The quote is
    /// sliced from the catalog's canonical text; `None` when the span does not exist there.
    pub(crate) fn cite(
        &mut self,
        source: Source<'_>,
        start: usize,
        end: usize,
    ) -> Result<Option<usize>, EngineError> {
        let Source {
            doc_id,
            version,
            title,
            section,
            page,
        } = source;
        if let Some(c) = self.citations.iter().find(|c| {
            c.doc_id == doc_id && c.version == version && c.start == start && c.end == end
        }) {
            return Ok(Some(c.n));
        }
        let Some((hash, text)) = self.version(doc_id, version)? else {
            return Ok(None);
        };
        let (Some(quote), Some(span)) = (text.get(start..end), TextSpan::of(text, start, end))
        else {
            return Ok(None);
        };
        let (hash, quote) = (hash.clone(), quote.to_string());
        let n = self.citations.len() + 1;
        self.citations.push(Citation {
            n,
            doc_id: doc_id.to_string(),
            version: version.to_string(),
            content_hash: hash,
            title: title.to_string(),
            section: section.to_string(),
            page,
            start,
            end,
            char_start: span.char_start,
            char_end: span.char_end,
            utf16_start: span.utf16_start,
            utf16_end: span.utf16_end,
            quote,
        });
        Ok(Some(n))
    }
}

impl Engine {
    /// Whether every citation of an approved answer still names the version in force on `date`.
    fn approved_still_valid(
        &self,
        answer: &ApprovedAnswer,
        date: NaiveDate,
    ) -> Result<Option<String>, EngineError> {
        for c in &answer.citations {
            let versions = self.catalog.versions_of(&c.doc_id)?;
            let committed: Vec<_> = versions
                .iter()
                .filter(|v| v.state == VersionState::Committed)
                .collect();
            let timelines: Vec<_> = committed.iter().map(|v| v.timeline()).collect();
            let current = in_force_on(&timelines, date)
                .0
                .and_then(|id| committed.iter().find(|v| v.version_id == id));
            match current {
                Some(v) if v.version == c.version && v.content_hash == c.content_hash => {}
                Some(v) => {
                    return Ok(Some(format!(
                        "the approved answer cites {} v{}, but v{} is in force now",
                        c.doc_id, c.version, v.version
                    )));
                }
                None => {
                    return Ok(Some(format!(
                        "the approved answer cites {}, which is no longer in force",
                        c.doc_id
                    )));
                }
            }
        }
        Ok(None)
    }

    /// The catalog's words, for spelling; rebuilt when a new version is committed.
    fn vocabulary(&self) -> Result<Arc<Vocabulary>, EngineError> {
        let generation = self.catalog.generation()?;
        let mut slot = self
            .vocabulary
            .lock()
            .map_err(|_| EngineError::Internal("vocabulary lock poisoned".into()))?;
        if let Some((g, v)) = slot.as_ref()
            && *g == generation
        {
            return Ok(v.clone());
        }
        let versions = self.catalog.committed_versions()?;
        let mut texts = Vec::with_capacity(versions.len() * 2);
        for v in &versions {
            texts.push(v.title.clone());
            texts.push(self.version_text(v.version_id)?.to_string());
        }
        let payers = self.catalog.metadata_values("payer")?;
        let vocabulary = Arc::new(
            Vocabulary::from_texts(texts.iter().map(String::as_str))
                .with_payers(payers.iter().map(String::as_str)),
        );
        *slot = Some((generation, vocabulary.clone()));
        Ok(vocabulary)
    }

    fn dictionary(&self) -> &HashSet<String> {
        self.dictionary
            .get_or_init(|| load_dictionary(&self.config.answer.dictionary))
    }

    /// Spelling, shorthand and the words no document contains.
    fn read(&self, question: &str) -> Result<ReadQuestion, EngineError> {
        let vocabulary = self.vocabulary()?;
        let chunker = self.chunker()?;
        let mut read = read_question(question, &vocabulary, self.dictionary(), |w| {
            chunker.is_common_word(w)
        });
        let mut unknown = Vec::new();
        for word in std::mem::take(&mut read.unknown) {
            // Absent in every stemmed form too ("trials" is not unknown when "trial" is indexed).
            if !self.unknown_terms(&word)?.is_empty() {
                unknown.push(word);
            }
        }
        read.unknown = unknown;
        Ok(read)
    }

    /// Committed versions of a document, oldest first.
    pub(crate) fn committed_versions_of(
        &self,
        doc_id: &str,
    ) -> Result<Vec<DocumentVersion>, EngineError> {
        let mut versions: Vec<DocumentVersion> = self
            .catalog
            .versions_of(doc_id)?
            .into_iter()
            .filter(|v| v.state == VersionState::Committed)
            .collect();
        versions.sort_by_key(crate::documents::version_order);
        Ok(versions)
    }

    /// When no version of `doc_id` is in force on `date`: why, with dates.
    fn not_in_force_notice(
        &self,
        doc_id: &str,
        date: NaiveDate,
    ) -> Result<Option<String>, EngineError> {
        let versions = self.committed_versions_of(doc_id)?;
        let timelines: Vec<_> = versions.iter().map(|v| v.timeline()).collect();
        let (active, statuses) = in_force_on(&timelines, date);
        if active.is_some() || versions.is_empty() {
            return Ok(None);
        }
        let Some(last) = versions.last() else {
            return Ok(None);
        };
        let name = format!("{} ({doc_id})", last.title);
        if let Some((v, _)) = versions
            .iter()
            .zip(&statuses)
            .find(|(_, s)| **s == VersionStatus::Scheduled)
        {
            let first = v
                .effective_date
                .map_or_else(|| "a later date".to_string(), |d| d.to_string());
            return Ok(Some(format!(
                "{name} was not in force on {date}: its first version (v{}) took effect on {first}.",
                v.version
            )));
        }
        let from = last
            .effective_date
            .map(|d| format!(" in force from {d}"))
            .unwrap_or_default();
        Ok(Some(match last.end_date {
            Some(end) => format!(
                "{name} is retired: its last version, v{},{from} was terminated on {end}. No version of it is in force on {date}.",
                last.version
            ),
            None => format!(
                "{name} is retired: its last version, v{},{from} is declared retired. No version of it is in force on {date}.",
                last.version
            ),
        }))
    }

    /// The version a question names ("version 1", "the previous policy") of the document it is about.
    fn named_version(
        &self,
        doc_id: &str,
        reference: &VersionReference,
        date: NaiveDate,
    ) -> Result<Result<DocumentVersion, String>, EngineError> {
        let versions = self.committed_versions_of(doc_id)?;
        let labels = versions
            .iter()
            .map(|v| format!("v{}", v.version))
            .collect::<Vec<_>>()
            .join(", ");
        match reference {
            VersionReference::Label(label) => {
                let wanted = label.trim_end_matches(".0");
                Ok(versions
                    .into_iter()
                    .find(|v| v.version == *label || v.version.trim_end_matches(".0") == wanted)
                    .ok_or_else(|| {
                        format!("{doc_id} has no version {label}; its versions are {labels}.")
                    }))
            }
            VersionReference::Previous => {
                let timelines: Vec<_> = versions.iter().map(|v| v.timeline()).collect();
                let current = in_force_on(&timelines, date).0;
                let position = versions
                    .iter()
                    .position(|v| Some(v.version_id) == current)
                    .unwrap_or(versions.len());
                Ok(position
                    .checked_sub(1)
                    .and_then(|i| versions.get(i).cloned())
                    .ok_or_else(|| {
                        format!("{doc_id} has no earlier version than the one in force ({labels}).")
                    }))
            }
            VersionReference::AsOf(_) => Err(EngineError::Internal(
                "a date reference selects versions by date, not by label".into(),
            )),
        }
    }

    /// How a named version stands, for the notice that says which version answered.
    fn version_notice(&self, v: &DocumentVersion, date: NaiveDate) -> Result<String, EngineError> {
        let versions = self.committed_versions_of(&v.doc_id)?;
        let timelines: Vec<_> = versions.iter().map(|x| x.timeline()).collect();
        let (active, _) = in_force_on(&timelines, date);
        let effective = v
            .effective_date
            .map(|d| format!(", effective {d}"))
            .unwrap_or_default();
        let now = versions
            .iter()
            .find(|x| Some(x.version_id) == active)
            .map(|x| {
                if x.version_id == v.version_id {
                    " It is the version in force.".to_string()
                } else {
                    format!(
                        " It is not in force: v{} is (effective {}).",
                        x.version,
                        x.effective_date
                            .map_or_else(|| "-".to_string(), |d| d.to_string())
                    )
                }
            })
            .unwrap_or_else(|| " No version of it is in force now.".to_string());
        Ok(format!(
            "Answered from {} v{}{effective}, as the question asks.{now}",
            v.doc_id, v.version
        ))
    }

    /// "What changed": the sentences of the version in force that differ from the version before it, each
    /// cited to its own version, with the change summary the document declares.
    fn changes_answer(&self, doc_id: &str, date: NaiveDate) -> Result<ChangesAnswer, EngineError> {
        let versions = self.committed_versions_of(doc_id)?;
        let timelines: Vec<_> = versions.iter().map(|v| v.timeline()).collect();
        let active = in_force_on(&timelines, date).0;
        let Some(pos) = versions.iter().position(|v| Some(v.version_id) == active) else {
            let notice = self
                .not_in_force_notice(doc_id, date)?
                .unwrap_or_else(|| format!("No version of {doc_id} is in force on {date}."));
            return Ok((Vec::new(), Vec::new(), vec![notice]));
        };
        let current = &versions[pos];
        let Some(previous) = pos.checked_sub(1).map(|i| &versions[i]) else {
            return Ok((
                Vec::new(),
                Vec::new(),
                vec![format!(
                    "{} ({doc_id}) has one version in the catalog (v{}); there is no earlier version to compare it with.",
                    current.title, current.version
                )],
            ));
        };
        let new_text = self.version_text(current.version_id)?;
        let old_text = self.version_text(previous.version_id)?;
        let sentences_of = |text: &str| -> Vec<(usize, usize, String)> {
            split_sentences(text)
                .into_iter()
                .filter(|(s, e)| {
                    let t = &text[*s..*e];
                    !t.starts_with('#') && t.split_whitespace().count() >= 4
                })
                .map(|(s, e)| {
                    (
                        s,
                        e,
                        text[s..e].split_whitespace().collect::<Vec<_>>().join(" "),
                    )
                })
                .collect()
        };
        let new_s = sentences_of(&new_text);
        let old_s = sentences_of(&old_text);
        let old_set: HashSet<&str> = old_s.iter().map(|(_, _, t)| t.as_str()).collect();
        let new_set: HashSet<&str> = new_s.iter().map(|(_, _, t)| t.as_str()).collect();
        let added: Vec<&(usize, usize, String)> = new_s
            .iter()
            .filter(|(_, _, t)| !old_set.contains(t.as_str()))
            .collect();
        let mut removed: Vec<&(usize, usize, String)> = old_s
            .iter()
            .filter(|(_, _, t)| !new_set.contains(t.as_str()))
            .collect();
        let mut builder = CitationBuilder::new(self);
        let mut sentences = Vec::new();
        let label = |v: &DocumentVersion| match v.effective_date {
            Some(d) => format!("v{} (effective {d})", v.version),
            None => format!("v{}", v.version),
        };
        let (now, before) = (label(current), label(previous));
        let mut pairs = 0;
        let mut unpaired_new = 0;
        // Changes of a number, dose or interval first: they are what a clinician must not miss.
        let mut added = added;
        added.sort_by_key(|(_, _, text)| {
            let f = facts(text);
            let changed = removed.iter().any(|(_, _, old)| {
                let g = facts(old);
                !f.is_empty() && f != g && {
                    let shared = content_terms(text)
                        .iter()
                        .filter(|t| content_terms(old).contains(t))
                        .count();
                    shared * 2 >= content_terms(text).len()
                }
            });
            !changed
        });
        for (s, e, text) in &added {
            let terms = content_terms(text);
            let best = removed
                .iter()
                .enumerate()
                .map(|(i, (_, _, o))| {
                    let have = content_terms(o);
                    let shared = terms.iter().filter(|t| have.contains(t)).count() as f32
                        / terms.len().max(1) as f32;
                    (i, shared)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let pair = best
                .filter(|(_, shared)| *shared >= 0.4)
                .map(|(i, _)| removed.remove(i));
            match pair {
                Some((os, oe, old)) if pairs < 6 => {
                    if let Some(n) = builder.cite(current.into(), *s, *e)? {
                        sentences.push(AnswerSentence {
                            text: format!("Now, in {now}: {text}"),
                            citations: vec![n],
                        });
                    }
                    if let Some(n) = builder.cite(previous.into(), *os, *oe)? {
                        sentences.push(AnswerSentence {
                            text: format!("Before, in {before}: {old}"),
                            citations: vec![n],
                        });
                    }
                    pairs += 1;
                }
                Some(_) => {}
                None if unpaired_new < 3 => {
                    if let Some(n) = builder.cite(current.into(), *s, *e)? {
                        sentences.push(AnswerSentence {
                            text: format!("New in {now}: {text}"),
                            citations: vec![n],
                        });
                    }
                    unpaired_new += 1;
                }
                None => {}
            }
        }
        for (s, e, old) in removed.iter().take(3) {
            if let Some(n) = builder.cite(previous.into(), *s, *e)? {
                sentences.push(AnswerSentence {
                    text: format!("Only in {before}: {old}"),
                    citations: vec![n],
                });
            }
        }
        let mut notice = format!(
            "{} ({doc_id}) changed from {before} to {now}.",
            current.title
        );
        if let Some(summary) = current
            .metadata
            .get("change_summary")
            .and_then(|v| v.as_str())
        {
            notice.push_str(&format!(" The document's change summary: \"{summary}\""));
        }
        if sentences.is_empty() {
            notice.push_str(" Their texts contain the same sentences.");
        }
        Ok((sentences, builder.citations, vec![notice]))
    }

    /// Words the question names that matter for its answer (a proper noun, an acronym, or a word that
    /// names a kind of document or payer the corpus may not hold: "LCD", "billing", "Aetna", "brand") but
    /// that no cited document contains and the corpus barely knows. An answer that never mentions them
    /// does not answer the question.
    fn missing_subject_terms(
        &self,
        question: &str,
        cited: &[DocumentVersion],
    ) -> Result<Vec<String>, EngineError> {
        let mut have: HashSet<String> = HashSet::new();
        // Initial letters of consecutive words, to recognise "LVAD" for "left ventricular assist device".
        let mut initials = String::new();
        for v in cited {
            let text = self.version_text(v.version_id)?;
            initials.extend(
                text.split(|ch: char| !ch.is_alphanumeric())
                    .filter_map(|w| w.chars().next())
                    .map(|ch| ch.to_ascii_lowercase()),
            );
            initials.push(' ');
            have.extend(content_terms(&format!("{} {} {}", v.title, v.doc_id, text)));
            for value in v.metadata.values() {
                if let Some(s) = value.as_str() {
                    have.extend(content_terms(s));
                }
            }
        }
        let mut missing = Vec::new();
        let mut sentence_start = true;
        for raw in question.split_whitespace() {
            let first = sentence_start;
            sentence_start = raw.ends_with(['.', '?', '!', ':']);
            if raw.contains('\'') || raw.contains('’') {
                continue; // contractions: "they'll", "what's"
            }
            for bare in raw.split(|c: char| !c.is_alphanumeric()) {
                if bare.chars().count() < 3 || bare.chars().any(|c| c.is_ascii_digit()) {
                    continue;
                }
                let lower = bare.to_lowercase();
                let Some(term) = content_terms(&lower).into_iter().next() else {
                    continue;
                };
                if GENERIC_QUESTION_WORDS.contains(&lower.as_str()) {
                    continue;
                }
                let proper = !first
                    && bare.chars().next().is_some_and(char::is_uppercase)
                    && bare.chars().skip(1).all(char::is_lowercase);
                let acronym = bare.len() >= 2 && bare.chars().all(|c| c.is_ascii_uppercase());
                let scope = SCOPE_WORDS.contains(&lower.as_str());
                if !(proper || acronym || scope) || have.contains(&term) || have.contains(&lower) {
                    continue;
                }
                if acronym && initials.contains(&lower) {
                    continue;
                }
                // A name the corpus knows well elsewhere is not what makes the question unanswerable.
                if self.lexical.chunk_share(&lower)? < 0.005 && !missing.contains(&bare.to_string())
                {
                    missing.push(bare.to_string());
                }
            }
        }
        Ok(missing)
    }

    /// The payer the question names when no cited document is that payer's policy: "medicare cpap
    /// compliance" answered from Northwind's CPAP policy answers another payer's rule.
    fn other_payer(
        &self,
        question: &str,
        cited: &[DocumentVersion],
    ) -> Result<Option<String>, EngineError> {
        let vocabulary = self.vocabulary()?;
        let named = vocabulary.payers_named(question);
        if named.is_empty() {
            return Ok(None);
        }
        let mut cited_payers: Vec<String> = Vec::new();
        for v in cited {
            if let Some(p) = v.metadata.get("payer").and_then(|p| p.as_str())
                && !cited_payers.iter().any(|q| q == p)
            {
                cited_payers.push(p.to_string());
            }
        }
        if cited_payers.is_empty() || cited_payers.iter().any(|p| named.contains(&p.as_str())) {
            return Ok(None);
        }
        Ok(Some(format!(
            "the question asks about {}; the cited policies are {}'s",
            named.join(" and "),
            cited_payers.join(" and ")
        )))
    }

    /// The `llm` answerer, built once per engine: its HTTP client keeps connections to the endpoint.
    fn llm_answerer(&self) -> Result<Arc<dyn Answerer>, EngineError> {
        crate::loaded_once(&self.llm, "answerer", || {
            let llm = &self.config.answer.llm;
            let answerer: Arc<dyn Answerer> = Arc::new(LlmAnswerer::new(LlmSettings {
                base_url: llm.base_url.clone(),
                model: llm.model.clone(),
                api_key: std::env::var(&llm.api_key_env)
                    .ok()
                    .filter(|k| !k.is_empty()),
                timeout: Duration::from_secs(llm.timeout_secs),
                max_tokens: llm.max_tokens,
                json_schema: llm.json_schema,
            })?);
            Ok(answerer)
        })
    }

    /// Answers a question from the documents in force, or routes it to review, or declines.
    pub fn ask(&self, request: &AskRequest) -> Result<AskResponse, EngineError> {
        self.ask_with_events(request, &mut |_| {})
    }

    /// [`Engine::ask`], telling `on_event` the passages once retrieved and each sentence once verified and
    /// cited, before the answer is scored and routed: a client can show progress while a slow answerer
    /// works. Sentences are provisional: only the returned response says whether they are the answer.
    pub fn ask_with_events(
        &self,
        request: &AskRequest,
        on_event: &mut dyn FnMut(AskEvent<'_>),
    ) -> Result<AskResponse, EngineError> {
        let (mut response, new_review) = self.answer(request, on_event)?;
        let trace = response.trace.take();
        // Evals (dry runs) leave no trace; every other ask is recorded, or it fails: no answer without
        // its record.
        if !request.dry_run
            && let Some(trace) = &trace
        {
            self.record_ask(request, &response, trace, new_review.as_ref())?;
        }
        if request.trace {
            response.trace = trace;
        }
        Ok(response)
    }

    /// The ask itself: the response with its trace, and the review item to insert with its record.
    fn answer(
        &self,
        request: &AskRequest,
        on_event: &mut dyn FnMut(AskEvent<'_>),
    ) -> Result<(AskResponse, Option<PendingReview>), EngineError> {
        let started = Instant::now();
        let mut clock = StageClock::start();
        let request_id = uuid::Uuid::new_v4().to_string();
        let span = tracing::info_span!("ask", request_id = %request_id);
        let _entered = span.enter();
        let mut trace = AskTrace {
            request_id,
            ..AskTrace::default()
        };
        let question = request.question.trim();
        let a = &self.config.answer;
        let k = request.k.unwrap_or(a.k);
        self.check_query(question, k, &request.filters)?;
        let today = Utc::now().date_naive();
        let reference = version_reference(question, today);
        let mut notices = Vec::new();
        let mut as_of = request.as_of.unwrap_or(today);
        if let Some(VersionReference::AsOf(d)) = reference {
            as_of = d;
            notices.push(format!(
                "The question names a date: answered from the versions in force on {d}."
            ));
        }
        // The review queue keeps the question redacted; its keys come from the same text, so asking
        // "pt jane roe …" and "pt john doe …" finds one item.
        let queued_question = if self.config.redaction.review_queue {
            Redactor::shared().redact(question).text
        } else {
            question.to_string()
        };
        let key = question_key(&queued_question);
        let scope = scope_key(&queued_question, &request.filters);
        let (floor, threshold) = request
            .thresholds
            .unwrap_or((a.no_answer_floor, a.review_threshold));
        let mut reasons = Vec::new();
        let mut force_review = false;
        // An approved item whose cited versions are no longer in force is reopened with the new draft.
        let mut reopen = None;

        // Documents the caller may not read: an approved or pending item that shows one is not theirs.
        let hidden = self.hidden(&request.access)?;
        if let Some(item) = self.catalog.review_in_scope(&scope, "approved")?
            && item_is_visible(&item, &hidden)
            && let Some(answer) = item.answer.clone()
        {
            let approved: ApprovedAnswer = serde_json::from_value(answer).map_err(|e| {
                EngineError::Internal(format!("stored review {} is damaged: {e}", item.review_id))
            })?;
            match self.approved_still_valid(&approved, as_of)? {
                None => {
                    // Quotes are recomputed even for reviewed answers: the catalog is the only source.
                    let mut builder = CitationBuilder::new(self);
                    for c in &approved.citations {
                        builder.cite(c.into(), c.start, c.end)?;
                    }
                    clock.done("read");
                    let response = AskResponse {
                        status: AnswerStatus::Answered,
                        answer: Some(render_answer(&approved.sentences)),
                        sentences: approved.sentences,
                        citations: builder.citations,
                        confidence: item.confidence as f32,
                        review_id: Some(item.review_id),
                        reviewed_by: item.reviewer,
                        reasons: Vec::new(),
                        notices,
                        corrections: Vec::new(),
                        unsupported_sentences: 0,
                        signals: ConfidenceSignals::default(),
                        answerer: "reviewed".into(),
                        as_of,
                        took_ms: started.elapsed().as_secs_f64() * 1000.0,
                        trace: None,
                    };
                    return Ok((response.traced(trace, &clock, true).0, None));
                }
                Some(reason) => {
                    reasons.push(reason.clone());
                    reopen = Some((item.review_id, reason));
                    force_review = true;
                }
            }
        }

        let read = self.read(question)?;
        let query = read.text.clone();
        clock.done("read");
        let search = SearchRequest {
            query: query.clone(),
            mode: SearchMode::Hybrid,
            k,
            filters: request.filters.clone(),
            as_of: Some(as_of),
            access: request.access.clone(),
        };
        // The request was checked above; `search` would check it (and list the filter fields) again.
        let in_force_hits = self
            .search_versions(
                &search,
                &self.version_filter(as_of, &request.filters, &request.access)?,
            )?
            .hits;
        trace.candidates = in_force_hits.iter().map(TraceCandidate::from).collect();
        // What the question is about, among every committed version (retired and superseded ones too).
        let any_version = self.search_versions(
            &SearchRequest {
                k: 5,
                ..search.clone()
            },
            &self.all_versions_filter(&request.filters, &request.access)?,
        )?;
        let subject = any_version
            .hits
            .first()
            .map(|h| (h.doc_id.clone(), h.title.clone()));
        // A question about versions is about a document that has several: the best such hit.
        let mut versioned_subject = None;
        for h in in_force_hits.iter().take(3).chain(any_version.hits.iter()) {
            if self.committed_versions_of(&h.doc_id)?.len() > 1 {
                versioned_subject = Some((h.doc_id.clone(), h.title.clone()));
                break;
            }
        }
        let respond = |status: AnswerStatus,
                       sentences: Vec<AnswerSentence>,
                       citations: Vec<Citation>,
                       confidence: f32,
                       reasons: Vec<String>,
                       notices: Vec<String>| AskResponse {
            status,
            answer: (status == AnswerStatus::Answered).then(|| render_answer(&sentences)),
            sentences,
            citations,
            confidence,
            review_id: None,
            reviewed_by: None,
            reasons,
            notices,
            corrections: read.corrections.clone(),
            unsupported_sentences: 0,
            signals: ConfidenceSignals::default(),
            answerer: "catalog".into(),
            as_of,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            trace: None,
        };

        if asks_what_changed(question)
            && let Some(doc) = versioned_subject
                .as_ref()
                .map(|s| s.0.clone())
                .or_else(|| in_force_hits.first().map(|h| h.doc_id.clone()))
        {
            let (sentences, citations, mut more) = self.changes_answer(&doc, as_of)?;
            notices.append(&mut more);
            let status = if sentences.is_empty() {
                AnswerStatus::NoAnswer
            } else {
                AnswerStatus::Answered
            };
            // A comparison of two cited versions is right about as often as the best extractive answers
            // (6 of 7 "what changed" questions of evals/questions).
            let confidence = if sentences.is_empty() { 0.0 } else { 0.85 };
            clock.done("retrieve");
            return Ok((
                respond(status, sentences, citations, confidence, reasons, notices)
                    .traced(trace, &clock, true)
                    .0,
                None,
            ));
        }

        let mut passages_from_version = None;
        if let Some(reference @ (VersionReference::Label(_) | VersionReference::Previous)) =
            &reference
            && let Some((doc, _)) = versioned_subject.as_ref().or(subject.as_ref())
        {
            match self.named_version(doc, reference, as_of)? {
                Ok(v) => {
                    notices.push(self.version_notice(&v, as_of)?);
                    passages_from_version = Some(v.version_id);
                }
                Err(notice) => {
                    notices.push(notice);
                    reasons.push("the question names a version the catalog does not hold".into());
                    clock.done("retrieve");
                    return Ok((
                        respond(
                            AnswerStatus::NoAnswer,
                            Vec::new(),
                            Vec::new(),
                            0.0,
                            reasons,
                            notices,
                        )
                        .traced(trace, &clock, true)
                        .0,
                        None,
                    ));
                }
            }
        } else if let Some((doc, title)) = &subject
            && !in_force_hits.iter().take(3).any(|h| &h.doc_id == doc)
        {
            // The best match is a document with no version in force: say so instead of answering from
            // whatever else is in force.
            let title_terms = content_terms(title);
            let question_terms = content_terms(&query);
            let shared = title_terms
                .iter()
                .filter(|t| question_terms.contains(t))
                .count();
            // The retrieval agrees the question is about that document: it holds most of the best hits.
            let dominant = any_version.hits.iter().filter(|h| &h.doc_id == doc).count() >= 2;
            if (shared * 2 >= title_terms.len().max(1) || shared >= 3 || (shared >= 1 && dominant))
                && let Some(notice) = self.not_in_force_notice(doc, as_of)?
            {
                reasons.push(notice.clone());
                notices.push(notice);
                let mut evidence = CitationBuilder::new(self);
                for h in any_version.hits.iter().filter(|h| &h.doc_id == doc).take(2) {
                    evidence.cite(Source::from(h), h.start, h.end)?;
                }
                clock.done("retrieve");
                return Ok((
                    respond(
                        AnswerStatus::NoAnswer,
                        Vec::new(),
                        evidence.citations,
                        0.0,
                        reasons,
                        notices,
                    )
                    .traced(trace, &clock, true)
                    .0,
                    None,
                ));
            }
        }
        let hits = match passages_from_version {
            Some(id) => {
                self.search_versions(&search, &VersionFilter::Only(vec![id]))?
                    .hits
            }
            None => in_force_hits,
        };
        let passages: Vec<Passage> = hits.iter().map(Passage::from).collect();
        if passages_from_version.is_some() {
            trace.candidates = hits.iter().map(TraceCandidate::from).collect();
        }
        trace.passages = passages.iter().map(TracePassage::from).collect();
        on_event(AskEvent::Retrieved(&passages));
        let embedder = self.read_embedder()?;
        // Rare words say what the question is about; "covered" and "patient" say little.
        let mut term_weights = HashMap::new();
        for term in content_terms(&query) {
            let share = self.lexical.chunk_share(&term)?.max(0.0005);
            term_weights.insert(term, (1.0 + 1.0 / share).ln() as f32);
        }
        let answerer: Arc<dyn Answerer> = if a.answerer == "llm" {
            self.llm_answerer()?
        } else {
            let mut extractive = ExtractiveAnswerer::new(embedder.clone());
            extractive.max_sentences = a.max_sentences;
            extractive.term_weights = term_weights.clone();
            Arc::new(extractive)
        };
        trace.answerer = answerer.name().to_string();
        trace.model = answerer.model().map(str::to_string);
        trace.prompt_template_hash = answerer.prompt_template_hash();
        clock.done("retrieve");
        let mut model_failed = false;
        let draft = if passages.is_empty() {
            Vec::new()
        } else {
            // A remote model sees the question redacted (unless `redaction.llm` is off).
            let sent = if a.answerer == "llm" && self.config.redaction.llm {
                Redactor::shared().redact(&query).text
            } else {
                query.clone()
            };
            match answerer.draft(&sent, &passages) {
                Ok(draft) => draft,
                // An unreachable or misbehaving model is not the user's problem: a reviewer answers.
                Err(AnswerError::Model(reason)) => {
                    tracing::warn!(%reason, "answer model failed");
                    reasons.push(format!("the answer model failed: {reason}"));
                    model_failed = true;
                    Vec::new()
                }
                Err(e) => return Err(e.into()),
            }
        };
        let drafted = draft.len();
        clock.done("draft");
        let verified = verify(
            draft,
            &passages,
            embedder.as_ref(),
            SupportPolicy {
                min_support: a.min_support,
            },
        )?;
        trace.drafted = verified
            .sentences
            .iter()
            .map(|v| TraceSentence {
                text: v.text.clone(),
                citations: v.citations.clone(),
                verdict: "kept".into(),
                reason: format!("support {:.2}", v.support),
            })
            .chain(verified.removed.iter().map(|r| TraceSentence {
                text: r.text.clone(),
                citations: Vec::new(),
                verdict: "removed".into(),
                reason: r.reason.clone(),
            }))
            .collect();
        clock.done("verify");

        let mut builder = CitationBuilder::new(self);
        let mut sentences = Vec::new();
        let mut lost = 0;
        for s in &verified.sentences {
            let mut numbers = Vec::new();
            let mut extended_text: Option<String> = None;
            for (i, n) in s.citations.iter().enumerate() {
                let Some(p) = passages.iter().find(|p| p.n == *n) else {
                    continue;
                };
                let (start, mut end) = match (i, s.span) {
                    (0, Some((from, to))) => (p.start + from, p.start + to),
                    _ => (p.start, p.end),
                };
                // A list cut by the chunk boundary continues in the version's text: all its items.
                let at_passage_end = end >= p.start
                    && p.text
                        .get(end - p.start..)
                        .is_some_and(|rest| rest.trim().is_empty());
                if i == 0 && at_passage_end && ends_in_list(&s.text) {
                    end = builder.list_end(p.into(), end)?;
                }
                if i == 0 && end > p.end {
                    extended_text = builder.text_of(p.into(), start, end)?;
                }
                if let Some(number) = builder.cite(p.into(), start, end)? {
                    numbers.push(number);
                }
            }
            if numbers.is_empty() {
                lost += 1; // its span is not in the catalog: never shown
                continue;
            }
            // Shown with its line breaks folded; the citation keeps the exact span.
            let text = extended_text
                .as_deref()
                .unwrap_or(&s.text)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let sentence = AnswerSentence {
                text,
                citations: numbers,
            };
            on_event(AskEvent::Sentence {
                index: sentences.len(),
                sentence: &sentence,
                citations: &builder.citations,
            });
            sentences.push(sentence);
        }

        clock.done("cite");
        // The extractive answerer already scored each sentence against the question; others are scored here.
        let known_relevance = verified
            .sentences
            .iter()
            .map(|s| s.relevance)
            .collect::<Option<Vec<f32>>>()
            .map(|r| r.into_iter().fold(0.0f32, f32::max));
        let signals = self.signals(
            &query,
            &sentences,
            &builder.citations,
            &passages,
            (drafted, known_relevance),
            &term_weights,
        )?;
        let conf = confidence(&signals);
        for r in &verified.removed {
            reasons.push(format!("removed a sentence: {}", r.reason));
        }
        let answer_text = sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let unaddressed = if sentences.is_empty() {
            None
        } else {
            // The question as typed too: a billing word the reading changed still asks for money.
            unaddressed_kind(&query, &answer_text)
                .or_else(|| unstated_quantity(question, &answer_text))
        };
        let mut premise = premise_conflicts(&query, &answer_text);
        premise.extend(premise_polarity_conflict(&query, &sentences));
        // The cited versions with their metadata, read once for the subject-word and payer checks.
        let mut cited: Vec<DocumentVersion> = Vec::new();
        if !sentences.is_empty() {
            for c in &builder.citations {
                if !cited
                    .iter()
                    .any(|v| v.doc_id == c.doc_id && v.version == c.version)
                    && let Some(v) = self.catalog.find_version(&c.doc_id, &c.version)?
                {
                    cited.push(v);
                }
            }
        }
        let missing = if sentences.is_empty() {
            Vec::new()
        } else {
            self.missing_subject_terms(&query, &cited)?
        };
        let other_payer = if sentences.is_empty() {
            None
        } else {
            self.other_payer(&query, &cited)?
        };
        let parts = question_parts(&query);
        if parts.len() > 1 && !sentences.is_empty() {
            let have = content_terms(&answer_text);
            for part in &parts {
                let terms = content_terms(part);
                let found = terms.iter().filter(|t| have.contains(t)).count();
                if found * 2 < terms.len() {
                    notices.push(format!(
                        "Not found in the documents in force: \"{}\"",
                        part.trim_end_matches('?')
                    ));
                }
            }
        }
        clock.done("score");
        let status = if passages.is_empty() {
            reasons.push("no passage of a document in force matched the question".into());
            AnswerStatus::NoAnswer
        } else if model_failed {
            AnswerStatus::NeedsReview
        } else if drafted == 0 {
            reasons.push("no sentence of the retrieved passages answers the question".into());
            AnswerStatus::NoAnswer
        } else if sentences.is_empty() {
            reasons.push("no drafted sentence survived verification".into());
            AnswerStatus::NeedsReview
        } else if force_review {
            AnswerStatus::NeedsReview
        } else if !read.unknown.is_empty() {
            reasons.push(format!(
                "the documents never mention {}",
                read.unknown.join(", ")
            ));
            AnswerStatus::NeedsReview
        } else if !missing.is_empty() {
            reasons.push(format!(
                "the cited documents never mention {}",
                missing.join(", ")
            ));
            AnswerStatus::NeedsReview
        } else if let Some(why) = other_payer {
            reasons.push(why);
            AnswerStatus::NeedsReview
        } else if let Some(why) = unaddressed {
            reasons.push(why);
            AnswerStatus::NeedsReview
        } else if !premise.is_empty() {
            for p in &premise {
                notices.push(format!("The question's premise does not hold: {p}."));
            }
            reasons.push(format!(
                "the question's premise conflicts with the documents: {}",
                premise.join("; ")
            ));
            AnswerStatus::NeedsReview
        } else if conf < floor {
            reasons.push(format!(
                "confidence {conf:.2} is below the no-answer floor {floor:.2}"
            ));
            AnswerStatus::NoAnswer
        } else if conf < threshold {
            reasons.push(format!(
                "confidence {conf:.2} is below the review threshold {threshold:.2}"
            ));
            AnswerStatus::NeedsReview
        } else {
            AnswerStatus::Answered
        };

        let draft_citations = builder.citations;
        let mut response = AskResponse {
            status,
            answer: None,
            sentences: Vec::new(),
            citations: Vec::new(),
            confidence: conf,
            review_id: None,
            reviewed_by: None,
            reasons,
            notices,
            corrections: read.corrections.clone(),
            unsupported_sentences: verified.removed.len() + lost,
            signals,
            answerer: answerer.name().into(),
            as_of,
            took_ms: 0.0,
            trace: None,
        };
        let mut review_draft = None;
        if status == AnswerStatus::Answered {
            response.answer = Some(render_answer(&sentences));
            response.sentences = sentences;
            response.citations = draft_citations;
        } else {
            let mut evidence = CitationBuilder::new(self);
            for p in passages.iter().take(5) {
                evidence.cite(p.into(), p.start, p.end)?;
            }
            response.citations = evidence.citations;
            if status == AnswerStatus::NeedsReview && !request.dry_run {
                review_draft = Some(ReviewDraft {
                    sentences,
                    citations: draft_citations,
                    evidence: response.citations.clone(),
                    removed: verified.removed.into_iter().map(Into::into).collect(),
                    as_of,
                });
            }
        }
        clock.done("route");
        let (mut response, trace) = response.traced(trace, &clock, true);
        let mut new_review = None;
        if let Some(draft) = review_draft {
            let (id, new) = self.queue_for_review(
                (question, &queued_question),
                (&key, &scope, &hidden),
                &response,
                &draft,
                &trace,
                reopen,
            )?;
            response.review_id = Some(id);
            new_review = new;
        }
        response.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok((response, new_review))
    }

    /// Puts a draft in front of a reviewer: reopens the approved item whose cited versions changed, or
    /// joins a pending item of the same scope that shows nothing `hidden` from the caller (asking again
    /// adds no duplicate), or creates an item.
    fn queue_for_review(
        &self,
        (question, queued_question): (&str, &str),
        (key, scope, hidden): (&str, &str, &Hidden),
        response: &AskResponse,
        draft: &ReviewDraft,
        trace: &AskTrace,
        reopen: Option<(String, String)>,
    ) -> Result<(String, Option<PendingReview>), EngineError> {
        let json = |what: &str, v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| EngineError::Internal(format!("cannot store {what}: {e}")))
        };
        let scrub = |value: serde_json::Value| {
            if self.config.redaction.review_queue {
                scrub_identifiers(value, question)
            } else {
                value
            }
        };
        let draft_json = scrub(json("review draft", serde_json::to_value(draft))?);
        if let Some((id, reason)) = reopen
            && self.catalog.reopen_review(&id, &reason, &draft_json)?
        {
            return Ok((id, None));
        }
        if let Some(item) = self.catalog.review_in_scope(scope, "pending")?
            && item_is_visible(&item, hidden)
        {
            return Ok((item.review_id, None));
        }
        // A new item is inserted with the ask's audit record, in one transaction.
        let review = PendingReview {
            review_id: uuid::Uuid::new_v4().to_string(),
            question: queued_question.to_string(),
            question_key: key.to_string(),
            scope_key: scope.to_string(),
            confidence: f64::from(response.confidence),
            reasons: scrub(serde_json::json!(response.reasons)),
            draft: draft_json,
            trace: scrub(json("trace", serde_json::to_value(trace))?),
        };
        Ok((review.review_id.clone(), Some(review)))
    }

    fn signals(
        &self,
        question: &str,
        sentences: &[AnswerSentence],
        citations: &[Citation],
        passages: &[Passage],
        (drafted, known_relevance): (usize, Option<f32>),
        term_weights: &HashMap<String, f32>,
    ) -> Result<ConfidenceSignals, EngineError> {
        if sentences.is_empty() {
            return Ok(ConfidenceSignals::default());
        }
        let best = match known_relevance {
            Some(r) => r,
            None => {
                let embedder = self.read_embedder()?;
                let q = embedder.embed_query(question)?;
                let texts: Vec<String> = sentences.iter().map(|s| s.text.clone()).collect();
                embedder
                    .embed_passages(&texts)?
                    .iter()
                    .map(|v| cosine(&q, v))
                    .fold(0.0f32, f32::max)
            }
        };
        let question_terms = content_terms(question);
        let cited_passages: Vec<&Passage> = passages
            .iter()
            .filter(|p| {
                citations.iter().any(|c| {
                    c.doc_id == p.doc_id
                        && c.version == p.version
                        && c.start >= p.start
                        && c.end <= p.end
                })
            })
            .collect();
        let context: String = cited_passages
            .iter()
            .map(|p| format!("{} {} {}", p.title, p.section, p.text))
            .collect::<Vec<_>>()
            .join(" ");
        let have = content_terms(&context);
        let coverage = if question_terms.is_empty() {
            0.0
        } else {
            question_terms.iter().filter(|t| have.contains(t)).count() as f32
                / question_terms.len() as f32
        };
        let agreement = if cited_passages.is_empty() {
            0.0
        } else {
            cited_passages
                .iter()
                .filter(|p| {
                    p.bm25_rank.is_some_and(|r| r <= 10) && p.dense_rank.is_some_and(|r| r <= 10)
                })
                .count() as f32
                / cited_passages.len() as f32
        };
        let answer_text = sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let answer_terms = content_terms(&answer_text);
        let (mut found, mut total) = (0.0f32, 0.0f32);
        for t in &question_terms {
            let w = term_weights.get(t).copied().unwrap_or(1.0);
            total += w;
            if answer_terms.contains(t) {
                found += w;
            }
        }
        let focus = if total > 0.0 { found / total } else { 0.0 };
        let has_number = facts(&answer_text).iter().any(|f| {
            f.unit.is_some() || f.number().is_some_and(|v| !(1900.0..=2100.0).contains(&v))
        });
        let has_list = sentences
            .iter()
            .any(|s| s.text.contains(':') || s.text.contains(';'));
        let kind_match = if asks_for_number(question) {
            if has_number { 1.0 } else { 0.0 }
        } else if asks_for_list(question) {
            if has_list { 1.0 } else { 0.3 }
        } else {
            0.5
        };
        Ok(ConfidenceSignals {
            focus,
            kind_match,
            relevance: rescale_relevance(best),
            coverage,
            agreement,
            verified_share: if drafted == 0 {
                0.0
            } else {
                sentences.len() as f32 / drafted as f32
            },
            specificity: specificity(question_terms.len()),
        })
    }
}
