//! The Qdrant server backend: chunk vectors ([`QdrantVectorStore`], a [`cited_vectors::VectorStore`]) and
//! BM25 ([`QdrantLexicalIndex`], a [`cited_lexical::LexicalStore`]) in collections of a Qdrant server or
//! cluster, over gRPC with the official `qdrant-client`. With both, an app node keeps no index on its disk.
//!
//! The engine's seams are synchronous; the client is async. [`QdrantConnection`] owns a small tokio
//! runtime of its own and runs each request there, so a store works from any thread (a CLI command, a
//! server's blocking pool, even an async task) and is shut down without blocking when dropped.
//!
//! Every request has a deadline (`timeout`); transient failures (server unavailable, deadline passed,
//! overloaded) are retried with exponential backoff. Writes wait until the server has applied them, and
//! every write is idempotent (points are keyed by chunk id, deletes by version), so a retry never doubles
//! anything and a write that fails for good leaves the ingest's versions pending in the catalog, to be
//! removed by start-up recovery: never half-visible.

mod lexical;
mod vectors;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cited_core::{VersionFilter, VersionId};
use qdrant_client::qdrant::{
    CollectionInfo, Condition, CreateFieldIndexCollectionBuilder, FieldType, Filter, PointStruct,
    Query, QueryPointsBuilder, UpsertPointsBuilder, VectorInput,
};
use qdrant_client::{Qdrant, QdrantError};

/// Points per upsert request: large enough to amortise the round trip, small enough to stay far below
/// the server's message size limit (a dense point carries 384 floats).
const UPSERT_BATCH: usize = 256;

pub use lexical::QdrantLexicalIndex;
pub use vectors::QdrantVectorStore;

/// The `qdrant-client` line this build uses (`~1.18` in the workspace manifest): servers of 1.17 to 1.19
/// speak its protocol.
const CLIENT_VERSION: &str = "1.18";

/// Payload key of a point's catalog version id (integer index: filters and deletes by version).
const VERSION_FIELD: &str = "version_id";

/// Failures of the Qdrant backend.
#[derive(Debug, thiserror::Error)]
pub enum QdrantStoreError {
    /// The settings cannot work (bad URL, no runtime).
    #[error("qdrant: {0}")]
    Settings(String),
    /// The server could not be reached or answered with an error, after retries.
    #[error("qdrant {operation} on {url}: {reason}")]
    Request {
        /// What was being done.
        operation: &'static str,
        /// The server's URL (never the key).
        url: String,
        /// The server's or the transport's words.
        reason: String,
    },
    /// A collection exists with a layout this build cannot use.
    #[error("qdrant collection {collection}: {reason}")]
    Schema {
        /// Collection name.
        collection: String,
        /// What does not match.
        reason: String,
    },
}

impl From<QdrantStoreError> for cited_vectors::VectorStoreError {
    fn from(e: QdrantStoreError) -> Self {
        Self::Backend(e.to_string())
    }
}

impl From<QdrantStoreError> for cited_lexical::LexicalError {
    fn from(e: QdrantStoreError) -> Self {
        Self::Backend(e.to_string())
    }
}

/// Where the server is and how to talk to it.
#[derive(Clone)]
pub struct QdrantSettings {
    /// gRPC endpoint, e.g. `http://qdrant:6334`; `https://` turns TLS on (system roots).
    pub url: String,
    /// API key (`QDRANT__SERVICE__API_KEY` of the server), sent on every request. Never logged.
    pub api_key: Option<String>,
    /// Prefix of the collection names: `<prefix>_dense` holds vectors, `<prefix>_bm25` the lexical index.
    /// One prefix per catalog: two catalogs on one prefix would mix their chunk ids.
    pub collection_prefix: String,
    /// Deadline of each request.
    pub timeout: Duration,
    /// Retries of a request that failed transiently (0: none).
    pub retries: u32,
}

// By hand: the key must not reach logs or error messages.
impl std::fmt::Debug for QdrantSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantSettings")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("collection_prefix", &self.collection_prefix)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

/// One client of a Qdrant server, with the runtime its requests run on. Shared by the stores of one
/// engine.
pub struct QdrantConnection {
    client: Qdrant,
    runtime: Option<tokio::runtime::Runtime>,
    settings: QdrantSettings,
    server_version: String,
}

impl QdrantConnection {
    /// Connects and checks that the server answers and speaks a compatible version (same major, minor at
    /// most one apart from this client's), so a wrong URL or key fails here, named, not at the first ask.
    pub fn connect(settings: QdrantSettings) -> Result<Arc<Self>, QdrantStoreError> {
        let url = settings.url.trim().to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(QdrantStoreError::Settings(format!(
                "url {url:?} is not http:// or https:// (the gRPC port, 6334 by default)"
            )));
        }
        let client = Qdrant::from_url(&url)
            .api_key(settings.api_key.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // The client's own check prints to standard output; ours below returns an error instead.
            .skip_compatibility_check()
            .build()
            .map_err(|e| QdrantStoreError::Settings(format!("url {url:?}: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cited-qdrant")
            .enable_all()
            .build()
            .map_err(|e| QdrantStoreError::Settings(format!("runtime: {e}")))?;
        let mut connection = Self {
            client,
            runtime: Some(runtime),
            settings: QdrantSettings { url, ..settings },
            server_version: String::new(),
        };
        let reply = connection.run("health check", |c| async move { c.health_check().await })?;
        check_version(&reply.version).map_err(|reason| QdrantStoreError::Request {
            operation: "version check",
            url: connection.settings.url.clone(),
            reason,
        })?;
        connection.server_version = reply.version;
        tracing::info!(version = %connection.server_version, "connected to qdrant");
        Ok(Arc::new(connection))
    }

    /// The server's version, as it reported it at connect.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// Deletes this prefix's collections and everything in them (tests; a deployment re-creating its
    /// indexes after changing the embedding model). Missing collections are not an error.
    pub fn drop_collections(&self) -> Result<(), QdrantStoreError> {
        for kind in ["dense", "bm25"] {
            let name = self.collection(kind);
            if self.collection_info(&name)?.is_some() {
                self.run("delete collection", move |c| {
                    let name = name.clone();
                    async move { c.delete_collection(name).await }
                })?;
            }
        }
        Ok(())
    }

    /// Collection name for one store (`<prefix>_<kind>`).
    fn collection(&self, kind: &str) -> String {
        format!("{}_{kind}", self.settings.collection_prefix)
    }

    /// Runs `request` on the connection's runtime, retrying transient failures with backoff, and waits
    /// for the result on the calling thread.
    fn run<T, F, Fut>(&self, operation: &'static str, request: F) -> Result<T, QdrantStoreError>
    where
        T: Send + 'static,
        F: Fn(Qdrant) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, QdrantError>> + Send + 'static,
    {
        let failed = |reason: String| QdrantStoreError::Request {
            operation,
            url: self.settings.url.clone(),
            reason,
        };
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| failed("connection closed".into()))?;
        let client = self.client.clone();
        let retries = self.settings.retries;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let mut attempt = 0u32;
            let result = loop {
                match request(client.clone()).await {
                    Ok(value) => break Ok(value),
                    Err(e) => match retry_after(&e) {
                        Some(wait) if attempt < retries => {
                            attempt += 1;
                            let backoff = Duration::from_millis(100 * (1 << attempt.min(6)));
                            tracing::warn!(operation, attempt, "qdrant request failed, retrying");
                            tokio::time::sleep(wait.max(backoff)).await;
                        }
                        _ => break Err(e),
                    },
                }
            };
            // The caller may have given up (it never does today); nothing to do then.
            let _ = tx.send(result);
        });
        match rx.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(failed(describe(&e))),
            Err(_) => Err(failed("the request's task ended without an answer".into())),
        }
    }

    /// The layout of `collection`, or `None` when it does not exist.
    fn collection_info(
        &self,
        collection: &str,
    ) -> Result<Option<CollectionInfo>, QdrantStoreError> {
        let name = collection.to_string();
        let exists = self.run("collection check", move |c| {
            let name = name.clone();
            async move { c.collection_exists(name).await }
        })?;
        if !exists {
            return Ok(None);
        }
        let name = collection.to_string();
        let info = self.run("collection info", move |c| {
            let name = name.clone();
            async move { c.collection_info(name).await }
        })?;
        Ok(info.result)
    }

    /// Creates a payload index unless the collection already has one on `field` (creating is
    /// idempotent on the server too; the check saves a write on every start).
    fn ensure_index(
        &self,
        collection: &str,
        info: Option<&CollectionInfo>,
        field: &'static str,
        kind: FieldType,
    ) -> Result<(), QdrantStoreError> {
        if info.is_some_and(|i| i.payload_schema.contains_key(field)) {
            return Ok(());
        }
        let name = collection.to_string();
        self.run("payload index", move |c| {
            let request =
                CreateFieldIndexCollectionBuilder::new(name.clone(), field, kind).wait(true);
            async move { c.create_field_index(request).await }
        })?;
        Ok(())
    }

    /// Writes `points` into `collection` in batches, each applied (`wait`) before the next is sent, so a
    /// failure leaves the version pending and a retry re-upserts the same ids.
    fn upsert(
        &self,
        operation: &'static str,
        collection: &str,
        mut points: Vec<PointStruct>,
    ) -> Result<(), QdrantStoreError> {
        while !points.is_empty() {
            let rest = points.split_off(points.len().min(UPSERT_BATCH));
            let batch = std::mem::replace(&mut points, rest);
            let name = collection.to_string();
            self.run(operation, move |c| {
                let request = UpsertPointsBuilder::new(name.clone(), batch.clone()).wait(true);
                async move { c.upsert_points(request).await }
            })?;
        }
        Ok(())
    }

    /// The `limit` points of `collection` whose named vector `using` is nearest to `query` (dense or
    /// sparse), among those matching `filter`: chunk ids with scores, best first.
    fn nearest(
        &self,
        operation: &'static str,
        collection: &str,
        using: &'static str,
        query: VectorInput,
        filter: Option<Filter>,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, QdrantStoreError> {
        let name = collection.to_string();
        let response = self.run(operation, move |c| {
            let mut request = QueryPointsBuilder::new(name.clone())
                .query(Query::new_nearest(query.clone()))
                .using(using)
                .limit(limit as u64)
                .with_payload(false);
            if let Some(f) = &filter {
                request = request.filter(f.clone());
            }
            async move { c.query(request).await }
        })?;
        Ok(scored_ids(response.result))
    }

    /// Number of points of `collection` matching `filter` (all when `None`), counted exactly.
    fn count(&self, collection: &str, filter: Option<Filter>) -> Result<u64, QdrantStoreError> {
        let name = collection.to_string();
        let response = self.run("count", move |c| {
            let mut request =
                qdrant_client::qdrant::CountPointsBuilder::new(name.clone()).exact(true);
            if let Some(f) = &filter {
                request = request.filter(f.clone());
            }
            async move { c.count(request).await }
        })?;
        Ok(response.result.map_or(0, |r| r.count))
    }

    /// Removes every point of these versions from `collection`, waiting until applied.
    fn delete_versions(&self, collection: &str, ids: &[VersionId]) -> Result<(), QdrantStoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let name = collection.to_string();
        let filter = Filter::must([version_condition(ids)]);
        self.run("delete", move |c| {
            let request = qdrant_client::qdrant::DeletePointsBuilder::new(name.clone())
                .points(filter.clone())
                .wait(true);
            async move { c.delete_points(request).await }
        })?;
        Ok(())
    }

    /// Creates `collection` with `create` unless it exists, then returns its layout. Two nodes starting
    /// at once may both try: the loser's "already exists" is not an error.
    fn ensure_collection(
        &self,
        collection: &str,
        create: qdrant_client::qdrant::CreateCollectionBuilder,
    ) -> Result<CollectionInfo, QdrantStoreError> {
        if let Some(info) = self.collection_info(collection)? {
            return Ok(info);
        }
        let created = self.run("create collection", move |c| {
            let request = create.clone();
            async move { c.create_collection(request).await }
        });
        match (created, self.collection_info(collection)?) {
            (_, Some(info)) => {
                tracing::info!(collection, "qdrant collection ready");
                Ok(info)
            }
            (Err(e), None) => Err(e),
            (Ok(_), None) => Err(QdrantStoreError::Schema {
                collection: collection.to_string(),
                reason: "created, but the server does not list it".into(),
            }),
        }
    }
}

impl Drop for QdrantConnection {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics on an async thread (the server drops its engine on
        // one); shutting down in the background does not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The condition "version id is one of `ids`".
fn version_condition(ids: &[VersionId]) -> Condition {
    Condition::matches(VERSION_FIELD, ids.to_vec())
}

/// The filter a [`VersionFilter`] means, or `None` for "every version".
fn version_filter(filter: &VersionFilter) -> Option<Filter> {
    match filter {
        VersionFilter::Only(ids) => Some(Filter::must([version_condition(ids)])),
        VersionFilter::Except(ids) if ids.is_empty() => None,
        VersionFilter::Except(ids) => Some(Filter::must_not([version_condition(ids)])),
    }
}

/// Chunk ids and scores of a query's answer (points with UUID ids are not ours and are skipped).
fn scored_ids(points: Vec<qdrant_client::qdrant::ScoredPoint>) -> Vec<(u64, f32)> {
    use qdrant_client::qdrant::point_id::PointIdOptions;
    points
        .into_iter()
        .filter_map(|p| match p.id.and_then(|id| id.point_id_options) {
            Some(PointIdOptions::Num(id)) => Some((id, p.score)),
            _ => None,
        })
        .collect()
}

/// How long to wait before retrying `e`, or `None` when retrying cannot help (a bad request, a missing
/// collection, a wrong key).
fn retry_after(e: &QdrantError) -> Option<Duration> {
    use tonic::Code;
    match e {
        QdrantError::ResourceExhaustedError {
            retry_after_seconds,
            ..
        } => Some(Duration::from_secs((*retry_after_seconds).min(10))),
        QdrantError::ResponseError { status } => match status.code() {
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::ResourceExhausted => Some(Duration::ZERO),
            _ => None,
        },
        _ => None,
    }
}

/// A failure in words an operator can act on: the gRPC status's message, not its metadata.
fn describe(e: &QdrantError) -> String {
    use tonic::Code;
    match e {
        QdrantError::ResponseError { status } => match status.code() {
            Code::Unauthenticated | Code::PermissionDenied => format!(
                "refused: {} (check the API key, CITED_QDRANT_API_KEY, against the server's)",
                status.message()
            ),
            Code::Unavailable => format!("unavailable: {}", status.message()),
            code => format!("{code:?}: {}", status.message()),
        },
        other => other.to_string(),
    }
}

/// Accepts a server this client can talk to: same major version, minor at most one apart.
fn check_version(server: &str) -> Result<(), String> {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.trim_start_matches('v').split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    let client = CLIENT_VERSION;
    match (parse(server), parse(client)) {
        (Some((sm, sn)), Some((cm, cn))) if sm == cm && sn.abs_diff(cn) <= 1 => Ok(()),
        (Some(_), Some(_)) => Err(format!(
            "server version {server} is not compatible with this build's client {client} (same major \
             version, minor at most one apart)"
        )),
        _ => Err(format!("server reported an unreadable version {server:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_one_minor_apart_are_accepted() {
        assert!(check_version("1.18.3").is_ok());
        assert!(check_version("v1.19.0").is_ok());
        assert!(check_version("1.20.0").is_err());
        assert!(check_version("0.1.0").is_err());
        assert!(check_version("garbage").is_err());
    }

    #[test]
    fn the_key_is_not_in_debug_output() {
        let settings = QdrantSettings {
            url: "http://127.0.0.1:6334".into(),
            api_key: Some("s3cret-key".into()),
            collection_prefix: "cited".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn unreachable_server_is_named_with_its_url() {
        let settings = QdrantSettings {
            // Port 9 (discard) on loopback: nothing listens there.
            url: "http://127.0.0.1:9".into(),
            api_key: None,
            collection_prefix: "cited".into(),
            timeout: Duration::from_millis(500),
            retries: 1,
        };
        let err = QdrantConnection::connect(settings)
            .err()
            .expect("no server");
        let text = err.to_string();
        assert!(
            text.contains("127.0.0.1:9") && text.contains("health check"),
            "{text}"
        );
    }

    #[test]
    fn a_url_without_scheme_is_refused() {
        let settings = QdrantSettings {
            url: "qdrant:6334".into(),
            api_key: None,
            collection_prefix: "cited".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
        };
        assert!(matches!(
            QdrantConnection::connect(settings),
            Err(QdrantStoreError::Settings(_))
        ));
    }
}
