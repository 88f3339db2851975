//! Confidence from signals that can be explained to a reviewer. Each is 0..1; the weights are set so that a
//! passage that is on topic (relevance), covers the question's words (coverage), is found by both
//! retrievers (agreement) and survives verification (verified share) scores high, and any one missing
//! pulls the answer toward review. A question that names too little to pick one policy ("Is it covered?")
//! scales everything down (specificity). Thresholds are calibrated on the dev set (evals/README.md).

use serde::{Deserialize, Serialize};

/// The inputs of [`confidence`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceSignals {
    /// Best cosine similarity between the question and an answer sentence, rescaled: 0.2 → 0, 0.7 → 1.
    pub relevance: f32,
    /// Share of the question's content terms present in the cited passages.
    pub coverage: f32,
    /// Share of cited passages that both BM25 and dense retrieval ranked in their top 10.
    pub agreement: f32,
    /// Share of drafted sentences that passed verification.
    pub verified_share: f32,
    /// Content terms in the question, as a share of four: vague questions cannot be answered with confidence.
    pub specificity: f32,
    /// Share of the question's rare-word weight (inverse chunk frequency) found in the answer sentences
    /// themselves: an answer that never names what the question is about is not its answer.
    pub focus: f32,
    /// 1 when the answer is of the kind the question asks for (a number for "how many", a list for
    /// "which"), 0.5 when the question names no kind, 0 when it asks for one the answer lacks.
    pub kind_match: f32,
}

/// Specificity of a question with `terms` content terms.
pub fn specificity(terms: usize) -> f32 {
    (terms as f32 / 4.0).min(1.0)
}

/// Rescales a MiniLM cosine similarity to 0..1 for question–sentence relevance.
pub fn rescale_relevance(cosine: f32) -> f32 {
    ((cosine - 0.2) / 0.5).clamp(0.0, 1.0)
}

/// Weighted mean of the signals, 0..1: the evidence score before calibration.
pub fn evidence_score(s: &ConfidenceSignals) -> f32 {
    // Weights: relevance and coverage say the passage is on topic; focus and kind_match say the answer
    // itself names what was asked and is the kind of thing asked for (on the tune half of
    // evals/questions, kind_match separated right from wrong answers best, relevance hardly at all).
    let evidence = 0.25 * s.relevance
        + 0.20 * s.coverage
        + 0.10 * s.agreement
        + 0.10 * s.verified_share
        + 0.15 * s.focus
        + 0.20 * s.kind_match;
    (evidence * (0.6 + 0.4 * s.specificity)).clamp(0.0, 1.0)
}

/// Slope and intercept of the logistic map from evidence score to the share of such answers that are
/// right, fitted (Platt scaling) by `tools/calibrate_confidence.py` on the drafted answers of the tune
/// and dev halves of `evals/questions` (never the check half). Refit whenever the answerer or the
/// signals change.
const CALIBRATION_SLOPE: f32 = 7.893;
const CALIBRATION_INTERCEPT: f32 = -5.611;

/// The confidence of an answer: the estimated probability that it is right, so that of the answers shown
/// at confidence 0.6 about six in ten are right (calibration measured in evals/README.md). Even the
/// strongest evidence tops out near 0.9: a sentence chosen without a reading model is never certain.
pub fn confidence(s: &ConfidenceSignals) -> f32 {
    calibrate(evidence_score(s))
}

/// The logistic map of [`CALIBRATION_SLOPE`] and [`CALIBRATION_INTERCEPT`].
pub fn calibrate(score: f32) -> f32 {
    1.0 / (1.0 + (-(CALIBRATION_SLOPE * score + CALIBRATION_INTERCEPT)).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_strong_is_high_and_off_topic_is_low() {
        let strong = ConfidenceSignals {
            relevance: 1.0,
            coverage: 0.9,
            agreement: 1.0,
            verified_share: 1.0,
            specificity: 1.0,
            focus: 0.9,
            kind_match: 1.0,
        };
        let off = ConfidenceSignals {
            relevance: 0.05,
            coverage: 0.2,
            agreement: 0.0,
            focus: 0.1,
            kind_match: 0.0,
            ..strong
        };
        let vague = ConfidenceSignals {
            specificity: specificity(1),
            ..strong
        };
        assert!(evidence_score(&strong) > 0.9);
        assert!(evidence_score(&off) < 0.4);
        assert!(
            evidence_score(&vague) < 0.7,
            "\"Is it covered?\" is not answered with confidence"
        );
        // Calibration keeps the order and never claims certainty.
        assert!(confidence(&strong) > confidence(&vague));
        assert!(confidence(&vague) > confidence(&off));
        assert!(confidence(&strong) < 0.95 && confidence(&off) < 0.1);
    }
}
