//! The default answerer: picks the sentences of the retrieved passages that answer the question and cites
//! each to its exact span. Needs no language model and is deterministic. What it picks:
//! - sentences scored against the question (embedding similarity and term overlap), from one document
//!   unless the question compares documents;
//! - a sentence that introduces a list comes with its items, as one span, never alone;
//! - when the question states a value (creatinine clearance 25, AHI 12), branches whose condition excludes
//!   it are dropped and the ones that include it lead;
//! - Purpose/Scope/Background sentences only when asked for;
//! - one best sentence per part of a multi-part question, plus close runners-up, not a fixed count.

use std::collections::HashMap;
use std::sync::Arc;

use cited_embed::{Embedder, cosine};

use crate::clauses::{introduces_list, is_list_item, list_extent, support_units};
use crate::facts::facts;
use crate::question::{
    ConditionFit, asks_definition, asks_for_list, asks_for_number, asks_preamble, condition_fit,
    is_comparative, is_definition, is_preamble_section, question_parts, stated_values,
};
use crate::shape::{AnswerShape, answer_shape, defined_acronyms, with_acronyms};
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
    /// A further sentence for the same part is drafted only within this score of the part's best.
    pub runner_up_margin: f32,
    /// How much each question term counts in term overlap (rare terms more: "carnitine" over "covered");
    /// terms not listed count 1.
    pub term_weights: HashMap<String, f32>,
}

impl ExtractiveAnswerer {
    /// An answerer using `embedder` for sentence–question similarity.
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        Self {
            embedder,
            max_sentences: 4,
            max_passages: 6,
            min_score: 0.35,
            runner_up_margin: 0.06,
            term_weights: HashMap::new(),
        }
    }
}

/// How much the answer's shape moves a sentence's score: a sentence with the wanted shape gains half of
/// it, one without loses half.
const SHAPE_WEIGHT: f32 = 0.12;

struct Candidate {
    passage: usize,
    /// Span to cite (a list header extends through its items).
    start: usize,
    end: usize,
    /// The text scored (a list item is scored with its header).
    scored: String,
    fit: ConditionFit,
    preamble: bool,
    /// States a number (a dose, a duration, a threshold).
    numeric: bool,
    /// States a frequency or interval ("once per year", "every 12 hours").
    rate: bool,
    /// Is a list with its header.
    list: bool,
    /// Defines or describes rather than states a rule.
    definition: bool,
}

fn overlap(question_terms: &[String], terms: &[String], weights: &HashMap<String, f32>) -> f32 {
    let weight = |t: &String| weights.get(t).copied().unwrap_or(1.0);
    let total: f32 = question_terms.iter().map(weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    question_terms
        .iter()
        .filter(|t| terms.contains(t))
        .map(weight)
        .sum::<f32>()
        / total
}

/// A heading run into the text ("Use for Walking in Patients with Spinal Cord Injury (SCI)"): no final
/// punctuation and mostly capitalised words.
fn is_heading_line(sentence: &str) -> bool {
    let t = sentence.trim();
    if t.ends_with(['.', ':', ';', '?', '!']) {
        return false;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let capitalised = words
        .iter()
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || !c.is_alphabetic())
        })
        .count();
    words.len() <= 14 && capitalised * 3 >= words.len() * 2
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
        let values = stated_values(question);
        let want_preamble = asks_preamble(question);
        let want_number = asks_for_number(question);
        let want_list = asks_for_list(question);
        let want_definition = asks_definition(question);
        let q_lower = question.to_lowercase();
        let want_frequency = ["how often", "how frequently", "how many times", "frequency"]
            .iter()
            .any(|w| q_lower.contains(w));
        let mut acronyms = HashMap::new();
        for p in passages.iter().take(self.max_passages) {
            acronyms.extend(defined_acronyms(&p.text));
        }
        let mut candidates: Vec<Candidate> = Vec::new();
        for (pi, p) in passages.iter().take(self.max_passages).enumerate() {
            let preamble = is_preamble_section(&p.section);
            for u in support_units(&p.text) {
                let sentence = &p.text[u.start..u.end];
                // Headings and fragments are not answers.
                // Headings, fragments, and pieces cut mid-sentence (a PDF page or column break) are not
                // answers.
                if sentence.starts_with('#')
                    || sentence.split_whitespace().count() < 4
                    || is_heading_line(sentence)
                    || (sentence.starts_with(|c: char| c.is_lowercase()) && u.header.is_none())
                {
                    continue;
                }
                let mut list = true;
                let (start, end, scored) = if is_list_item(sentence) {
                    // An item is shown with its header and the whole list, never alone.
                    let Some((hs, he)) = u.header else { continue };
                    let Some((ls, le)) = list_extent(&p.text, hs, he) else {
                        continue;
                    };
                    (ls, le, u.claim(&p.text))
                } else if introduces_list(sentence) {
                    match list_extent(&p.text, u.start, u.end) {
                        Some((ls, le)) => (ls, le, p.text[ls..le].to_string()),
                        // The list is not in this passage: a header alone answers nothing.
                        None => continue,
                    }
                } else {
                    list = false;
                    (u.start, u.end, sentence.to_string())
                };
                if sentence.split_whitespace().count() < 5 && !is_list_item(sentence) {
                    continue;
                }
                let fit = condition_fit(question, &values, &u.claim(&p.text));
                if fit == ConditionFit::Excluded {
                    continue;
                }
                let stated = facts(&scored);
                let numeric = stated.iter().any(|f| {
                    f.unit.is_some() || f.number().is_some_and(|v| !(1900.0..=2100.0).contains(&v))
                });
                let rate = stated.iter().any(|f| {
                    f.comparator == crate::facts::Comparator::Every
                        || f.unit
                            .as_deref()
                            .is_some_and(|u| u.contains('/') || u == "time")
                });
                candidates.push(Candidate {
                    passage: pi,
                    start,
                    end,
                    definition: is_definition(sentence),
                    scored,
                    fit,
                    preamble,
                    numeric,
                    rate,
                    list,
                });
            }
        }
        // The same span reached through several items of one list is one candidate.
        candidates.dedup_by(|a, b| a.passage == b.passage && a.start == b.start && a.end == b.end);
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let parts = question_parts(question);
        let mut queries = vec![question.to_string()];
        if parts.len() > 1 {
            queries.extend(parts.iter().cloned());
        }
        let query_vectors = queries
            .iter()
            .map(|q| self.embedder.embed_query(q))
            .collect::<Result<Vec<_>, _>>()?;
        let texts: Vec<String> = candidates.iter().map(|c| c.scored.clone()).collect();
        let vectors = self.embedder.embed_passages(&texts)?;
        // The shape of answer each query wants (a count of the thing asked about, a level, a coverage
        // statement, a recommendation) and how well each candidate has it.
        let shapes: Vec<AnswerShape> = queries.iter().map(|q| answer_shape(q)).collect();
        // A shape no candidate has tells nothing about which one answers.
        let shape_fit: Vec<Vec<f32>> = shapes
            .iter()
            .map(|shape| {
                let fits: Vec<f32> = candidates.iter().map(|c| shape.fit(&c.scored)).collect();
                let informative = shape.is_specific()
                    && fits.iter().any(|&f| f > 0.0)
                    && fits.iter().any(|&f| f < 1.0);
                if informative {
                    fits
                } else {
                    vec![0.5; fits.len()]
                }
            })
            .collect();
        // Within the chosen document, a sentence with the wanted shape leads.
        let shaped = |qi: usize, ci: usize, s: f32| s + SHAPE_WEIGHT * (shape_fit[qi][ci] - 0.5);
        let candidate_terms: Vec<Vec<String>> = candidates
            .iter()
            .map(|c| with_acronyms(content_terms(&c.scored), &acronyms))
            .collect();
        let score_against = |qi: usize, terms: &[String], ci: usize| -> (f32, f32) {
            let c = &candidates[ci];
            let cos = cosine(&query_vectors[qi], &vectors[ci]);
            let mut s = 0.6 * cos + 0.4 * overlap(terms, &candidate_terms[ci], &self.term_weights);

            // Earlier passages are better retrieved; a small prior breaks near ties in their favour.
            s += 0.05 / (c.passage as f32 + 1.0);
            if c.fit == ConditionFit::Included {
                s += 0.15;
            }
            if c.preamble && !want_preamble {
                s -= 0.25;
            }
            // What kind of answer the question wants: a number, a list, not a definition.
            if want_number && c.numeric {
                s += 0.08;
            }
            if want_frequency && c.rate {
                s += 0.1;
            }
            if want_list && c.list {
                s += 0.08;
            }
            if c.definition && !want_definition {
                s -= 0.1;
            }
            (s, cos)
        };
        let question_terms = content_terms(question);
        let whole: Vec<(f32, f32)> = (0..candidates.len())
            .map(|ci| score_against(0, &question_terms, ci))
            .collect();

        // One document answers unless the question compares several: the one whose best sentence, title
        // match and retrieval agree most.
        let allowed_docs: Vec<&str> = if is_comparative(question) {
            passages.iter().map(|p| p.doc_id.as_str()).collect()
        } else {
            let mut doc_score: HashMap<&str, f32> = HashMap::new();
            for (ci, c) in candidates.iter().enumerate() {
                let p = &passages[c.passage];
                // A title that adds a special context the question does not name ("... in Approved
                // Clinical Trials") is less likely the policy asked about than the general one.
                let extra = content_terms(&p.title)
                    .iter()
                    .filter(|t| !question_terms.contains(t))
                    .count()
                    .min(5) as f32;
                let title = overlap(
                    &question_terms,
                    &content_terms(&p.title),
                    &self.term_weights,
                ) * 0.15
                    - 0.02 * extra;
                let e = doc_score.entry(p.doc_id.as_str()).or_insert(f32::MIN);
                *e = e.max(whole[ci].0 + title);
            }
            let best = doc_score
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(d, _)| *d);
            best.into_iter().collect()
        };
        let in_scope =
            |ci: usize| allowed_docs.contains(&passages[candidates[ci].passage].doc_id.as_str());

        let mut chosen: Vec<usize> = Vec::new();
        let part_queries: Vec<(usize, Vec<String>)> = if parts.len() > 1 {
            parts
                .iter()
                .enumerate()
                .map(|(i, p)| (i + 1, content_terms(p)))
                .collect()
        } else {
            vec![(0, question_terms.clone())]
        };
        let per_part = (self.max_sentences / part_queries.len()).max(1);
        for (qi, terms) in &part_queries {
            let mut order: Vec<(usize, f32)> = (0..candidates.len())
                .filter(|&ci| in_scope(ci))
                .map(|ci| {
                    let part = score_against(*qi, terms, ci).0;
                    // A part's sentence should also serve the whole question.
                    (ci, shaped(*qi, ci, 0.7 * part + 0.3 * whole[ci].0))
                })
                .collect();
            order.sort_by(|a, b| b.1.total_cmp(&a.1));
            let Some(&(_, top)) = order.first() else {
                continue;
            };
            if top < self.min_score {
                continue;
            }
            let mut taken = 0;
            for (ci, s) in order {
                if taken >= per_part || s < self.min_score || s < top - self.runner_up_margin {
                    break;
                }
                let c = &candidates[ci];
                // Overlapping spans (a list and one of its items) and restatements add nothing.
                let duplicate = chosen.iter().any(|&j| {
                    let o = &candidates[j];
                    (o.passage == c.passage && o.start < c.end && c.start < o.end)
                        || cosine(&vectors[ci], &vectors[j]) > 0.92
                });
                if !duplicate {
                    chosen.push(ci);
                    taken += 1;
                }
            }
        }
        chosen.truncate(self.max_sentences);
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
                    relevance: Some(whole[i].1),
                }
            })
            .collect())
    }
}
