//! PDF text through poppler's `pdftotext`: robust on the real-world PDFs we see (two-column layouts,
//! ligatures) where pure-Rust extractors lose text. Pages come back separated by form feeds.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Lines of pdftotext's complaints kept for the error message.
const STDERR_CAP: u64 = 16 * 1024;

/// Extracts the text of every page (index 0 = page 1) with the `pdftotext` executable, stopped after
/// `timeout` or `max_output` bytes of text: a hostile PDF can make it loop or expand to gigabytes.
pub(crate) fn pages(
    pdftotext: &Path,
    timeout: Duration,
    max_output: u64,
    pdf: &Path,
) -> Result<Vec<String>, String> {
    let mut child = Command::new(pdftotext)
        .arg("-enc")
        .arg("UTF-8")
        .arg(pdf)
        .arg("-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run {} ({e}); install poppler-utils or set ingest.pdftotext",
                pdftotext.display()
            )
        })?;
    let cap = max_output;
    // Readers on their own threads, so a child that fills one pipe never blocks the timer. The stdout
    // reader stops one byte past the cap and drops the pipe, which ends the child.
    let stdout = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let read = out.take(cap + 1).read_to_end(&mut buf);
            read.map(|_| buf)
        })
    });
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut err = err;
            let _ = (&mut err).take(STDERR_CAP).read_to_end(&mut buf);
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            buf
        })
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "pdftotext ran longer than {} s (ingest.pdftotext_timeout_secs)",
                    timeout.as_secs_f32()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for pdftotext: {e}")),
        }
    };
    let stdout = match stdout.map(|t| t.join()) {
        Some(Ok(Ok(bytes))) => bytes,
        Some(Ok(Err(e))) => return Err(format!("cannot read pdftotext output: {e}")),
        _ => return Err("pdftotext output was lost".into()),
    };
    if stdout.len() as u64 > cap {
        return Err(format!(
            "extracted text is over {cap} bytes (ingest.pdftotext_max_output_bytes)"
        ));
    }
    if !status.success() {
        let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr);
        let reason = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("pdftotext failed");
        return Err(reason.trim().to_string());
    }
    let text =
        String::from_utf8(stdout).map_err(|_| "pdftotext produced invalid UTF-8".to_string())?;
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
