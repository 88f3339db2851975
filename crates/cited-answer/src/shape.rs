//! The shape of the answer a question wants, read from its words, and whether a sentence has that shape:
//! "how many sessions" wants a count of sessions, "is ESWL covered" a coverage statement, "can I start
//! an ER/LA opioid" a recommendation. A sentence that only restates the question's topic has none of
//! these; this is what separates it from the sentence that answers.

use std::collections::HashMap;

use crate::terms::content_terms;

/// What an answer to a question must contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerShape {
    /// The thing counted in "how many X" / "number of X", stemmed ("session", "treatment").
    pub counted: Option<String>,
    /// A level, score, grade or threshold ("what Wagner grade", "Padua cutoff", "what sat").
    pub level: bool,
    /// Whether something is covered or paid ("is X covered", "does Medicare pay for").
    pub coverage: bool,
    /// Whether to do something ("can I start", "should we remove").
    pub directive: bool,
}

impl AnswerShape {
    /// Whether the question wants any particular shape.
    pub fn is_specific(&self) -> bool {
        self.counted.is_some() || self.level || self.coverage || self.directive
    }

    /// Whether `text` states a count of the thing the question counts ("two sets of blood cultures").
    pub fn counted_in(&self, text: &str) -> bool {
        self.counted
            .as_ref()
            .is_some_and(|noun| counts(&words(text), noun))
    }

    /// How well `sentence` has the shape: 1 when it has every wanted part, 0 when it has none, 0.5 when
    /// the question wants no particular shape.
    pub fn fit(&self, sentence: &str) -> f32 {
        let mut wanted = 0u32;
        let mut found = 0u32;
        let words = words(sentence);
        if let Some(noun) = &self.counted {
            wanted += 1;
            if counts(&words, noun) {
                found += 1;
            }
        }
        if self.level {
            wanted += 1;
            if states_level(&words) {
                found += 1;
            }
        }
        if self.coverage {
            wanted += 1;
            if states_coverage(&words) {
                found += 1;
            }
        }
        if self.directive {
            wanted += 1;
            if directs(&words) {
                found += 1;
            }
        }
        if wanted == 0 {
            0.5
        } else {
            found as f32 / wanted as f32
        }
    }
}

/// Lower-cased words and numbers of `text` ("one-hour" is two words).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '%'))
        .map(|w| w.trim_matches('.').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "hundred", "single",
    "once", "twice", "half",
];

fn is_number(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&word)
}

/// Words that end the noun phrase after "how many".
const PHRASE_END: &[&str] = &[
    "does", "do", "did", "is", "are", "can", "could", "will", "would", "should", "may", "must",
    "for", "per", "in", "of", "on", "at", "a", "an", "the", "over", "during", "within", "before",
    "after", "with", "without", "under", "by", "to", "has", "have", "we", "i", "you", "they", "he",
    "she", "pt", "patient", "patients", "medicare", "and", "or", "if", "each", "every", "that",
    "total", "allowed", "covered", "needed", "required", "get",
];

/// The counted noun of "how many X …" / "number of X …".
fn counted_noun(question: &str) -> Option<String> {
    let w = words(question);
    for i in 0..w.len() {
        let opens = (w[i] == "how" && w.get(i + 1).is_some_and(|n| n == "many"))
            || (w[i] == "number" && w.get(i + 1).is_some_and(|n| n == "of"));
        if !opens {
            continue;
        }
        let start = i + 2;
        // The head is the first plural ("how many weeks conservative therapy first" → weeks, "how many
        // failed treatments" → treatments), else the last word of the phrase.
        let mut head = None;
        for word in w.iter().skip(start).take(5) {
            if PHRASE_END.contains(&word.as_str()) {
                break;
            }
            head = Some(word.clone());
            if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
                break;
            }
        }
        if let Some(h) = head.and_then(|h| content_terms(&h).into_iter().next()) {
            return Some(h);
        }
    }
    None
}

/// A number within six words before the counted noun: "35 one-hour treatments", "a maximum of three,
/// voluntary, HIV screenings", "one, face-to-face CVD risk reduction visit".
fn counts(words: &[String], noun: &str) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        content_terms(w).first().is_some_and(|t| t == noun)
            && words[i.saturating_sub(6)..i].iter().any(|p| is_number(p))
    })
}

const LEVEL_WORDS: &[&str] = &[
    "grade",
    "score",
    "level",
    "cutoff",
    "cut",
    "threshold",
    "sat",
    "saturation",
    "spo2",
    "percent",
    "percentage",
    "stage",
    "class",
    "value",
    "range",
    "target",
    "targets",
    "ef",
    "lvef",
    "bmi",
    "ahi",
    "inr",
    "a1c",
];

const ROMAN: &[&str] = &["i", "ii", "iii", "iv", "v", "vi"];

/// A number, or a grade or class in Roman numerals ("Wagner grade III").
fn states_level(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        (is_number(w) && !(w.len() == 4 && (w.starts_with("19") || w.starts_with("20"))))
            || (ROMAN.contains(&w.as_str())
                && i > 0
                && ["grade", "class", "stage", "type", "level"].contains(&words[i - 1].as_str()))
    })
}

const COVERAGE_WORDS: &[&str] = &[
    "cover",
    "covers",
    "covered",
    "coverage",
    "noncovered",
    "payable",
    "pays",
    "paid",
    "reimbursed",
    "payment",
    "eligible",
    "necessary",
    "qualify",
    "qualifies",
];

fn states_coverage(words: &[String]) -> bool {
    words.iter().any(|w| COVERAGE_WORDS.contains(&w.as_str()))
}

const DIRECTIVE_WORDS: &[&str] = &[
    "should",
    "must",
    "never",
    "not",
    "avoid",
    "recommend",
    "recommends",
    "recommended",
    "contraindicated",
    "may",
    "give",
    "use",
    "do",
    "start",
    "offer",
    "prescribe",
];

fn directs(words: &[String]) -> bool {
    words.iter().any(|w| DIRECTIVE_WORDS.contains(&w.as_str()))
}

/// Reads the shape of the answer `question` wants.
pub fn answer_shape(question: &str) -> AnswerShape {
    let w = words(question);
    let q = question.to_lowercase();
    let counted = counted_noun(question);
    let level = counted.is_none()
        && w.iter().enumerate().any(|(i, word)| {
            LEVEL_WORDS.contains(&word.as_str())
                && (i > 0 && ["what", "which", "the"].contains(&w[i - 1].as_str())
                    || w.iter().take(i).any(|p| p == "what" || p == "which")
                    || ["cutoff", "threshold", "cut"].contains(&word.as_str()))
        });
    let first = w.first().map(String::as_str).unwrap_or_default();
    // A wh-question ("how often does Medicare cover …") wants its wh-answer, not a yes or no.
    let wh = w.iter().any(|word| {
        ["how", "what", "when", "which", "who", "where", "whats"].contains(&word.as_str())
    });
    let yes_no = !wh
        && ([
            "is", "are", "does", "do", "can", "will", "would", "could", "may", "should", "must",
        ]
        .contains(&first)
            || q.trim_end().ends_with('?')
            || q.contains("is there"));
    let coverage_word = w.iter().any(|word| {
        [
            "cover",
            "covers",
            "covered",
            "coverage",
            "pay",
            "pays",
            "bill",
            "reimburse",
            "reimbursed",
            "eligible",
            "qualify",
            "qualifies",
        ]
        .contains(&word.as_str())
    });
    let coverage = coverage_word && !wh && counted.is_none() && !level;
    let directive = !coverage
        && yes_no
        && [
            "can i",
            "can we",
            "should i",
            "should we",
            "may i",
            "may we",
            "do i ",
            "do we ",
            "must i",
            "must we",
            "is it ok",
            "is it safe",
        ]
        .iter()
        .any(|p| q.starts_with(p) || q.contains(&format!(" {p}")));
    AnswerShape {
        counted,
        level,
        coverage,
        directive,
    }
}

/// Whether the question asks for several items: conditions, criteria, elements, what a request must hold.
/// Narrower than [`crate::asks_for_list`]: "which type of test" wants one thing.
pub fn asks_for_items(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "what are the",
        "list",
        "which conditions",
        "what conditions",
        "criteria",
        "requirements",
        "elements",
        "components",
        "what needs to go",
        "what goes in",
        "what do they want",
        "what documentation",
        "exclusions",
        "contraindications",
        "indications",
    ]
    .iter()
    .any(|w| q.contains(w))
}

/// Whether a text gives several items: a list, a header with a colon, items separated by semicolons, or a
/// series of three or more ("the duration of symptoms, the conservative therapy tried, and the
/// neurological examination").
pub fn gives_items(text: &str) -> bool {
    let t = text.trim_end();
    t.lines()
        .filter(|l| crate::clauses::is_list_item(l))
        .count()
        >= 2
        || t.contains(": ")
        || t.contains("; ")
        || (t.matches(", ").count() >= 2 && (t.contains(" and ") || t.contains(" or ")))
}

/// Acronyms a text defines in parentheses, with the stemmed content terms they stand for:
/// "Extracorporeal Shock Wave Lithotripsy (ESWL)" → eswl ↦ [extracorporeal, shock, wave, lithotripsy].
pub fn defined_acronyms(text: &str) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(')') else { break };
        let inside = &after[..close];
        let acronym: Vec<char> = inside.chars().collect();
        if (2..=8).contains(&acronym.len())
            && acronym.iter().all(|c| c.is_ascii_alphanumeric())
            && acronym.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2
        {
            let before = &text[..offset + open];
            if let Some(expansion) = expand(before, &acronym) {
                out.entry(inside.to_lowercase())
                    .or_insert_with(|| content_terms(&expansion.join(" ")));
            }
        }
        let step = open + 1 + close + 1;
        offset += step;
        rest = &rest[step..];
    }
    out
}

/// The words before "(ACRONYM)" whose initials spell it, skipping small joining words.
fn expand<'a>(before: &'a str, acronym: &[char]) -> Option<Vec<&'a str>> {
    let letters: Vec<char> = acronym
        .iter()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let words: Vec<&str> = before
        .split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .filter(|w| !w.is_empty())
        .collect();
    let mut need = letters.len();
    let mut taken = Vec::new();
    for w in words.iter().rev().take(letters.len() * 2 + 2) {
        if need == 0 {
            break;
        }
        let first = w.chars().next().map(|c| c.to_ascii_lowercase());
        if first == Some(letters[need - 1]) {
            need -= 1;
            taken.push(*w);
        } else if ["of", "and", "the", "for", "with", "to", "in", "on", "&"].contains(w) {
            continue;
        } else {
            return None;
        }
    }
    (need == 0).then(|| {
        taken.reverse();
        taken
    })
}

/// `terms` with each defined acronym's expansion added where the acronym occurs, and the acronym added
/// where its whole expansion occurs, so "ESWL is covered" matches "extracorporeal shock wave lithotripsy".
pub fn with_acronyms(
    mut terms: Vec<String>,
    acronyms: &HashMap<String, Vec<String>>,
) -> Vec<String> {
    let mut extra = Vec::new();
    for (acronym, expansion) in acronyms {
        if expansion.is_empty() {
            continue;
        }
        if terms.contains(acronym) {
            extra.extend(expansion.iter().cloned());
        } else if expansion.iter().all(|t| terms.contains(t)) {
            extra.push(acronym.clone());
        }
    }
    for t in extra {
        if !terms.contains(&t) {
            terms.push(t);
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_nouns() {
        let s = answer_shape("vns for depression - how many failed treatments does pt need");
        assert_eq!(s.counted.as_deref(), Some("treatment"));
        assert_eq!(
            s.fit("a minimum criterion of four prior failed treatments"),
            1.0
        );
        assert_eq!(s.fit("VNS devices are covered through CED."), 0.0);
        let s = answer_shape("northwind lumbar mri how many weeks conservative therapy first");
        assert_eq!(s.counted.as_deref(), Some("week"));
        let s = answer_shape("How many HIV screenings can a pregnant beneficiary get?");
        assert_eq!(s.counted.as_deref(), Some("screening"));
        assert_eq!(
            s.fit("A maximum of three, voluntary, HIV screenings of pregnant beneficiaries"),
            1.0
        );
    }

    #[test]
    fn levels_coverage_and_directives() {
        let s = answer_shape("what wagner grade is required for hyperbaric oxygen");
        assert!(s.level);
        assert_eq!(
            s.fit("a wound classified as Wagner grade III or higher"),
            1.0
        );
        assert_eq!(s.fit("Standard wound care includes debridement."), 0.0);
        let s = answer_shape("is extracorporeal shock wave lithotripsy covered for kidney stones");
        assert!(s.coverage);
        assert_eq!(
            s.fit("ESWL is covered under Medicare for kidney stones."),
            1.0
        );
        assert_eq!(
            s.fit("ESWL is a non-invasive method of treating stones."),
            0.0
        );
        let s = answer_shape("Can I start an ER/LA opioid for acute pain?");
        assert!(s.directive);
        assert!(!answer_shape("What does the program involve?").is_specific());
    }

    #[test]
    fn items_asked_and_given() {
        assert!(asks_for_items(
            "What needs to go in the prior auth request?"
        ));
        assert!(!asks_for_items("Which type of sleep test is covered?"));
        assert!(gives_items(
            "The request includes the duration of symptoms, the conservative therapy tried, and the \
             neurological examination."
        ));
        assert!(gives_items(
            "Covered conditions:\n- gas gangrene\n- gas embolism"
        ));
        assert!(!gives_items(
            "Education is a critical element of Standard Precautions."
        ));
    }

    #[test]
    fn acronyms_defined_in_text() {
        let a = defined_acronyms(
            "Extracorporeal Shock Wave Lithotripsy (ESWL) is a method. Vagus nerve stimulation (VNS) \
             is covered (see §1). Time (h) is short.",
        );
        assert_eq!(
            a.get("eswl").map(Vec::len),
            Some(4),
            "expansion of ESWL: {a:?}"
        );
        assert!(a.contains_key("vns"));
        assert!(!a.contains_key("h"));
        let terms = with_acronyms(content_terms("ESWL is covered"), &a);
        assert!(terms.contains(&"lithotripsy".to_string()));
        let terms = with_acronyms(content_terms("vagus nerve stimulation for TRD"), &a);
        assert!(terms.contains(&"vns".to_string()));
    }
}
