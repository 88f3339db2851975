use serde::{Deserialize, Serialize};

/// How an ask ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    /// Verified, confident answer shown to the user.
    Answered,
    /// Not confident enough: a reviewer decides; the user sees the evidence only.
    NeedsReview,
    /// Nothing in the documents in force answers it.
    NoAnswer,
}

impl std::fmt::Display for AnswerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Answered => "answered",
            Self::NeedsReview => "needs_review",
            Self::NoAnswer => "no_answer",
        })
    }
}

/// A citation: an exact span of one document version. `quote` is always recomputed from the catalog's
/// canonical text of that version, never taken from a model. The span is given three ways, so that every
/// client slices the canonical text without converting: UTF-8 bytes (Rust, Go), code points (Python),
/// UTF-16 code units (JavaScript, Java).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// Number used in `[n]` markers.
    pub n: usize,
    /// Document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// SHA-256 of the version's canonical text.
    pub content_hash: String,
    /// Document title.
    pub title: String,
    /// Section trail.
    pub section: String,
    /// Page for paged sources.
    pub page: Option<u32>,
    /// Start byte offset in the canonical text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Start as a count of Unicode code points (Python `text[char_start:char_end]`).
    #[serde(default)]
    pub char_start: usize,
    /// End in code points (exclusive).
    #[serde(default)]
    pub char_end: usize,
    /// Start in UTF-16 code units (JavaScript `text.slice(utf16_start, utf16_end)`).
    #[serde(default)]
    pub utf16_start: usize,
    /// End in UTF-16 code units (exclusive).
    #[serde(default)]
    pub utf16_end: usize,
    /// `canonical_text[start..end]`.
    pub quote: String,
}

/// An answer sentence with the citation numbers that support it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSentence {
    /// Sentence text.
    pub text: String,
    /// Numbers of [`Citation`]s.
    pub citations: Vec<usize>,
}

/// A span of a canonical text in the three units clients slice by: UTF-8 bytes (Rust, Go), code points
/// (Python) and UTF-16 code units (JavaScript, Java).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextSpan {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Start in code points.
    pub char_start: usize,
    /// End in code points (exclusive).
    pub char_end: usize,
    /// Start in UTF-16 code units.
    pub utf16_start: usize,
    /// End in UTF-16 code units (exclusive).
    pub utf16_end: usize,
}

impl TextSpan {
    /// The span `text[start..end]`, or `None` when the offsets are out of range or not on character
    /// boundaries.
    pub fn of(text: &str, start: usize, end: usize) -> Option<Self> {
        let (before, inside) = (text.get(..start)?, text.get(start..end)?);
        let (char_start, utf16_start) = (before.chars().count(), before.encode_utf16().count());
        Some(Self {
            start,
            end,
            char_start,
            char_end: char_start + inside.chars().count(),
            utf16_start,
            utf16_end: utf16_start + inside.encode_utf16().count(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_counts_bytes_code_points_and_utf16_units() {
        let text = "é𝄞 dose";
        let start = text.find("dose").expect("word");
        let span = TextSpan::of(text, start, start + 4).expect("span");
        assert_eq!((span.start, span.char_start, span.utf16_start), (7, 3, 4));
        assert_eq!((span.end, span.char_end, span.utf16_end), (11, 7, 8));
        assert_eq!(TextSpan::of(text, 1, 4), None, "inside 'é' is no boundary");
        assert_eq!(TextSpan::of(text, 0, 99), None);
    }
}
