//! The pieces of text that support or state one claim: passage sentences with the list header they belong
//! to ("The following are non-covered:" governs every item under it), and the clauses of a drafted sentence.

use crate::sentences::split_sentences;

/// A sentence (or `;` clause, or list item) of a passage that can support a drafted clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportUnit {
    /// Byte range of the sentence or item in the passage.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// The list header that introduces this item, if it is one.
    pub header: Option<(usize, usize)>,
}

impl SupportUnit {
    /// The unit's text with its header in front, as the claim it makes is read.
    pub fn claim(&self, passage: &str) -> String {
        match self.header {
            Some((s, e)) => format!("{} {}", &passage[s..e], &passage[self.start..self.end]),
            None => passage[self.start..self.end].to_string(),
        }
    }

    /// Byte range to cite: the header through the item, or the sentence.
    pub fn cited_range(&self) -> (usize, usize) {
        (self.header.map_or(self.start, |(s, _)| s), self.end)
    }
}

/// Whether a sentence opens a list or table ("... the following criteria:", "... are non-covered:").
pub fn introduces_list(sentence: &str) -> bool {
    let t = sentence.trim_end();
    t.ends_with(':') || (t.to_lowercase().contains("the following") && !t.ends_with('.'))
}

/// Whether a sentence is a list item or a table row.
pub fn is_list_item(sentence: &str) -> bool {
    let t = sentence.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with('•') || t.starts_with('|') {
        return true;
    }
    // "1. ...", "a) ...", "(i) ..."
    let head: String = t.chars().take(5).collect();
    let marker = head
        .split_once(['.', ')'])
        .map(|(m, _)| m.trim_start_matches('('));
    marker.is_some_and(|m| {
        !m.is_empty()
            && m.len() <= 3
            && (m.chars().all(|c| c.is_ascii_digit())
                || (m.len() == 1 && m.chars().all(|c| c.is_ascii_lowercase()))
                || m.chars().all(|c| matches!(c, 'i' | 'v' | 'x')))
    })
}

/// The support units of a passage, in order. A list is governed by its header: the sentence ending in
/// ':' before "- " items, or the words up to ':' of "... are non-covered: A; B; and C." whose items are
/// separated by semicolons.
pub fn support_units(passage: &str) -> Vec<SupportUnit> {
    let mut out = Vec::new();
    let mut header: Option<(usize, usize)> = None;
    let mut previous_ended_with_semicolon = false;
    let mut previous_end = 0;
    for (s, e) in split_sentences(passage) {
        let text = &passage[s..e];
        // A further sentence on the same line as an item ("- Angina pectoris ... . This condition is
        // ...; or,") is still that item.
        let same_line = previous_end > 0 && !passage[previous_end..s].contains('\n');
        let continues_item = header.is_some() && same_line;
        previous_end = e;
        if is_list_item(text)
            || continues_item
            || (header.is_some() && previous_ended_with_semicolon)
        {
            out.push(SupportUnit {
                start: s,
                end: e,
                header,
            });
            previous_ended_with_semicolon = ends_open(text);
            continue;
        }
        header = None;
        out.push(SupportUnit {
            start: s,
            end: e,
            header: None,
        });
        // Items of a list without bullets follow a header ending in ':' and end in ';'.
        previous_ended_with_semicolon = ends_open(text) || text.ends_with(':');
        if introduces_list(text) {
            header = Some((s, e));
        } else if let Some(colon) = text.find(": ")
            && text.split_whitespace().count() > 3
        {
            // "The following are non-covered: A; B" or "...criteria: - A" on one line.
            header = Some((s, s + colon + 1));
        }
    }
    out
}

/// Whether a list item ends in a way that announces another: "...;", "...; and,", "...; or".
fn ends_open(text: &str) -> bool {
    let t = text.trim_end().to_lowercase();
    matches!(t.as_str(), "and," | "or," | "and" | "or")
        || t.ends_with(';')
        || t.ends_with("; and,")
        || t.ends_with("; or,")
        || t.ends_with(" and,")
        || t.ends_with(" or,")
        || t.ends_with("; and")
        || t.ends_with("; or")
}

/// Byte range of the list a header sentence at `[start, end)` introduces, through its last item, when
/// items follow it in the passage.
pub fn list_extent(passage: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let units = support_units(passage);
    // The header may be the whole sentence or its words up to ':' ("... are non-covered: A; B; C.").
    let items: Vec<&SupportUnit> = units
        .iter()
        .filter(|u| u.header.is_some_and(|(s, e)| s == start && e <= end) && u.end > end)
        .collect();
    items.last().map(|last| (start, last.end))
}

/// A drafted sentence split where it joins independent claims ("; ", ": ", ", but ", ", whereas ",
/// ", while "), and at "and"/"or" between two parts that each state a number.
pub fn draft_clauses(sentence: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = sentence;
    'outer: loop {
        for sep in [
            "; ",
            ": ",
            ", but ",
            ", whereas ",
            ", while ",
            ", however, ",
        ] {
            if let Some(i) = rest.find(sep) {
                let (a, b) = rest.split_at(i);
                if a.split_whitespace().count() >= 3 && b.split_whitespace().count() >= 3 {
                    out.push(a);
                    rest = &b[sep.len()..];
                    continue 'outer;
                }
            }
        }
        for sep in [", and ", " and ", ", or "] {
            let mut from = 0;
            while let Some(i) = rest[from..].find(sep) {
                let at = from + i;
                let (a, b) = rest.split_at(at);
                let b = &b[sep.len()..];
                if !crate::facts::facts(a).is_empty()
                    && !crate::facts::facts(b).is_empty()
                    && a.split_whitespace().count() >= 3
                    && b.split_whitespace().count() >= 3
                {
                    out.push(a);
                    rest = b;
                    continue 'outer;
                }
                from = at + sep.len();
            }
        }
        break;
    }
    if !rest.trim().is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_carry_their_header() {
        let p = "Coverage ends at 65. The following are non-covered:\n- open banding\n- gastric balloon\n\nOther text here.";
        let units = support_units(p);
        let claims: Vec<String> = units.iter().map(|u| u.claim(p)).collect();
        assert_eq!(
            claims,
            [
                "Coverage ends at 65.",
                "The following are non-covered:",
                "The following are non-covered: - open banding",
                "The following are non-covered: - gastric balloon",
                "Other text here."
            ]
        );
        let header = units[1];
        let (s, e) = list_extent(p, header.start, header.end).expect("list");
        assert!(p[s..e].ends_with("gastric balloon"));
    }

    #[test]
    fn draft_clauses_split_joined_claims() {
        assert_eq!(
            draft_clauses("Give 40 mg when it is 30 or more; give 30 mg when below 30."),
            [
                "Give 40 mg when it is 30 or more",
                "give 30 mg when below 30."
            ]
        );
        assert_eq!(draft_clauses("One claim only."), ["One claim only."]);
    }
}
