//! A new version supersedes the old one in default search; `as_of` sees the old one; a future-dated version
//! waits for its date; unchanged re-ingest does no work.

mod common;

use chrono::NaiveDate;
use cited_core::{SearchMode, SearchRequest, VersionStatus};
use common::*;

fn protocol(version: &str, effective: &str, hours: &str) -> String {
    format!(
        "---\nid: \"TEST-001\"\ntitle: \"Sepsis antibiotics\"\nversion: \"{version}\"\neffective_date: \"{effective}\"\n---\n\
         # Sepsis antibiotics\n\n## Timing\n\nGive broad-spectrum antibiotics within {hours} of sepsis recognition.\n"
    )
}

fn search(
    engine: &cited_engine::Engine,
    as_of: Option<&str>,
    mode: SearchMode,
) -> Vec<(String, String)> {
    let request = SearchRequest {
        access: Default::default(),
        query: "when to give antibiotics for sepsis".into(),
        mode,
        k: 10,
        filters: vec![],
        as_of: as_of.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date")),
    };
    engine
        .search(&request)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| (h.version, h.text))
        .collect()
}

#[test]
fn new_version_supersedes_old_and_as_of_sees_the_old_one() {
    let src = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());

    let v1 = write(
        src.path(),
        "v1/sepsis.md",
        &protocol("1", "2020-01-01", "3 hours"),
    );
    let r1 = engine
        .ingest_paths(&[v1], &mut no_progress())
        .expect("ingest v1");
    assert_eq!((r1.added, r1.updated, r1.failed.len()), (1, 0, 0));

    let v2 = write(
        src.path(),
        "v2/sepsis.md",
        &protocol("2", "2024-01-01", "1 hour"),
    );
    let r2 = engine
        .ingest_paths(&[v2], &mut no_progress())
        .expect("ingest v2");
    assert_eq!((r2.added, r2.updated, r2.superseded), (0, 1, 1), "{r2:?}");
    assert!(r2.warnings.is_empty(), "same title, no warning: {r2:?}");

    for mode in [SearchMode::Hybrid, SearchMode::Bm25, SearchMode::Dense] {
        let today = search(&engine, None, mode);
        assert!(!today.is_empty(), "{mode:?}");
        assert!(
            today.iter().all(|(v, _)| v == "2"),
            "{mode:?}: only v2 is in force today: {today:?}"
        );
        assert!(today[0].1.contains("1 hour"));

        let before = search(&engine, Some("2022-06-01"), mode);
        assert!(!before.is_empty(), "{mode:?}");
        assert!(
            before.iter().all(|(v, _)| v == "1"),
            "{mode:?}: v1 was in force in 2022: {before:?}"
        );
        assert!(before[0].1.contains("3 hours"));

        assert!(
            search(&engine, Some("2019-01-01"), mode).is_empty(),
            "nothing was in force before v1"
        );
    }

    let versions = engine
        .document_versions("TEST-001", &cited_core::Access::Operator)
        .expect("versions");
    let statuses: Vec<_> = versions
        .iter()
        .map(|v| (v.version.version.as_str(), v.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("1", VersionStatus::Superseded),
            ("2", VersionStatus::Active)
        ]
    );

    // A version effective in the future does not replace v2 until its date.
    let v3 = write(
        src.path(),
        "v3/sepsis.md",
        &protocol("3", "2099-01-01", "30 minutes"),
    );
    let r3 = engine
        .ingest_paths(&[v3], &mut no_progress())
        .expect("ingest v3");
    assert_eq!((r3.updated, r3.superseded), (1, 0));
    assert!(
        search(&engine, None, SearchMode::Hybrid)
            .iter()
            .all(|(v, _)| v == "2")
    );
    assert!(
        search(&engine, Some("2099-02-01"), SearchMode::Hybrid)
            .iter()
            .all(|(v, _)| v == "3")
    );
    let statuses: Vec<_> = engine
        .document_versions("TEST-001", &cited_core::Access::Operator)
        .expect("versions")
        .into_iter()
        .map(|v| v.status)
        .collect();
    assert_eq!(
        statuses,
        [
            VersionStatus::Superseded,
            VersionStatus::Active,
            VersionStatus::Scheduled
        ]
    );

    // Everything again: unchanged, nothing embedded.
    let again = engine
        .ingest_paths(&[src.path().to_path_buf()], &mut no_progress())
        .expect("re-ingest");
    assert_eq!(
        (again.unchanged, again.added, again.updated, again.embedded),
        (3, 0, 0, 0),
        "{again:?}"
    );
}

#[test]
fn same_version_label_with_new_text_is_rejected_not_overwritten() {
    let src = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let a = write(
        src.path(),
        "a/p.md",
        &protocol("1", "2020-01-01", "3 hours"),
    );
    engine
        .ingest_paths(&[a], &mut no_progress())
        .expect("ingest");
    let b = write(
        src.path(),
        "b/p.md",
        &protocol("1", "2020-01-01", "2 hours"),
    );
    let report = engine
        .ingest_paths(&[b], &mut no_progress())
        .expect("ingest");
    assert_eq!(report.failed.len(), 1);
    let reason = &report.failed[0].reason;
    assert!(
        reason.contains("already in the catalog from")
            && reason.contains("a/p.md")
            && reason.contains("with different content"),
        "names the file the stored text came from: {report:?}"
    );
    let hits = search(&engine, None, SearchMode::Bm25);
    assert!(
        hits.iter().all(|(_, t)| t.contains("3 hours")),
        "the stored version keeps its text"
    );
}

#[test]
fn chunks_point_into_canonical_text_and_filters_apply_in_both_indexes() {
    let data = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let corpus = repo_root().join("corpus");
    let report = engine
        .ingest_paths(&[corpus], &mut no_progress())
        .expect("ingest corpus");
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    for mode in [SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid] {
        let request = SearchRequest {
            access: Default::default(),
            query: "coverage criteria".into(),
            mode,
            k: 5,
            filters: vec!["payer=Northwind Health Plan".parse().expect("filter")],
            as_of: None,
        };
        let hits = engine.search(&request).expect("search").hits;
        assert!(!hits.is_empty(), "{mode:?}");
        for h in &hits {
            assert!(
                h.doc_id.starts_with("NWH-POL-"),
                "{mode:?}: filter leaked {}",
                h.doc_id
            );
            assert_ne!(
                h.doc_id, "NWH-POL-305",
                "the retired policy is in force for nobody"
            );
            let text = version_text(&engine, &h.doc_id, &h.version);
            assert_eq!(
                &text[h.start..h.end],
                h.text,
                "canonical_text[start..end] is the chunk text"
            );
        }
    }

    // The PDF keeps page numbers; the HTML lost its script.
    let pdf_hits = engine
        .search(&SearchRequest {
            access: Default::default(),
            query: "how often to reposition patients at risk of pressure injury".into(),
            mode: SearchMode::Hybrid,
            k: 3,
            filters: vec![],
            as_of: None,
        })
        .expect("search")
        .hits;
    assert_eq!(pdf_hits[0].doc_id, "SBH-PROT-030");
    assert_eq!(pdf_hits[0].page, Some(2));
    let html = engine
        .document_versions("SBH-PROT-007", &cited_core::Access::Operator)
        .expect("html doc");
    let text = engine
        .version_text(html[0].version.version_id)
        .expect("text");
    assert!(!text.contains("tracking code"));
    assert!(text.contains("## Method"));
}

/// Two different documents sharing an id become versions of one document; the ingest report says so, so
/// that an id typo does not silently replace a protocol.
#[test]
fn a_new_version_with_another_title_is_flagged() {
    let data = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let engine = engine(data.path());
    let v1 = write(src.path(), "v1.md", &protocol("1", "2022-01-01", "3 hours"));
    engine
        .ingest_paths(&[v1], &mut no_progress())
        .expect("ingest v1");
    let other = write(
        src.path(),
        "chemo.md",
        "---\nid: \"TEST-001\"\ntitle: \"Chemotherapy Extravasation\"\nversion: \"2\"\n---\n\
         # Chemotherapy Extravasation\n\n## Actions\n\nStop the infusion at once.\n",
    );
    let report = engine
        .ingest_paths(&[other], &mut no_progress())
        .expect("ingest");
    assert_eq!(report.updated, 1, "it is still ingested, as asked");
    assert_eq!(report.warnings.len(), 1, "{report:?}");
    assert!(
        report.warnings[0].contains("Chemotherapy Extravasation")
            && report.warnings[0].contains("Sepsis antibiotics"),
        "{:?}",
        report.warnings
    );
}
