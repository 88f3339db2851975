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

/// One step of the walk: text to write, an element to open, or the end of a block element.
enum Step<'a> {
    Text(&'a str),
    Element(ElementRef<'a>),
    EndBlock,
}

/// Children of `el` as steps, in reverse order for the stack.
fn children<'a>(el: ElementRef<'a>) -> impl Iterator<Item = Step<'a>> {
    let steps: Vec<Step<'a>> = el
        .children()
        .filter_map(|child| match child.value() {
            Node::Text(t) => Some(Step::Text(t)),
            Node::Element(_) => ElementRef::wrap(child).map(Step::Element),
            _ => None,
        })
        .collect();
    steps.into_iter().rev()
}

/// Writes the text of `root` in document order. Iterative, with its own stack: a page nested 10,000
/// deep must not overflow the stack of the thread that ingests it.
fn walk(root: ElementRef<'_>, out: &mut String) {
    let mut stack: Vec<Step<'_>> = children(root).collect();
    while let Some(step) = stack.pop() {
        match step {
            Step::EndBlock => out.push_str("\n\n"),
            Step::Text(t) => {
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
            Step::Element(el) => {
                let name = el.value().name();
                if SKIP.contains(&name) {
                    continue;
                }
                if let Some(level) = name
                    .strip_prefix('h')
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|l| (1..=6).contains(l))
                {
                    let text = collapse(&el.text().collect::<String>());
                    if !text.is_empty() {
                        out.push_str("\n\n");
                        out.push_str(&"#".repeat(level));
                        out.push(' ');
                        out.push_str(&text);
                        out.push_str("\n\n");
                    }
                    continue;
                }
                if BLOCK.contains(&name) {
                    out.push_str("\n\n");
                    stack.push(Step::EndBlock);
                }
                stack.extend(children(el));
            }
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
