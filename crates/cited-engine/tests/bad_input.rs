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

    let docs = engine.list_documents().expect("list");
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
