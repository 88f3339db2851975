//! The human review queue: list, show, approve, edit, reject. Every step is an event in the item's history
//! (who, when, note, the answer before and after); nothing is overwritten. An approved answer is reused
//! for the same question asked under the same filters while its cited versions stay in force, and its
//! item is reopened when one of them is superseded (see `answer.rs`).

use cited_answer::{Passage, SupportPolicy, parse_marked_text, verify};
use cited_catalog::ReviewRecord;
use std::collections::HashSet;

use cited_core::{Access, AnswerSentence};

use crate::answer::{ApprovedAnswer, CitationBuilder, ReviewDraft};
use crate::search::Hidden;
use crate::{BadRequestCode, Engine, EngineError};

impl Engine {
    /// Review items in a state that `access` may see, newest first.
    pub fn reviews(&self, state: &str, access: &Access) -> Result<Vec<ReviewRecord>, EngineError> {
        if !matches!(state, "pending" | "approved" | "rejected") {
            return Err(EngineError::bad_request(
                BadRequestCode::BadReview,
                format!("unknown review state {state:?} (pending, approved, rejected)"),
            ));
        }
        let hidden = self.hidden(access)?;
        Ok(self
            .catalog
            .reviews_in_state(state)?
            .into_iter()
            .filter(|item| item_is_visible(item, &hidden))
            .collect())
    }

    /// One review item, if `access` may read every document it shows.
    pub fn review(&self, id: &str, access: &Access) -> Result<ReviewRecord, EngineError> {
        let hidden = self.hidden(access)?;
        self.catalog
            .review(id)?
            .filter(|item| item_is_visible(item, &hidden))
            .ok_or_else(|| EngineError::NotFound(format!("no review item {id:?}")))
    }

    /// The number of pending items, whoever may see them (for `/metrics`).
    pub fn pending_reviews(&self) -> Result<usize, EngineError> {
        Ok(self.catalog.reviews_in_state("pending")?.len())
    }

    fn pending_draft(&self, id: &str) -> Result<ReviewDraft, EngineError> {
        let item = self.review(id, &Access::Operator)?;
        if item.state != "pending" {
            return Err(EngineError::bad_request(
                BadRequestCode::BadReview,
                format!(
                    "review item {id} was already {} by {}",
                    item.state,
                    item.reviewer.as_deref().unwrap_or("someone")
                ),
            ));
        }
        serde_json::from_value(item.draft)
            .map_err(|e| EngineError::Internal(format!("review item {id} is damaged: {e}")))
    }

    fn decide(
        &self,
        id: &str,
        decision: &str,
        reviewer: &str,
        note: Option<&str>,
        answer: Option<&ApprovedAnswer>,
    ) -> Result<(), EngineError> {
        let _writer = self.writer();
        if reviewer.trim().is_empty() {
            return Err(EngineError::bad_request(
                BadRequestCode::BadReview,
                "a decision needs the reviewer's name",
            ));
        }
        // A reviewer note may repeat the patient's name from the question: stored redacted.
        let redacted_note = note.map(|n| {
            if self.config.redaction.review_queue {
                cited_redact::Redactor::shared().redact(n).text
            } else {
                n.to_string()
            }
        });
        let note = redacted_note.as_deref();
        let answer = answer
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| EngineError::Internal(format!("cannot store answer: {e}")))?;
        if self
            .catalog
            .decide_review(id, decision, reviewer, note, answer.as_ref())?
        {
            Ok(())
        } else {
            Err(EngineError::bad_request(
                BadRequestCode::BadReview,
                format!("review item {id} is not pending"),
            ))
        }
    }

    /// Approves the draft as it stands. Only a draft with verified sentences can be approved; otherwise edit.
    pub fn approve_review(&self, id: &str, reviewer: &str) -> Result<(), EngineError> {
        let draft = self.pending_draft(id)?;
        if draft.sentences.is_empty() {
            return Err(EngineError::bad_request(
                BadRequestCode::BadReview,
                format!(
                    "review item {id} has no verified draft sentence to approve; write the answer with `review edit`"
                ),
            ));
        }
        let answer = ApprovedAnswer {
            sentences: draft.sentences,
            citations: draft.citations,
        };
        self.decide(id, "approved", reviewer, None, Some(&answer))
    }

    /// Approves the reviewer's own answer: sentences with `[n]` markers citing the item's evidence
    /// numbers. The reviewer's text goes through the same verification as a model's: a sentence that cites
    /// nothing, or states a number its passage does not contain, is refused with the reason.
    pub fn edit_review(
        &self,
        id: &str,
        reviewer: &str,
        answer_text: &str,
        note: Option<&str>,
    ) -> Result<(), EngineError> {
        let draft = self.pending_draft(id)?;
        let passages: Vec<Passage> = draft
            .evidence
            .iter()
            .map(|c| Passage {
                n: c.n,
                chunk_id: 0,
                doc_id: c.doc_id.clone(),
                version: c.version.clone(),
                title: c.title.clone(),
                section: c.section.clone(),
                page: c.page,
                start: c.start,
                end: c.end,
                text: c.quote.clone(),
                bm25_rank: None,
                dense_rank: None,
            })
            .collect();
        let drafted = parse_marked_text(answer_text);
        if drafted.is_empty() {
            return Err(EngineError::bad_request(
                BadRequestCode::BadAnswer,
                "the edited answer is empty",
            ));
        }
        let policy = SupportPolicy {
            min_support: self.config.answer.min_support,
        };
        let verified = verify(drafted, &passages, self.read_embedder()?.as_ref(), policy)?;
        if !verified.removed.is_empty() {
            let problems: Vec<String> = verified
                .removed
                .iter()
                .map(|r| format!("\"{}\": {}", r.text, r.reason))
                .collect();
            return Err(EngineError::bad_request(
                BadRequestCode::BadAnswer,
                format!(
                    "the edited answer was not saved:\n  {}",
                    problems.join("\n  ")
                ),
            ));
        }
        let mut builder = CitationBuilder::new(self);
        let mut sentences = Vec::new();
        for s in verified.sentences {
            let mut numbers = Vec::new();
            for n in &s.citations {
                if let Some(p) = passages.iter().find(|p| p.n == *n)
                    && let Some(number) = builder.cite(p.into(), p.start, p.end)?
                {
                    numbers.push(number);
                }
            }
            sentences.push(AnswerSentence {
                text: s.text,
                citations: numbers,
            });
        }
        let answer = ApprovedAnswer {
            sentences,
            citations: builder.citations,
        };
        self.decide(
            id,
            "edited",
            reviewer,
            Some(note.unwrap_or("edited by reviewer")),
            Some(&answer),
        )
    }

    /// Rejects the draft; the question keeps going to review when asked again.
    pub fn reject_review(&self, id: &str, reviewer: &str, note: &str) -> Result<(), EngineError> {
        self.pending_draft(id)?;
        self.decide(id, "rejected", reviewer, Some(note), None)
    }
}

/// Whether no document an item shows (its draft, evidence, approved answer and trace) is hidden.
pub(crate) fn item_is_visible(item: &ReviewRecord, hidden: &Hidden) -> bool {
    if hidden.docs.is_empty() {
        return true;
    }
    let mut docs = HashSet::new();
    for value in [Some(&item.draft), item.answer.as_ref(), item.trace.as_ref()]
        .into_iter()
        .flatten()
    {
        doc_ids(value, &mut docs);
    }
    docs.iter().all(|d| !hidden.docs.contains(*d))
}

/// Every `doc_id` string anywhere in `value`.
fn doc_ids<'a>(value: &'a serde_json::Value, out: &mut HashSet<&'a str>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("doc_id", serde_json::Value::String(id)) => {
                        out.insert(id);
                    }
                    _ => doc_ids(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| doc_ids(v, out)),
        _ => {}
    }
}
