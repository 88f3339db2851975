//! Dense vectors of chunks and the seam for where they live. [`VectorStore`] is the trait the engine
//! uses; [`EdgeVectorStore`] keeps them in an embedded Qdrant Edge shard inside the data directory. A Qdrant
//! server backend (`qdrant-client`) implements the same trait when one machine is not enough.

mod edge;

pub use edge::EdgeVectorStore;

use cited_core::{VersionFilter, VersionId};

/// Vector store failures.
#[derive(Debug, thiserror::Error)]
pub enum VectorStoreError {
    /// The backend said no.
    #[error("vector store: {0}")]
    Backend(String),
    /// A vector of the wrong size.
    #[error("vector store: vector has {got} dimensions, the store holds {want}")]
    Dimension {
        /// Size given.
        got: usize,
        /// Size configured.
        want: usize,
    },
}

/// A chunk's vector with the payload filters need.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorPoint {
    /// Catalog chunk id (the point id).
    pub chunk_id: u64,
    /// Catalog version id (payload, filterable).
    pub version_id: VersionId,
    /// The embedding.
    pub vector: Vec<f32>,
}

/// Where chunk vectors are stored and searched. Implementations must apply `filter` inside the search (so
/// a filtered search returns a full top-k) and must be safe to share between threads.
pub trait VectorStore: Send + Sync {
    /// Inserts or replaces points.
    fn upsert(&self, points: Vec<VectorPoint>) -> Result<(), VectorStoreError>;
    /// Removes every point of these versions.
    fn delete_versions(&self, ids: &[VersionId]) -> Result<(), VectorStoreError>;
    /// Makes writes durable.
    fn flush(&self) -> Result<(), VectorStoreError>;
    /// Builds search structures after a bulk load (HNSW for Qdrant Edge, which does not do it by itself).
    fn optimize(&self) -> Result<(), VectorStoreError>;
    /// Cosine top `limit` chunk ids with scores among the versions `filter` allows.
    fn search(
        &self,
        vector: &[f32],
        filter: &VersionFilter,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, VectorStoreError>;
    /// Up to `limit` points with ids from `from` on (all when `None`), in id order, with the id the next
    /// page starts at (`None`: no more). For copying an index into another store without re-embedding
    /// (`cited migrate --to-qdrant`).
    fn scroll(
        &self,
        from: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<VectorPoint>, Option<u64>), VectorStoreError>;
    /// Number of points of one version (consistency checks).
    fn count_version(&self, id: VersionId) -> Result<usize, VectorStoreError>;
    /// Number of points.
    fn len(&self) -> Result<usize, VectorStoreError>;
    /// True when no point is stored.
    fn is_empty(&self) -> Result<bool, VectorStoreError> {
        Ok(self.len()? == 0)
    }
}
