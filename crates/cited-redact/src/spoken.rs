//! Identifiers said rather than typed, as dictation software writes them: "ninety four year old",
//! "date of birth march third nineteen fifty two", "medical record number four four one zero two eight
//! seven nine", "spelled n g u y e n". Each needs the cue that says whose value it is; the same words
//! without one ("ninety days", "four point two") are clinical content and stay.

use crate::patterns::priority;
use crate::{Candidate, PhiKind};
use regex::Regex;

const UNITS: &str = "one|two|three|four|five|six|seven|eight|nine";
const DIGIT: &str = "zero|oh|one|two|three|four|five|six|seven|eight|nine";
const MONTHS: &str =
    "january|february|march|april|may|june|july|august|september|october|november|december";
const ORDINALS: &str = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[\\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[\\s-]first";
const TENS: &str = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety";
const TEENS: &str =
    "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen";

/// The dictation patterns, compiled once with the rest of the redactor.
pub(crate) struct Spoken {
    age: Regex,
    digits: Regex,
    date: Regex,
    letters: Regex,
}

impl Spoken {
    pub(crate) fn new() -> Spoken {
        let year = format!(
            r"\d{{4}}|(?:nineteen|twenty)\s+(?:(?:{TENS})(?:[\s-](?:{UNITS}))?|{TEENS}|oh\s+(?:{UNITS}))|two\s+thousand(?:\s+and)?(?:\s+(?:{TEENS}|{UNITS}|twenty(?:[\s-](?:{UNITS}))?))?"
        );
        Spoken {
            // The age itself; whether it is one is decided by the words around it.
            age: crate::patterns::re(&format!(
                r"(?i)\b(?:ninety|one\s+hundred(?:\s+and)?)(?:[\s-](?:{UNITS}))?\b"
            )),
            // A label, then four or more digits said one by one.
            digits: crate::patterns::re(&format!(
                r"(?i)\b(last\s+four\s+of\s+(?:the\s+|her\s+|his\s+)?(?:social|ssn)|medical\s+record(?:\s+number)?|record\s+number|mrn|chart\s+number|account(?:\s+number)?|member(?:\s+id|\s+number)?|claim(?:\s+number)?|policy\s+number|social\s+security(?:\s+number)?|ssn|phone(?:\s+number)?|call\s+back\s+number|cell)\s+(?:is\s+|number\s+|of\s+)?((?:(?:{DIGIT})\b[\s,-]*){{4,}})"
            )),
            date: crate::patterns::re(&format!(
                r"(?i)\b(?:(?:{MONTHS})\s+(?:the\s+)?(?:{ORDINALS})(?:,?\s+(?:{year}))?|(?:{ORDINALS})\s+of\s+(?:{MONTHS})(?:,?\s+(?:{year}))?)\b"
            )),
            // "spelled n g u y e n": a name spelled out letter by letter.
            letters: crate::patterns::re(
                r"(?i)\b(?:spelled|spelt|spelling)\s+((?:[a-z]\b[\s,-]*){3,})",
            ),
        }
    }

    /// Adds the dictated identifiers of `text`; `person_date` says whether the words before a date
    /// tie it to the person.
    pub(crate) fn find(
        &self,
        text: &str,
        person_date: &dyn Fn(&str, usize) -> bool,
        out: &mut Vec<Candidate>,
    ) {
        let mut push = |start: usize, end: usize, kind: PhiKind, priority: u8| {
            out.push(Candidate {
                start,
                end,
                kind,
                priority,
            })
        };
        for m in self.age.find_iter(text) {
            if spoken_age(text, m.start(), m.end()) {
                push(m.start(), m.end(), PhiKind::Age, priority::AGE);
            }
        }
        for c in self.digits.captures_iter(text) {
            let (Some(label), Some(value)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let label = label.as_str().to_lowercase();
            let kind = if label.starts_with("medical")
                || label.starts_with("record")
                || label.starts_with("mrn")
                || label.starts_with("chart")
            {
                PhiKind::Mrn
            } else if label.starts_with("social") || label == "ssn" || label.starts_with("last") {
                PhiKind::Ssn
            } else if label.starts_with("phone") || label.starts_with("call") || label == "cell" {
                PhiKind::Phone
            } else {
                PhiKind::Account
            };
            let end = value.start() + value.as_str().trim_end_matches([' ', ',', '-']).len();
            push(value.start(), end, kind, priority::LABELLED);
        }
        for m in self.date.find_iter(text) {
            if person_date(text, m.start()) {
                push(m.start(), m.end(), PhiKind::Date, priority::DATE);
            }
        }
        for c in self.letters.captures_iter(text) {
            if let Some(m) = c.get(1) {
                let end = m.start() + m.as_str().trim_end_matches([' ', ',', '-']).len();
                push(m.start(), end, PhiKind::Name, priority::LABELLED);
            }
        }
    }
}

/// "ninety four year old", "he's ninety-one and frail", "aged one hundred and two": a number of 90 or
/// more said in words is an age when a years word follows or a person's "is"/"aged" comes before it,
/// and no unit follows ("ninety days", "ninety percent").
fn spoken_age(text: &str, start: usize, end: usize) -> bool {
    let after = text[end..].trim_start_matches([' ', '-']).to_lowercase();
    let next: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
    if [
        "years", "year", "yrs", "yr", "yo", "y", "años", "anos", "tuổi",
    ]
    .contains(&next.as_str())
    {
        return true;
    }
    let measured = [
        "percent",
        "days",
        "day",
        "minutes",
        "minute",
        "mins",
        "seconds",
        "hours",
        "milligrams",
        "mg",
        "units",
        "kilos",
        "kilograms",
        "pounds",
        "over",
        "milliliters",
        "mls",
        "beats",
        "point",
        "degrees",
        "millimeters",
        "thousand",
    ]
    .contains(&next.as_str());
    let before = crate::patterns::window_before(text, start, 16).to_lowercase();
    let before = before.trim_end();
    let aged = [
        "he's",
        "she's",
        "he is",
        "she is",
        "is now",
        "pt is",
        "patient is",
        "aged",
        "age",
        "turned",
        "turns",
        "turning",
        "who is",
        "makes him",
        "makes her",
        "making him",
        "making her",
    ]
    .iter()
    .any(|cue| before.ends_with(cue));
    aged && !measured
}
