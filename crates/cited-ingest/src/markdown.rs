//! Section structure of Markdown: `#` headings, and the plain lettered sub-headings CMS documents use
//! ("A. General" on a line of its own).

use crate::document::Section;

const LETTERED_LEVEL: usize = 10;

struct Heading {
    level: usize,
    text: String,
    line_start: usize,
    line_end: usize,
}

fn atx_heading(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim()))
}

/// "A. General": one capital letter, a dot, a short title, nothing else on the line.
fn lettered_heading(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 4
        && b.len() <= 100
        && b[0].is_ascii_uppercase()
        && b[1] == b'.'
        && b[2] == b' '
        && !line.ends_with('.')
        && !line.ends_with(':')
}

fn headings(body: &str) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut in_fence = false;
    let mut offset = 0;
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_end();
        let start = offset;
        offset += raw.len();
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some((level, text)) = atx_heading(line) {
            out.push(Heading {
                level,
                text: text.to_string(),
                line_start: start,
                line_end: offset,
            });
            continue;
        }
        let blank_before = i == 0 || lines[i - 1].trim().is_empty();
        let blank_after = lines.get(i + 1).is_none_or(|l| l.trim().is_empty());
        if blank_before && blank_after && lettered_heading(line.trim()) {
            out.push(Heading {
                level: LETTERED_LEVEL,
                text: line.trim().to_string(),
                line_start: start,
                line_end: offset,
            });
        }
    }
    out
}

/// The title (the only level-1 heading, if there is exactly one) and the sections of `body`, whose offsets
/// are relative to `body`. Each section spans the text after its heading line up to the next heading.
pub(crate) fn sections(body: &str) -> (Option<String>, Vec<Section>) {
    let hs = headings(body);
    let h1s: Vec<&Heading> = hs.iter().filter(|h| h.level == 1).collect();
    let title = (h1s.len() == 1).then(|| h1s[0].text.clone());
    let h1_is_title = title.is_some();

    let mut sections = Vec::new();
    let mut trail: Vec<(usize, String)> = Vec::new();
    let mut cursor = 0;
    let mut path = String::new();
    for h in &hs {
        if h.line_start > cursor {
            sections.push(Section {
                path: path.clone(),
                page: None,
                start: cursor,
                end: h.line_start,
            });
        }
        while trail.last().is_some_and(|(level, _)| *level >= h.level) {
            trail.pop();
        }
        if !(h1_is_title && h.level == 1) {
            trail.push((h.level, h.text.clone()));
        }
        path = trail
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" > ");
        cursor = h.line_end;
    }
    if body.len() > cursor {
        sections.push(Section {
            path,
            page: None,
            start: cursor,
            end: body.len(),
        });
    }
    sections.retain(|s| !body[s.start..s.end].trim().is_empty());
    (title, sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_trail_with_lettered_subheadings() {
        let body = "# NCD 1 - Oxygen\n\n## Indications\n\nA. General\n\nSome text.\n\nB. Covered\n\nMore text.\n\n## Other\n\nEnd.\n";
        let (title, secs) = sections(body);
        assert_eq!(title.as_deref(), Some("NCD 1 - Oxygen"));
        let paths: Vec<&str> = secs.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Indications > A. General",
                "Indications > B. Covered",
                "Other"
            ]
        );
        assert_eq!(body[secs[1].start..secs[1].end].trim(), "More text.");
    }

    #[test]
    fn sentences_and_fenced_code_are_not_headings() {
        let body = "## S\n\nA. This is a sentence.\n\n```\n# not a heading\n```\n";
        let (_, secs) = sections(body);
        assert_eq!(secs.len(), 1);
        assert_eq!(secs[0].path, "S");
    }
}
