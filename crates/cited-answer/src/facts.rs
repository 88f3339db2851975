//! Numeric facts as a clinician reads them: a value with its comparator, unit and interval. "below 30
//! mL/min", "< 30 mL/min" and "under 30 mL/min" are one fact; "30 mL/min or more" is another; "twice daily"
//! is 2 times per day and "every 12 hours" is an interval, not a dose. Codes and dates are compared as
//! strings. Verification compares these facts, never bare digits.

use std::fmt;

use serde::Serialize;

/// How a value is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Exactly the value ("40 mg").
    Eq,
    /// Below ("< 30", "less than 30", "under 30").
    Lt,
    /// At most ("≤ 88 %", "no more than 4", "up to 12", "within 1 hour", "or less").
    Le,
    /// Above ("> 35", "more than 3 months", "over").
    Gt,
    /// At least ("≥ 15", "15 or more", "at least 12 weeks", "no earlier than 24 hours").
    Ge,
    /// A closed range ("5 to 14", "18–64", "between 5 and 14"); the upper bound is in `high`.
    Range,
    /// A repeating interval ("every 12 hours").
    Every,
}

impl Comparator {
    fn words(self) -> &'static str {
        match self {
            Self::Eq => "",
            Self::Lt => "below ",
            Self::Le => "at most ",
            Self::Gt => "above ",
            Self::Ge => "at least ",
            Self::Range => "",
            Self::Every => "every ",
        }
    }
}

/// One number (or code) of a text with its comparator and unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    /// The number, thousands separators removed, or the lower-cased code ("e11.9", "2023-12-31").
    pub value: String,
    /// Upper bound of a range.
    pub high: Option<String>,
    /// Normalised unit ("mg", "ml/min", "hour", "time/day", "%"), when one is stated.
    pub unit: Option<String>,
    /// How the value bounds the quantity.
    pub comparator: Comparator,
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}{}", self.comparator.words(), self.value)?;
        if let Some(h) = &self.high {
            write!(f, " to {h}")?;
        }
        if let Some(u) = &self.unit {
            write!(f, " {u}")?;
        }
        f.write_str("\"")
    }
}

impl Fact {
    fn same_value(&self, other: &Fact) -> bool {
        numbers_equal(&self.value, &other.value) && {
            match (&self.high, &other.high) {
                (None, None) => true,
                (Some(a), Some(b)) => numbers_equal(a, b),
                _ => false,
            }
        }
    }

    fn units_compatible(&self, other: &Fact) -> bool {
        match (&self.unit, &other.unit) {
            // "monthly" reads as once per month, "once a month" as 1 time per month: one rate.
            (Some(a), Some(b)) => {
                a.strip_prefix("time").unwrap_or(a) == b.strip_prefix("time").unwrap_or(b)
            }
            _ => true,
        }
    }

    /// Whether `other` (from a passage) states this fact: equal value, the same unit where both have one,
    /// and the same comparator.
    pub fn supported_by(&self, other: &Fact) -> bool {
        self.same_value(other)
            && self.units_compatible(other)
            && self.comparator == other.comparator
    }

    /// Whether `other` has this fact's value and unit but bounds it differently ("below 30" against "30 or
    /// more"): a flipped comparator, not a missing number.
    pub fn conflicts_with(&self, other: &Fact) -> bool {
        self.same_value(other)
            && self.units_compatible(other)
            && self.comparator != other.comparator
    }

    /// The value as a number, when it is one.
    pub fn number(&self) -> Option<f64> {
        self.value.parse().ok()
    }

    /// The interval of values this fact allows, for condition matching: `(low, high, low_inclusive,
    /// high_inclusive)`. `None` for codes and intervals.
    pub fn interval(&self) -> Option<(f64, f64, bool, bool)> {
        let v = self.number()?;
        Some(match self.comparator {
            Comparator::Eq => (v, v, true, true),
            Comparator::Lt => (f64::NEG_INFINITY, v, false, false),
            Comparator::Le => (f64::NEG_INFINITY, v, false, true),
            Comparator::Gt => (v, f64::INFINITY, false, false),
            Comparator::Ge => (v, f64::INFINITY, true, false),
            Comparator::Range => (v, self.high.as_deref()?.parse().ok()?, true, true),
            Comparator::Every => return None,
        })
    }

    /// Whether the value `x` satisfies this fact's bound.
    pub fn admits(&self, x: f64) -> Option<bool> {
        let (lo, hi, lo_in, hi_in) = self.interval()?;
        let above = if lo_in { x >= lo } else { x > lo };
        let below = if hi_in { x <= hi } else { x < hi };
        Some(above && below)
    }
}

fn numbers_equal(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

/// Comparator phrases written before a number, longest first.
const PREFIXES: &[(&str, Comparator)] = &[
    // "men who have attained age 50" (articles and "age of" are skipped): 50 and older.
    ("attained", Comparator::Ge),
    ("greater than or equal to", Comparator::Ge),
    ("more than or equal to", Comparator::Ge),
    ("equal to or greater than", Comparator::Ge),
    ("equal to or more than", Comparator::Ge),
    ("less than or equal to", Comparator::Le),
    ("equal to or less than", Comparator::Le),
    ("equal to or lower than", Comparator::Le),
    ("in excess of", Comparator::Gt),
    ("no less than", Comparator::Ge),
    ("not less than", Comparator::Ge),
    ("no fewer than", Comparator::Ge),
    ("not fewer than", Comparator::Ge),
    ("no earlier than", Comparator::Ge),
    ("not earlier than", Comparator::Ge),
    ("no sooner than", Comparator::Ge),
    ("not sooner than", Comparator::Ge),
    ("no lower than", Comparator::Ge),
    ("not lower than", Comparator::Ge),
    ("no shorter than", Comparator::Ge),
    ("no more than", Comparator::Le),
    ("not more than", Comparator::Le),
    ("no greater than", Comparator::Le),
    ("not greater than", Comparator::Le),
    ("no later than", Comparator::Le),
    ("not later than", Comparator::Le),
    ("no longer than", Comparator::Le),
    ("not longer than", Comparator::Le),
    ("no higher than", Comparator::Le),
    ("not higher than", Comparator::Le),
    ("not to exceed", Comparator::Le),
    ("at or above", Comparator::Ge),
    ("at or over", Comparator::Ge),
    ("at or below", Comparator::Le),
    ("at or under", Comparator::Le),
    ("a minimum of", Comparator::Ge),
    ("a maximum of", Comparator::Le),
    ("not exceeding", Comparator::Le),
    ("not exceed", Comparator::Le),
    ("not above", Comparator::Le),
    ("not over", Comparator::Le),
    ("not below", Comparator::Ge),
    ("not under", Comparator::Ge),
    ("at least", Comparator::Ge),
    ("at most", Comparator::Le),
    ("up to", Comparator::Le),
    ("minimum of", Comparator::Ge),
    ("maximum of", Comparator::Le),
    ("more than", Comparator::Gt),
    ("greater than", Comparator::Gt),
    ("higher than", Comparator::Gt),
    ("longer than", Comparator::Gt),
    ("later than", Comparator::Gt),
    ("less than", Comparator::Lt),
    ("fewer than", Comparator::Lt),
    ("lower than", Comparator::Lt),
    ("shorter than", Comparator::Lt),
    ("earlier than", Comparator::Lt),
    (">=", Comparator::Ge),
    ("<=", Comparator::Le),
    (">", Comparator::Gt),
    ("<", Comparator::Lt),
    ("within", Comparator::Le),
    ("exceeding", Comparator::Gt),
    ("exceeds", Comparator::Gt),
    ("exceed", Comparator::Gt),
    ("above", Comparator::Gt),
    ("over", Comparator::Gt),
    ("beyond", Comparator::Gt),
    ("below", Comparator::Lt),
    ("under", Comparator::Lt),
    ("minimum", Comparator::Ge),
    ("maximum", Comparator::Le),
    ("every", Comparator::Every),
    ("each", Comparator::Every),
];

/// Comparator phrases written after a number (and its unit).
const SUFFIXES: &[(&str, Comparator)] = &[
    ("or more", Comparator::Ge),
    ("or greater", Comparator::Ge),
    ("or higher", Comparator::Ge),
    ("or above", Comparator::Ge),
    ("or over", Comparator::Ge),
    ("or older", Comparator::Ge),
    ("or longer", Comparator::Ge),
    ("or later", Comparator::Ge),
    ("and above", Comparator::Ge),
    ("and over", Comparator::Ge),
    ("and older", Comparator::Ge),
    ("and up", Comparator::Ge),
    ("or less", Comparator::Le),
    ("or fewer", Comparator::Le),
    ("or lower", Comparator::Le),
    ("or below", Comparator::Le),
    ("or under", Comparator::Le),
    ("or younger", Comparator::Le),
    ("or shorter", Comparator::Le),
    ("or earlier", Comparator::Le),
    ("and below", Comparator::Le),
    ("and under", Comparator::Le),
    ("and younger", Comparator::Le),
    ("or sooner", Comparator::Le),
    ("+", Comparator::Ge),
];

const NUMBER_WORDS: &[(&str, u32)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
    ("hundred", 100),
];

/// Units and countable things, with their normal form.
const UNITS: &[(&str, &str)] = &[
    ("mg", "mg"),
    ("milligram", "mg"),
    ("mcg", "mcg"),
    ("µg", "mcg"),
    ("ug", "mcg"),
    ("microgram", "mcg"),
    ("g", "g"),
    ("gram", "g"),
    ("gm", "g"),
    ("kg", "kg"),
    ("kilogram", "kg"),
    ("lb", "lb"),
    ("pound", "lb"),
    ("ml", "ml"),
    ("milliliter", "ml"),
    ("millilitre", "ml"),
    ("l", "l"),
    ("liter", "l"),
    ("litre", "l"),
    ("lpm", "l/minute"),
    ("mmol", "mmol"),
    ("meq", "meq"),
    ("mmhg", "mmhg"),
    ("cm", "cm"),
    ("mm", "mm"),
    ("inch", "inch"),
    ("%", "%"),
    ("percent", "%"),
    ("pct", "%"),
    ("hour", "hour"),
    ("hr", "hour"),
    ("h", "hour"),
    ("minute", "minute"),
    ("min", "minute"),
    ("second", "second"),
    ("sec", "second"),
    ("day", "day"),
    ("week", "week"),
    ("wk", "week"),
    ("month", "month"),
    ("mo", "month"),
    ("year", "year"),
    ("yr", "year"),
    ("night", "night"),
    ("unit", "unit"),
    ("iu", "unit"),
    ("time", "time"),
    ("session", "session"),
    ("visit", "visit"),
    ("treatment", "treatment"),
    ("dose", "dose"),
    ("tablet", "tablet"),
    ("capsule", "capsule"),
    ("injection", "injection"),
    ("event", "event"),
    ("episode", "episode"),
    ("criterion", "criterion"),
    ("criteria", "criterion"),
    ("test", "test"),
    ("breath", "breath"),
    ("point", "point"),
    ("mile", "mile"),
    ("meter", "meter"),
    ("metre", "meter"),
    ("foot", "foot"),
    ("feet", "foot"),
    ("degree", "degree"),
];

const PERIODS: &[(&str, &str)] = &[
    ("daily", "day"),
    ("nightly", "night"),
    ("weekly", "week"),
    ("monthly", "month"),
    ("yearly", "year"),
    ("annually", "year"),
    ("hourly", "hour"),
];

/// Units of time: the only units that make a rate ("per night") or a duration from an article ("within an
/// hour").
const TIME_UNITS: &[&str] = &[
    "second", "minute", "hour", "day", "night", "week", "month", "year",
];

/// Adjectives that may sit between a number and its unit ("3 consecutive months").
const UNIT_FILLERS: &[&str] = &[
    "consecutive",
    "additional",
    "separate",
    "continuous",
    "full",
    "calendar",
    "total",
    "more",
    "treatment",
    "therapy",
];

fn unit_of(word: &str) -> Option<&'static str> {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '%' && c != 'µ');
    if w.is_empty() {
        return None;
    }
    let lookup = |w: &str| UNITS.iter().find(|(k, _)| *k == w).map(|(_, v)| *v);
    lookup(w)
        .or_else(|| w.strip_suffix("es").and_then(lookup))
        .or_else(|| w.strip_suffix('s').and_then(lookup))
}

/// A compound unit written in one token: "mL/min", "mg/kg", "kg/m2", "mL/kg/hour". A part that is not a
/// known unit is kept as written, so it must match exactly.
fn compound_unit(token: &str) -> Option<String> {
    if !token.contains('/') {
        return None;
    }
    let parts: Vec<String> = token
        .trim_end_matches(['.', ','])
        .split('/')
        .map(|p| match p {
            "" => String::new(),
            "m2" | "m²" => "m2".to_string(),
            "dl" => "dl".to_string(),
            "µl" | "ul" | "mcl" | "microliter" | "microlitre" | "mm3" => "µl".to_string(),
            other => unit_of(other).map_or_else(|| other.to_string(), str::to_string),
        })
        .collect();
    // "24/7" or "1/2" are not units.
    if parts
        .iter()
        .any(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()))
    {
        return None;
    }
    Some(parts.join("/"))
}

#[derive(Debug)]
struct Token {
    text: String,
}

/// Lower-cased tokens; comparison symbols become their own tokens; sentence punctuation is dropped but
/// '.', '/', '%' and '-' inside a token are kept ("1.5", "ml/min", "12-week", "e11.9").
fn tokenize(text: &str) -> Vec<Token> {
    let mut spaced = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '≥' | '⩾' => spaced.push_str(" >= "),
            '≤' | '⩽' => spaced.push_str(" <= "),
            '<' | '>' => {
                spaced.push(' ');
                spaced.push(c);
                if chars.peek() == Some(&'=') {
                    chars.next();
                    spaced.push('=');
                }
                spaced.push(' ');
            }
            '–' | '—' | '‑' => spaced.push('-'),
            '(' | ')' | ',' | ';' | ':' | '"' | '[' | ']' | '“' | '”' | '‘' | '’' | '*' => {
                // A comma between digit groups ("5,000") is part of the number.
                if c == ','
                    && spaced.chars().last().is_some_and(|p| p.is_ascii_digit())
                    && chars.peek().is_some_and(char::is_ascii_digit)
                {
                    spaced.push(',');
                } else {
                    spaced.push(' ');
                }
            }
            '+' => spaced.push_str(" + "),
            _ => spaced.extend(c.to_lowercase()),
        }
    }
    spaced
        .split_whitespace()
        .map(|t| {
            let t = t.trim_end_matches(['.', '\'', '!', '?']);
            let t = t.trim_start_matches(['\'', '.']);
            Token {
                text: t.to_string(),
            }
        })
        .filter(|t| !t.text.is_empty())
        .collect()
}

/// Splits a token into its leading number ("5,000" → "5000", "1.5") and the rest.
fn leading_number(token: &str) -> Option<(String, &str)> {
    let end = token
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ','))
        .map(|(i, _)| i)
        .unwrap_or(token.len());
    let raw = token[..end].trim_end_matches(['.', ',']);
    if raw.is_empty() || !raw.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // Thousands separators only between groups of three digits; a decimal comma is not used here.
    let number = raw.replace(',', "");
    number.parse::<f64>().ok()?;
    let rest = &token[raw.len()..];
    Some((normalise_number(&number), rest))
}

fn normalise_number(n: &str) -> String {
    match n.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", v as i64),
        Ok(v) => format!("{v}"),
        Err(_) => n.to_string(),
    }
}

fn number_word(token: &str) -> Option<u32> {
    if let Some((a, b)) = token.split_once('-') {
        // "twenty-four", or "twelve-week" (a number word with a unit).
        let tens = NUMBER_WORDS
            .iter()
            .find(|(w, _)| *w == a)
            .map(|(_, v)| *v)?;
        let ones = NUMBER_WORDS.iter().find(|(w, _)| *w == b).map(|(_, v)| *v);
        return Some(match ones {
            Some(o) if tens >= 20 && o < 10 => tens + o,
            _ => tens,
        });
    }
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == token)
        .map(|(_, v)| *v)
}

fn phrase_before(tokens: &[Token], at: usize) -> Option<Comparator> {
    // Skip articles between the phrase and the number ("at least a 12-week trial").
    let mut end = at;
    while end > 0
        && matches!(
            tokens[end - 1].text.as_str(),
            "a" | "an" | "the" | "approximately" | "about" | "age" | "aged" | "of"
        )
    {
        end -= 1;
    }
    for (phrase, cmp) in PREFIXES {
        let words: Vec<&str> = phrase.split(' ').collect();
        if words.len() > end {
            continue;
        }
        let start = end - words.len();
        if tokens[start..end]
            .iter()
            .zip(&words)
            .all(|(t, w)| t.text == *w)
        {
            return Some(*cmp);
        }
    }
    None
}

fn phrase_after(tokens: &[Token], at: usize) -> Option<(Comparator, usize)> {
    for (phrase, cmp) in SUFFIXES {
        let words: Vec<&str> = phrase.split(' ').collect();
        if at + words.len() > tokens.len() {
            continue;
        }
        if tokens[at..at + words.len()]
            .iter()
            .zip(&words)
            .all(|(t, w)| t.text == *w)
        {
            return Some((*cmp, words.len()));
        }
    }
    None
}

/// Reads a unit starting at token `at`: "mg", "ml/min", "events per hour", "hours per night", "mm hg",
/// "times a day", "years old". Returns the unit and the tokens it used.
fn read_unit(tokens: &[Token], at: usize, inline: &str) -> (Option<String>, usize) {
    let inline = inline.trim_start_matches('-');
    let mut used = 0;
    let mut base: Option<String> = None;
    if !inline.is_empty() {
        // "40mg", "12-week", "88%", "5-year-old", "30ml/min"
        let first = inline.split('-').next().unwrap_or(inline);
        base = compound_unit(first)
            .or_else(|| unit_of(first).map(str::to_string))
            .or_else(|| Some(first.to_string()));
    } else if let Some(t) = tokens.get(at) {
        let mut i = at;
        if UNIT_FILLERS.contains(&t.text.as_str())
            && tokens
                .get(at + 1)
                .is_some_and(|n| unit_of(&n.text).is_some() || compound_unit(&n.text).is_some())
        {
            i += 1;
        }
        let word = &tokens[i].text;
        if word == "mm" && tokens.get(i + 1).is_some_and(|n| n.text == "hg") {
            base = Some("mmhg".into());
            used = i - at + 2;
        } else if word == "per" && tokens.get(i + 1).is_some_and(|n| n.text == "cent") {
            base = Some("%".into());
            used = i - at + 2;
        } else if word == "per"
            && let Some(p) = tokens.get(i + 1).and_then(|n| unit_of(&n.text))
        {
            // "22 per minute": a count per unit of time.
            base = Some(format!("/{p}"));
            used = i - at + 2;
        } else if let Some(u) = compound_unit(word) {
            base = Some(u);
            used = i - at + 1;
        } else if let Some(u) = unit_of(word) {
            base = Some(u.to_string());
            used = i - at + 1;
        }
    }
    let Some(mut unit) = base else {
        return (None, 0);
    };
    // A rate: "per hour", "a day", "each night", "/day", "daily".
    let next = at + used;
    if let Some(t) = tokens.get(next) {
        if matches!(t.text.as_str(), "per" | "a" | "an" | "each" | "every")
            && let Some(p) = tokens.get(next + 1).and_then(|n| unit_of(&n.text))
            && TIME_UNITS.contains(&p)
            && !unit.contains('/')
        {
            unit = format!("{unit}/{p}");
            used += 2;
        } else if let Some((_, p)) = PERIODS.iter().find(|(w, _)| *w == t.text)
            && !unit.contains('/')
        {
            unit = format!("{unit}/{p}");
            used += 1;
        } else if unit == "year" && t.text == "old" {
            used += 1;
        } else if unit == "year"
            && t.text == "of"
            && tokens.get(next + 1).is_some_and(|n| n.text == "age")
        {
            // "60 years of age and younger": the comparator follows "of age".
            used += 2;
        }
    }
    (Some(unit), used)
}

/// Every number and code in `text` with its comparator and unit.
pub fn facts(text: &str) -> Vec<Fact> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].text.as_str();
        let next_time = tokens
            .get(i + 1)
            .and_then(|n| unit_of(&n.text))
            .filter(|u| TIME_UNITS.contains(u));
        // Rates without a number: "daily", "per month", "each night", "every day".
        if let Some((_, p)) = PERIODS.iter().find(|(w, _)| *w == t) {
            out.push(rate(p));
            i += 1;
            continue;
        }
        if matches!(t, "per" | "each" | "every")
            && let Some(p) = next_time
        {
            out.push(rate(p));
            i += 2;
            continue;
        }
        // "within an hour", "the first hour", "for a year": one unit of time; "30 audits a month": a rate.
        if matches!(t, "a" | "an" | "first")
            && let Some(p) = next_time
        {
            let before = phrase_before(&tokens, i);
            let duration = before.is_some()
                || t == "first"
                || (i > 0
                    && matches!(tokens[i - 1].text.as_str(), "for" | "in" | "first" | "than"));
            out.push(if duration {
                Fact {
                    value: "1".into(),
                    high: None,
                    unit: Some(p.to_string()),
                    comparator: before.unwrap_or(Comparator::Eq),
                }
            } else {
                rate(p)
            });
            i += 2;
            continue;
        }
        // Frequencies written as words: "once daily", "twice a day", "three times weekly".
        if matches!(t, "once" | "twice" | "thrice") {
            let value = match t {
                "once" => "1",
                "twice" => "2",
                _ => "3",
            };
            let (period, used) = match tokens.get(i + 1).map(|n| n.text.as_str()) {
                Some(p) if PERIODS.iter().any(|(w, _)| *w == p) => {
                    (PERIODS.iter().find(|(w, _)| *w == p).map(|(_, u)| *u), 1)
                }
                Some("a" | "per" | "each" | "every") => {
                    (tokens.get(i + 2).and_then(|n| unit_of(&n.text)), 2)
                }
                _ => (None, 0),
            };
            if period.is_some() || t != "once" {
                out.push(Fact {
                    value: value.into(),
                    high: None,
                    unit: Some(match period {
                        Some(p) => format!("time/{p}"),
                        None => "time".into(),
                    }),
                    comparator: Comparator::Eq,
                });
                i += 1 + if period.is_some() { used } else { 0 };
                continue;
            }
            i += 1;
            continue;
        }
        // Codes and dates: start with a letter and contain a digit ("e11.9", "g0105"), or a dated token.
        let has_digit = t.chars().any(|c| c.is_ascii_digit());
        if has_digit
            && (t.starts_with(|c: char| c.is_ascii_alphabetic())
                || t.matches('-').count() >= 2
                || (t.contains('/') && t.split('/').all(|p| p.chars().all(|c| c.is_ascii_digit()))))
            && compound_unit(t).is_none()
        {
            out.push(Fact {
                value: t.trim_end_matches(['.', '-']).to_string(),
                high: None,
                unit: None,
                comparator: Comparator::Eq,
            });
            i += 1;
            continue;
        }
        let (value, inline, word_number) = if let Some((n, rest)) = leading_number(t) {
            // "38k" is 38,000.
            if rest == "k"
                && let Ok(v) = n.parse::<f64>()
            {
                (
                    normalise_number(&(v * 1000.0).to_string()),
                    String::new(),
                    false,
                )
            } else {
                (n, rest.to_string(), false)
            }
        } else if let Some(n) = number_word(t) {
            let rest = t.split_once('-').map(|(_, r)| r).unwrap_or("");
            // "twenty-four" is one number; "three-drug" is a number word with a noun, not a unit.
            let rest = if number_word(rest).is_some() || unit_of(rest).is_none() {
                ""
            } else {
                rest
            };
            (n.to_string(), rest.to_string(), true)
        } else {
            i += 1;
            continue;
        };
        let mut comparator = phrase_before(&tokens, i).unwrap_or(Comparator::Eq);
        let mut high = None;
        let mut next = i + 1;
        let mut inline = inline;
        // Ranges: "18-64", "5 to 14", "between 5 and 14", "from 2 through 4".
        if let Some(r) = inline.strip_prefix('-')
            && let Some((h, rest)) = leading_number(r)
        {
            high = Some(h);
            inline = rest.to_string();
        } else if inline.is_empty()
            && let Some(sep) = tokens.get(i + 1).map(|n| n.text.as_str())
            && (matches!(sep, "to" | "through" | "-")
                || (sep == "and" && i > 0 && tokens[i - 1].text == "between"))
            && let Some(h) = tokens.get(i + 2).and_then(|n| {
                leading_number(&n.text)
                    .filter(|(_, rest)| {
                        rest.is_empty() || unit_of(rest.trim_start_matches('-')).is_some()
                    })
                    .map(|(h, rest)| (h, rest.to_string()))
                    .or_else(|| number_word(&n.text).map(|w| (w.to_string(), String::new())))
            })
        {
            high = Some(h.0);
            inline = h.1;
            next = i + 3;
        }
        if high.is_some() {
            comparator = Comparator::Range;
        }
        let (unit, used) = read_unit(&tokens, next, &inline);
        next += used;
        // "over 12 weeks" is a period of time, "over 35" a bound.
        let said_over = tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t.text.as_str(), "a" | "an" | "the"))
            .is_some_and(|t| t.text == "over");
        if comparator == Comparator::Gt
            && said_over
            && unit.as_deref().is_some_and(|u| TIME_UNITS.contains(&u))
        {
            comparator = Comparator::Eq;
        }
        if let Some((cmp, used)) = phrase_after(&tokens, next) {
            if comparator == Comparator::Eq {
                comparator = cmp;
            }
            next += used;
            // "15 or more events per hour": the unit may follow the suffix.
            if unit.is_none() {
                let (u, used) = read_unit(&tokens, next, "");
                next += used;
                push(&mut out, value, high, u, comparator, word_number, true);
                i = next;
                continue;
            }
        }
        let anchored = unit.is_some() || comparator != Comparator::Eq;
        push(
            &mut out,
            value,
            high,
            unit,
            comparator,
            word_number,
            anchored,
        );
        i = next.max(i + 1);
    }
    out
}

/// Facts of `sentence` that no fact of `passage` states (same value, unit and comparator).
pub fn unsupported_facts(sentence: &str, passage: &str) -> Vec<Fact> {
    let have = facts(passage);
    facts(sentence)
        .into_iter()
        .filter(|f| !have.iter().any(|h| f.supported_by(h)))
        .collect()
}

/// The unit a "how many / how much / how long" question asks for: "how many days" → day, "how long" → a
/// time unit (`Some("time")`), "how many sessions" → session. `None` when it names none.
pub fn asked_unit(question: &str) -> Option<String> {
    let tokens = tokenize(question);
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(|n| n.text.as_str());
        if t.text == "how" && matches!(next, Some("long" | "soon" | "often" | "quickly" | "fast")) {
            return Some("time".into());
        }
        if t.text == "how" && matches!(next, Some("many" | "much")) {
            for n in tokens.iter().skip(i + 2).take(3) {
                if let Some(u) = unit_of(&n.text) {
                    return Some(u.to_string());
                }
            }
            return None;
        }
    }
    None
}

/// Whether `fact` answers a question asking for `asked` (see [`asked_unit`]).
pub fn answers_unit(fact: &Fact, asked: &str) -> bool {
    let unit = fact.unit.as_deref().unwrap_or_default();
    if asked == "time" {
        return fact.comparator == Comparator::Every
            || unit.split('/').any(|u| TIME_UNITS.contains(&u))
            || unit.starts_with("time");
    }
    unit.split('/').any(|u| u == asked) || (unit.is_empty() && fact.number().is_some())
}

fn rate(period: &str) -> Fact {
    Fact {
        value: "1".into(),
        high: None,
        unit: Some(format!("/{period}")),
        comparator: Comparator::Eq,
    }
}

fn push(
    out: &mut Vec<Fact>,
    value: String,
    high: Option<String>,
    unit: Option<String>,
    comparator: Comparator,
    word_number: bool,
    anchored: bool,
) {
    // A number word counts only with a unit or a comparator: "one of the following" is not a quantity.
    if word_number && !anchored {
        return;
    }
    out.push(Fact {
        value,
        high,
        unit,
        comparator,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Fact {
        let f = facts(text);
        assert_eq!(f.len(), 1, "{text}: {f:?}");
        f.into_iter().next().expect("one fact")
    }

    #[test]
    fn comparators_in_words_and_symbols_are_one_fact() {
        for text in [
            "below 30 mL/min",
            "< 30 mL/min",
            "under 30 mL/min",
            "less than 30 mL/min",
        ] {
            let f = one(text);
            assert_eq!(
                (f.value.as_str(), f.unit.as_deref(), f.comparator),
                ("30", Some("ml/minute"), Comparator::Lt),
                "{text}"
            );
        }
        for text in [
            "30 mL/min or more",
            "≥30 mL/min",
            "at least 30 mL/min",
            ">= 30 mL/min",
            "no less than 30 mL/min",
        ] {
            let f = one(text);
            assert_eq!(
                (f.value.as_str(), f.unit.as_deref(), f.comparator),
                ("30", Some("ml/minute"), Comparator::Ge),
                "{text}"
            );
        }
        assert_eq!(one("at or below 88 percent").comparator, Comparator::Le);
        assert_eq!(one("at or below 88 percent").unit.as_deref(), Some("%"));
        assert_eq!(one("88% or less").comparator, Comparator::Le);
        assert_eq!(one("no more than 4 doses").comparator, Comparator::Le);
        assert_eq!(one("up to 20 visits").unit.as_deref(), Some("visit"));
        assert_eq!(one("no earlier than 24 hours").comparator, Comparator::Ge);
        assert_eq!(one("within 24 hours").comparator, Comparator::Le);
        assert_eq!(one("65 years or older").comparator, Comparator::Ge);
        assert_eq!(one("aged 65 and older").comparator, Comparator::Ge);
        assert_eq!(
            one("men who have attained age 50").comparator,
            Comparator::Ge
        );
        assert_eq!(
            one("60 years of age and younger").comparator,
            Comparator::Le
        );
    }

    #[test]
    fn units_intervals_ranges_and_number_words() {
        let f = one("every 12 hours");
        assert_eq!(
            (f.value.as_str(), f.unit.as_deref(), f.comparator),
            ("12", Some("hour"), Comparator::Every)
        );
        assert_eq!(one("twice daily").unit.as_deref(), Some("time/day"));
        assert_eq!(one("twice daily").value, "2");
        assert_eq!(one("two times a day").unit.as_deref(), Some("time/day"));
        assert_eq!(one("once daily").value, "1");
        let f = one("an AHI of 5 to 14 events per hour");
        assert_eq!(
            (f.value.as_str(), f.high.as_deref(), f.comparator),
            ("5", Some("14"), Comparator::Range)
        );
        assert_eq!(one("aged 18-64 years").high.as_deref(), Some("64"));
        assert_eq!(one("between 5 and 14").comparator, Comparator::Range);
        assert_eq!(one("a twelve-week trial").value, "12");
        assert_eq!(one("a twelve-week trial").unit.as_deref(), Some("week"));
        assert_eq!(one("a 12-week trial").unit.as_deref(), Some("week"));
        assert_eq!(one("5,000 units").value, "5000");
        assert_eq!(
            one("15 or more events per hour").unit.as_deref(),
            Some("event/hour")
        );
        assert_eq!(one("4 hours per night").unit.as_deref(), Some("hour/night"));
        assert_eq!(one("100 mmHg or less").comparator, Comparator::Le);
        assert_eq!(one("diagnosis code E11.9").value, "e11.9");
        assert!(facts("one of the following criteria applies").is_empty());
        assert_eq!(facts("Give 1.5 mg; see 2023-12-31.").len(), 2);
    }

    #[test]
    fn support_needs_value_unit_and_comparator() {
        let passage = one("below 30 mL/min");
        assert!(one("under 30 mL/min").supported_by(&passage));
        assert!(one("less than 30").supported_by(&passage), "unit omitted");
        assert!(!one("30 mL/min or more").supported_by(&passage));
        assert!(one("30 mL/min or more").conflicts_with(&passage));
        assert!(!one("below 30 mL/hour").supported_by(&passage));
        assert!(!one("below 25 mL/min").supported_by(&passage));
        assert_eq!(one("below 30 mL/min").admits(25.0), Some(true));
        assert_eq!(one("30 mL/min or more").admits(25.0), Some(false));
        assert_eq!(one("30 mL/min or more").admits(30.0), Some(true));
    }
}
