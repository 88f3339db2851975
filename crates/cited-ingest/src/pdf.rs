//! PDF text through poppler's `pdftotext`: robust on the real-world PDFs we see (two-column layouts,
//! ligatures) where pure-Rust extractors lose text. Pages come back separated by form feeds.

use std::path::Path;
use std::process::Command;

/// Extracts the text of every page (index 0 = page 1).
pub(crate) fn pages(pdftotext: &Path, pdf: &Path) -> Result<Vec<String>, String> {
    let output = Command::new(pdftotext)
        .arg("-enc")
        .arg("UTF-8")
        .arg(pdf)
        .arg("-")
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} ({e}); install poppler-utils or set ingest.pdftotext",
                pdftotext.display()
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("pdftotext failed");
        return Err(reason.trim().to_string());
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| "pdftotext produced invalid UTF-8".to_string())?;
    let mut pages: Vec<String> = text.split('\u{c}').map(normalise_page).collect();
    // pdftotext ends the last page with a form feed too.
    if pages.last().is_some_and(|p| p.is_empty()) {
        pages.pop();
    }
    Ok(pages)
}

/// Trims trailing white space on lines and drops runs of blank lines, so offsets stay stable and chunks
/// are not mostly white space.
fn normalise_page(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut blank = 0;
    for line in page.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}
