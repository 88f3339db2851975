//! One contract for every vector store and every lexical store: the embedded ones (Qdrant Edge, tantivy)
//! always, a Qdrant server when `QDRANT_URL` names its gRPC endpoint (skipped otherwise;
//! `REQUIRE_QDRANT=1` turns the skip into a failure). Each Qdrant run uses collections of its own and
//! drops them at the end.

use std::sync::Arc;
use std::time::Duration;

use cited_core::VersionFilter;
use cited_lexical::{LexicalChunk, LexicalStore, TantivyIndex};
use cited_qdrant::{
    QdrantConnection, QdrantLexicalIndex, QdrantSettings, QdrantStoreError, QdrantVectorStore,
};
use cited_vectors::{EdgeVectorStore, VectorPoint, VectorStore, VectorStoreError};

const DIM: usize = 8;

/// A connection to the server of `QDRANT_URL` with a fresh collection prefix, or `None` (skip).
fn qdrant() -> Option<(Arc<QdrantConnection>, QdrantSettings)> {
    let Ok(url) = std::env::var("QDRANT_URL") else {
        if std::env::var("REQUIRE_QDRANT").as_deref() == Ok("1") {
            panic!("REQUIRE_QDRANT=1 but QDRANT_URL is not set");
        }
        eprintln!("QDRANT_URL not set: the Qdrant server half of the contract is skipped");
        return None;
    };
    let settings = QdrantSettings {
        url,
        api_key: std::env::var("QDRANT_API_KEY").ok(),
        collection_prefix: format!("cited_test_{}", uuid::Uuid::new_v4().simple()),
        timeout: Duration::from_secs(10),
        retries: 2,
    };
    let connection = QdrantConnection::connect(settings.clone()).expect("connect to QDRANT_URL");
    Some((connection, settings))
}

/// Drops the test's collections even when an assertion failed.
struct DropCollections(Arc<QdrantConnection>);

impl Drop for DropCollections {
    fn drop(&mut self) {
        if let Err(e) = self.0.drop_collections() {
            eprintln!("could not drop test collections: {e}");
        }
    }
}

fn axis(i: usize) -> Vec<f32> {
    let mut v = vec![0.0; DIM];
    v[i % DIM] = 1.0;
    v
}

fn near_axis(i: usize, tilt: f32) -> Vec<f32> {
    let mut v = axis(i);
    v[(i + 1) % DIM] = tilt;
    v
}

fn point(chunk_id: u64, version_id: i64, vector: Vec<f32>) -> VectorPoint {
    VectorPoint {
        chunk_id,
        version_id,
        vector,
    }
}

fn ids(hits: &[(u64, f32)]) -> Vec<u64> {
    hits.iter().map(|h| h.0).collect()
}

/// The behaviour the engine relies on, on a fresh store; `reopen` opens the same data again.
fn vector_contract(store: Box<dyn VectorStore>, reopen: &dyn Fn() -> Box<dyn VectorStore>) {
    assert!(store.is_empty().expect("is_empty"));
    store
        .upsert(vec![
            point(1, 10, axis(0)),
            point(2, 11, near_axis(0, 0.2)),
            point(3, 12, axis(2)),
        ])
        .expect("upsert");
    store.flush().expect("flush");
    store.optimize().expect("optimize");
    let everything = VersionFilter::Except(vec![]);
    assert_eq!(
        ids(&store.search(&axis(0), &everything, 2).expect("search")),
        [1, 2]
    );
    let top = store.search(&axis(0), &everything, 1).expect("search");
    assert!(
        (top[0].1 - 1.0).abs() < 1e-4,
        "cosine of equal vectors is 1: {}",
        top[0].1
    );
    assert_eq!(
        ids(&store
            .search(&axis(0), &VersionFilter::Except(vec![10]), 1)
            .expect("search")),
        [2],
        "an excluded version never comes back"
    );
    assert_eq!(
        ids(&store
            .search(&axis(0), &VersionFilter::Only(vec![12]), 3)
            .expect("search")),
        [3],
        "only the allowed version"
    );
    assert!(
        store
            .search(&axis(0), &VersionFilter::Only(vec![]), 3)
            .expect("search")
            .is_empty(),
        "an empty allow-list matches nothing"
    );

    // Idempotent re-upsert: the same ids replace, never add.
    store
        .upsert(vec![point(1, 10, axis(5)), point(2, 11, near_axis(0, 0.2))])
        .expect("re-upsert");
    assert_eq!(store.len().expect("len"), 3);
    assert_eq!(
        ids(&store.search(&axis(5), &everything, 1).expect("search")),
        [1],
        "the new vector replaced the old"
    );

    // A filtered search fills its top-k from the allowed versions, however many closer points are
    // excluded.
    let crowd: Vec<VectorPoint> = (100..700)
        .map(|i| point(i, 20, near_axis(3, 0.01 * (i % 50) as f32)))
        .collect();
    store.upsert(crowd).expect("upsert 600 points in one call");
    store
        .upsert(vec![
            point(900, 21, near_axis(3, 0.9)),
            point(901, 21, near_axis(3, 1.5)),
        ])
        .expect("upsert");
    assert_eq!(store.count_version(20).expect("count"), 600);
    let hits = store
        .search(&axis(3), &VersionFilter::Except(vec![20]), 2)
        .expect("search");
    assert_eq!(ids(&hits), [900, 901]);

    store.delete_versions(&[20, 10]).expect("delete");
    store
        .delete_versions(&[])
        .expect("deleting nothing is fine");
    assert_eq!(store.count_version(20).expect("count"), 0);
    assert_eq!(store.count_version(10).expect("count"), 0);
    assert_eq!(store.count_version(11).expect("count"), 1);
    assert_eq!(store.len().expect("len"), 4);

    assert!(matches!(
        store.upsert(vec![point(5, 10, vec![1.0; DIM + 1])]),
        Err(VectorStoreError::Dimension { .. })
    ));
    assert!(matches!(
        store.search(&[1.0; 3], &everything, 1),
        Err(VectorStoreError::Dimension { .. })
    ));

    // Paging through every point gives each once, vectors and versions as stored.
    let (mut seen, mut from) = (Vec::new(), None);
    loop {
        let (page, next) = store.scroll(from, 3).expect("scroll");
        assert!(page.len() <= 3);
        seen.extend(page);
        match next {
            Some(n) => from = Some(n),
            None => break,
        }
    }
    assert_eq!(
        seen.iter().map(|p| p.chunk_id).collect::<Vec<_>>(),
        [2, 3, 900, 901]
    );
    assert_eq!(seen[1], point(3, 12, axis(2)));

    drop(store);
    let again = reopen();
    assert_eq!(again.len().expect("len after reopen"), 4);
    assert_eq!(
        ids(&again.search(&axis(2), &everything, 1).expect("search")),
        [3]
    );
}

fn chunk(chunk_id: u64, version_id: i64, text: &str) -> LexicalChunk<'_> {
    LexicalChunk {
        chunk_id,
        version_id,
        text,
    }
}

/// The behaviour the engine relies on, on a fresh lexical store; `reopen` opens the same data again.
fn lexical_contract(store: Box<dyn LexicalStore>, reopen: &dyn Fn() -> Box<dyn LexicalStore>) {
    assert!(store.is_empty().expect("is_empty"));
    store
        .add(&[
            chunk(
                1,
                10,
                "Home oxygen therapy requires arterial blood gas testing at rest",
            ),
            chunk(2, 11, "Oxygen therapy coverage ended for cluster headaches"),
            chunk(3, 12, "A CPAP trial lasts twelve weeks"),
            chunk(
                4,
                12,
                "Enoxaparin dose in renal impairment: 30 mg once daily",
            ),
        ])
        .expect("add");
    store.commit().expect("commit");
    assert_eq!(store.len().expect("len"), 4);
    let everything = VersionFilter::Except(vec![]);
    let hits = store
        .search("home oxygen tests", &everything, 10)
        .expect("search");
    assert_eq!(
        hits.first().map(|h| h.0),
        Some(1),
        "more shared rare terms rank first"
    );
    assert_eq!(
        ids(&hits).len(),
        2,
        "only chunks with a query term: {hits:?}"
    );
    assert!(hits[0].1 > hits[1].1 && hits[1].1 > 0.0);
    assert_eq!(
        ids(&store
            .search("oxygen", &VersionFilter::Only(vec![11]), 10)
            .expect("search")),
        [2]
    );
    assert_eq!(
        ids(&store
            .search("oxygen", &VersionFilter::Except(vec![10]), 10)
            .expect("search")),
        [2]
    );
    assert!(
        store
            .search("the of and", &everything, 10)
            .expect("search")
            .is_empty()
    );
    assert!(
        store
            .search("oxygen", &VersionFilter::Only(vec![]), 10)
            .expect("search")
            .is_empty()
    );
    // Stemming: "renal" in the question finds "renal" whatever the inflection of other words.
    assert_eq!(
        ids(&store
            .search("enoxaparin doses", &everything, 1)
            .expect("search")),
        [4]
    );

    assert_eq!(
        store.unknown_terms("oxygen for zebras").expect("unknown"),
        ["zebra"],
        "analysed like the index: stemmed, stop words gone"
    );
    let share = store.chunk_share("oxygen").expect("share");
    assert!((share - 0.5).abs() < 1e-9, "{share}");
    assert!((store.chunk_share("the").expect("share") - 1.0).abs() < 1e-9);
    assert_eq!(store.chunk_share("zebra").expect("share"), 0.0);

    store.delete_versions(&[10]).expect("delete");
    store.commit().expect("commit");
    assert_eq!(store.count_version(10).expect("count"), 0);
    assert_eq!(store.count_version(12).expect("count"), 2);
    assert_eq!(store.len().expect("len"), 3);
    // (Document frequencies after a delete are not part of the contract: tantivy counts deleted
    // chunks until its segments merge.)

    drop(store);
    let again = reopen();
    assert_eq!(again.len().expect("len after reopen"), 3);
    assert_eq!(
        ids(&again.search("cpap trial", &everything, 5).expect("search")),
        [3]
    );
}

#[test]
fn edge_vector_store_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let store = EdgeVectorStore::open(&path, DIM).expect("open");
    vector_contract(Box::new(store), &|| {
        Box::new(EdgeVectorStore::open(&path, DIM).expect("reopen"))
    });
    assert!(matches!(
        EdgeVectorStore::open(&path, DIM * 2),
        Err(VectorStoreError::Dimension { .. })
    ));
}

#[test]
fn tantivy_index_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let store = TantivyIndex::open(&path).expect("open");
    lexical_contract(Box::new(store), &|| {
        Box::new(TantivyIndex::open(&path).expect("reopen"))
    });
}

#[test]
fn qdrant_vector_store_keeps_the_contract() {
    let Some((connection, settings)) = qdrant() else {
        return;
    };
    let _cleanup = DropCollections(connection.clone());
    let store = QdrantVectorStore::open(connection.clone(), DIM).expect("open");
    vector_contract(Box::new(store), &|| {
        // A second node: its own connection, the same collections.
        let other = QdrantConnection::connect(settings.clone()).expect("connect");
        Box::new(QdrantVectorStore::open(other, DIM).expect("reopen"))
    });
    let err = QdrantVectorStore::open(connection.clone(), DIM * 2)
        .err()
        .expect("another dimension is refused");
    assert!(
        matches!(err, QdrantStoreError::Schema { .. }) && err.to_string().contains("8-dimensional"),
        "{err}"
    );
}

#[test]
fn qdrant_lexical_index_keeps_the_contract() {
    let Some((connection, settings)) = qdrant() else {
        return;
    };
    let _cleanup = DropCollections(connection.clone());
    let store = QdrantLexicalIndex::open(connection, 8.0).expect("open");
    lexical_contract(Box::new(store), &|| {
        let other = QdrantConnection::connect(settings.clone()).expect("connect");
        Box::new(QdrantLexicalIndex::open(other, 8.0).expect("reopen"))
    });
}

#[test]
fn qdrant_with_a_wrong_key_is_refused_with_the_reason() {
    let Some((_, settings)) = qdrant() else {
        return;
    };
    if settings.api_key.is_none() {
        eprintln!("QDRANT_API_KEY not set: the server takes any key, nothing to refuse");
        return;
    }
    let wrong = QdrantSettings {
        api_key: Some("not-the-key".into()),
        ..settings
    };
    let err = QdrantConnection::connect(wrong)
        .and_then(|c| QdrantVectorStore::open(c, DIM))
        .err()
        .expect("a wrong key is refused");
    assert!(err.to_string().contains("API key"), "{err}");
}
