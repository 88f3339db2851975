//! `[n]` citation markers in free text (a model's plain-text answer, a reviewer's edit).

use crate::DraftSentence;
use crate::sentences::split_sentences;

/// Splits `[n]` markers off a sentence: `"Give 5 mg [2][3]."` → (`"Give 5 mg."`, `[2, 3]`). Brackets that
/// do not hold numbers stay in the text.
pub fn strip_markers(sentence: &str) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(sentence.len());
    let mut numbers = Vec::new();
    let mut rest = sentence;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inside = &rest[open + 1..close];
        let parsed: Option<Vec<usize>> = inside.split(',').map(|n| n.trim().parse().ok()).collect();
        text.push_str(&rest[..open]);
        match parsed {
            Some(ns) if !ns.is_empty() => numbers.extend(ns),
            _ => text.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
    let text = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".");
    (text, numbers)
}

/// Cuts free text with `[n]` markers into draft sentences. A marker standing after the sentence's full
/// stop ("… daily. [2]") belongs to that sentence.
pub fn parse_marked_text(text: &str) -> Vec<DraftSentence> {
    let mut out: Vec<DraftSentence> = Vec::new();
    for (s, e) in split_sentences(text) {
        let mut segment = &text[s..e];
        // Markers before any words belong to the sentence before: "… daily. [2] Stop …".
        if let Some(previous) = out.last_mut() {
            let (lead, rest) = leading_markers(segment);
            previous.citations.extend(lead);
            segment = rest;
        }
        let (sentence, citations) = strip_markers(segment);
        if sentence.chars().any(char::is_alphanumeric) {
            out.push(DraftSentence {
                text: sentence,
                citations,
                span: None,
                relevance: None,
            });
        } else if let Some(last) = out.last_mut() {
            last.citations.extend(citations);
        }
    }
    out
}

/// Citation numbers at the start of `segment` and the rest of it.
fn leading_markers(segment: &str) -> (Vec<usize>, &str) {
    let mut numbers = Vec::new();
    let mut rest = segment.trim_start();
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { break };
        let parsed: Option<Vec<usize>> = inner[..close]
            .split(',')
            .map(|n| n.trim().parse().ok())
            .collect();
        match parsed {
            Some(ns) if !ns.is_empty() => numbers.extend(ns),
            _ => break,
        }
        rest = inner[close + 1..].trim_start();
    }
    (numbers, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_parsed_and_removed() {
        assert_eq!(
            strip_markers("Give 5 mg [2][3]."),
            ("Give 5 mg.".to_string(), vec![2, 3])
        );
        assert_eq!(
            strip_markers("See [1, 4] here"),
            ("See here".to_string(), vec![1, 4])
        );
        assert_eq!(
            strip_markers("Keep [a] text"),
            ("Keep [a] text".to_string(), vec![])
        );
    }

    #[test]
    fn trailing_markers_join_their_sentence() {
        let d = parse_marked_text("Give 5 mg daily. [2] Stop at 7 days [3].");
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].text.as_str(), d[0].citations.clone()),
            ("Give 5 mg daily.", vec![2])
        );
        assert_eq!(d[1].citations, vec![3]);
    }
}
