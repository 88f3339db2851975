//! Content terms: the words of a text that carry its topic, for overlap scores.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_terms_drop_stop_words_and_stem() {
        assert_eq!(
            content_terms("What are the trials covered for CPAP?"),
            ["trial", "cover", "cpap"]
        );
    }
}
