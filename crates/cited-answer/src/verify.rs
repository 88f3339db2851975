//! Citation verification, the same for every answerer: a sentence survives only if it cites passages that
//! were given, every number and code in it appears in a cited passage, and the cited passage supports it.

use cited_embed::{Embedder, cosine};
use serde::Serialize;

use crate::terms::{content_terms, unsupported_facts};
use crate::{AnswerError, DraftSentence, Passage};

/// When a sentence counts as supported.
#[derive(Debug, Clone, Copy)]
pub struct SupportPolicy {
    /// Minimum support score (0..1) of a sentence against its best cited passage.
    pub min_support: f32,
}

impl Default for SupportPolicy {
    fn default() -> Self {
        Self { min_support: 0.55 }
    }
}

/// A sentence that passed verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedSentence {
    /// Sentence text.
    pub text: String,
    /// Passage numbers it cites (only given ones).
    pub citations: Vec<usize>,
    /// Byte range inside the first cited passage that supports it, when known.
    pub span: Option<(usize, usize)>,
    /// Support score against its best cited passage.
    pub support: f32,
    /// The answerer's relevance score, if any.
    pub relevance: Option<f32>,
}

/// A sentence verification removed, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemovedSentence {
    /// Sentence text (kept for reviewers and the audit, never shown as an answer).
    pub text: String,
    /// Why it was removed.
    pub reason: String,
}

/// The verified part of a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VerifiedAnswer {
    /// Sentences that stand, in draft order.
    pub sentences: Vec<VerifiedSentence>,
    /// Sentences removed.
    pub removed: Vec<RemovedSentence>,
}

/// Share of `sentence`'s content terms found in `passage`.
fn overlap(sentence: &str, passage: &str) -> f32 {
    let terms = content_terms(sentence);
    if terms.is_empty() {
        return 0.0;
    }
    let have = content_terms(passage);
    terms.iter().filter(|t| have.contains(t)).count() as f32 / terms.len() as f32
}

/// Checks every drafted sentence against the passages it cites.
pub fn verify(
    draft: Vec<DraftSentence>,
    passages: &[Passage],
    embedder: &dyn Embedder,
    policy: SupportPolicy,
) -> Result<VerifiedAnswer, AnswerError> {
    let mut out = VerifiedAnswer::default();
    let mut pending: Vec<(DraftSentence, Vec<&Passage>)> = Vec::new();
    for mut sentence in draft {
        sentence
            .citations
            .retain(|n| passages.iter().any(|p| p.n == *n));
        sentence.citations.dedup();
        let cited: Vec<&Passage> = sentence
            .citations
            .iter()
            .filter_map(|n| passages.iter().find(|p| p.n == *n))
            .collect();
        if cited.is_empty() {
            out.removed.push(RemovedSentence {
                text: sentence.text,
                reason: "cites no passage that was given".into(),
            });
            continue;
        }
        let cited_text: String = cited
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let missing = unsupported_facts(&sentence.text, &cited_text);
        if !missing.is_empty() {
            let shown: Vec<String> = missing
                .iter()
                .map(|f| match &f.unit {
                    Some(u) => format!("{} {u}", f.value),
                    None => f.value.clone(),
                })
                .collect();
            out.removed.push(RemovedSentence {
                text: sentence.text,
                reason: format!(
                    "states {} which no cited passage contains",
                    shown.join(", ")
                ),
            });
            continue;
        }
        pending.push((sentence, cited));
    }
    if pending.is_empty() {
        return Ok(out);
    }
    // Quoted text is supported by definition; everything else is scored with one embedding call for all
    // its sentences and cited passages.
    let (quoted, paraphrased): (Vec<_>, Vec<_>) = pending
        .into_iter()
        .enumerate()
        .partition(|(_, (s, cited))| cited.iter().any(|p| p.text.contains(s.text.trim())));
    let mut texts: Vec<String> = Vec::new();
    let mut index: Vec<(usize, Vec<usize>)> = Vec::new();
    for (_, (s, cited)) in &paraphrased {
        let at = texts.len();
        texts.push(s.text.clone());
        let mut idx = Vec::new();
        for p in cited {
            idx.push(texts.len());
            texts.push(p.text.clone());
        }
        index.push((at, idx));
    }
    let vectors = if texts.is_empty() {
        Vec::new()
    } else {
        embedder.embed_passages(&texts)?
    };
    let mut scored: Vec<(usize, DraftSentence, f32)> =
        quoted.into_iter().map(|(i, (s, _))| (i, s, 1.0)).collect();
    for ((i, (sentence, cited)), (at, idx)) in paraphrased.into_iter().zip(index) {
        let support = cited
            .iter()
            .zip(&idx)
            .map(|(p, &j)| {
                let sim = vectors
                    .get(at)
                    .zip(vectors.get(j))
                    .map(|(a, b)| cosine(a, b))
                    .unwrap_or(0.0);
                0.5 * sim.max(0.0) + 0.5 * overlap(&sentence.text, &p.text)
            })
            .fold(0.0f32, f32::max);
        scored.push((i, sentence, support));
    }
    scored.sort_by_key(|(i, _, _)| *i);
    for (_, sentence, support) in scored {
        if support < policy.min_support {
            out.removed.push(RemovedSentence {
                text: sentence.text,
                reason: format!(
                    "not supported by the cited passage (support {support:.2} < {:.2})",
                    policy.min_support
                ),
            });
            continue;
        }
        out.sentences.push(VerifiedSentence {
            text: sentence.text,
            citations: sentence.citations,
            span: sentence.span,
            support,
            relevance: sentence.relevance,
        });
    }
    Ok(out)
}
