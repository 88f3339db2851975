//! Reading a question before retrieval: spelling matched to the corpus vocabulary ("enoxaprin" →
//! "enoxaparin"), clinical shorthand expanded ("crcl" → "creatinine clearance"), and the version or time the
//! question names in its own words ("in version 1", "the previous policy", "in 2023", "what changed").

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// Every word of the documents in the catalog with how often it occurs.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    counts: HashMap<String, u32>,
    by_len: HashMap<usize, Vec<String>>,
    /// Each payer named in document metadata with the words that name it in a question ("Medicare
    /// (CMS)" → medicare, cms; "Northwind Health Plan" → northwind).
    payers: Vec<(String, Vec<String>)>,
}

/// Words of a payer's name that do not tell payers apart.
const GENERIC_PAYER_WORDS: &[&str] = &[
    "health",
    "plan",
    "plans",
    "insurance",
    "inc",
    "the",
    "of",
    "and",
    "company",
    "co",
    "services",
    "center",
    "centers",
    "for",
    "care",
    "group",
    "national",
];

impl Vocabulary {
    pub(crate) fn from_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Self {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for text in texts {
            for w in text.split(|c: char| !c.is_alphanumeric()) {
                if w.len() >= 2 && w.chars().all(|c| c.is_alphabetic()) {
                    *counts.entry(w.to_lowercase()).or_default() += 1;
                }
            }
        }
        let mut by_len: HashMap<usize, Vec<String>> = HashMap::new();
        for w in counts.keys() {
            by_len.entry(w.chars().count()).or_default().push(w.clone());
        }
        Self {
            counts,
            by_len,
            payers: Vec::new(),
        }
    }

    /// Adds the payers named in document metadata.
    pub(crate) fn with_payers<'a>(mut self, payers: impl Iterator<Item = &'a str>) -> Self {
        for payer in payers {
            if self.payers.iter().any(|(p, _)| p == payer) {
                continue;
            }
            let words: Vec<String> = payer
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 2)
                .map(str::to_lowercase)
                .filter(|w| !GENERIC_PAYER_WORDS.contains(&w.as_str()))
                .collect();
            if !words.is_empty() {
                self.payers.push((payer.to_string(), words));
            }
        }
        self
    }

    /// The payers whose names the question uses.
    pub(crate) fn payers_named(&self, question: &str) -> Vec<&str> {
        let words: HashSet<String> = question
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .collect();
        self.payers
            .iter()
            .filter(|(_, names)| names.iter().any(|n| words.contains(n)))
            .map(|(p, _)| p.as_str())
            .collect()
    }

    pub(crate) fn contains(&self, word: &str) -> bool {
        self.counts.contains_key(word)
    }

    /// The corpus word closest to `word` within the edit distance its length allows, the most frequent
    /// among equals.
    pub(crate) fn nearest(&self, word: &str) -> Option<&str> {
        let n = word.chars().count();
        let allowed = if n >= 8 { 2 } else { 1 };
        let mut best: Option<(usize, u32, &str)> = None;
        for len in n.saturating_sub(allowed)..=n + allowed {
            for w in self.by_len.get(&len).into_iter().flatten() {
                let d = edit_distance(word, w);
                if d == 0 || d > allowed {
                    continue;
                }
                let count = self.counts.get(w).copied().unwrap_or(0);
                let better = match best {
                    None => true,
                    Some((bd, bc, _)) => d < bd || (d == bd && count > bc),
                };
                if better {
                    best = Some((d, count, w.as_str()));
                }
            }
        }
        best.map(|(_, _, w)| w)
    }
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions
/// ("waht" → "what" is 1).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The words of an English word list (`/usr/share/dict/words`, Debian's `wamerican`), lower-cased; empty
/// when the file is missing.
pub(crate) fn load_dictionary(path: &Path) -> HashSet<String> {
    let mut words: HashSet<String> = match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty() && !l.contains('\''))
            .collect(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "no word list; ordinary words are recognised by the model vocabulary only");
            HashSet::new()
        }
    };
    words.extend(BILLING_WORDS.iter().map(|w| w.to_string()));
    words
}

/// Ordinary words of billing and benefits that a general English list lacks: without them "copay" was
/// read as "copy".
const BILLING_WORDS: &[&str] = &[
    "copay",
    "copays",
    "copayment",
    "copayments",
    "coinsurance",
    "deductibles",
    "preauth",
    "precert",
    "precertification",
    "formulary",
    "reimbursement",
    "reimbursable",
    "payer",
    "payers",
    "biller",
];

/// Clinical shorthand a question may use and documents spell out.
const SHORTHAND: &[(&str, &str)] = &[
    ("crcl", "creatinine clearance"),
    ("abx", "antibiotics"),
    ("pt", "patient"),
    ("pts", "patients"),
    ("dx", "diagnosis"),
    ("tx", "treatment"),
    ("hx", "history"),
    ("rx", "prescription"),
    ("meds", "medications"),
    ("med", "medication"),
    ("subq", "subcutaneous"),
    ("subcut", "subcutaneous"),
    ("sq", "subcutaneous"),
    ("bid", "twice daily"),
    ("qd", "once daily"),
    ("tid", "three times daily"),
    ("q12h", "every 12 hours"),
    ("q8h", "every 8 hours"),
    ("q6h", "every 6 hours"),
    ("q24h", "every 24 hours"),
    ("hrs", "hours"),
    ("hr", "hour"),
    ("mins", "minutes"),
    ("wks", "weeks"),
    ("yrs", "years"),
    ("yo", "years old"),
    ("sats", "oxygen saturation"),
    ("o2", "oxygen"),
    ("spo2", "oxygen saturation"),
    ("htn", "hypertension"),
    ("dm", "diabetes"),
    ("bp", "blood pressure"),
    ("rr", "respiratory rate"),
    ("ed", "emergency department"),
    ("er", "emergency department"),
    ("icu", "intensive care unit"),
    ("ppx", "prophylaxis"),
    ("ufh", "unfractionated heparin"),
    ("lmwh", "low molecular weight heparin"),
    ("dvt", "deep vein thrombosis"),
    ("cov", "coverage"),
    ("req", "required"),
    ("reqs", "requirements"),
    ("cgm", "continuous glucose monitor"),
    ("prbc", "red blood cells"),
    ("prbcs", "red blood cells"),
    ("hgb", "hemoglobin"),
    ("bg", "blood glucose"),
    ("ecg", "electrocardiogram"),
    ("ekg", "electrocardiogram"),
    ("afib", "atrial fibrillation"),
    ("chf", "heart failure"),
    ("hfref", "heart failure with reduced ejection fraction"),
    ("ef", "ejection fraction"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("ckd", "chronic kidney disease"),
    ("esrd", "end-stage renal disease"),
    ("uti", "urinary tract infection"),
    ("pna", "pneumonia"),
    ("tpa", "alteplase"),
    ("tnk", "tenecteplase"),
    ("lytics", "thrombolysis"),
    ("npo", "nothing by mouth"),
    ("osa", "obstructive sleep apnea"),
    ("oa", "osteoarthritis"),
    ("pa", "prior authorization"),
    ("auth", "authorization"),
];

/// A word the question used and the word it was read as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    /// As typed.
    pub from: String,
    /// As read.
    pub to: String,
}

/// The question rewritten for retrieval and drafting, with what was changed and the words it names that
/// the documents never do.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadQuestion {
    pub text: String,
    pub corrections: Vec<Correction>,
    pub unknown: Vec<String>,
}

/// Spelling and shorthand: each word the corpus lacks is expanded (shorthand), kept (an ordinary English
/// word), corrected to the nearest corpus word, or reported unknown.
pub(crate) fn read_question(
    question: &str,
    vocabulary: &Vocabulary,
    dictionary: &HashSet<String>,
    is_common: impl Fn(&str) -> bool,
) -> ReadQuestion {
    let mut out = ReadQuestion::default();
    let mut text = String::with_capacity(question.len() + 16);
    let mut last = 0;
    for (start, word) in word_spans(question) {
        text.push_str(&question[last..start]);
        last = start + word.len();
        let lower = word.to_lowercase();
        let replacement = if vocabulary.contains(&lower) || word.chars().any(|c| c.is_ascii_digit())
        {
            None
        } else if let Some((_, long)) = SHORTHAND.iter().find(|(s, _)| *s == lower) {
            Some((*long).to_string())
        } else if lower.chars().count() < 4 || dictionary.contains(&lower) || is_common(&lower) {
            None
        } else if let Some(near) = vocabulary.nearest(&lower) {
            Some(near.to_string())
        } else {
            if lower.chars().count() >= 5 && !out.unknown.contains(&lower) {
                out.unknown.push(lower.clone());
            }
            None
        };
        match replacement {
            Some(r) => {
                out.corrections.push(Correction {
                    from: word.to_string(),
                    to: r.clone(),
                });
                text.push_str(&r);
            }
            None => text.push_str(word),
        }
    }
    text.push_str(&question[last..]);
    out.text = text;
    out
}

fn word_spans(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, &text[s..i]));
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// A version or time the question names in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VersionReference {
    /// "version 1", "v2", "revision 3".
    Label(String),
    /// "the previous policy", "the old protocol", "before the update".
    Previous,
    /// "in 2023", "as of 2024-03-01", "in March 2023": the version in force on that date.
    AsOf(NaiveDate),
}

const PREVIOUS_WORDS: &[&str] = &[
    "previous",
    "prior",
    "old",
    "older",
    "earlier",
    "original",
    "former",
    "superseded",
    "outdated",
    "last",
];
const DOCUMENT_WORDS: &[&str] = &[
    "version",
    "protocol",
    "policy",
    "bundle",
    "rule",
    "rules",
    "guideline",
    "guidance",
    "edition",
    "revision",
    "one",
    "standard",
    "criteria",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt())
}

/// The version or date a question names, if any. `today` bounds dates in the future.
pub(crate) fn version_reference(question: &str, today: NaiveDate) -> Option<VersionReference> {
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        // "version 2", "revision 3", "v2"
        if matches!(*w, "version" | "revision" | "rev" | "v")
            && let Some(next) = words.get(i + 1)
            && next.chars().next().is_some_and(|c| c.is_ascii_digit())
            && next.len() <= 6
        {
            return Some(VersionReference::Label((*next).to_string()));
        }
        if let Some(n) = w.strip_prefix('v')
            && !n.is_empty()
            && n.len() <= 4
            && n.chars().all(|c| c.is_ascii_digit() || c == '.')
        {
            return Some(VersionReference::Label(n.to_string()));
        }
    }
    // Dates: "as of 2024-03-01", "in March 2023", "in 2023", "before the 2024 update".
    for (i, w) in words.iter().enumerate() {
        if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            return Some(VersionReference::AsOf(d.min(today)));
        }
        let Ok(year) = w.parse::<i32>() else { continue };
        if !(1990..=2100).contains(&year) {
            continue;
        }
        let before = i.checked_sub(1).map(|j| words[j]);
        let after = words.get(i + 1).copied();
        let before_update = (0..i).rev().take(3).any(|j| words[j] == "before")
            && after.is_some_and(|a| {
                matches!(a, "update" | "revision" | "change" | "changes" | "version")
            });
        if before_update {
            return NaiveDate::from_ymd_opt(year - 1, 12, 31).map(VersionReference::AsOf);
        }
        if let Some(m) = before.and_then(|b| MONTHS.iter().position(|x| *x == b)) {
            return last_day_of_month(year, m as u32 + 1)
                .map(|d| VersionReference::AsOf(d.min(today)));
        }
        let names_document = words[i + 1..]
            .iter()
            .take(4)
            .any(|n| DOCUMENT_WORDS.contains(n));
        if (matches!(
            before,
            Some("in" | "during" | "of" | "back" | "since" | "for" | "year")
        ) || names_document)
            && year < today.year()
        {
            return NaiveDate::from_ymd_opt(year, 12, 31).map(VersionReference::AsOf);
        }
    }
    for (i, w) in words.iter().enumerate() {
        if PREVIOUS_WORDS.contains(w)
            && words[i + 1..]
                .iter()
                .take(3)
                .any(|n| DOCUMENT_WORDS.contains(n))
        {
            // "last year's rule" is a date, "the last version" is the previous one only with "previous" sense.
            if *w == "last" && words.get(i + 1) != Some(&"version") {
                continue;
            }
            return Some(VersionReference::Previous);
        }
        if *w == "before"
            && words.get(i + 1).is_some_and(|n| *n == "the")
            && words
                .get(i + 2)
                .is_some_and(|n| matches!(*n, "update" | "revision" | "change" | "changes"))
        {
            return Some(VersionReference::Previous);
        }
    }
    None
}

/// Whether the question asks what changed between versions.
pub(crate) fn asks_what_changed(question: &str) -> bool {
    let q = question.to_lowercase();
    let versions_compared = (q.contains(" new ") || q.contains("current") || q.contains("latest"))
        && (q.contains(" old") || q.contains("previous") || q.contains("prior"));
    if versions_compared
        || [
            "what's different",
            "what is different",
            "was the",
            "were the",
            "has the",
            "have the",
        ]
        .iter()
        .any(|p| q.contains(p))
            && (q.contains(" changed") || q.contains(" updated") || q.contains(" revised"))
    {
        return true;
    }
    [
        "what changed",
        "what has changed",
        "what's changed",
        "what was changed",
        "what have changed",
        "what is new",
        "what's new",
        "what are the changes",
        "what were the changes",
        "changes in the",
        "changes to the",
        "changed in the",
        "change in the",
        "changed from",
        "difference between version",
        "differences between version",
        "how did the",
        "how has the",
        "what was updated",
        "what got updated",
        "updated in the",
        "differ from the previous",
        "differ from the old",
        "compared to the previous",
        "compared with the previous",
    ]
    .iter()
    .any(|p| q.contains(p))
        && (q.contains("chang")
            || q.contains("new")
            || q.contains("updat")
            || q.contains("differ")
            || q.contains("compared"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_is_matched_to_the_corpus_and_ordinary_words_are_left_alone() {
        let vocab = Vocabulary::from_texts(
            ["give enoxaparin to patients when renal function is poor; what dose for"].into_iter(),
        );
        let dict: HashSet<String> = ["approving", "quick"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = read_question(
            "waht enoxaprin dose for renel patients, quick, approving rivaroxaban crcl 25?",
            &vocab,
            &dict,
            |_| false,
        );
        assert_eq!(
            r.text,
            "what enoxaparin dose for renal patients, quick, approving rivaroxaban creatinine clearance 25?"
        );
        assert_eq!(r.unknown, ["rivaroxaban"]);
        assert_eq!(edit_distance("waht", "what"), 1);
    }

    #[test]
    fn versions_named_in_words() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let r = |q: &str| version_reference(q, today);
        assert_eq!(
            r("In version 1 of the sepsis bundle, how soon?"),
            Some(VersionReference::Label("1".into()))
        );
        assert_eq!(
            r("what did v2 say"),
            Some(VersionReference::Label("2".into()))
        );
        assert_eq!(
            r("What did the previous CPAP policy require?"),
            Some(VersionReference::Previous)
        );
        assert_eq!(
            r("What was the rule in 2023?"),
            NaiveDate::from_ymd_opt(2023, 12, 31).map(VersionReference::AsOf)
        );
        assert_eq!(
            r("before the 2024 update, what dose?"),
            NaiveDate::from_ymd_opt(2023, 12, 31).map(VersionReference::AsOf)
        );
        assert_eq!(r("How soon are antibiotics given?"), None);
        assert!(asks_what_changed("What changed in the sepsis protocol?"));
        assert!(!asks_what_changed("What is the enoxaparin dose?"));
    }
}
