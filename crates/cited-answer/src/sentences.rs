//! Sentence boundaries with byte offsets, tuned for policy text: decimals ("1.5 mg"), abbreviations
//! ("e.g.", "Dr.", "U.S."), list letters ("A.") and line-broken paragraphs do not end a sentence.

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "no", "nos", "fig", "approx", "st", "jr",
    "sr", "inc", "u.s", "sec", "ch", "vol", "al", "min", "max", "ed", "eds",
];

/// Splits `text` into sentences, returning `(start, end)` byte ranges with surrounding white space trimmed.
/// Blank lines and Markdown headings always end a sentence.
pub fn split_sentences(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let boundary = if b == b'\n' {
            // A blank line, or a line that starts a heading or list item, ends the sentence.
            let next = text[i + 1..].trim_start_matches([' ', '\t']);
            next.starts_with('\n')
                || next.starts_with('#')
                || next.starts_with("- ")
                || next.starts_with("* ")
        } else if matches!(b, b'.' | b'?' | b'!' | b';') {
            let followed_by_space = bytes.get(i + 1).is_none_or(|c| c.is_ascii_whitespace());
            followed_by_space && !(b == b'.' && is_abbreviation_or_letter(&text[start..i]))
        } else {
            false
        };
        if boundary || i + 1 == bytes.len() {
            let end = i + 1;
            push_trimmed(text, start, end, &mut out);
            start = end;
        }
        i += 1;
    }
    if start < bytes.len() {
        push_trimmed(text, start, bytes.len(), &mut out);
    }
    out
}

fn is_abbreviation_or_letter(before: &str) -> bool {
    // "1." opening a numbered item ("settings:\n1. Perform hand hygiene") does not end a sentence.
    let trimmed_end = before.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = before.len() - trimmed_end.len();
    if (1..=2).contains(&digits)
        && (trimmed_end.is_empty()
            || trimmed_end.ends_with('\n')
            || trimmed_end.trim_end().ends_with(':'))
    {
        return true;
    }
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let trimmed = word.trim_end_matches('.');
    // "A." at the start of a list item, or a single capital initial.
    (trimmed.len() == 1 && trimmed.chars().all(|c| c.is_ascii_alphabetic()))
        || ABBREVIATIONS.contains(&trimmed)
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    let (s, e) = (start + lead, end - trail);
    if e > s && text[s..e].chars().any(char::is_alphanumeric) {
        out.push((s, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn decimals_abbreviations_and_letters_do_not_split() {
        let t = "Give 1.5 mg daily, e.g. with food. Dr. Smith reviews it? Yes!\n\nA. General\nNext line continues.";
        assert_eq!(
            sentences(t),
            [
                "Give 1.5 mg daily, e.g. with food.",
                "Dr. Smith reviews it?",
                "Yes!",
                "A. General\nNext line continues."
            ]
        );
    }

    #[test]
    fn offsets_are_exact() {
        let t = "  First one.  Second one  ";
        for (s, e) in split_sentences(t) {
            assert_eq!(t[s..e].trim(), &t[s..e]);
        }
        assert_eq!(sentences(t), ["First one.", "Second one"]);
    }
}
