//! Names and initials. A run of words is a name when the Census lists say so and the words are not
//! ordinary English ("robert walker"), when a cue introduces it ("pt mark will", "Mrs. Green",
//! "daughter (Hope)"), or when it has a name's form ("Smith, John", "J.S.", "JS, 67M").

use crate::patterns::{window_after, window_before};
use crate::words::WordLists;
use crate::{Candidate, PhiKind};

const PRIORITY: u8 = 50;

/// Words that introduce a person's name (besides relatives and titles).
const PERSON_CUES: &[&str] = &[
    "pt",
    "aka",
    "patient",
    "name",
    "named",
    "beneficiary",
    "resident",
    "client",
    "proxy",
    "guardian",
    "caregiver",
    "carer",
    "friend",
    "neighbor",
    "neighbour",
    "poa",
    "nok",
];

/// Whether `word` introduces a person's name: a cue, a relative or a title.
fn is_person_cue(word: &str) -> bool {
    PERSON_CUES.contains(&word) || RELATIONS.contains(&word) || TITLES.contains(&word)
}

/// Cue words that are never part of a name themselves (words.rs adds them to its never-list).
pub(crate) fn cue_words() -> impl Iterator<Item = &'static &'static str> {
    PERSON_CUES.iter().chain(RELATIONS).chain(TITLES)
}

/// Words after which a capitalised first name is probably a person ("for Amy", "can Rose").
const WEAK_CUES: &[&str] = &[
    "for", "can", "does", "did", "is", "was", "has", "had", "with", "to", "about", "on", "of",
    "tell", "ask", "call", "called", "told", "see", "saw", "visit", "visited", "re", "as", "by",
];

/// Relatives: "son gary", "daughter (Hope)", "husband, Carlos", "mi abuela Consuelo".
const RELATIONS: &[&str] = &[
    // Vietnamese "con gái" (daughter), "con trai" (son).
    "gái",
    "trai",
    // "dtr Adaeze", "dau Lin": a daughter in shorthand.
    "dtr",
    "dau",
    "son",
    "daughter",
    "wife",
    "husband",
    "mother",
    "father",
    "mom",
    "mum",
    "dad",
    "sister",
    "brother",
    "nephew",
    "niece",
    "aunt",
    "uncle",
    "grandson",
    "granddaughter",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "cousin",
    "spouse",
    "partner",
    "stepson",
    "stepdaughter",
    "boyfriend",
    "girlfriend",
    "sibling",
    "fiance",
    "fiancee",
    "fiancé",
    "fiancée",
    "abuela",
    "abuelo",
    "madre",
    "padre",
    "hija",
    "hijo",
    "esposo",
    "esposa",
    "hermana",
    "hermano",
    "nieta",
    "nieto",
];

/// Titles: whatever follows is a name, in any case ("mrs o'brien").
pub(crate) const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "smt", "shri", "sri", "alhaji", "alhaja", "sra", "sr",
    "srta", "mme", "mlle", "herr", "frau", "madam", "madame", "rev", "pastor", "sheikh", "mister",
    "missus", "bà", "ông",
];

/// Words after which one capitalised word may be a person's name.
const SINGLE_CUES: &[&str] = &[
    "for", "does", "did", "can", "is", "was", "has", "had", "tell", "ask", "call", "called",
    "told", "visit", "visited", "re", "about", "with",
];

/// Words after a capitalised word that make it an eponym, not a person.
const EPONYM_TAILS: &[&str] = &[
    "score",
    "scale",
    "criteria",
    "rule",
    "rules",
    "classification",
    "sign",
    "syndrome",
    "disease",
    "test",
    "maneuver",
    "manoeuvre",
    "procedure",
    "catheter",
    "line",
    "tube",
    "et",
    "index",
    "protocol",
    "policy",
    "bundle",
    "health",
    "plan",
    "hospital",
    "county",
    "university",
    "palsy",
    "body",
    "bodies",
    "bath",
    "stocking",
    "stockings",
    "circle",
    "phenomenon",
    "reflex",
    "curve",
    "curves",
    "estimate",
    "estimator",
    "method",
    "stage",
    "staging",
    "grade",
    "type",
    "anomaly",
    "disorder",
    "tumor",
    "tumour",
    "lymphoma",
    "sarcoma",
    "ulcer",
    "fracture",
    "operation",
    "filter",
    "association",
    "society",
    "college",
    "academy",
    "institute",
    "foundation",
    "center",
    "centre",
    "clinic",
    "department",
    "program",
    "act",
    "law",
    "register",
    "committee",
    "council",
    "board",
    "monitor",
    "monitoring",
    "monitors",
    "neurostimulation",
    "alternans",
];

/// Two letters that are clinical or English abbreviations, not a person's initials.
const NOT_INITIALS: &[&str] = &[
    "pt", "ot", "st", "hd", "ed", "er", "or", "iv", "po", "im", "sq", "bp", "hr", "rr", "gi", "gu",
    "ob", "ct", "pe", "ms", "dm", "rn", "md", "np", "pa", "ua", "uk", "us", "eu", "id", "am", "pm",
    "ok", "tv", "mg", "ml", "kg", "cm", "mm", "dl", "hb", "ra", "oa", "af", "mi", "ci", "ep", "ip",
    "qd", "hs", "ac", "pc", "sc", "sl", "pr", "ng", "og", "ef", "ecg", "ekg", "mri", "icu", "ccu",
    "nicu", "lvef", "dme", "vs", "ie", "eg", "re", "my", "no", "so", "up", "go", "be", "do", "to",
    "of", "in", "on", "at", "it", "is", "as", "an", "by", "we", "he", "me", "if", "or", "oh", "hi",
    "ya", "yo", "ty", "um", "ur", "qa", "qi", "ir", "rt", "cc", "fu", "dc", "lt", "hf", "ad", "ca",
    "cf", "tb", "uv", "ng", "pi",
];

/// Dotted capitals that are abbreviations, not initials.
const DOTTED_NOT_INITIALS: &[&str] = &[
    "U.S.", "A.M.", "P.M.", "E.R.", "O.R.", "I.V.", "P.O.", "D.C.", "N.P.", "R.N.", "M.D.", "D.O.",
    "B.P.", "U.K.", "E.U.", "Q.I.", "P.A.", "L.P.N.", "C.N.A.", "D.M.E.", "C.F.R.", "P.L.",
    "U.S.C.", "S.S.A.", "N.F.", "A.D.", "B.C.", "E.G.", "I.E.", "N.B.", "R.N.A.", "A.M.A.",
    "A.D.A.", "N.I.H.",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// On a name list and not an ordinary word.
    Strong,
    /// On a name list and an ordinary word ("Will", "Rose", "Young").
    Medium,
    /// On no list at all: a rare surname, a name from elsewhere ("Trub", "Dương").
    Weak,
    /// A single capital letter, a middle initial.
    Initial,
    /// Not a name.
    No,
}

#[derive(Debug)]
struct Token<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    lower: String,
    class: Class,
    capitalised: bool,
    upper: bool,
    ascii: bool,
}

pub(crate) fn find(text: &str, words: &WordLists, formed: &[Candidate], out: &mut Vec<Candidate>) {
    let tokens = tokenize(text, words);
    let inside_formed = |t: &Token<'_>| formed.iter().any(|c| t.start < c.end && t.end > c.start);
    let mut push = |start: usize, end: usize| {
        out.push(Candidate {
            start,
            end,
            kind: PhiKind::Name,
            priority: PRIORITY,
        })
    };
    find_initials(text, words, &tokens, &mut push);
    find_comma_names(text, words, &tokens, &mut push);

    find_runs(text, words, &tokens, formed, &inside_formed, &mut push);
    find_shaped_names(text, words, &tokens, &mut push);
    merge_names(out);
    // "pt Thanh Trần, 90, lives …": a bare number right after a name is the person's age.
    let names: Vec<(usize, usize)> = out
        .iter()
        .filter(|c| c.kind == PhiKind::Name)
        .map(|c| (c.start, c.end))
        .collect();
    for (_, end) in names {
        // "Jane Doe 00482913": a long number right after a name is the person's record number.
        if let Some((start, len)) = record_number_after(text, end) {
            out.push(Candidate {
                start,
                end: start + len,
                kind: PhiKind::Mrn,
                priority: PRIORITY + 15,
            });
        }
        if let Some((start, len)) = bare_age_after(text, end) {
            out.push(Candidate {
                start,
                end: start + len,
                kind: PhiKind::Age,
                priority: PRIORITY + 10,
            });
        }
    }
}

/// Names with a shape the word-by-word runs miss: after a field label ("Pt: BIN ABDULLAH, AHMAD
/// FAUZI |"), with a nickname in quotes (Harold "Hal" Whitcombe), with particles ("de la Cruz", "van
/// der Berg", "bin Hamid"), led by initials ("T. Oyelowo", "K. S. Ramachandran").
fn find_shaped_names(
    text: &str,
    words: &WordLists,
    tokens: &[Token<'_>],
    push: &mut dyn FnMut(usize, usize),
) {
    let name_like = |t: &Token<'_>| {
        matches!(t.class, Class::Strong | Class::Weak)
            || t.class == Class::Medium
                && (t.capitalised || t.upper)
                && is_name_word(words, &t.lower)
    };
    for (k, t) in tokens.iter().enumerate() {
        // A field label: what follows up to the next field is the name.
        let label = [
            "pt",
            "patient",
            "name",
            "subscriber",
            "beneficiary",
            "insured",
            "guardian",
        ]
        .contains(&t.lower.as_str())
            && text[t.end..].starts_with(':')
            && t.text != "PT";
        if label {
            let start =
                t.end + 1 + (text[t.end + 1..].len() - text[t.end + 1..].trim_start().len());
            let mut end = start;
            let mut named = 0;
            for u in tokens[k + 1..].iter() {
                let gap = &text[end..u.start];
                let first = end == start;
                let ok_gap = first && u.start == start
                    || !first
                        && (gap == " " || gap == ", " || gap == ". " || gap == "." || gap == "-");
                if !ok_gap || u.class == Class::No && !PARTICLES.contains(&u.lower.as_str()) {
                    break;
                }
                if name_like(u) || u.class == Class::Initial {
                    named += 1;
                }
                end = u.end;
                if text[end..].starts_with('.') && u.class == Class::Initial {
                    end += 1;
                }
            }
            let shouting_or_capital =
                tokens[k + 1..]
                    .iter()
                    .take_while(|u| u.end <= end)
                    .all(|u| {
                        u.capitalised
                            || u.upper
                            || PARTICLES.contains(&u.lower.as_str())
                            || u.class == Class::Initial
                    });
            if named >= 1 && end > start && shouting_or_capital {
                push(start, end);
            }
        }
        // Harold "Hal" Whitcombe.
        if t.capitalised && name_like(t) {
            let after = &text[t.end..];
            if let Some(rest) = after
                .strip_prefix(" \"")
                .or_else(|| after.strip_prefix(" “"))
                .or_else(|| after.strip_prefix(" '"))
                .or_else(|| after.strip_prefix(" ‘"))
            {
                let nick_len = rest
                    .chars()
                    .take_while(|c| c.is_alphabetic())
                    .map(char::len_utf8)
                    .sum::<usize>();
                let closing = &rest[nick_len..];
                if nick_len > 0 && closing.starts_with(['"', '”', '\'', '’']) {
                    let after_close = t.end
                        + (after.len() - rest.len())
                        + nick_len
                        + closing.chars().next().map_or(0, char::len_utf8);
                    if let Some(last) = tokens.iter().find(|u| u.start == after_close + 1)
                        && last.capitalised
                        && text[after_close..].starts_with(' ')
                    {
                        push(t.start, last.end);
                    }
                }
            }
        }
        // "de la Cruz", "van der Berg", "bin Hamid": a name, particles, a capitalised name.
        if name_like(t) && (t.capitalised || t.upper || words.is_first(&t.lower)) {
            let mut m = k + 1;
            while m < tokens.len()
                && PARTICLES.contains(&tokens[m].lower.as_str())
                && text[tokens[m - 1].end..tokens[m].start] == *" "
            {
                m += 1;
            }
            if m > k + 1
                && let Some(last) = tokens.get(m)
                && text[tokens[m - 1].end..last.start] == *" "
                && (last.capitalised || last.upper || !t.capitalised && name_like(last))
                && last.class != Class::No
            {
                push(t.start, last.end);
            }
        }
        // "T. Oyelowo", "K. S. Ramachandran", "H. van Rijn".
        if t.class == Class::Initial
            && text[t.end..].starts_with(". ")
            // Not a clinician's "Dr. J. Smith"; a patient's "Mr H. van Rijn" is a name.
            && (k == 0 || tokens[k - 1].lower != "dr")
        {
            let mut m = k + 1;
            while m < tokens.len()
                && tokens[m].class == Class::Initial
                && text[tokens[m].end..].starts_with(". ")
            {
                m += 1;
            }
            while m < tokens.len() && PARTICLES.contains(&tokens[m].lower.as_str()) {
                m += 1;
            }
            if let Some(last) = tokens.get(m)
                && last.capitalised
                && matches!(last.class, Class::Strong | Class::Weak)
                && !words.is_proper(&last.lower)
            {
                push(t.start, last.end);
            }
        }
    }
}

/// Overlapping or touching names become one: "María José Contreras" + "Contreras de la Fuente".
fn merge_names(out: &mut Vec<Candidate>) {
    let mut names: Vec<Candidate> = out
        .iter()
        .filter(|c| c.kind == PhiKind::Name)
        .copied()
        .collect();
    if names.len() < 2 {
        return;
    }
    out.retain(|c| c.kind != PhiKind::Name);
    names.sort_by_key(|c| (c.start, std::cmp::Reverse(c.end)));
    let mut merged: Vec<Candidate> = Vec::new();
    for c in names {
        if let Some(last) = merged.last_mut()
            && c.start <= last.end
        {
            last.end = last.end.max(c.end);
            continue;
        }
        merged.push(c);
    }
    out.extend(merged);
}

/// Lower-case words inside names: "de la Cruz", "van der Berg", "bin Abdullah", "o neill".
const PARTICLES: &[&str] = &[
    "de", "del", "la", "las", "los", "van", "der", "den", "von", "bin", "binti", "ibn", "al", "el",
    "da", "di", "dos", "das", "du", "le", "ter", "ten", "y", "o", "mac", "st",
];

/// " 00482913", ", 5566778" or " #771234" right after a name: 6 to 9 digits (10 are a phone number).
fn record_number_after(text: &str, end: usize) -> Option<(usize, usize)> {
    let after = window_after(text, end, 16);
    let trimmed = after.trim_start_matches([',', ' ', '(', '#']);
    let skipped = after.len() - trimmed.len();
    if skipped == 0 {
        return None;
    }
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    let next = trimmed[digits..].chars().next();
    ((6..=9).contains(&digits)
        && next.is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '/' && c != '-'))
    .then_some((end + skipped, digits))
}

/// ", 96," or " (91)" right after `end`, 90 or over: the start and length of the digits.
fn bare_age_after(text: &str, end: usize) -> Option<(usize, usize)> {
    let after = window_after(text, end, 32);
    // "(hip fx, 99)": the last number inside parentheses right after the name.
    if let Some(inner) = after
        .strip_prefix(" (")
        .and_then(|r| r.split_once(')'))
        .map(|(i, _)| i)
        && let Some(last) = inner.rsplit([',', ' ']).next()
        && (2..=3).contains(&last.len())
        && last.chars().all(|c| c.is_ascii_digit())
        && last.parse::<u32>().is_ok_and(|v| (90..=130).contains(&v))
    {
        let at = end + 2 + inner.len() - last.len();
        return Some((at, last.len()));
    }
    let trimmed = after.trim_start_matches([',', ' ', '(']);
    let mut skipped = after.len() - trimmed.len();
    if skipped == 0 {
        return None;
    }
    // ", is 98 and", ", aged 95"
    let mut rest = trimmed;
    for verb in ["is ", "was ", "aged ", "age "] {
        if let Some(r) = rest.strip_prefix(verb) {
            skipped += verb.len();
            rest = r;
            break;
        }
    }
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let value: u32 = rest[..digits].parse().ok()?;
    let tail = rest[digits..].trim_start();
    let next = rest[digits..].chars().next();
    let closed = next.is_none_or(|c| [',', ')', ';', '.', '!', '?'].contains(&c))
        || [
            "and", "years", "yrs", "años", "anos", "yo", "y/o", "with", "w/", "—", "-", "(",
        ]
        .iter()
        .any(|w| tail.starts_with(w))
        || tail.is_empty();
    ((2..=3).contains(&digits) && (90..=130).contains(&value) && closed)
        .then_some((end + skipped, digits))
}

fn find_runs(
    text: &str,
    words: &WordLists,
    tokens: &[Token<'_>],
    formed: &[Candidate],
    inside_formed: &dyn Fn(&Token<'_>) -> bool,
    push: &mut dyn FnMut(usize, usize),
) {
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].class == Class::No
            || tokens[i].class == Class::Initial
            || inside_formed(&tokens[i])
        {
            i += 1;
            continue;
        }
        // The longest run of name-like words joined by spaces (and initials), at most four words.
        let mut j = i + 1;
        while j < tokens.len()
            && j - i < 4
            && tokens[j].class != Class::No
            && !inside_formed(&tokens[j])
            && joined(text, &tokens[j - 1], &tokens[j])
        {
            j += 1;
        }
        // A run does not end on a middle initial.
        while j > i + 1 && tokens[j - 1].class == Class::Initial {
            j -= 1;
        }
        let run = &tokens[i..j];
        let slot = person_slot_after(text, run[run.len() - 1].end) && run.iter().all(slot_word)
            || run.len() <= 3
                && run.iter().all(|t| slot_word(t) && !t.upper)
                && parenthesised_after_place(text, run[0].start, run[run.len() - 1].end)
            || run.len() <= 2
                && run
                    .iter()
                    .all(|t| t.capitalised && slot_word(t) && !words.is_proper(&t.lower))
                && signs_off(text, run[0].start, run[run.len() - 1].end)
            || (identifier_beside(text, formed, run[0].start, run[run.len() - 1].end)
                || record_number_after(text, run[run.len() - 1].end).is_some())
                && run.iter().all(|t| beside_word(words, t));
        if slot {
            push(run[0].start, run[run.len() - 1].end);
        } else if let Some((a, b)) = accept(text, words, tokens, i, run) {
            push(run[a].start, run[b].end);
        }
        i = j;
    }
}

/// A word that may be a name where only a person fits: on a name list or on none, not shaped like an
/// English word ("reyes in bed 4", "rose in bed 9"; not "dosing in bed 4").
fn slot_word(t: &Token<'_>) -> bool {
    matches!(t.class, Class::Strong | Class::Medium | Class::Weak) && !english_shape(&t.lower)
}

/// A word that may be a name beside an identifier: a name-list word that is no ordinary word, or a
/// capitalised word on no list; not a label ("call +1 …", "MBI 1EG4-…", "HAR 300128845") nor an
/// abbreviation ("NSTEMI", "SCr").
fn beside_word(words: &WordLists, t: &Token<'_>) -> bool {
    let inner_capital = t.text.chars().skip(1).any(char::is_uppercase);
    // Words that are also names elsewhere; pure labels ("MBI", "HAR") are never names at all (words.rs).
    let label = [
        "call",
        "voicemail",
        "text",
        "page",
        "fax",
        "ss",
        "fin",
        "landline",
        "cell",
        "pager",
        "adjuster",
        "subscriber",
    ]
    .contains(&t.lower.as_str());
    slot_word(t)
        && !words.is_proper(&t.lower)
        && !label
        && !t.upper
        && !inner_capital
        && (t.class == Class::Strong || t.class == Class::Weak && t.capitalised)
}

/// Right after a run, what only a person has: a bed or room ("in bed 4", "(bed 6)", "in 14", "in
/// 3A"), a death, an admission or a discharge, an alias, or something of theirs ("'s son", "'s acct").
fn person_slot_after(text: &str, end: usize) -> bool {
    let after = window_after(text, end, 24);
    let lower = after.to_lowercase();
    let a = lower.trim_start_matches([' ', ',']);
    let skipped = lower.len() - a.len();
    let starts_with_digit = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
    if [
        "in bed ", "bed ", "bd ", "(bed ", "in room ", "in rm ", "rm ", "(rm ", "room ",
    ]
    .iter()
    .any(|p| a.strip_prefix(p).is_some_and(starts_with_digit))
    {
        return skipped > 0 || a.starts_with('(');
    }
    // "in 14 asking", "in 3A": a room number, not "in 24 hours" or "in 2h".
    if let Some(rest) = after.trim_start_matches(' ').strip_prefix("in ") {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let tail = &rest[digits..];
        // "3A", "14b"; not "24h" or "2d" (a time).
        let tail = tail
            .strip_prefix(|c: char| c.is_ascii_alphabetic() && !"hdwmysxg".contains(c))
            .filter(|t| !t.starts_with(char::is_alphanumeric))
            .unwrap_or(tail);
        let closes = match tail.chars().next() {
            None => true,
            Some(' ') => {
                let w = tail.trim_start().to_lowercase();
                !UNIT_WORDS.iter().any(|u| {
                    w.starts_with(u)
                        && w[u.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !c.is_alphabetic())
                })
            }
            Some(c) => !c.is_alphanumeric() && !['.', '%', '/', '-', ':'].contains(&c),
        };
        if (1..=3).contains(&digits) && closes {
            return true;
        }
    }
    [
        "died", "expired", "passed away", "was adm", "was admitted", "was discharged", "was dc",
        "was transferred", "aka ", "a.k.a", "dob", "d.o.b", "(dob", "(mrn", "mrn", "(acct",
    ]
    .iter()
    .any(|p| a.starts_with(p))
        // "Lord family at bedside", "the Okonkwo twins'": right after the name, no comma between.
        || lower.strip_prefix(' ').is_some_and(|rest| {
            ["family", "fam ", "twins", "kid ", "household"]
                .iter()
                .any(|p| rest.starts_with(p))
        })
        || ["'s ", "’s ", "' ", "’ "].iter().any(|p| {
            a.strip_prefix(p).is_some_and(|rest| {
                RELATIONS
                    .iter()
                    .chain(&["hcp", "poa", "acct", "account", "mrn", "chart", "claim", "member"])
                    .any(|r| {
                        rest.starts_with(r)
                            && rest[r.len()..].chars().next().is_none_or(|c| !c.is_alphabetic())
                    })
            })
        })
}

/// "… is it getting worse? -Marisol": a name after a dash that ends the message.
fn signs_off(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].trim_end_matches(' ');
    // The message before the dash ends a sentence on the same line: not a list item ("- Carmustine").
    let dashed = before
        .strip_suffix(['-', '—', '–', '~'])
        .map(|b| b.trim_end_matches([' ', '\t']))
        .is_some_and(|b| b.ends_with(['?', '.', '!']) && b.len() < text[..start].len() - 1);
    let rest = text[end..].trim_start_matches([' ', '.', '!']);
    dashed && (rest.is_empty() || rest.starts_with(['"', '”', ')']))
}

/// "bed 12 (castellanos)", "00458213 (Espinoza-Tkachenko)": a word alone in parentheses right after a
/// bed or room number or a record number (six digits or more); not "30 mg (enoxaparin)".
fn parenthesised_after_place(text: &str, start: usize, end: usize) -> bool {
    let Some(before) = text[..start].strip_suffix('(').map(str::trim_end) else {
        return false;
    };
    if !text[end..].starts_with(')') {
        return false;
    }
    let number: &str = before
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("");
    // "family (Mbeki)", "son (Arjun)".
    let lower = number.to_lowercase();
    if RELATIONS.contains(&lower.as_str()) || ["family", "fam", "kin"].contains(&lower.as_str()) {
        return true;
    }
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    if digits >= 6 && number.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let place = before[..before.len() - number.len()]
        .trim_end()
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("")
        .to_lowercase();
    [
        "bed",
        "bd",
        "rm",
        "room",
        "bay",
        "cubicle",
        "cube",
        "stretcher",
    ]
    .contains(&place.as_str())
}

/// Words after a number that make "in 24" a time or an amount, not a room.
const UNIT_WORDS: &[&str] = &[
    "hour", "hours", "hr", "hrs", "h", "day", "days", "d", "week", "weeks", "wk", "wks", "month",
    "months", "mo", "year", "years", "yr", "yrs", "min", "mins", "minute", "minutes", "sec", "mg",
    "ml", "mcg", "g", "kg", "unit", "units", "patients", "pts", "cases", "doses", "visits", "of",
    "out", "to", "x",
];

/// A record, account, phone or social security number, or a date of birth, right before or after the
/// run ("00483317 Banerjee", "yousef haddad phone +1 …", "Ramírez DOB 7-Mar-1944").
fn identifier_beside(text: &str, formed: &[Candidate], start: usize, end: usize) -> bool {
    let after = window_after(text, end, 16);
    let trimmed = after.trim_start_matches([' ', ',', '(', '#', ':']);
    let lower = trimmed.to_lowercase();
    let label = [
        "dob", "d.o.b.", "d.o.b", "dos", "mrn", "phone", "ph", "tel", "cell", "at", "ssn", "acct",
    ]
    .iter()
    .find(|l| {
        lower.starts_with(*l)
            && lower[l.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    });
    let value_at = end
        + (after.len() - trimmed.len())
        + label.map_or(0, |l| {
            l.len() + trimmed[l.len()..].len()
                - trimmed[l.len()..]
                    .trim_start_matches([' ', ':', '#', '('])
                    .len()
        });
    let identifier = |c: &Candidate, dated: bool| {
        matches!(
            c.kind,
            PhiKind::Mrn | PhiKind::Account | PhiKind::Ssn | PhiKind::Phone
        ) || dated && c.kind == PhiKind::Date
    };
    let dated = label.is_some_and(|l| l.starts_with('d'));
    formed
        .iter()
        .any(|c| c.start == value_at && identifier(c, dated))
        || formed.iter().any(|c| {
            let gap = &text[c.end..start.max(c.end)];
            c.end <= start
                && (matches!(c.kind, PhiKind::Mrn | PhiKind::Account | PhiKind::Ssn)
                    && [" ", " — ", " - ", ": ", ", "].contains(&gap)
                    // "age 98, Wanjiru", "born 1/9/31, Szymańska".
                    || gap == ", "
                        && (c.kind == PhiKind::Age
                            || c.kind == PhiKind::Date && born_before(text, c.start)))
        })
}

/// "born 1/9/31, Szymańska": a birth label right before the date at `start`.
fn born_before(text: &str, start: usize) -> bool {
    let before = window_before(text, start, 8).to_lowercase();
    let before = before.trim_end_matches([' ', ':']);
    ["born", "dob", "d.o.b", "d.o.b."]
        .iter()
        .any(|l| before.ends_with(l))
}

/// Decides whether `run` (tokens `at..`) is a name; returns the first and last token of the name.
fn accept(
    text: &str,
    words: &WordLists,
    tokens: &[Token<'_>],
    at: usize,
    run: &[Token<'_>],
) -> Option<(usize, usize)> {
    let cue = cue_before(text, tokens, at);
    let cue_after = relation_after(text, run[run.len() - 1].end);
    let names = |r: &[Token<'_>]| r.iter().filter(|t| t.class != Class::Initial).count();
    let strong = |r: &[Token<'_>]| r.iter().any(|t| t.class == Class::Strong);
    let (mut a, mut b) = (0, run.len() - 1);

    if cue == Cue::Strong || cue_after {
        let first = &run[0];
        let titled = at > 0 && TITLES.contains(&tokens[at - 1].lower.as_str());
        // "pt will need": a word, not a name; but "mr grant keeps" is Mr Grant.
        if names(run) == 1 && first.class == Class::Medium && !first.capitalised && !titled {
            return None;
        }
        if titled {
            // "Dr. (hospitalist)" is a role, not a name.
            // "mr oyelaran": after a title a word on no list is a name, whatever its case.
            let named = first.capitalised
                || first.upper
                || is_name_word(words, &first.lower)
                || !first.ascii
                || first.class == Class::Weak
                    && !text[tokens[at - 1].end..first.start].contains('(');
            return named.then_some((a, b));
        }
        // "his wife will drop it off": an ordinary word after a word-like first ends the name.
        if !first.capitalised
            && first.class == Class::Medium
            && run.len() >= 2
            && run[1..].iter().any(|t| {
                !t.capitalised
                    && (t.class == Class::Medium && !words.is_first(&t.lower)
                        || english_shape(&t.lower))
            })
        {
            return None;
        }
        // "the pt left running": an ordinary word that is no first name does not start a name.
        if !first.capitalised && first.class == Class::Medium && !words.is_first(&first.lower) {
            return None;
        }
        // "daughter priya called": a word on no list that does what people do.
        let acts = names(run) == 1
            && first.class == Class::Weak
            && !english_shape(&first.lower)
            && person_verb_follows(text, first.end);
        if acts {
            return Some((a, b));
        }
        if names(run) == 1 && first.class == Class::Weak && !first.capitalised && first.ascii {
            return None; // "pt ambulating"
        }
        // "patient donates blood": lower-case words after a cue are a name only when the first is on a
        // name list or foreign, or none of them is an ordinary word.
        let lower_case = run.iter().all(|t| !t.capitalised && !t.upper);
        let listed_or_foreign = is_name_word(words, &first.lower) || !first.ascii;
        let ordinary = run.iter().any(|t| {
            t.class == Class::Medium && !is_name_word(words, &t.lower) || english_shape(&t.lower)
        });
        if lower_case && !listed_or_foreign && (names(run) < 2 || ordinary) {
            return None;
        }
        return Some((a, b));
    }

    // Without a cue, trailing lower-case words are verbs and nouns: "curtis bowman totaled", "can
    // Samantha keep", "ruiz links". A first name stays ("jorge luis hope").
    while b > a && !run[b].capitalised && run[b].class != Class::Initial {
        let t = &run[b];
        // "andrew black": trimming "black" would leave a lower-case first name nobody could read as one.
        let leaves_capitalised = run[a..b].iter().any(|t| t.capitalised) || names(&run[a..b]) >= 2;
        let ordinary = t.class == Class::Medium && !words.is_first(&t.lower) && leaves_capitalised
            || t.class == Class::Weak
                && t.ascii
                && (english_shape(&t.lower) || names(&run[a..b]) >= 2);
        if !ordinary {
            break;
        }
        b -= 1;
    }
    // "keyed Dorcas Ampofo's": lower-case words before a capitalised name are not part of it.
    while a < b
        && !run[a].capitalised
        && !run[a].upper
        && run[a + 1..=b]
            .iter()
            .all(|t| t.capitalised || t.class == Class::Initial)
    {
        a += 1;
    }
    // Leading ordinary words go while a name of two words with a list name remains: "will hope
    // martinez" (but "for summer ruiz" keeps "summer": "for" introduces it).
    while cue != Cue::Weak
        && b > a + 1
        && run[a].class == Class::Medium
        && !run[a].capitalised
        && strong(&run[a + 1..=b])
        && names(&run[a + 1..=b]) >= 2
    {
        a += 1;
    }
    let r = &run[a..=b];
    let n = names(r);
    let age_follows = age_follows(text, r[r.len() - 1].end);
    if n >= 2 {
        let all_capitalised = r.iter().all(|t| t.capitalised || t.class == Class::Initial);
        let all_weak = r.iter().all(|t| t.class == Class::Weak);
        let foreign = r.iter().any(|t| !t.ascii);
        let lead_first =
            is_first_name(words, &r[0].lower) || !r[0].ascii && r[0].class == Class::Weak;
        let no_common = r.iter().all(|t| {
            t.class == Class::Weak || t.class == Class::Strong || t.class == Class::Initial
        });
        let lead_strong_first = lead_first && r[0].class != Class::Medium;
        let rest_listed = r[1..].iter().any(|t| t.class != Class::Initial);
        let any_upper = r.iter().any(|t| t.upper);
        // A title or an organisation: a capitalised word right before or after ("New York Heart
        // Association", "Executive Plaza North"), or an eponym's tail ("Kaplan-Meier curve").
        let in_title = neighbour_capitalised(text, tokens, at + a, at + b)
            || eponym_follows(text, r[r.len() - 1].end);
        let hyphenated_eponym = r.iter().all(|t| t.capitalised && t.text.contains('-'))
            || all_capitalised
                && r.iter().any(|t| {
                    t.text.contains('-') && t.text.split('-').any(|p| p.chars().count() < 2)
                });
        let tail_inside = r[1..]
            .iter()
            .any(|t| EPONYM_TAILS.contains(&t.lower.as_str()));
        // Unknown first word, listed second: "emmanuelle tessier", "divya raja".
        let unknown_then_listed = (r[0].class == Class::Weak
            || lead_first && r[0].class != Class::Medium)
            && r[1..].iter().any(|t| {
                t.class == Class::Strong
                    || t.class == Class::Medium
                        && (t.capitalised || age_follows)
                        && is_name_word(words, &t.lower)
            })
            && !r.iter().any(|t| english_shape(&t.lower));
        // "Bishnu Gurung fell", "adebayo ogunleye works at": names (no ordinary word but a first
        // name) that do what people do.
        let acts = person_verb_follows(text, r[r.len() - 1].end)
            && r.iter().all(|t| {
                matches!(t.class, Class::Strong | Class::Weak)
                    || t.class == Class::Medium && words.is_first(&t.lower)
            })
            && r.iter().any(|t| t.class != Class::Medium)
            && !r
                .iter()
                .any(|t| english_shape(&t.lower) || words.is_proper(&t.lower));
        let ok = if any_upper || in_title || hyphenated_eponym || tail_inside {
            false
        } else if acts {
            true
        } else if all_weak {
            // "vũ bùi", "linh dương": at most one word on no name list ("habla solo español" has two).
            foreign
                && (all_capitalised
                    || r.iter().filter(|t| !is_name_word(words, &t.lower)).count() <= 1)
                || age_follows
                || all_capitalised && possessive_follows(text, r[r.len() - 1].end)
                // "for Oluwaseun Bankole", "release for Tigist Alemu?": two capitalised words on no
                // list, after a word that introduces a person, in no title.
                || all_capitalised
                    && cue == Cue::Weak
                    && r.iter().all(|t| !words.is_proper(&t.lower))
        } else if all_capitalised {
            // "Will Okafor": a word-like first name at the start stands when the next word is a name.
            let other_named = r[1..].iter().any(|t| t.class == Class::Strong);
            // "Grant Oyelaran's plan": the pair owns something, so the word-like first name is one.
            let owns = possessive_follows(text, r[r.len() - 1].end)
                && !eponym_after_possessive(text, r[r.len() - 1].end)
                && r[1..]
                    .iter()
                    .all(|t| t.class == Class::Weak && !words.is_proper(&t.lower));
            (lead_first || strong(r) || foreign)
                && (!(sentence_start(text, r[0].start) && r[0].class == Class::Medium)
                    || age_follows
                    || other_named
                    || owns)
        } else {
            lead_strong_first && rest_listed
                || lead_first && r[1..].iter().any(|t| t.class == Class::Strong)
                || (cue == Cue::Weak || age_follows) && unknown_then_listed
                || foreign
                    && no_common
                    && r.iter().filter(|t| !is_name_word(words, &t.lower)).count() <= 1
        };
        return ok.then_some((a, b));
    }
    if age_follows && matches!(r[0].class, Class::Strong | Class::Weak) {
        return Some((a, b)); // "yashoda (94-year-old)"
    }
    // One word, no strong cue: a capitalised first or last name mid-sentence that is no eponym.
    let t = &r[0];
    // "Nguyen's CPAP", "Siobhan wants …": a capitalised word that owns something or does what people do.
    if t.capitalised
        && !t.text.contains('-')
        && !t.text.chars().skip(1).any(char::is_uppercase)
        && matches!(t.class, Class::Strong | Class::Weak | Class::Medium)
        && !words.is_proper(&t.lower)
        && (t.class != Class::Medium || words.is_first(&t.lower))
        && (possessive_follows(text, t.end) && !eponym_after_possessive(text, t.end)
            || sentence_start(text, t.start) && person_verb_follows(text, t.end))
    {
        return Some((a, b));
    }
    // ", huynh wants the mri": a surname on the list (and no ordinary word) doing what people do.
    if !t.capitalised
        && !t.upper
        && t.class == Class::Strong
        && !words.is_proper(&t.lower)
        && person_verb_follows(text, t.end)
    {
        return Some((a, b));
    }
    // "hernandez’s insulin pump", "rasmussen's sleep test": a surname on the list (and no ordinary
    // word) owns something, whatever its case.
    if !t.capitalised
        && !t.upper
        && t.class == Class::Strong
        && !t.text.contains('-')
        && !words.is_proper(&t.lower)
        && possessive_follows(text, t.end)
        && !eponym_after_possessive(text, t.end)
    {
        return Some((a, b));
    }
    // "for Nakamura-Reyes", "Espinoza-Tkachenko's chart": two surnames joined, each on the list, with
    // a word that introduces a person or something of theirs; not an eponym ("Kaplan-Meier curve").
    if t.capitalised && double_surname(words, &t.lower) && !eponym_follows(text, t.end) {
        let introduced =
            word_before(text, tokens, at + a, &[" "]).is_some_and(|w| SINGLE_CUES.contains(&w));
        if introduced || possessive_follows(text, t.end) && !eponym_after_possessive(text, t.end) {
            return Some((a, b));
        }
    }
    // "re: lindqvist —": after "re:" a word on no list or a surname, set off by punctuation, whatever
    // its case.
    let set_off = window_after(text, t.end, 4)
        .trim_start()
        .starts_with([':', ',', '—', '–', '-', ')']);
    if !t.upper
        && matches!(t.class, Class::Strong | Class::Weak)
        && t.ascii
        && set_off
        && !words.is_proper(&t.lower)
        && word_before(text, tokens, at + a, &[": "]) == Some("re")
    {
        return Some((a, b));
    }
    // "can kowalski get cpap", "for okonkwo-briggs": in lower case, a surname on the list (or joined
    // surnames, one on the list) that is no ordinary word nor a term of the reference texts, after a
    // word that introduces a person.
    if !t.capitalised && !t.upper && t.ascii {
        let parts: Vec<&str> = t.lower.split('-').collect();
        let surname = parts.iter().any(|p| words.is_name(p) && !words.is_first(p))
            && parts
                .iter()
                .all(|p| p.len() > 1 && !words.is_common(p) && !words.is_proper(p));
        // "with tiller steering": "with" introduces things as often as people.
        let introduced = word_before(text, tokens, at + a, &[" "])
            .is_some_and(|w| SINGLE_CUES.contains(&w) && w != "with");
        if surname && introduced && !english_shape(&t.lower) {
            return Some((a, b));
        }
    }
    // A lone name needs a word that introduces a person: "does Curtis need", "for Amy", "re: Delgado".
    let introduced =
        word_before(text, tokens, at + a, &[" ", ": "]).is_some_and(|w| SINGLE_CUES.contains(&w));
    if !introduced
        || !t.capitalised
        || t.upper
        || t.text.contains('-')
        || eponym_follows(text, t.end)
        || score_follows(text, t.end)
        || neighbour_capitalised(text, tokens, at + a, at + b)
    {
        return None;
    }
    // "for Okonkwo:", "re: Delgado —": a word on no list, set off by punctuation.
    let set_off = set_off || possessive_follows(text, t.end);
    let single = match t.class {
        Class::Strong => !words.is_proper(&t.lower) || cue == Cue::Weak,
        Class::Weak => set_off && !words.is_proper(&t.lower),
        Class::Medium => cue == Cue::Weak && !words.is_proper(&t.lower),
        _ => false,
    };
    single.then_some((a, b))
}

/// The word right before token `at`, in lower case, when only one of `gaps` separates them.
fn word_before<'a>(
    text: &str,
    tokens: &'a [Token<'_>],
    at: usize,
    gaps: &[&str],
) -> Option<&'a str> {
    let prev = tokens.get(at.checked_sub(1)?)?;
    gaps.contains(&&text[prev.end..tokens.get(at)?.start])
        .then_some(prev.lower.as_str())
}

/// "nakamura-reyes": two or more parts, each a name on the list and none an ordinary word.
fn double_surname(words: &WordLists, lower: &str) -> bool {
    let parts: Vec<&str> = lower.split('-').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| p.len() > 1 && words.is_name(p) && !words.is_common(p))
}

/// A first name, or a hyphenated one whose first part is ("hans-christian").
fn is_first_name(words: &WordLists, lower: &str) -> bool {
    words.is_first(lower)
        || lower
            .split('-')
            .next()
            .is_some_and(|p| p != lower && words.is_first(p))
}

/// An English word's ending (-ing, -ist, -tion, …): an unknown word shaped like this is not a name.
fn english_shape(lower: &str) -> bool {
    lower.len() >= 5
        && [
            "ing", "ist", "ists", "tion", "tions", "ment", "ness", "ous", "ive", "able", "ible",
            "ity", "ly", "ed", "ies", "ism", "ize", "ise", "ful", "less",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cue {
    Strong,
    Weak,
    None,
}

/// The word before `at` (skipping "(", ":", ".", "," and spaces), as a cue.
fn cue_before(text: &str, tokens: &[Token<'_>], at: usize) -> Cue {
    if at == 0 {
        return Cue::None;
    }
    let prev = &tokens[at - 1];
    let gap = &text[prev.end..tokens[at].start];
    // "great-grandma", "step-mom": the relation word itself.
    let word = prev
        .lower
        .trim_start_matches("great-")
        .trim_start_matches("step-");
    // "W/o Selvaraj", "S/o", "D/o": wife, son, daughter of (Indian English); lower-case "w/o" is
    // "without".
    if word == "o"
        && gap == " "
        && tokens[at].capitalised
        && ["W/", "S/", "D/"]
            .iter()
            .any(|p| text[..prev.start].ends_with(p))
    {
        return Cue::Strong;
    }
    // "pt's husband, Carlos": a relation word, a comma, a capitalised name.
    if gap == ", " && tokens[at].capitalised && RELATIONS.contains(&word) {
        return Cue::Strong;
    }
    if gap.len() > 6
        || !gap
            .chars()
            .all(|c| c.is_whitespace() || "(:.\"“'‘".contains(c))
    {
        return Cue::None;
    }
    if prev.text == "PT" {
        return Cue::None; // physical therapy
    }
    // "Ms" only capitalised: lower-case "ms" is also initials and multiple sclerosis.
    if word == "ms" && prev.text.starts_with('M') {
        return Cue::Strong;
    }
    if word == "dr" && prev.capitalised {
        return Cue::Strong;
    }
    if TITLES.contains(&word) && word != "dr" && word != "ms" {
        return Cue::Strong;
    }
    if PERSON_CUES.contains(&word) || RELATIONS.contains(&word) {
        return Cue::Strong;
    }
    let pair = if at >= 2 {
        format!("{} {}", tokens[at - 2].lower, word)
    } else {
        String::new()
    };
    if [
        "registered to",
        "identified as",
        "named as",
        "known as",
        "belongs to",
        "is dr",
        "pt is",
    ]
    .contains(&pair.as_str())
    {
        return Cue::Strong;
    }
    if WEAK_CUES.contains(&word) {
        return Cue::Weak;
    }
    Cue::None
}

/// ", niece", " (daughter)": a relation named right after the word makes it a person's name.
fn relation_after(text: &str, end: usize) -> bool {
    let after = window_after(text, end, 24).to_lowercase();
    let after = after.trim_start_matches([',', ' ', '(']);
    let after = after
        .strip_prefix("pt's ")
        .or_else(|| after.strip_prefix("patient's "))
        .or_else(|| after.strip_prefix("the pt's "))
        .unwrap_or(after);
    [
        "son", "daughter", "wife", "husband", "niece", "nephew", "sister", "brother", "mother",
        "father", "aunt", "uncle", "grand", "cousin", "spouse",
    ]
    .iter()
    .any(|r| {
        after.starts_with(r)
            && after[r.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphabetic() || r == &"grand")
    })
}

/// The word right before `first` or right after `last` (one space away) is capitalised and not a cue:
/// the run is part of a title or an organisation's name.
fn neighbour_capitalised(text: &str, tokens: &[Token<'_>], first: usize, last: usize) -> bool {
    let before = first
        .checked_sub(1)
        .map(|i| &tokens[i])
        .filter(|p| &text[p.end..tokens[first].start] == " ")
        .is_some_and(|p| {
            (p.capitalised || p.upper)
                && !is_person_cue(&p.lower)
                && !["dr", "mr", "mrs", "ms", "miss", "pt"].contains(&p.lower.as_str())
                && !sentence_start(text, p.start)
                && p.class != Class::Initial
        });
    let after = tokens
        .get(last + 1)
        .filter(|n| &text[tokens[last].end..n.start] == " ")
        .is_some_and(|n| n.capitalised && n.class == Class::No);
    before || after
}

/// On a name list (or, hyphenated, one of its parts is).
fn is_name_word(words: &WordLists, lower: &str) -> bool {
    words.is_name(lower) || lower.split('-').any(|p| p != lower && words.is_name(p))
}

/// "'s" or "’s" right after the word.
fn possessive_follows(text: &str, end: usize) -> bool {
    // Six bytes: "’" alone takes three.
    let after = window_after(text, end, 6);
    (after.starts_with("'s") || after.starts_with("’s"))
        && after[after.char_indices().nth(2).map_or(after.len(), |(i, _)| i)..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}

/// "Bell's palsy", "Hodgkin's lymphoma": an eponym's tail after the possessive.
fn eponym_after_possessive(text: &str, end: usize) -> bool {
    eponym_follows(text, end) || {
        let after = window_after(text, end, 20).to_lowercase();
        after.contains("disease") || after.contains("witness")
    }
}

/// Verbs people do, right after a capitalised word at the start of a sentence: "Siobhan wants".
fn person_verb_follows(text: &str, end: usize) -> bool {
    let after = window_after(text, end, 24).to_lowercase();
    let mut rest = after.trim_start();
    // "Yusupova still asking": an adverb between.
    for adverb in ["still ", "also ", "just ", "now ", "really ", "again "] {
        if let Some(r) = rest.strip_prefix(adverb) {
            rest = r;
            break;
        }
    }
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    [
        "wants",
        "wanted",
        "says",
        "said",
        "asks",
        "asked",
        "reports",
        "reported",
        "states",
        "stated",
        "called",
        "calls",
        "complains",
        "denies",
        "denied",
        "works",
        "worked",
        "lives",
        "lived",
        "refuses",
        "refused",
        "fell",
        "went",
        "came",
        "arrived",
        "left",
        "declined",
        "agreed",
        "prefers",
        "needs",
        "takes",
        "took",
        "uses",
        "used",
        "got",
        "missed",
        "forgot",
        "drives",
        "drove",
        "walked",
        "returned",
        "presented",
        "presents",
        "requests",
        "requested",
        "insists",
        "thinks",
        "feels",
        "delivers",
        "falls",
        "asking",
        "wanting",
        "refusing",
        "declining",
        "reporting",
        "complaining",
        "emailed",
        "texted",
        "messaged",
        "phoned",
        "teaches",
        "milks",
        "keeps",
        "kept",
    ]
    .contains(&word.as_str())
}

/// "(102-year-old)", ", 92F", " 97 y/o" right after a name.
fn age_follows(text: &str, end: usize) -> bool {
    let after = window_after(text, end, 24);
    let s = after.trim_start_matches([',', ' ', '(']);
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if !(1..=3).contains(&digits) {
        return false;
    }
    let rest = s[digits..].trim_start_matches([' ', '-']);
    rest.starts_with("year-old")
        || rest.starts_with("years old")
        || rest.starts_with("yo")
        || rest.starts_with("y/o")
        || rest.starts_with(['M', 'F'])
            && rest[1..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
}

/// "Braden 11", "Wells 1": a capitalised word followed by a number is a score, not a person (unless
/// the number is an age).
fn score_follows(text: &str, end: usize) -> bool {
    let after = window_after(text, end, 4);
    after
        .trim_start_matches(' ')
        .starts_with(|c: char| c.is_ascii_digit())
        && !age_follows(text, end)
}

fn eponym_follows(text: &str, end: usize) -> bool {
    let after = window_after(text, end, 24);
    let after = after.trim_start_matches(['\'', '’', 's', ' ']);
    let word: String = after
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    EPONYM_TAILS.contains(&word.as_str())
}

/// At the start of a sentence, a clause or the text, capitals say nothing.
fn sentence_start(text: &str, start: usize) -> bool {
    let before = window_before(text, start, 8).trim_end();
    before.is_empty()
        || before.ends_with(['.', '!', '?', ':', ';', '—', '–', '"', '\n', '-', '•', '*'])
}

/// Two words of one name: separated by spaces only, or "A. " after an initial.
fn joined(text: &str, left: &Token<'_>, right: &Token<'_>) -> bool {
    let gap = &text[left.end..right.start];
    if gap.chars().all(|c| c == ' ') && !gap.is_empty() && gap.len() <= 2 {
        return true;
    }
    left.class == Class::Initial && (gap == ". " || gap == ".")
}

/// Initials: "J.S.", "JS, 67M", "rh 65M", "BM policy #", "for LK".
fn find_initials(
    text: &str,
    words: &WordLists,
    tokens: &[Token<'_>],
    push: &mut impl FnMut(usize, usize),
) {
    // Dotted: J.S. / I.W. / A.A.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 3 < bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'.';
        if boundary {
            let mut j = i;
            let mut letters = 0;
            while j + 1 < bytes.len() && bytes[j].is_ascii_uppercase() && bytes[j + 1] == b'.' {
                j += 2;
                letters += 1;
            }
            let after_ok = j >= bytes.len() || !bytes[j].is_ascii_alphanumeric();
            if (2..=3).contains(&letters) && after_ok && !DOTTED_NOT_INITIALS.contains(&&text[i..j])
            {
                push(i, j);
                i = j;
                continue;
            }
        }
        i += 1;
    }
    for (k, t) in tokens.iter().enumerate() {
        // "Mr. B", "Mrs K": a title and one capital letter.
        if t.class == Class::Initial
            && k > 0
            && TITLES.contains(&tokens[k - 1].lower.as_str())
            && tokens[k - 1].capitalised
        {
            push(t.start, t.end);
            continue;
        }
        let len = t.text.chars().count();
        let lower = t.text.chars().all(|c| c.is_ascii_lowercase());
        // Upper-case initials are two or three letters ("JS", "JRT"); lower-case ones two ("rh").
        let shaped = t.upper && (2..=3).contains(&len) || lower && len == 2;
        if !shaped || !t.ascii || words.is_function_word(&t.lower) {
            continue;
        }
        let after = window_after(text, t.end, 20);
        if starts_with_age_sex(after) || starts_with_label(after) {
            push(t.start, t.end);
            continue;
        }
        if words.is_never_name(&t.lower) || NOT_INITIALS.contains(&t.lower.as_str()) {
            continue;
        }
        let cue = k > 0 && {
            let prev = &tokens[k - 1];
            let gap = &text[prev.end..t.start];
            gap.chars().all(|c| c == ' ')
                && ["pt", "for", "patient", "re"].contains(&prev.lower.as_str())
                && prev.text != "PT"
        };
        if cue && len == 2 {
            push(t.start, t.end);
        }
    }
}

/// "65M", ", 22F", " 97 y/o", ", 100 yo" right after the letters.
fn starts_with_age_sex(after: &str) -> bool {
    let s = after.trim_start_matches([',', ' ']);
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if !(1..=3).contains(&digits)
        || s.len() == after.len() && !after.starts_with(' ') && !after.starts_with(',')
    {
        return false;
    }
    let rest = &s[digits..];
    let sex = rest.starts_with(['M', 'F'])
        && rest[1..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
    let age = rest.trim_start().starts_with("yo") || rest.trim_start().starts_with("y/o");
    sex || age
}

/// " mrn", " policy #", " member", " acct", " ssn", " dob" right after the letters.
fn starts_with_label(after: &str) -> bool {
    let lower = after.to_lowercase();
    let s = lower.trim_start_matches([',', ' ']);
    if s.len() == lower.len() {
        return false;
    }
    [
        "mrn",
        "policy #",
        "policy no",
        "member",
        "acct",
        "ssn",
        "dob",
        "med rec",
    ]
    .iter()
    .any(|label| s.starts_with(label))
}

/// "Sato, K., 96": the dot of a final initial belongs to the name when a comma follows it.
fn with_initials_dot(text: &str, end: usize) -> usize {
    let single_letter = text[..end]
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .count()
        == 1;
    if single_letter && text[end..].starts_with(".,") {
        end + 1
    } else {
        end
    }
}

/// "Smith, John", "TURNER, RICHARD F", "Young, Daniel".
fn find_comma_names(
    text: &str,
    words: &WordLists,
    tokens: &[Token<'_>],
    push: &mut impl FnMut(usize, usize),
) {
    for k in 0..tokens.len().saturating_sub(1) {
        let (last, first) = (&tokens[k], &tokens[k + 1]);
        let gap = &text[last.end..first.start];
        if gap != ", " {
            continue;
        }
        let shaped = |t: &Token<'_>| t.capitalised || t.upper;
        let lower_pair = !shaped(last)
            && !shaped(first)
            && words.is_first(&first.lower)
            && first.class == Class::Strong
            && matches!(last.class, Class::Strong | Class::Medium)
            && words.is_name(&last.lower);
        // "· Kowalczyk-Nowak, Bożena ·", "Registration: Fitzgerald-Obi, Ngozi |": a comma form that is a
        // field of its own, between delimiters, needs no list either.
        let field_start = window_before(text, last.start, 4)
            .trim_end()
            .chars()
            .last()
            .is_none_or(|c| "|·•:(\n—".contains(c));
        let field_end = {
            let after = &text[first.end..];
            let after = after.strip_prefix(|c: char| c == ' ').map_or(after, |a| {
                // a middle initial: " J." / " A"
                let mut chars = a.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), Some('.')) if c.is_uppercase() => &a[c.len_utf8() + 1..],
                    _ => after,
                }
            });
            after.is_empty()
                || after.starts_with("  ")
                || after
                    .trim_start()
                    .starts_with(['|', '·', '•', '(', '\n', '—'])
        };
        let cued = field_start && field_end
            || k > 0 && {
                let prev = &tokens[k - 1];
                let gap = &text[prev.end..last.start];
                gap.len() <= 3
                    && gap.chars().all(|c| c.is_whitespace() || c == ':')
                    && ["pt", "patient", "name", "re"].contains(&prev.lower.as_str())
                    && prev.text != "PT"
            };
        if lower_pair || cued && shaped(last) && shaped(first) && last.class != Class::No {
            let mut end = first.end;
            if let Some(initial) = tokens.get(k + 2)
                && initial.class == Class::Initial
                && &text[first.end..initial.start] == " "
            {
                end = initial.end;
            }
            push(last.start, with_initials_dot(text, end));
            continue;
        }
        if !shaped(last) || !shaped(first) || last.class == Class::No || first.class == Class::No {
            continue;
        }
        let first_is_name = words.is_first(&first.lower) && first.class != Class::Medium
            || first.upper && words.is_first(&first.lower);
        let last_is_name = matches!(last.class, Class::Strong | Class::Weak)
            || last.class == Class::Medium && (last.upper || words.is_name(&last.lower));
        // Neither word common nor a proper noun of the documents, one of them on a list: "Rajan, Veer".
        let rare = |t: &Token<'_>| {
            matches!(t.class, Class::Strong | Class::Weak) && !words.is_proper(&t.lower)
        };
        let both_rare = rare(last)
            && rare(first)
            && (words.is_name(&last.lower) || words.is_name(&first.lower));
        if !(first_is_name && last_is_name || both_rare) {
            continue;
        }
        let mut end = first.end;
        if let Some(initial) = tokens.get(k + 2)
            && initial.class == Class::Initial
            && &text[first.end..initial.start] == " "
        {
            end = initial.end;
        }
        push(last.start, end);
    }
}

fn tokenize<'a>(text: &'a str, words: &WordLists) -> Vec<Token<'a>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !c.is_alphabetic() {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if c.is_alphabetic() {
                end = i + c.len_utf8();
                chars.next();
                continue;
            }
            // Joiners inside a word: "maria-theresia", "O'Brien"; not the possessive "'s".
            if c == '-' || c == '\'' || c == '’' {
                let rest = &text[i + c.len_utf8()..];
                let next_alpha = rest.chars().next().is_some_and(char::is_alphabetic);
                let possessive = c != '-'
                    && rest.starts_with(['s', 'S'])
                    && rest[1..].chars().next().is_none_or(|c| !c.is_alphabetic());
                if next_alpha && !possessive {
                    chars.next();
                    continue;
                }
            }
            break;
        }
        let word = &text[start..end];
        tokens.push(token(text, start, end, word, words));
    }
    tokens
}

fn token<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    word: &'a str,
    words: &WordLists,
) -> Token<'a> {
    let lower = word.to_lowercase();
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
    let capitalised = letters.first().is_some_and(|c| c.is_uppercase()) && !upper;
    let ascii = word.is_ascii();
    let class = if letters.len() == 1 {
        if letters[0].is_uppercase()
            && text[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
        {
            Class::Initial
        } else {
            Class::No
        }
    } else if words.is_never_name(&lower)
        || upper && words.is_acronym(word) && !words.is_name(&lower)
    {
        Class::No
    } else {
        let parts: Vec<&str> = lower
            .split(['-', '\'', '’'])
            .filter(|p| !p.is_empty())
            .collect();
        let joined: String = lower.chars().filter(|c| !matches!(c, '\'' | '’')).collect();
        let listed = words.is_name(&lower)
            || words.is_name(&joined)
            || parts
                .iter()
                .filter(|p| p.len() > 1)
                .any(|p| words.is_name(p));
        let common =
            words.is_common(&lower) || parts.len() > 1 && parts.iter().all(|p| words.is_common(p));
        match (listed, common) {
            (true, false) => Class::Strong,
            (true, true) => Class::Medium,
            (false, false) if letters.len() >= 2 => Class::Weak,
            _ => Class::No,
        }
    };
    Token {
        start,
        end,
        text: word,
        lower,
        class,
        capitalised,
        upper,
        ascii,
    }
}
