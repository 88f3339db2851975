//! `ask`: retrieve, draft, verify, cite, score confidence, route (answered / needs_review / no_answer), and
//! reuse answers a reviewer approved while the versions they cite are still in force.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use cited_answer::{
    AnswerError, Answerer, ConfidenceSignals, ExtractiveAnswerer, LlmAnswerer, LlmSettings,
    Passage, RemovedSentence, SupportPolicy, confidence, content_terms, rescale_relevance,
    specificity, verify,
};
use cited_core::{
    AnswerSentence, AnswerStatus, Citation, MetadataFilter, SearchMode, SearchRequest,
    VersionState, in_force_on,
};
use cited_embed::cosine;
use serde::{Deserialize, Serialize};

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
    texts: HashMap<(String, String), (String, String)>,
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
        let key = (doc_id.to_string(), version.to_string());
        if !self.texts.contains_key(&key) {
            let Some(v) = self.engine.catalog.find_version(doc_id, version)? else {
                return Ok(None);
            };
            let text = self.engine.version_text(v.version_id)?;
            self.texts.insert(key.clone(), (v.content_hash, text));
        }
        let Some((hash, text)) = self.texts.get(&key) else {
            return Ok(None);
        };
        let Some(quote) = text.get(start..end) else {
            return Ok(None);
        };
        let n = self.citations.len() + 1;
        self.citations.push(Citation {
            n,
            doc_id: doc_id.to_string(),
            version: version.to_string(),
            content_hash: hash.clone(),
            title: title.to_string(),
            section: section.to_string(),
            page,
            start,
            end,
            quote: quote.to_string(),
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

    /// Answers a question from the documents in force, or routes it to review, or declines.
    pub fn ask(&self, request: &AskRequest) -> Result<AskResponse, EngineError> {
        let started = Instant::now();
        let question = request.question.trim();
        if question.is_empty() {
            return Err(EngineError::Request("the question is empty".into()));
        }
        let as_of = request.as_of.unwrap_or_else(|| Utc::now().date_naive());
        let key = question_key(question);
        let a = &self.config.answer;
        let (floor, threshold) = request
            .thresholds
            .unwrap_or((a.no_answer_floor, a.review_threshold));
        let mut reasons = Vec::new();
        let mut force_review = false;

        if let Some(item) = self.catalog.approved_review(&key)?
            && let Some(answer) = item.answer.clone()
        {
            let approved: ApprovedAnswer = serde_json::from_value(answer).map_err(|e| {
                EngineError::Request(format!("stored review {} is damaged: {e}", item.review_id))
            })?;
            match self.approved_still_valid(&approved, as_of)? {
                None => {
                    // Quotes are recomputed even for reviewed answers: the catalog is the only source.
                    let mut builder = CitationBuilder::new(self);
                    for c in &approved.citations {
                        builder.cite(c.into(), c.start, c.end)?;
                    }
                    return Ok(AskResponse {
                        status: AnswerStatus::Answered,
                        answer: Some(render_answer(&approved.sentences)),
                        sentences: approved.sentences,
                        citations: builder.citations,
                        confidence: item.confidence as f32,
                        review_id: Some(item.review_id),
                        reviewed_by: item.reviewer,
                        reasons: Vec::new(),
                        unsupported_sentences: 0,
                        signals: ConfidenceSignals::default(),
                        answerer: "reviewed".into(),
                        as_of,
                        took_ms: started.elapsed().as_secs_f64() * 1000.0,
                    });
                }
                Some(reason) => {
                    reasons.push(reason);
                    force_review = true;
                }
            }
        }

        let k = request.k.unwrap_or(a.k).max(1);
        let search = SearchRequest {
            query: question.to_string(),
            mode: SearchMode::Hybrid,
            k,
            filters: request.filters.clone(),
            as_of: Some(as_of),
        };
        let hits = self.search(&search)?.hits;
        let passages: Vec<Passage> = hits.iter().map(Passage::from).collect();
        let embedder = self.embedder()?;
        let answerer: Box<dyn Answerer> = if a.answerer == "llm" {
            let llm = &a.llm;
            Box::new(LlmAnswerer::new(LlmSettings {
                base_url: llm.base_url.clone(),
                model: llm.model.clone(),
                api_key: std::env::var(&llm.api_key_env)
                    .ok()
                    .filter(|k| !k.is_empty()),
                timeout: Duration::from_secs(llm.timeout_secs),
                max_tokens: llm.max_tokens,
                json_schema: llm.json_schema,
            })?)
        } else {
            let mut extractive = ExtractiveAnswerer::new(embedder.clone());
            extractive.max_sentences = a.max_sentences;
            Box::new(extractive)
        };
        let mut model_failed = false;
        let draft = if passages.is_empty() {
            Vec::new()
        } else {
            match answerer.draft(question, &passages) {
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
        let verified = verify(
            draft,
            &passages,
            embedder.as_ref(),
            SupportPolicy {
                min_support: a.min_support,
            },
        )?;

        let mut builder = CitationBuilder::new(self);
        let mut sentences = Vec::new();
        let mut lost = 0;
        for s in &verified.sentences {
            let mut numbers = Vec::new();
            for (i, n) in s.citations.iter().enumerate() {
                let Some(p) = passages.iter().find(|p| p.n == *n) else {
                    continue;
                };
                let (start, end) = match (i, s.span) {
                    (0, Some((from, to))) => (p.start + from, p.start + to),
                    _ => (p.start, p.end),
                };
                if let Some(number) = builder.cite(p.into(), start, end)? {
                    numbers.push(number);
                }
            }
            if numbers.is_empty() {
                lost += 1; // its span is not in the catalog: never shown
                continue;
            }
            // Shown with its line breaks folded; the citation keeps the exact span.
            let text = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
            sentences.push(AnswerSentence {
                text,
                citations: numbers,
            });
        }

        // The extractive answerer already scored each sentence against the question; others are scored here.
        let known_relevance = verified
            .sentences
            .iter()
            .map(|s| s.relevance)
            .collect::<Option<Vec<f32>>>()
            .map(|r| r.into_iter().fold(0.0f32, f32::max));
        let signals = self.signals(
            question,
            &sentences,
            &builder.citations,
            &passages,
            drafted,
            known_relevance,
        )?;
        let conf = confidence(&signals);
        for r in &verified.removed {
            reasons.push(format!("removed a sentence: {}", r.reason));
        }
        let unknown = self.unknown_entities(question)?;
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
        } else if !unknown.is_empty() {
            reasons.push(format!(
                "the documents never mention {}",
                unknown.join(", ")
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
            unsupported_sentences: verified.removed.len() + lost,
            signals,
            answerer: answerer.name().into(),
            as_of,
            took_ms: 0.0,
        };
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
                let draft = ReviewDraft {
                    sentences,
                    citations: draft_citations,
                    evidence: response.citations.clone(),
                    removed: verified.removed.into_iter().map(Into::into).collect(),
                    as_of,
                };
                let id = uuid::Uuid::new_v4().to_string();
                let draft_json = serde_json::to_value(&draft)
                    .map_err(|e| EngineError::Request(format!("cannot store review draft: {e}")))?;
                self.catalog.insert_review(
                    &id,
                    question,
                    &key,
                    f64::from(conf),
                    &serde_json::json!(response.reasons),
                    &draft_json,
                )?;
                response.review_id = Some(id);
            }
        }
        response.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(response)
    }

    /// Uncommon words of the question (not whole words of the model's vocabulary, like "rivaroxaban") that
    /// no indexed chunk contains: the documents say nothing about that thing, so no answer about it is
    /// automatic. Common words are left out: a small corpus lacks many of them without being off topic.
    fn unknown_entities(&self, question: &str) -> Result<Vec<String>, EngineError> {
        let chunker = self.chunker()?;
        let mut unknown = Vec::new();
        for word in question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 4)
        {
            let word = word.to_lowercase();
            if word.chars().all(|c| c.is_ascii_alphabetic())
                && !chunker.is_common_word(&word)
                && !self.unknown_terms(&word)?.is_empty()
                && !unknown.contains(&word)
            {
                unknown.push(word);
            }
        }
        Ok(unknown)
    }

    fn signals(
        &self,
        question: &str,
        sentences: &[AnswerSentence],
        citations: &[Citation],
        passages: &[Passage],
        drafted: usize,
        known_relevance: Option<f32>,
    ) -> Result<ConfidenceSignals, EngineError> {
        if sentences.is_empty() {
            return Ok(ConfidenceSignals::default());
        }
        let best = match known_relevance {
            Some(r) => r,
            None => {
                let embedder = self.embedder()?;
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
        Ok(ConfidenceSignals {
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
