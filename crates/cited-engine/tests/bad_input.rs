//! Every kind of bad file is rejected with its path and reason, and every good file beside it is ingested.

mod common;

use common::*;

#[test]
fn bad_files_are_reported_and_good_ones_ingested() {
    let src = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let mut config = config(data.path());
    config.ingest.max_file_bytes = 4096;
    let engine = cited_engine::Engine::open(config).expect("open");

    let good = [
        ("good/one.md", "---\nid: G-1\nversion: 1\n---\n# One\n\n## Body\n\nFirst good document about hand washing.\n".to_string()),
        ("good/two.txt", "Second good document about fall prevention.".to_string()),
        ("good/three.html", "<html><body><h1>Three</h1><p>Third good document.</p></body></html>".to_string()),
    ];
    for (name, text) in &good {
        write(src.path(), name, text);
    }
    let bad: [(&str, &[u8], &str); 7] = [
        ("bad/empty.md", b"", "empty file"),
        (
            "bad/binary.md",
            b"\x7fELF\x02\x01\x01\0\0\0\0",
            "binary content",
        ),
        ("bad/latin1.md", b"# Caf\xe9\n\ntext", "not valid UTF-8"),
        (
            "bad/broken-front-matter.md",
            b"---\nid: [oops\n---\n# T\n\nbody",
            "broken metadata",
        ),
        (
            "bad/corrupt.pdf",
            b"%PDF-1.4\n1 0 obj garbage without xref",
            "unreadable PDF",
        ),
        ("bad/not-really.pdf", b"PK\x03\x04 a zip file", "not a PDF"),
        ("bad/huge.txt", &[b'a'; 5000], "over the limit"),
    ];
    for (name, bytes, _) in &bad {
        let p = src.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    write(src.path(), "bad/notes.csv", "a,b\n1,2\n");

    let report = engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest");
    assert_eq!(report.added, good.len(), "{report:#?}");
    assert_eq!(report.failed.len(), bad.len(), "{report:#?}");
    for (name, _, reason) in &bad {
        let f = report
            .failed
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported: {report:#?}"));
        assert!(f.reason.contains(reason), "{name}: {}", f.reason);
    }
    assert_eq!(
        report.skipped.len(),
        1,
        "the CSV is passed over, not failed"
    );

    let docs = engine
        .list_documents(&[], &cited_core::Access::Operator)
        .expect("list");
    assert_eq!(docs.len(), good.len());
    let (lexical, vectors) = engine.index_counts().expect("counts");
    let catalog = engine.catalog().counts().expect("catalog counts");
    assert_eq!((lexical, vectors as u64), (catalog.chunks, catalog.chunks));

    // Fix one bad file; the rerun picks it up and leaves the rest alone.
    std::fs::write(
        src.path().join("bad/empty.md"),
        "Now it has text about oxygen.",
    )
    .expect("write");
    let again = engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest");
    assert_eq!(
        (again.added, again.unchanged, again.failed.len()),
        (1, good.len(), bad.len() - 1),
        "{again:#?}"
    );
}

#[test]
fn hostile_files_get_a_reason_and_nothing_else_is_lost() {
    let src = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let engine = cited_engine::Engine::open(config(data.path())).expect("open");
    let root = src.path().join("hospital");

    // A link out of the folder given is skipped with a warning, its target never ingested.
    write(
        outside.path(),
        "secret.md",
        "Payroll of the hospital board.",
    );
    std::fs::create_dir_all(&root).expect("mkdir");
    std::os::unix::fs::symlink(outside.path().join("secret.md"), root.join("leak.md"))
        .expect("symlink");
    // Two files claiming one id and version with different text: the second is refused, naming both.
    write(
        &root,
        "a/first.md",
        "---\nid: DUP-1\nversion: 1\n---\n# Dup\n\nFirst text of the duplicate.\n",
    );
    write(
        &root,
        "b/second.md",
        "---\nid: DUP-1\nversion: 1\n---\n# Dup\n\nSecond, different text.\n",
    );
    // A version that would never be in force.
    write(
        &root,
        "dates.md",
        "---\nid: DATES-1\neffective_date: 2025-06-01\ntermination_date: 2024-06-01\n---\n# Dates\n\nText.\n",
    );
    // UTF-16 with a byte-order mark, as Windows editors save it, is read as text.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "Wound care: change the dressing every 48 hours."
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(root.join("wound.txt"), utf16).expect("write");
    // A YAML alias bomb in the front matter ("billion laughs") is refused, not expanded.
    let mut bomb = String::from(
        "---\nid: BOMB-1\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(",")));
    }
    bomb.push_str("---\n# Bomb\n\nText.\n");
    write(&root, "bomb.md", &bomb);
    // HTML nested 10,000 deep neither overflows the stack nor loses its text.
    let deep = format!(
        "<html><body>{}<p>Deeply nested note on catheter care.</p>{}</body></html>",
        "<div>".repeat(10_000),
        "</div>".repeat(10_000)
    );
    write(&root, "deep.html", &deep);
    // Accents, CJK and emoji: spans must still slice exactly.
    let intl = "---\nid: INTL-1\ntitle: Café protocol 咖啡\n---\n# Café protocol 咖啡\n\n## Dosage 💊\n\nÉviter la caféine: 患者は一日二杯まで 🍵. Naïve patients receive 2 cups at most.\n";
    write(&root, "intl.md", intl);

    let report = engine
        .ingest_paths(std::slice::from_ref(&root), &mut no_progress())
        .expect("ingest");
    let reason = |name: &str| {
        report
            .failed
            .iter()
            .chain(&report.skipped)
            .find(|f| f.path.ends_with(name))
            .map(|f| f.reason.clone())
            .unwrap_or_else(|| panic!("{name} not reported: {report:#?}"))
    };
    assert!(reason("leak.md").contains("outside the folder given"));
    assert!(
        report.skipped.iter().any(|f| f.path.ends_with("leak.md")),
        "a skip, not a failure"
    );
    let dup = reason("b/second.md");
    assert!(dup.contains("first.md") && dup.contains("DUP-1"), "{dup}");
    assert!(reason("dates.md").contains("after termination_date"));
    assert!(
        reason("bomb.md").contains("broken metadata"),
        "{}",
        reason("bomb.md")
    );
    assert_eq!(
        report.added, 4,
        "first.md, wound.txt, intl.md, deep.html: {report:#?}"
    );

    let docs: Vec<String> = engine
        .list_documents(&[], &cited_core::Access::Operator)
        .expect("list")
        .into_iter()
        .map(|d| d.doc_id)
        .collect();
    assert!(
        !docs
            .iter()
            .any(|d| d.contains("leak") || d.contains("secret"))
    );
    let hits = |q: &str| {
        engine
            .search(&cited_core::SearchRequest {
                access: Default::default(),
                query: q.into(),
                mode: cited_core::SearchMode::Bm25,
                k: 5,
                filters: vec![],
                as_of: None,
            })
            .expect("search")
            .hits
    };
    assert!(
        hits("dressing every 48 hours")
            .iter()
            .any(|h| h.text.contains("48 hours"))
    );
    assert!(
        hits("catheter care nested")
            .iter()
            .any(|h| h.text.contains("catheter care"))
    );
    for q in ["caféine 患者 🍵", "naïve patients cups", "Café 咖啡"] {
        let found = hits(q);
        assert!(!found.is_empty(), "{q}");
        for h in found {
            let text = version_text(&engine, &h.doc_id, &h.version);
            assert_eq!(
                text.get(h.start..h.end),
                Some(h.text.as_str()),
                "{q}: exact span"
            );
        }
    }
    let answer = engine
        .ask(&cited_engine::AskRequest {
            question: "Combien de tasses de café 咖啡 pour les patients naïfs? 🍵".into(),
            dry_run: true,
            ..Default::default()
        })
        .expect("ask in other scripts");
    assert!(
        answer.citations.iter().any(|c| c.doc_id == "INTL-1"),
        "{:#?}",
        answer.citations
    );
    for c in &answer.citations {
        assert!(engine.citation_is_verbatim(c).expect("verbatim"));
        // The same span in code points (Python) and UTF-16 units (JavaScript).
        let text = version_text(&engine, &c.doc_id, &c.version);
        let by_chars: String = text
            .chars()
            .skip(c.char_start)
            .take(c.char_end - c.char_start)
            .collect();
        assert_eq!(by_chars, c.quote);
        let units: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&units[c.utf16_start..c.utf16_end]).expect("utf-16"),
            c.quote
        );
    }
}

#[test]
fn pdftotext_is_stopped_when_it_runs_too_long_or_prints_too_much() {
    let src = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let pdf = shared_data().join("guidelines-pdf");
    let first_pdf = std::fs::read_dir(&pdf)
        .expect("guideline PDFs")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a PDF");
    std::fs::copy(&first_pdf, src.path().join("guideline.pdf")).expect("copy");
    write(
        src.path(),
        "note.md",
        "# Note\n\nA good note beside the PDF.\n",
    );

    // A pdftotext that hangs (as on a hostile PDF) is stopped at the time limit.
    let hang = src.path().join("hanging-pdftotext.sh");
    std::fs::write(&hang, "#!/bin/sh\nsleep 30\n").expect("write");
    let mut perms = std::fs::metadata(&hang).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hang, perms).expect("chmod");
    let mut c = config(data.path());
    c.ingest.pdftotext = hang;
    c.ingest.pdftotext_timeout_secs = 1;
    let engine = cited_engine::Engine::open(c).expect("open");
    let started = std::time::Instant::now();
    let report = engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("ingest");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "not waited out"
    );
    let failed = report
        .failed
        .iter()
        .find(|f| f.path.ends_with("guideline.pdf"))
        .expect("reported");
    assert!(failed.reason.contains("longer than"), "{}", failed.reason);
    assert_eq!(report.added, 1, "the note is ingested");
    drop(engine);

    // The real pdftotext with an output cap below the PDF's text.
    let data = tempfile::tempdir().expect("tempdir");
    let mut c = config(data.path());
    c.ingest.pdftotext_max_output_bytes = 2_000;
    let engine = cited_engine::Engine::open(c).expect("open");
    let report = engine
        .ingest_paths(&[src.path().join("guideline.pdf")], &mut no_progress())
        .expect("ingest");
    let failed = report.failed.first().expect("reported");
    assert!(
        failed.reason.contains("pdftotext_max_output_bytes"),
        "{}",
        failed.reason
    );
}
