//! The default answerer: picks the sentences of the retrieved passages that answer the question, scored
//! against it with the embedding model and term overlap, and cites each to its exact span. Needs no
//! language model and is deterministic.

use std::sync::Arc;

use cited_embed::{Embedder, cosine};

use crate::sentences::split_sentences;
use crate::terms::content_terms;
use crate::{AnswerError, Answerer, DraftSentence, Passage};

/// Extractive answerer settings and model.
pub struct ExtractiveAnswerer {
    embedder: Arc<dyn Embedder>,
    /// Sentences in an answer at most.
    pub max_sentences: usize,
    /// Passages (best first) whose sentences are considered.
    pub max_passages: usize,
    /// Minimum combined score (0..1) for a sentence to be drafted.
    pub min_score: f32,
}

impl ExtractiveAnswerer {
    /// An answerer using `embedder` for sentence–question similarity.
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        Self {
            embedder,
            max_sentences: 3,
            max_passages: 5,
            min_score: 0.35,
        }
    }
}

struct Candidate {
    passage: usize,
    start: usize,
    end: usize,
    cosine: f32,
    score: f32,
}

impl Answerer for ExtractiveAnswerer {
    fn name(&self) -> &'static str {
        "extractive"
    }

    fn draft(
        &self,
        question: &str,
        passages: &[Passage],
    ) -> Result<Vec<DraftSentence>, AnswerError> {
        let question_terms = content_terms(question);
        let mut candidates = Vec::new();
        let mut texts = Vec::new();
        for (pi, p) in passages.iter().take(self.max_passages).enumerate() {
            for (s, e) in split_sentences(&p.text) {
                let sentence = &p.text[s..e];
                // Headings and fragments are not answers.
                if sentence.starts_with('#') || sentence.split_whitespace().count() < 5 {
                    continue;
                }
                candidates.push(Candidate {
                    passage: pi,
                    start: s,
                    end: e,
                    cosine: 0.0,
                    score: 0.0,
                });
                texts.push(sentence.to_string());
            }
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let q = self.embedder.embed_query(question)?;
        let vectors = self.embedder.embed_passages(&texts)?;
        for (c, v) in candidates.iter_mut().zip(&vectors) {
            c.cosine = cosine(&q, v);
            let terms = content_terms(&passages[c.passage].text[c.start..c.end]);
            let overlap = if question_terms.is_empty() {
                0.0
            } else {
                question_terms.iter().filter(|t| terms.contains(t)).count() as f32
                    / question_terms.len() as f32
            };
            // Earlier passages are better retrieved; a small prior breaks near ties in their favour.
            let prior = 0.05 / (c.passage as f32 + 1.0);
            c.score = 0.6 * c.cosine + 0.4 * overlap + prior;
        }
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
        let mut chosen: Vec<usize> = Vec::new();
        for i in order {
            if chosen.len() >= self.max_sentences || candidates[i].score < self.min_score {
                break;
            }
            // The same statement from another passage or version adds nothing.
            let duplicate = chosen
                .iter()
                .any(|&j| cosine(&vectors[i], &vectors[j]) > 0.92);
            if !duplicate {
                chosen.push(i);
            }
        }
        // Reading order: by passage rank, then position in the passage.
        chosen.sort_by_key(|&i| (candidates[i].passage, candidates[i].start));
        Ok(chosen
            .into_iter()
            .map(|i| {
                let c = &candidates[i];
                let p = &passages[c.passage];
                DraftSentence {
                    text: p.text[c.start..c.end].to_string(),
                    citations: vec![p.n],
                    span: Some((c.start, c.end)),
                    relevance: Some(c.cosine),
                }
            })
            .collect())
    }
}
