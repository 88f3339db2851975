//! Words and numbers: content terms for overlap scores, and the numeric facts (doses, durations,
//! percentages, codes) that a cited passage must contain for a sentence to stand.

use std::collections::HashSet;

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "could", "did", "do", "does",
    "for", "from", "has", "have", "how", "if", "in", "into", "is", "it", "its", "may", "must",
    "of", "on", "or", "should", "such", "than", "that", "the", "their", "then", "there", "these",
    "they", "this", "those", "to", "under", "was", "were", "what", "when", "where", "which", "who",
    "whom", "why", "will", "with", "would", "any", "all", "not", "no", "yes", "i", "we", "you",
    "our", "your", "me", "my", "about", "also", "other", "than", "most", "more", "some", "same",
    "each", "only", "both", "after", "before", "during",
];

/// Light stemming: enough to match "trials"/"trial", "covered"/"cover", not a linguistic stemmer.
fn stem(word: &str) -> String {
    for suffix in ["ies", "s", "ed", "ing"] {
        if word.len() > suffix.len() + 3
            && let Some(base) = word.strip_suffix(suffix)
        {
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_string()
            };
        }
    }
    word.to_string()
}

/// Lower-cased, stemmed words of `text` without stop words, in order, without duplicates.
pub fn content_terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| {
            !STOPWORDS.contains(&w.as_str())
                && (w.len() > 2 || w.chars().any(|c| c.is_ascii_digit()))
        })
        .map(|w| stem(&w))
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

const UNITS: &[&str] = &[
    "mg", "mcg", "µg", "g", "kg", "ml", "l", "mmol", "mmhg", "unit", "iu", "%", "percent", "hour",
    "hr", "minute", "min", "second", "day", "week", "month", "year", "night", "time", "session",
    "dose", "tablet", "event", "mg/kg", "ml/kg", "mg/dl", "mmol/l", "ml/min", "g/kg",
];

fn unit_of(word: &str) -> Option<String> {
    let w = word
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '%' && c != '/' && c != 'µ')
        .to_lowercase();
    let singular = w
        .strip_suffix('s')
        .filter(|s| UNITS.contains(s))
        .unwrap_or(&w);
    UNITS.contains(&singular).then(|| singular.to_string())
}

/// A number with its unit ("30 mL/kg" → ("30", "ml/kg")), or a code ("E11.9" → ("e11.9", none)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NumericFact {
    /// The number (thousands separators removed) or the code, lower-cased.
    pub value: String,
    /// The unit, when one follows.
    pub unit: Option<String>,
}

/// Every number and code in `text`, with the unit that follows it when there is one.
pub fn numeric_facts(text: &str) -> Vec<NumericFact> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, raw) in tokens.iter().enumerate() {
        let token = raw.trim_matches(|c: char| {
            matches!(c, '(' | ')' | ',' | ';' | ':' | '"' | '\'' | '[' | ']')
        });
        let token = token.strip_suffix('.').unwrap_or(token);
        if !token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if token.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push(NumericFact {
                value: token.to_lowercase(),
                unit: None,
            });
            continue;
        }
        let split = token
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '/')))
            .map(|(i, _)| i)
            .unwrap_or(token.len());
        let value = token[..split]
            .trim_end_matches(['.', ',', '/'])
            .replace(',', "");
        if value.is_empty() {
            continue;
        }
        let rest = token[split..].trim_start_matches(['-', '–']);
        let unit = if rest.is_empty() {
            tokens.get(i + 1).and_then(|next| unit_of(next))
        } else {
            unit_of(rest).or_else(|| Some(rest.to_lowercase()))
        };
        out.push(NumericFact { value, unit });
    }
    out
}

/// Facts of `sentence` that `passage` does not contain. A fact with a unit needs the same number with the
/// same unit; a bare number needs the number.
pub fn unsupported_facts(sentence: &str, passage: &str) -> Vec<NumericFact> {
    let have = numeric_facts(passage);
    numeric_facts(sentence)
        .into_iter()
        .filter(|f| {
            !have
                .iter()
                .any(|h| h.value == f.value && (f.unit.is_none() || h.unit == f.unit))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_carry_units_and_codes() {
        let f = numeric_facts(
            "Give 30 mL/kg within 3 hours; a 12-week trial, 4% of E11.9 cases, 5,000 units.",
        );
        let pairs: Vec<(String, Option<String>)> =
            f.into_iter().map(|f| (f.value, f.unit)).collect();
        assert_eq!(
            pairs,
            [
                ("30".into(), Some("ml/kg".into())),
                ("3".into(), Some("hour".into())),
                ("12".into(), Some("week".into())),
                ("4".into(), Some("%".into())),
                ("e11.9".into(), None),
                ("5000".into(), Some("unit".into())),
            ]
        );
    }

    #[test]
    fn a_dose_absent_from_the_passage_is_unsupported() {
        let passage = "Give enoxaparin 40 mg subcutaneously once daily for 12 weeks.";
        assert!(unsupported_facts("Enoxaparin 40 mg once daily.", passage).is_empty());
        assert!(unsupported_facts("A 12-week course.", passage).is_empty());
        assert_eq!(unsupported_facts("Give 80 mg daily.", passage).len(), 1);
        assert_eq!(
            unsupported_facts("Give 40 g daily.", passage).len(),
            1,
            "same number, other unit"
        );
    }

    #[test]
    fn content_terms_drop_stop_words_and_stem() {
        assert_eq!(
            content_terms("What are the trials covered for CPAP?"),
            ["trial", "cover", "cpap"]
        );
    }
}
