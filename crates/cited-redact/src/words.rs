//! Word lists compiled into the binary, made by `tools/build_redact_lists.py` from public data (US
//! Census name lists, and case statistics of MedQuAD, SciFact and the NCDs); see that script.

use std::collections::HashSet;

/// Lower-case first names (US Census 1990).
const FIRST_NAMES: &str = include_str!("../data/first_names.txt");
/// Lower-case surnames (US Census 1990).
const LAST_NAMES: &str = include_str!("../data/last_names.txt");
/// Words health writers write in lower case: "will", "rose", "walker" are words first.
const COMMON_WORDS: &str = include_str!("../data/common_words.txt");
/// Words written capitalised mid-sentence in the reference texts: eponyms, brands, places.
const PROPER_WORDS: &str = include_str!("../data/proper_words.txt");
/// All-capital words of the reference texts ("MRI", "CPT"), never a patient's initials.
const ACRONYMS: &str = include_str!("../data/acronyms.txt");

/// Short clinical and chat words that the lists may hold as names but never are one here.
const NEVER_NAMES: &[&str] = &[
    // Labels of record and account numbers.
    "mbi",
    "philhealth",
    "ohip",
    "empi",
    "uhid",
    "hicn",
    "hosp",
    "har",
    "csn",
    "enc",
    "mcd",
    "mbr",
    "grp",
    "uhid",
    "pt",
    "pts",
    "dob",
    "mrn",
    "ssn",
    "abx",
    "adm",
    "hx",
    "dx",
    "tx",
    "rx",
    "sx",
    "fx",
    "bid",
    "tid",
    "qid",
    "prn",
    "npo",
    "ppx",
    "iv",
    "po",
    "im",
    "sq",
    "hd",
    "ed",
    "er",
    "icu",
    "or",
    "ok",
    "thx",
    "ty",
    "pls",
    "re",
    "vs",
    "via",
    "per",
    "yo",
    "f/u",
    "am",
    "pm",
    "q",
    "dm",
    "htn",
    "ckd",
    "esrd",
    "uti",
    "pna",
    "copd",
    "chf",
    "cad",
    "afib",
    "mri",
    "ct",
    "cpap",
    "dme",
    "auth",
    "ncd",
    "lcd",
    "cms",
    "mg",
    "ml",
    "kg",
    "mcg",
    "mmol",
    "units",
    "unit",
    "hours",
    "hour",
    "days",
    "day",
    "weeks",
    "week",
    "months",
    "month",
    "years",
    "year",
    "rn",
    "md",
    "np",
    "pa",
    "lpn",
    "cna",
    "snf",
    "ltc",
    "er",
    "ems",
    "mvc",
    "gcs",
    "bp",
    "hr",
    "rr",
    "spo",
    "bmi",
    "inr",
    "crcl",
    "egfr",
    "wbc",
    "hgb",
    "plt",
    "ufh",
    "lmwh",
    "doac",
    "tka",
    "tha",
    "lbp",
    "nsaids",
    "pe",
    "dvt",
    "vte",
    "poc",
    "bg",
    "a1c",
    "mwf",
    "sn",
    "vin",
    "zip",
    "acct",
    "member",
    "claim",
    "policy",
    "lovenox",
    "eliquis",
    "xarelto",
    "coumadin",
    "heparin",
    "enoxaparin",
    "warfarin",
    "apixaban",
    "rivaroxaban",
    "medicare",
    "medicaid",
    "northwind",
    "brigid",
    "padua",
    "braden",
    "morse",
    "glasgow",
    "apgar",
    "epworth",
    "karnofsky",
    "hickman",
    "doppler",
    "crohn",
    "parkinson",
    "alzheimer",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "may",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "the",
    "and",
    "for",
    "with",
    "from",
    "med",
    "rec",
    "meds",
];

/// English function words: never part of a name, whatever the surname list says ("To", "In", "Is").
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "to", "is", "of", "in", "on", "at", "by", "as", "be", "or", "if", "it", "he",
    "she", "we", "they", "his", "her", "him", "them", "their", "our", "was", "were", "are", "has",
    "have", "had", "do", "does", "did", "not", "no", "yes", "so", "up", "out", "who", "what",
    "when", "where", "why", "how", "which", "that", "this", "these", "those", "there", "here",
    "can", "might", "must", "shall", "should", "would", "could", "but", "than", "then", "also",
    "only", "all", "any", "each", "every", "some", "one", "two", "per", "into", "onto", "over",
    "under", "after", "before", "about", "again", "back", "still", "just", "very", "more", "most",
    "less", "least", "new", "old", "i", "me", "my", "you", "your", "us", "its", "him", "hers",
    "ok", "okay", "pls", "please", "thanks", "says", "said", "asks", "asked", "needs", "need",
    "got", "get", "gets", "now", "today", "tonight", "see", "also", "shall", "vs", "pt", "pts",
    "re", "su", "sus", "lo", "en", "por", "para", "con", "es", "soy", "mi", "tu", "que", "se",
    "un", "una", "les", "des", "et", "au", "la", "las", "los", "el", "del",
];

/// Holidays and plan names capitalised like a name.
const NOT_NAMES: &[&str] = &[
    "ramadan",
    "easter",
    "christmas",
    "thanksgiving",
    "passover",
    "diwali",
    "lent",
    "hanukkah",
    "eid",
    "kippur",
    // A VTE score and a payer's representative, not people.
    "caprini",
    "rep",
    "hmo",
    "adjuster",
    // "bd 4": a bed, not a name.
    "bd",
    "hospice",
    "medigap",
    "tricare",
    "cobra",
    "hipaa",
    "polst",
    "molst",
    "meniere",
    "menière",
    "jehovah",
    "mum",
    "mom",
    "dad",
    "mama",
    "papa",
    "nana",
    "granny",
    "grandma",
    "grandpa",
    "re",
    "fwd",
    "fw",
    "hola",
    "hi",
    "hello",
    "dear",
    "thanks",
    "regards",
    "team",
];

/// "lópez" → "lopez", "nguyễn" → "nguyen": the Census lists are written without accents.
pub(crate) fn fold(lower: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    if lower.is_ascii() {
        return std::borrow::Cow::Borrowed(lower);
    }
    let folded: String = lower
        .nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .map(|c| match c {
            'ł' => 'l',
            'đ' => 'd',
            'ø' => 'o',
            'ı' => 'i',
            'ß' => 's',
            other => other,
        })
        .collect();
    std::borrow::Cow::Owned(folded)
}

/// The lists, as sets of lower-case words.
pub(crate) struct WordLists {
    first: HashSet<&'static str>,
    last: HashSet<&'static str>,
    common: HashSet<&'static str>,
    proper: HashSet<&'static str>,
    acronyms: HashSet<&'static str>,
    never: HashSet<&'static str>,
}

fn set(list: &'static str) -> HashSet<&'static str> {
    list.lines()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect()
}

impl WordLists {
    pub(crate) fn load() -> WordLists {
        WordLists {
            first: set(FIRST_NAMES),
            last: set(LAST_NAMES),
            common: set(COMMON_WORDS),
            proper: set(PROPER_WORDS),
            acronyms: set(ACRONYMS),
            never: NEVER_NAMES
                .iter()
                .chain(FUNCTION_WORDS)
                .chain(NOT_NAMES)
                .chain(crate::names::cue_words())
                .copied()
                .collect(),
        }
    }

    /// A first name of the Census list.
    pub(crate) fn is_first(&self, lower: &str) -> bool {
        self.first.contains(lower) || self.first.contains(fold(lower).as_ref())
    }

    /// A first name or surname of the Census lists.
    pub(crate) fn is_name(&self, lower: &str) -> bool {
        if self.first.contains(lower) || self.last.contains(lower) {
            return true;
        }
        // "o'brien" → "obrien", "lópez" → "lopez".
        let folded: String = fold(lower)
            .chars()
            .filter(|c| !matches!(c, '\'' | '’'))
            .collect();
        folded != lower
            && (self.first.contains(folded.as_str()) || self.last.contains(folded.as_str()))
    }

    /// A word health writers use in lower case.
    pub(crate) fn is_common(&self, lower: &str) -> bool {
        self.common.contains(lower)
    }

    /// A proper noun of the reference texts (an eponym, a brand, a place).
    pub(crate) fn is_proper(&self, lower: &str) -> bool {
        self.proper.contains(lower)
    }

    /// An all-capital abbreviation of the reference texts.
    pub(crate) fn is_acronym(&self, upper: &str) -> bool {
        self.acronyms.contains(upper)
    }

    /// An English function word ("to", "is", "of").
    pub(crate) fn is_function_word(&self, lower: &str) -> bool {
        FUNCTION_WORDS.contains(&lower)
    }

    /// A clinical or chat word that is never a name in a question.
    pub(crate) fn is_never_name(&self, lower: &str) -> bool {
        self.never.contains(lower)
    }
}
