use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::discover::SourceFile;
use crate::error::ParseError;
use crate::{front_matter, html, markdown, pdf};

/// How files are read.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Files larger than this are rejected.
    pub max_file_bytes: u64,
    /// `doc_type` when neither metadata nor the folder map names one.
    pub default_doc_type: String,
    /// `doc_type` by the name of the folder a file sits in.
    pub doc_type_by_folder: HashMap<String, String>,
    /// The `pdftotext` executable.
    pub pdftotext: PathBuf,
    /// A `pdftotext` run longer than this is stopped and the PDF rejected.
    pub pdftotext_timeout: std::time::Duration,
    /// A PDF whose extracted text is longer than this many bytes is rejected (a small file can expand
    /// to gigabytes of text).
    pub pdftotext_max_output_bytes: u64,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            default_doc_type: "reference".into(),
            doc_type_by_folder: HashMap::new(),
            pdftotext: PathBuf::from("pdftotext"),
            pdftotext_timeout: std::time::Duration::from_secs(60),
            pdftotext_max_output_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A span of the canonical text under one heading trail (or one PDF page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading trail joined with " > ".
    pub path: String,
    /// 1-based page for paged sources.
    pub page: Option<u32>,
    /// Start byte offset in the canonical text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

impl Section {
    /// One section spanning all of `text`, for formats without headings.
    pub fn whole(text: &str) -> Self {
        Self {
            path: String::new(),
            page: None,
            start: 0,
            end: text.len(),
        }
    }
}

/// Which splitter suits the canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Markdown (also converted HTML).
    Markdown,
    /// Plain text (also PDF pages).
    Plain,
}

/// One file read into a document version, ready to chunk.
#[derive(Debug, Clone)]
pub struct ParsedDocument {
    /// Stable document id.
    pub doc_id: String,
    /// Version label.
    pub version: String,
    /// Title.
    pub title: String,
    /// Document type.
    pub doc_type: String,
    /// First day in force.
    pub effective_date: Option<NaiveDate>,
    /// Termination date.
    pub end_date: Option<NaiveDate>,
    /// Declared status (`active`, `retired`, ...).
    pub declared_status: Option<String>,
    /// Every metadata field (front matter and sidecar), unknown ones too.
    pub metadata: Map<String, Value>,
    /// The text chunks and citations point into.
    pub canonical_text: String,
    /// Sections in order; chunks never cross them.
    pub sections: Vec<Section>,
    /// Markdown or plain text, for the splitter.
    pub kind: TextKind,
    /// SHA-256 of the canonical text.
    pub content_hash: String,
    /// Where it came from.
    pub source: String,
}

/// Reads and parses one file. Every failure names the file and the reason.
pub fn parse_file(file: &SourceFile, options: &ParseOptions) -> Result<ParsedDocument, ParseError> {
    let path = &file.path;
    let io = |source| ParseError::Io {
        path: path.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > options.max_file_bytes {
        return Err(ParseError::TooLarge {
            path: path.clone(),
            size,
            limit: options.max_file_bytes,
        });
    }
    // Read at most one byte over the limit: a file that grew after the size check is still refused.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(options.max_file_bytes + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > options.max_file_bytes {
        return Err(ParseError::TooLarge {
            path: path.clone(),
            size: bytes.len() as u64,
            limit: options.max_file_bytes,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty { path: path.clone() });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let sidecar = read_sidecar(path)?;
    let source = path.display().to_string();

    if ext == "pdf" {
        if !bytes.starts_with(b"%PDF") {
            return Err(ParseError::Pdf {
                path: path.clone(),
                reason: "no %PDF header: not a PDF file".into(),
            });
        }
        let pages = pdf::pages(
            &options.pdftotext,
            options.pdftotext_timeout,
            options.pdftotext_max_output_bytes,
            path,
        )
        .map_err(|reason| ParseError::Pdf {
            path: path.clone(),
            reason,
        })?;
        let mut text = String::new();
        let mut sections = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            if page.trim().is_empty() {
                continue;
            }
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let start = text.len();
            text.push_str(page);
            let page_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            sections.push(Section {
                path: String::new(),
                page: Some(page_no),
                start,
                end: text.len(),
            });
        }
        if text.trim().is_empty() {
            return Err(ParseError::Pdf {
                path: path.clone(),
                reason: "no text layer (scanned images?); OCR it first".into(),
            });
        }
        return build(
            file,
            options,
            Extracted::plain(sidecar, text, sections, source),
        );
    }

    let bytes = match utf16_text(&bytes) {
        Some(Ok(text)) => text.into_bytes(),
        Some(Err(offset)) => {
            return Err(ParseError::InvalidUtf8 {
                path: path.clone(),
                offset,
            });
        }
        None => bytes,
    };
    if let Some(offset) = bytes.iter().take(64 * 1024).position(|&b| b == 0) {
        return Err(ParseError::Binary {
            path: path.clone(),
            offset,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| ParseError::InvalidUtf8 {
        path: path.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .replace("\r\n", "\n");

    match ext.as_str() {
        "html" | "htm" => {
            let (html_title, md) = html::to_markdown(&text);
            if md.trim().is_empty() {
                return Err(ParseError::NoText { path: path.clone() });
            }
            let (h1, sections) = markdown::sections(&md);
            build(
                file,
                options,
                Extracted {
                    metadata: sidecar,
                    heading_title: h1.or(html_title),
                    canonical_text: md,
                    sections,
                    kind: TextKind::Markdown,
                    source,
                },
            )
        }
        "md" | "markdown" => {
            let (front, body_start) =
                front_matter::split(&text).map_err(|reason| ParseError::Metadata {
                    path: path.clone(),
                    reason: format!("front matter: {reason}"),
                })?;
            let body = text[body_start..].to_string();
            if body.trim().is_empty() {
                return Err(ParseError::NoText { path: path.clone() });
            }
            let (h1, sections) = markdown::sections(&body);
            let mut meta = front;
            meta.extend(sidecar);
            build(
                file,
                options,
                Extracted {
                    metadata: meta,
                    heading_title: h1,
                    canonical_text: body,
                    sections,
                    kind: TextKind::Markdown,
                    source,
                },
            )
        }
        _ => {
            let sections = vec![Section::whole(&text)];
            build(
                file,
                options,
                Extracted::plain(sidecar, text, sections, source),
            )
        }
    }
}

/// Builds a document from text already in memory (benchmarks and evals that read JSONL corpora).
pub fn parse_source(
    doc_id: &str,
    title: &str,
    text: &str,
    metadata: Map<String, Value>,
    options: &ParseOptions,
) -> Result<ParsedDocument, ParseError> {
    let file = SourceFile {
        path: PathBuf::from(doc_id),
        fallback_id: doc_id.to_string(),
        folder: None,
    };
    let sections = vec![Section::whole(text)];
    let mut meta = metadata;
    meta.entry("title")
        .or_insert_with(|| Value::String(title.to_string()));
    build(
        &file,
        options,
        Extracted::plain(meta, text.to_string(), sections, doc_id.to_string()),
    )
}

/// The sidecar metadata file of `path`, if one exists: `NAME.ext.meta.yaml`, `NAME.meta.yaml` or
/// `NAME.meta.yml`.
pub fn sidecar_path(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let dir = path.parent().unwrap_or(Path::new("."));
    [
        format!("{name}.meta.yaml"),
        format!("{stem}.meta.yaml"),
        format!("{stem}.meta.yml"),
    ]
    .into_iter()
    .map(|c| dir.join(c))
    .find(|p| p.is_file())
}

fn read_sidecar(path: &Path) -> Result<Map<String, Value>, ParseError> {
    let Some(sidecar) = sidecar_path(path) else {
        return Ok(Map::new());
    };
    let shown = sidecar
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = std::fs::read_to_string(&sidecar).map_err(|e| ParseError::Metadata {
        path: path.to_path_buf(),
        reason: format!("sidecar {shown}: {e}"),
    })?;
    front_matter::parse_yaml(&text).map_err(|reason| ParseError::Metadata {
        path: path.to_path_buf(),
        reason: format!("sidecar {shown}: {reason}"),
    })
}

fn scalar(meta: &Map<String, Value>, key: &str) -> Option<String> {
    match meta.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Text written as UTF-16 with a byte-order mark (Windows editors save it so), decoded; `None` when the
/// bytes carry no UTF-16 mark, `Err(offset)` when they are not valid UTF-16.
fn utf16_text(bytes: &[u8]) -> Option<Result<String, usize>> {
    let little_endian = match bytes.get(..2)? {
        [0xFF, 0xFE] => true,
        [0xFE, 0xFF] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    if !body.len().is_multiple_of(2) {
        return Some(Err(bytes.len() - 1));
    }
    let units = body.chunks_exact(2).map(|p| {
        if little_endian {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let mut text = String::with_capacity(body.len() / 2);
    let mut seen = 0;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => {
                seen += c.len_utf16();
                text.push(c);
            }
            Err(_) => return Some(Err(2 + 2 * seen)),
        }
    }
    Some(Ok(text))
}

fn date(
    meta: &Map<String, Value>,
    keys: &[&str],
    path: &Path,
) -> Result<Option<NaiveDate>, ParseError> {
    for key in keys {
        if let Some(raw) = scalar(meta, key) {
            let day = raw.get(..10).unwrap_or(&raw);
            return NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ParseError::Metadata {
                    path: path.to_path_buf(),
                    reason: format!("{key}: {raw:?} is not a date (YYYY-MM-DD)"),
                });
        }
    }
    Ok(None)
}

/// What a format reader produced, before metadata fields are interpreted.
struct Extracted {
    metadata: Map<String, Value>,
    heading_title: Option<String>,
    canonical_text: String,
    sections: Vec<Section>,
    kind: TextKind,
    source: String,
}

impl Extracted {
    /// Plain text (and PDF pages): no headings to take a title from.
    fn plain(
        metadata: Map<String, Value>,
        text: String,
        sections: Vec<Section>,
        source: String,
    ) -> Self {
        Self {
            metadata,
            heading_title: None,
            canonical_text: text,
            sections,
            kind: TextKind::Plain,
            source,
        }
    }
}

fn build(
    file: &SourceFile,
    options: &ParseOptions,
    extracted: Extracted,
) -> Result<ParsedDocument, ParseError> {
    let Extracted {
        metadata,
        heading_title,
        canonical_text,
        sections,
        kind,
        source,
    } = extracted;
    let path = &file.path;
    if canonical_text.trim().is_empty() || sections.is_empty() {
        return Err(ParseError::NoText { path: path.clone() });
    }
    let content_hash = cited_core::content_hash(&canonical_text);
    let doc_id = scalar(&metadata, "id").unwrap_or_else(|| file.fallback_id.clone());
    let version =
        scalar(&metadata, "version").unwrap_or_else(|| format!("h{}", &content_hash[..12]));
    let title = scalar(&metadata, "title")
        .or(heading_title)
        .unwrap_or_else(|| doc_id.clone());
    let doc_type = scalar(&metadata, "doc_type")
        .or_else(|| {
            file.folder
                .as_ref()
                .and_then(|f| options.doc_type_by_folder.get(f).cloned())
        })
        .unwrap_or_else(|| options.default_doc_type.clone());
    let effective_date = date(&metadata, &["effective_date", "effective"], path)?;
    let end_date = date(
        &metadata,
        &["termination_date", "end_date", "expiration_date"],
        path,
    )?;
    let declared_status = scalar(&metadata, "status");
    // A version whose dates are in the wrong order would never be in force: a typo to refuse. CMS writes
    // exactly that for the record of a retirement (effective 2023, terminated 2021, status "retired");
    // such a version is kept, as retired, since it is never in force either way.
    let retired = declared_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("retired"));
    if let (Some(from), Some(to)) = (effective_date, end_date)
        && from > to
        && !retired
    {
        return Err(ParseError::Metadata {
            path: path.clone(),
            reason: format!(
                "effective_date {from} is after termination_date {to}: the version would never be in force"
            ),
        });
    }
    let mut metadata = metadata;
    if let Some(value) = metadata.get("audience") {
        let groups = audience(value).map_err(|reason| ParseError::Metadata {
            path: path.clone(),
            reason,
        })?;
        metadata.insert("audience".into(), groups.into());
    }
    Ok(ParsedDocument {
        doc_id,
        version,
        title,
        doc_type,
        effective_date,
        end_date,
        declared_status,
        metadata,
        canonical_text,
        sections,
        kind,
        content_hash,
        source,
    })
}

/// The groups of an `audience` field: a list of group names, or one name (commas separate several). An
/// empty or malformed audience is refused rather than guessed at: read as "everyone" it would open a
/// restricted document, read as "nobody" it would hide it without a word.
fn audience(value: &serde_json::Value) -> Result<Vec<String>, String> {
    let names: Vec<String> = match value {
        serde_json::Value::String(s) => s.split(',').map(|g| g.trim().to_string()).collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s.trim().to_string()),
                _ => Err("audience must list group names".to_string()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("audience must be a group name or a list of group names".into()),
    };
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err(
            "audience names an empty group; remove the field to make the document everyone's"
                .into(),
        );
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> SourceFile {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        SourceFile {
            path,
            fallback_id: format!("t/{name}"),
            folder: Some("t".into()),
        }
    }

    #[test]
    fn an_audience_is_a_list_of_groups_and_a_bad_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let body = "# Chemo\n\n## Antidote\n\nGive dexrazoxane.\n";
        let doc = |name: &str, audience: &str| {
            let f = write(
                dir.path(),
                name,
                format!("---\nid: {name}\naudience: {audience}\n---\n{body}").as_bytes(),
            );
            parse_file(&f, &ParseOptions::default())
        };
        let listed = doc("a.md", "[oncology, pharmacy]").expect("list");
        assert_eq!(
            listed.metadata["audience"],
            serde_json::json!(["oncology", "pharmacy"])
        );
        let one = doc("b.md", "\"oncology, icu\"").expect("string");
        assert_eq!(
            one.metadata["audience"],
            serde_json::json!(["oncology", "icu"])
        );
        for bad in ["[]", "\"\"", "3", "[oncology, 4]", "{a: b}"] {
            let err = doc("c.md", bad).expect_err(bad).to_string();
            assert!(err.contains("audience"), "{bad}: {err}");
        }
    }

    #[test]
    fn markdown_with_front_matter() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = write(
            dir.path(),
            "a.md",
            b"---\nid: P-1\nversion: 2\neffective_date: 2024-05-01\ncustom_field: kept\n---\n# Sepsis\n\n## Dose\n\nGive 5 mg.\n",
        );
        let doc = parse_file(&f, &ParseOptions::default()).expect("parse");
        assert_eq!(
            (
                doc.doc_id.as_str(),
                doc.version.as_str(),
                doc.title.as_str()
            ),
            ("P-1", "2", "Sepsis")
        );
        assert_eq!(doc.effective_date, NaiveDate::from_ymd_opt(2024, 5, 1));
        assert_eq!(doc.metadata["custom_field"], "kept");
        assert_eq!(doc.sections[0].path, "Dose");
        let s = &doc.sections[0];
        assert_eq!(doc.canonical_text[s.start..s.end].trim(), "Give 5 mg.");
    }

    #[test]
    fn bad_inputs_have_reasons() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = ParseOptions {
            max_file_bytes: 100,
            ..ParseOptions::default()
        };
        let cases: [(&str, &[u8], &str); 6] = [
            ("empty.md", b"  \n", "empty file"),
            ("bin.md", b"abc\0def", "binary content"),
            ("latin1.txt", b"caf\xe9 au lait", "not valid UTF-8"),
            ("big.txt", &[b'a'; 200], "over the limit"),
            ("fm.md", b"---\nid: [x\n---\nbody", "broken metadata"),
            ("fake.pdf", b"hello, not a pdf", "not a PDF"),
        ];
        for (name, bytes, want) in cases {
            let err = parse_file(&write(dir.path(), name, bytes), &opts)
                .expect_err(name)
                .to_string();
            assert!(err.contains(want), "{name}: {err}");
            assert!(err.contains(name), "{name}: error names the file: {err}");
        }
    }

    #[test]
    fn sidecar_metadata_and_fallback_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("note.meta.yaml"),
            "doc_type: clinical_protocol\nversion: \"7\"\n",
        )
        .expect("w");
        let doc = parse_file(
            &write(
                dir.path(),
                "note.txt",
                b"Hand hygiene before every contact.",
            ),
            &ParseOptions::default(),
        )
        .expect("parse");
        assert_eq!(doc.doc_id, "t/note.txt");
        assert_eq!(doc.doc_type, "clinical_protocol");
        assert_eq!(doc.version, "7");
    }
}
