//! HTML to Markdown-shaped text: headings become `#` lines, block elements become paragraphs, scripts
//! and styles are dropped. The result is then sectioned like Markdown.

use scraper::{ElementRef, Html, Node};

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "iframe", "nav",
];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "td",
    "th",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "dl",
    "br",
    "hr",
    "figure",
    "figcaption",
    "aside",
    "body",
];

/// Converts an HTML page into `(title, markdown)`. The title is `<title>` when present.
pub(crate) fn to_markdown(html: &str) -> (Option<String>, String) {
    let doc = Html::parse_document(html);
    let title = doc
        .select(&scraper::Selector::parse("title").expect("static selector"))
        .next()
        .map(|t| collapse(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty());
    let mut out = String::new();
    walk(doc.root_element(), &mut out);
    let text = out
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    (title, text)
}

fn walk(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                let text = collapse(t);
                if !text.is_empty() {
                    if !out.is_empty()
                        && !out.ends_with([' ', '\n'])
                        && t.starts_with(char::is_whitespace)
                    {
                        out.push(' ');
                    }
                    out.push_str(&text);
                    if t.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                }
            }
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                if SKIP.contains(&name) {
                    continue;
                }
                if let Some(level) = name
                    .strip_prefix('h')
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|l| (1..=6).contains(l))
                {
                    let text = collapse(&child_el.text().collect::<String>());
                    if !text.is_empty() {
                        out.push_str("\n\n");
                        out.push_str(&"#".repeat(level));
                        out.push(' ');
                        out.push_str(&text);
                        out.push_str("\n\n");
                    }
                    continue;
                }
                let block = BLOCK.contains(&name);
                if block {
                    out.push_str("\n\n");
                }
                walk(child_el, out);
                if block {
                    out.push_str("\n\n");
                }
            }
            _ => {}
        }
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_headings_drops_scripts() {
        let (title, md) = to_markdown(
            "<html><head><title>Sepsis</title><style>p{}</style></head><body><h1>Sepsis bundle</h1>\
             <script>alert(1)</script><p>Give <b>30 mL/kg</b> fluids.</p><h2>Antibiotics</h2><ul><li>Within 1 hour</li></ul></body></html>",
        );
        assert_eq!(title.as_deref(), Some("Sepsis"));
        assert_eq!(
            md,
            "# Sepsis bundle\n\nGive 30 mL/kg fluids.\n\n## Antibiotics\n\nWithin 1 hour"
        );
    }
}
