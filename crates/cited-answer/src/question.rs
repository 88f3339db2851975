//! What a question asks, read without a language model: its parts ("X and Y?"), the patient values it
//! states ("creatinine clearance 25", "age 70"), whether it compares documents, and whether it asks about a
//! document's purpose. Answerers use this to pick sentences; the engine uses it to check the answer.

use crate::facts::{Comparator, Fact, facts};
use crate::terms::content_terms;

/// Splits a multi-part question into its parts; a one-part question is returned whole.
pub fn question_parts(question: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    // Several questions in a row: "What is X? And how long is Y?"
    for piece in question.split_inclusive('?') {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let lower = piece.to_lowercase();
        let mut cut = None;
        for joiner in [
            " and what ",
            " and how ",
            " and when ",
            " and which ",
            " and who ",
            " and is ",
            " and are ",
            " and does ",
            " and do ",
            " and can ",
            " and should ",
            ", also ",
            "; also ",
            " also, ",
            "; and ",
            "; ",
        ] {
            if let Some(i) = lower.find(joiner) {
                cut = Some((i, joiner.len()));
                break;
            }
        }
        match cut {
            Some((i, len)) if i > 10 && piece.len() - i - len > 10 => {
                parts.push(piece[..i].trim().to_string());
                parts.push(piece[i + len..].trim().to_string());
            }
            _ => parts.push(piece.to_string()),
        }
    }
    // Fragments without content ("And?") are not parts.
    parts.retain(|p| content_terms(p).len() >= 2);
    if parts.is_empty() {
        vec![question.trim().to_string()]
    } else {
        parts
    }
}

/// Whether the question asks about several documents or compares them.
pub fn is_comparative(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "compare",
        "comparison",
        " versus ",
        " vs ",
        " vs. ",
        "difference between",
        "differ from",
        "both ",
        "each of",
    ]
    .iter()
    .any(|w| q.contains(w))
}

/// Sections that describe a document rather than state its rules.
pub fn is_preamble_section(section: &str) -> bool {
    let last = section
        .rsplit(" > ")
        .next()
        .unwrap_or(section)
        .to_lowercase();
    [
        "purpose",
        "scope",
        "background",
        "introduction",
        "overview",
        "history",
        "summary of changes",
        "references",
        "definitions",
        "item/service description",
        "description",
    ]
    .iter()
    .any(|w| last.contains(w))
}

/// Whether the question asks for a purpose, scope or background.
pub fn asks_preamble(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "purpose",
        "scope",
        "why ",
        "background",
        "goal",
        "aim ",
        "intent",
        "apply to",
        "applies to",
        "who does",
        "overview",
        "define",
        "definition",
        "what is meant",
    ]
    .iter()
    .any(|w| q.contains(w))
}

/// Whether the question asks for a number: a dose, a duration, a frequency, a threshold, a count.
pub fn asks_for_number(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "how many",
        "how much",
        "how long",
        "how often",
        "how soon",
        "how fast",
        "how frequently",
        "how quickly",
        "how old",
        "what dose",
        "which dose",
        "dose",
        "dosing",
        "what percent",
        "what percentage",
        "what score",
        "what level",
        "what age",
        "at what",
        "threshold",
        "cutoff",
        "cut off",
        "cut-off",
        "minimum",
        "maximum",
        "limit",
        "how far",
        "what number",
        "what rate",
        "when does",
        "when do",
        "when should",
        "when must",
        "what time",
        "frequency",
        "duration",
        "how high",
        "how low",
        "what value",
        "what volume",
        "what amount",
    ]
    .iter()
    .any(|w| q.contains(w))
}

/// The kind of quantity a question asks for when a bare number would not answer it: a dose, an amount of
/// money, a concentration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedQuantity {
    /// "what starting dose", "maximum daily dose of tramadol": mg, mcg, units, mL, MME.
    Dose,
    /// "copay for a cpap machine", "the deductible amount": dollars, or a share (coinsurance).
    Money,
    /// "what alcohol concentration", "what percentage": a percent.
    Share,
}

impl AskedQuantity {
    /// How a review reason names it.
    pub fn describe(self) -> &'static str {
        match self {
            AskedQuantity::Dose => "a dose",
            AskedQuantity::Money => "an amount of money",
            AskedQuantity::Share => "a percentage or concentration",
        }
    }
}

/// The kind of quantity `question` asks for, if a bare number would not answer it.
pub fn asked_quantity(question: &str) -> Option<AskedQuantity> {
    let q = question.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| q.contains(w));
    if has(&[
        "copay",
        "co-pay",
        "deductible amount",
        "how much does",
        "cost of",
        "price",
        "fee for",
    ]) {
        return Some(AskedQuantity::Money);
    }
    if has(&["concentration", "percentage", "what percent", "how strong"]) {
        return Some(AskedQuantity::Share);
    }
    let dose_asked = has(&[
        "what dose",
        "which dose",
        "starting dose",
        "max dose",
        "maximum dose",
        "daily dose",
        "initial dose",
        "loading dose",
        "dose of",
        "dosing",
        "dosage",
    ]);
    dose_asked.then_some(AskedQuantity::Dose)
}

/// Whether `answer` states a quantity of the kind asked.
pub fn states_quantity(answer: &str, asked: AskedQuantity) -> bool {
    let a = answer.to_lowercase();
    let words: Vec<&str> = a
        .split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '%' || c == '$'))
        .filter(|w| !w.is_empty())
        .collect();
    let numbered = |w: &str| w.chars().next().is_some_and(|c| c.is_ascii_digit());
    match asked {
        AskedQuantity::Dose => words.iter().enumerate().any(|(i, w)| {
            let unit = |u: &str| {
                [
                    "mg", "mcg", "µg", "g", "units", "unit", "ml", "mme", "mg/kg", "mg/day",
                    "mcg/hr", "iu", "meq", "mmol", "gy", "cgy",
                ]
                .contains(&u)
                    || u.starts_with("mg/")
                    || u.starts_with("mcg/")
            };
            // "40 mg", "40mg", "30 mL/kg".
            numbered(w)
                && (words.get(i + 1).is_some_and(|n| unit(n))
                    || unit(w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')))
        }),
        AskedQuantity::Money => {
            a.contains('$') || a.contains("dollar") || a.contains('%') || a.contains("percent")
        }
        AskedQuantity::Share => a.contains('%') || a.contains("percent"),
    }
}

/// Whether the question asks for a billing or diagnosis code.
pub fn asks_for_code(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "cpt",
        "hcpcs",
        "icd-10",
        "icd10",
        "icd 10",
        "what code",
        "which code",
        "billing code",
        "modifier",
    ]
    .iter()
    .any(|w| q.contains(w))
}

/// Whether the question asks for a list: conditions, criteria, items, exclusions.
pub fn asks_for_list(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "which ",
        "what conditions",
        "what criteria",
        "criteria",
        "list",
        "what are the",
        "what must",
        "what needs",
        "requirements",
        "what situations",
        "in what situations",
        "what circumstances",
        "exclusions",
        "excluded",
        "contraindications",
        "what kinds",
        "what types",
        "which types",
        "what documentation",
        "what do they want",
        "what has to",
        "what should be included",
    ]
    .iter()
    .any(|w| q.contains(w))
}

/// Whether the question asks what something is (a definition answers it).
pub fn asks_definition(question: &str) -> bool {
    let q = question.trim().to_lowercase();
    q.starts_with("what is a ")
        || q.starts_with("what is an ")
        || q.starts_with("what's a ")
        || q.starts_with("define ")
        || q.contains("what does") && q.contains("mean")
        || q.starts_with("what is ") && q.split_whitespace().count() <= 5
}

/// Sentences that define or describe a thing rather than state a rule about it.
pub fn is_definition(sentence: &str) -> bool {
    let s = sentence.to_lowercase();
    [
        " is a ",
        " is an ",
        " are a ",
        " refers to ",
        " is defined as ",
        " commonly referred to ",
        " is the process ",
        " involves ",
        " consists of ",
        " is used to ",
        " is a type of ",
    ]
    .iter()
    .any(|w| s.contains(w))
        && !s.contains("covered")
        && !s.contains("must")
}

/// How a sentence's conditions relate to a value the question states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionFit {
    /// The sentence has no condition on the question's values.
    Neutral,
    /// A condition of the sentence includes the question's value: this branch applies.
    Included,
    /// A condition of the sentence excludes it: this branch does not apply.
    Excluded,
}

/// The patient values a question states: facts with a number (not codes, not intervals).
pub fn stated_values(question: &str) -> Vec<Fact> {
    facts(question)
        .into_iter()
        .filter(|f| f.number().is_some() && f.comparator != Comparator::Every)
        .collect()
}

fn context_words(text: &str, value: &str) -> Vec<String> {
    // The content words just before the number name what it measures ("creatinine clearance 25"). The
    // number must stand alone: "5" is not the 5 of "55".
    let lower = text.to_lowercase().replace(',', "");
    let bytes = lower.as_bytes();
    let mut at = None;
    let mut from = 0;
    while let Some(i) = lower[from..].find(value) {
        let s = from + i;
        let e = s + value.len();
        let digit_before = s > 0 && (bytes[s - 1].is_ascii_digit() || bytes[s - 1] == b'.');
        let digit_after = bytes.get(e).is_some_and(|b| {
            b.is_ascii_digit() || *b == b'.' && bytes.get(e + 1).is_some_and(u8::is_ascii_digit)
        });
        if !digit_before && !digit_after {
            at = Some(s);
            break;
        }
        from = e;
    }
    let Some(at) = at else {
        return Vec::new();
    };
    let before = &lower[..at];
    let terms = content_terms(before);
    terms.into_iter().rev().take(3).collect()
}

/// Whether `sentence`'s conditions include or exclude the values the question states.
pub fn condition_fit(question: &str, values: &[Fact], sentence: &str) -> ConditionFit {
    let conditions: Vec<Fact> = facts(sentence)
        .into_iter()
        .filter(|f| !matches!(f.comparator, Comparator::Eq | Comparator::Every))
        .collect();
    let mut fit = ConditionFit::Neutral;
    for q in values {
        let q_context = context_words(question, &q.value);
        for c in &conditions {
            let same_unit = match (&q.unit, &c.unit) {
                (Some(a), Some(b)) => a == b,
                _ => {
                    let c_context = context_words(sentence, &c.value);
                    q_context.iter().any(|w| c_context.contains(w))
                        || (q.unit.is_none() && c.unit.is_none() && q_context.is_empty())
                }
            };
            if !same_unit {
                continue;
            }
            let Some(relation) = relate(q, c) else {
                continue;
            };
            if !relation {
                return ConditionFit::Excluded;
            }
            fit = ConditionFit::Included;
        }
    }
    fit
}

/// Whether every value `q` allows is allowed by `c` (true), none is (false), or it cannot tell (None).
fn relate(q: &Fact, c: &Fact) -> Option<bool> {
    let (ql, qh, qli, qhi) = q.interval()?;
    let (cl, ch, cli, chi) = c.interval()?;
    let below_c = qh < cl || (qh == cl && !(qhi && cli));
    let above_c = ql > ch || (ql == ch && !(qli && chi));
    if below_c || above_c {
        return Some(false);
    }
    let inside =
        (ql > cl || (ql == cl && (cli || !qli))) && (qh < ch || (qh == ch && (chi || !qhi)));
    inside.then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_pick_the_branch() {
        let q = "What enoxaparin dose at a creatinine clearance of 25 mL/min?";
        let v = stated_values(q);
        let low = "When creatinine clearance is below 30 mL/min, give enoxaparin 30 mg.";
        let high = "For patients with a creatinine clearance of 30 mL/min or more, give 40 mg.";
        assert_eq!(condition_fit(q, &v, low), ConditionFit::Included);
        assert_eq!(condition_fit(q, &v, high), ConditionFit::Excluded);
        let q = "enoxaparin dose when creatinine clearance is below 30?";
        let v = stated_values(q);
        assert_eq!(condition_fit(q, &v, high), ConditionFit::Excluded);
        assert_eq!(condition_fit(q, &v, low), ConditionFit::Included);
        let q = "Is CPAP covered with an AHI of 12?";
        let v = stated_values(q);
        let s = "an AHI of 15 or more events per hour";
        assert_eq!(condition_fit(q, &v, s), ConditionFit::Excluded);
        let s = "an AHI of 5 to 14 with documented sleepiness";
        assert_eq!(condition_fit(q, &v, s), ConditionFit::Included);
    }

    #[test]
    fn parts() {
        assert_eq!(
            question_parts("What is the enoxaparin dose and how long is prophylaxis continued?")
                .len(),
            2
        );
        assert_eq!(
            question_parts("How soon are antibiotics given in sepsis?").len(),
            1
        );
        assert_eq!(
            question_parts("What AHI qualifies for CPAP? How many hours of use are needed?").len(),
            2
        );
    }

    #[test]
    fn quantities_asked_and_stated() {
        let cases = [
            ("northwind copay for a cpap machine", AskedQuantity::Money),
            (
                "What alcohol concentration should hand rub have?",
                AskedQuantity::Share,
            ),
            (
                "gabapentin starting dose for neuropathic pain",
                AskedQuantity::Dose,
            ),
        ];
        for (question, kind) in cases {
            assert_eq!(asked_quantity(question), Some(kind), "{question}");
        }
        assert_eq!(asked_quantity("is CPAP covered for an AHI of 12?"), None);
        assert!(states_quantity(
            "Give enoxaparin 30 mg once daily.",
            AskedQuantity::Dose
        ));
        assert!(states_quantity("give 30mg daily", AskedQuantity::Dose));
        assert!(states_quantity(
            "a total dose of 60 Gy",
            AskedQuantity::Dose
        ));
        assert!(!states_quantity(
            "Anticonvulsants were associated with improvement (3).",
            AskedQuantity::Dose
        ));
        assert!(states_quantity(
            "The copay is $20 a month.",
            AskedQuantity::Money
        ));
        assert!(!states_quantity(
            "Northwind does not cover CPAP for snoring.",
            AskedQuantity::Money
        ));
        assert!(states_quantity("60% to 95% alcohol", AskedQuantity::Share));
    }
}
