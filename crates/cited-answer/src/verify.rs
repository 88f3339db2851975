//! Citation verification, the same for every answerer and for reviewer edits. A drafted sentence stands only
//! if it cites passages that were given and, clause by clause, one sentence (or list item with its header)
//! of a cited passage supports it:
//! - every numeric fact of the clause appears in that one sentence with the same value, unit and comparator
//!   (so a number from another branch or passage cannot be joined to this clause's condition);
//! - negation agrees (parity of not/no/except/unless/non-covered/...), as do quantifiers (all/some/only),
//!   modality (must/may) and condition words (before/after, inpatient/outpatient, ...);
//! - a verbatim quote counts as a quote only when it is a whole sentence or list item, never a fragment that
//!   starts after "Do not" or stops before "unless";
//! - and the embedding-plus-overlap support score reaches the policy's minimum.
//!
//! There is no NLI model (see `shared/MODELS.md`), so these are rules; `cited eval verify` measures them on
//! `evals/verify-adversarial.jsonl`.

use cited_embed::{Embedder, cosine};
use serde::Serialize;

use crate::clauses::{SupportUnit, draft_clauses, support_units};
use crate::cues::{
    antonym_swap, dropped_negation, drops_exclusive, modality_mismatch, negated, negations,
    quantifier_mismatch,
};
use crate::facts::{Fact, facts};
use crate::terms::content_terms;
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

/// Share of `terms` found in `have`.
fn share(terms: &[String], have: &[String]) -> f32 {
    if terms.is_empty() {
        return 0.0;
    }
    terms.iter().filter(|t| have.contains(t)).count() as f32 / terms.len() as f32
}

/// Collapses white space, for comparing a quote with a passage whose lines were broken differently.
fn collapse(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    let mut space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
                map.push(i);
            }
            space = true;
        } else {
            space = false;
            let at = out.len();
            out.push(c);
            map.extend(std::iter::repeat_n(i, out.len() - at));
        }
    }
    map.push(text.len());
    (out, map)
}

/// Where `sentence` occurs verbatim in `passage` as whole sentences or list items: the byte range, or
/// `None` when it is absent or only a fragment of a sentence.
fn whole_quote(sentence: &str, passage: &str, units: &[SupportUnit]) -> Option<(usize, usize)> {
    let (needle, _) = collapse(sentence.trim());
    let needle = needle.trim_end_matches(['.', ';', ':']);
    if needle.is_empty() {
        return None;
    }
    let (hay, map) = collapse(passage);
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let at = from + pos;
        let start = map[at];
        let end = map.get(at + needle.len()).copied().unwrap_or(passage.len());
        let starts_unit = units.iter().any(|u| u.start == start);
        // The quote may stop before the sentence's final punctuation, and nothing else.
        let ends_unit = units.iter().any(|u| {
            u.end >= end
                && passage[end..u.end]
                    .trim()
                    .chars()
                    .all(|c| matches!(c, '.' | ';' | ':' | '!' | '?'))
                && u.start < end
        });
        if starts_unit && ends_unit {
            let last = units
                .iter()
                .filter(|u| u.start < end && u.end >= end)
                .map(|u| u.end)
                .next()
                .unwrap_or(end);
            return Some((start, last));
        }
        from = at + needle.len().max(1);
        if from >= hay.len() {
            break;
        }
    }
    None
}

/// Words that open a condition or exception: dropping what follows them changes the rule.
const CONDITION_WORDS: &[&str] = &[
    "unless", "except", "only", "if", "when", "whenever", "provided", "but", "where", "until",
    "after", "before", "while", "without", "not", "once", "as", "because", "since", "within",
];

/// When `sentence` is a verbatim piece of one sentence of a cited passage but not all of it, the words it
/// leaves out, if they matter (a leading "Do not", a condition, an exception).
fn fragment_of(sentence: &str, cited: &[&Passage], units: &[Vec<SupportUnit>]) -> Option<String> {
    let (needle, _) = collapse(sentence.trim());
    let needle = needle.trim_end_matches(['.', ';', ':', ',']);
    if needle.split_whitespace().count() < 3 {
        return None;
    }
    for (p, us) in cited.iter().zip(units) {
        for u in us {
            let (unit, _) = collapse(&u.claim(&p.text));
            if let Some(at) = unit.find(needle) {
                // A heading run into the sentence ("Eligibility Criteria The radiologist must ...") is
                // not part of its claim.
                let prefix = &unit[..at];
                let heading = prefix
                    .split_whitespace()
                    .all(|w| !w.chars().any(char::is_lowercase));
                let prefix = if heading { "" } else { prefix.trim() };
                let suffix = unit[at + needle.len()..]
                    .trim()
                    .trim_start_matches(['.', ';', ':', ',', ' ']);
                // A leading "Do not" or condition ("For hypotension or a lactate of 4 or more,") changes
                // what the rest says; so does a trailing condition or exception ("unless ...", "when
                // ...", "but only ..."). A trailing alternative (", or heparin ...") or addition (", and
                // ...") does not.
                let prefix_matters = !prefix.is_empty()
                    && (content_terms(prefix).len() >= 2
                        || !negations(prefix).is_empty()
                        || !facts(prefix).is_empty());
                let first = suffix
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_lowercase();
                let suffix_matters = !suffix.is_empty()
                    && (CONDITION_WORDS.contains(&first.as_str())
                        || !negations(suffix).is_empty()
                        || suffix.to_lowercase().starts_with("for patients")
                        || suffix.to_lowercase().starts_with("in patients"));
                if prefix_matters || suffix_matters {
                    let left_out = if prefix_matters { prefix } else { suffix };
                    return Some(left_out.trim_matches(['.', ';', ':', ',', ' ']).to_string());
                }
            }
        }
    }
    None
}

/// A sentence that passed the rules, waiting for its support score: draft order, the sentence, its span,
/// whether it is a whole quote, and the claims that support its clauses.
type Pending = (
    usize,
    DraftSentence,
    Option<(usize, usize)>,
    bool,
    Vec<String>,
);

/// One support unit of one cited passage.
struct Candidate {
    passage: usize,
    unit: SupportUnit,
    claim: String,
    facts: Vec<Fact>,
    terms: Vec<String>,
}

/// Checks one clause against the units of the cited passages: the best unit, or why none supports it.
fn check_clause<'a>(
    clause: &str,
    sentence: &str,
    candidates: &'a [Candidate],
) -> Result<&'a Candidate, String> {
    let clause_facts = facts(clause);
    let clause_terms = content_terms(clause);
    let supported = |c: &Candidate| {
        clause_facts
            .iter()
            .all(|f| c.facts.iter().any(|g| f.supported_by(g)))
    };
    let best = candidates
        .iter()
        .filter(|c| supported(c))
        .max_by(|a, b| share(&clause_terms, &a.terms).total_cmp(&share(&clause_terms, &b.terms)));
    let Some(best) = best else {
        // Explain: a flipped comparator, facts no passage states, or facts from different sentences.
        let mut absent = Vec::new();
        for f in &clause_facts {
            let anywhere = candidates
                .iter()
                .any(|c| c.facts.iter().any(|g| f.supported_by(g)));
            if anywhere {
                continue;
            }
            if let Some(g) = candidates
                .iter()
                .flat_map(|c| c.facts.iter())
                .find(|g| f.conflicts_with(g))
            {
                return Err(format!("says {f} where the cited passage says {g}"));
            }
            absent.push(f.to_string());
        }
        if !absent.is_empty() {
            return Err(format!(
                "states {}, which no cited passage contains",
                absent.join(" and ")
            ));
        }
        return Err(format!(
            "joins {} that the cited passages state in different sentences",
            clause_facts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    };
    let overlap = share(&clause_terms, &best.terms);
    if !clause_facts.is_empty() && clause_terms.len() >= 3 {
        // Words of the clause that its supporting sentence lacks but another cited sentence has: the clause
        // borrows a condition or subject from elsewhere and pins this sentence's number to it.
        // Words from a sentence that states a parallel number (another branch) or the opposite polarity
        // (a contraindication) are borrowed; words from a neutral neighbour ("Use compression instead.")
        // are context.
        let parallel = |c: &Candidate| {
            c.facts.iter().any(|g| {
                clause_facts
                    .iter()
                    .any(|f| f.unit.is_some() && f.unit == g.unit && !f.supported_by(g))
            }) || (negated(&c.claim) && !negated(clause))
        };
        let borrowed: Vec<&String> = clause_terms
            .iter()
            .filter(|t| {
                !best.terms.contains(t)
                    && candidates
                        .iter()
                        .any(|c| !std::ptr::eq(c, best) && c.terms.contains(t) && parallel(c))
            })
            .collect();
        if borrowed.len() >= 2 && overlap < 0.75 {
            return Err(format!(
                "joins {} to \"{}\" from another sentence",
                clause_facts
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" and "),
                borrowed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
    if negated(clause) != negated(&best.claim)
        && !sub_clause_agrees(clause, &best.claim)
        && !merges_neighbour(clause, &clause_terms, best, candidates)
    {
        let d = negations(clause);
        let s = negations(&best.claim);
        return Err(if d.len() > s.len() {
            format!(
                "adds a negation (\"{}\") the cited passage does not have",
                d.join("\", \"")
            )
        } else {
            format!(
                "drops the cited passage's negation (\"{}\")",
                s.join("\", \"")
            )
        });
    }
    if let Some(why) = dropped_negation(clause, &best.claim) {
        return Err(why);
    }
    // A positive clause that restates a negated sentence about as closely as its best support ("covers
    // it when used alone" beside "It is not covered when used alone") drops that negation.
    let best_share = share(&clause_terms, &best.terms);
    for c in candidates {
        if !std::ptr::eq(c, best)
            && share(&clause_terms, &c.terms) >= best_share - 0.15
            && let Some(why) = dropped_negation(clause, &c.claim)
        {
            return Err(why);
        }
    }
    if let Some(why) = quantifier_mismatch(clause, &best.claim) {
        return Err(why);
    }
    if let Some(why) = drops_exclusive(sentence, &best.claim) {
        return Err(why);
    }
    if let Some(why) = modality_mismatch(clause, &best.claim) {
        return Err(why);
    }
    if let Some((said, passage)) = antonym_swap(clause, &best.claim) {
        return Err(format!(
            "says \"{said}\" where the cited passage says \"{passage}\""
        ));
    }
    Ok(best)
}

/// A drafted clause that joins its support with the next or previous sentence of the same passage (a
/// reason and its conclusion: "With no evidence of benefit, X is not covered") carries the negations of
/// both; its polarity agrees when it matches theirs together and the neighbour adds words it uses.
fn merges_neighbour(
    clause: &str,
    clause_terms: &[String],
    best: &Candidate,
    candidates: &[Candidate],
) -> bool {
    let Some(at) = candidates.iter().position(|c| std::ptr::eq(c, best)) else {
        return false;
    };
    [at.checked_sub(1), Some(at + 1)]
        .into_iter()
        .flatten()
        .filter_map(|i| candidates.get(i))
        .filter(|n| n.passage == best.passage)
        .any(|n| {
            let joined = if n.unit.start < best.unit.start {
                format!("{} {}", n.claim, best.claim)
            } else {
                format!("{} {}", best.claim, n.claim)
            };
            let added = clause_terms
                .iter()
                .filter(|t| n.terms.contains(t) && !best.terms.contains(t))
                .count();
            negated(&joined) == negated(clause) && added >= 2
        })
}

/// A long passage sentence can hold a negative and a positive clause ("X is covered, and Y is not"): the
/// drafted clause agrees when the part of the sentence it restates has its polarity.
fn sub_clause_agrees(clause: &str, sentence: &str) -> bool {
    let terms = content_terms(clause);
    let parts: Vec<&str> = sentence
        .split([',', ';'])
        .flat_map(|p| p.split(" but "))
        .collect();
    if parts.len() < 2 {
        return false;
    }
    // Leaving out the sentence's exception ("…, unless improvement is documented") changes what it says.
    let cues = |t: &str| {
        t.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| matches!(w, "unless" | "except"))
    };
    if cues(sentence) && !cues(clause) {
        return false;
    }
    let best = parts.iter().max_by(|a, b| {
        share(&terms, &content_terms(a)).total_cmp(&share(&terms, &content_terms(b)))
    });
    best.is_some_and(|p| {
        share(&terms, &content_terms(p)) >= 0.75
            && negated(p) == negated(clause)
            && negations(p).is_empty() == negations(clause).is_empty()
    })
}

/// Checks every drafted sentence against the passages it cites.
pub fn verify(
    draft: Vec<DraftSentence>,
    passages: &[Passage],
    embedder: &dyn Embedder,
    policy: SupportPolicy,
) -> Result<VerifiedAnswer, AnswerError> {
    let mut out = VerifiedAnswer::default();
    // (draft order, sentence, span, quoted whole, the claims that support its clauses)
    let mut pending: Vec<Pending> = Vec::new();
    for (order, mut sentence) in draft.into_iter().enumerate() {
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
        let units: Vec<Vec<SupportUnit>> = cited.iter().map(|p| support_units(&p.text)).collect();
        // A whole sentence or list item quoted verbatim from the first cited passage is its own support.
        if let Some(span) = whole_quote(&sentence.text, &cited[0].text, &units[0]) {
            let span = sentence.span.or(Some(span));
            pending.push((order, sentence, span, true, Vec::new()));
            continue;
        }
        if let Some(left_out) = fragment_of(&sentence.text, &cited, &units) {
            out.removed.push(RemovedSentence {
                text: sentence.text,
                reason: format!("quotes part of a sentence and leaves out \"{left_out}\""),
            });
            continue;
        }
        let candidates: Vec<Candidate> = cited
            .iter()
            .zip(&units)
            .enumerate()
            .flat_map(|(pi, (p, us))| {
                us.iter().map(move |u| {
                    let claim = u.claim(&p.text);
                    Candidate {
                        passage: pi,
                        unit: *u,
                        facts: facts(&claim),
                        terms: content_terms(&claim),
                        claim,
                    }
                })
            })
            .collect();
        let mut span = None;
        let mut failure = None;
        let mut claims = Vec::new();
        for (ci, clause) in draft_clauses(&sentence.text).into_iter().enumerate() {
            match check_clause(clause, &sentence.text, &candidates) {
                Ok(best) => {
                    if ci == 0 && best.passage == 0 {
                        span = Some(best.unit.cited_range());
                    }
                    if !claims.contains(&best.claim) {
                        claims.push(best.claim.clone());
                    }
                }
                Err(why) => {
                    failure = Some(why);
                    break;
                }
            }
        }
        if let Some(reason) = failure {
            out.removed.push(RemovedSentence {
                text: sentence.text,
                reason,
            });
            continue;
        }
        pending.push((order, sentence, span, false, claims));
    }
    if pending.is_empty() {
        return Ok(out);
    }
    // Paraphrases are scored with one embedding call for all of them, their cited passages and the
    // sentences that support their clauses (a long list dilutes a whole passage's vector).
    let mut texts: Vec<String> = Vec::new();
    let mut index: Vec<(usize, Vec<(usize, String)>)> = Vec::new();
    for (_, s, _, quoted, claims) in &pending {
        if *quoted {
            index.push((usize::MAX, Vec::new()));
            continue;
        }
        let at = texts.len();
        texts.push(s.text.clone());
        let mut idx = Vec::new();
        for n in &s.citations {
            if let Some(p) = passages.iter().find(|p| p.n == *n) {
                idx.push((texts.len(), p.text.clone()));
                texts.push(p.text.clone());
            }
        }
        let joined = claims.join(" ");
        if !joined.is_empty() {
            idx.push((texts.len(), joined.clone()));
            texts.push(joined);
        }
        index.push((at, idx));
    }
    let vectors = if texts.is_empty() {
        Vec::new()
    } else {
        embedder.embed_passages(&texts)?
    };
    for ((_, sentence, span, quoted, _), (at, idx)) in pending.into_iter().zip(index) {
        let support = if quoted {
            1.0
        } else {
            let terms = content_terms(&sentence.text);
            idx.iter()
                .map(|(j, text)| {
                    let sim = vectors
                        .get(at)
                        .zip(vectors.get(*j))
                        .map(|(a, b)| cosine(a, b))
                        .unwrap_or(0.0);
                    0.5 * sim.max(0.0) + 0.5 * share(&terms, &content_terms(text))
                })
                .fold(0.0f32, f32::max)
        };
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
            span,
            support,
            relevance: sentence.relevance,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VTE: &str = "For high-risk patients with a creatinine clearance of 30 mL/min or more, give enoxaparin 40 mg\nsubcutaneously once daily.\n\nWhen creatinine clearance is below 30 mL/min, give enoxaparin 30 mg subcutaneously once daily, or\nunfractionated heparin 5,000 units subcutaneously every 12 hours.\n\nDo not give pharmacological prophylaxis to patients with active bleeding or a platelet count below\n50,000 per microlitre. Use intermittent pneumatic compression instead.";

    fn candidates(text: &str) -> Vec<Candidate> {
        support_units(text)
            .into_iter()
            .map(|u| {
                let claim = u.claim(text);
                Candidate {
                    passage: 0,
                    unit: u,
                    facts: facts(&claim),
                    terms: content_terms(&claim),
                    claim,
                }
            })
            .collect()
    }

    fn verdict(sentence: &str) -> Result<(), String> {
        let c = candidates(VTE);
        if whole_quote(sentence, VTE, &support_units(VTE)).is_some() {
            return Ok(());
        }
        for clause in draft_clauses(sentence) {
            check_clause(clause, sentence, &c)?;
        }
        Ok(())
    }

    #[test]
    fn unfaithful_sentences_are_refused_with_a_reason() {
        for bad in [
            "Give pharmacological prophylaxis to patients with active bleeding.",
            "give pharmacological prophylaxis to patients with active bleeding or a platelet count below 50,000 per microlitre",
            "When creatinine clearance is above 30 mL/min, give enoxaparin 30 mg subcutaneously once daily.",
            "When creatinine clearance is below 30 mL/min, give enoxaparin 40 mg subcutaneously once daily.",
            "When creatinine clearance is below 30 mL/min, give enoxaparin 30 mg subcutaneously twice daily.",
            "Unfractionated heparin 5,000 units is given subcutaneously every 12 days.",
        ] {
            assert!(verdict(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn faithful_paraphrases_and_quotes_pass() {
        for good in [
            "Patients with a creatinine clearance under 30 mL/min get enoxaparin 30 mg subcutaneously once a day.",
            "Pharmacological prophylaxis must not be given to patients with active bleeding.",
            "Use intermittent pneumatic compression instead.",
            "High-risk patients whose creatinine clearance is at least 30 mL/min receive enoxaparin 40 mg subcutaneously once daily.",
            "Unfractionated heparin 5,000 units every twelve hours subcutaneously is the alternative when creatinine clearance is less than 30 mL/min.",
        ] {
            assert_eq!(verdict(good), Ok(()), "{good}");
        }
    }
}
