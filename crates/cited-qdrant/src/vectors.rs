use std::collections::HashMap;
use std::sync::Arc;

use cited_core::{VersionFilter, VersionId};
use cited_vectors::{VectorPoint, VectorStore, VectorStoreError};
use qdrant_client::qdrant::{
    CollectionInfo, CreateCollectionBuilder, Distance, FieldType, PointStruct, Value, Vector,
    VectorInput, VectorParamsBuilder, VectorsConfigBuilder, vectors_config::Config,
};

use crate::{QdrantConnection, QdrantStoreError, VERSION_FIELD, version_filter};

/// Name of the dense vector in each point (the same as in the Edge shard).
const VECTOR_NAME: &str = "dense";

/// Chunk vectors in the collection `<prefix>_dense` of a Qdrant server: one point per chunk (id = chunk
/// id), a named cosine vector `dense`, the version id in the payload with an integer index.
pub struct QdrantVectorStore {
    connection: Arc<QdrantConnection>,
    collection: String,
    dim: usize,
}

impl QdrantVectorStore {
    /// Opens the collection, creating it when missing. An existing collection must hold `dense` vectors
    /// of `dim` dimensions and cosine distance: vectors of another model would search as noise, so a
    /// mismatch is an error that names both.
    pub fn open(connection: Arc<QdrantConnection>, dim: usize) -> Result<Self, QdrantStoreError> {
        let collection = connection.collection("dense");
        let mut vectors = VectorsConfigBuilder::default();
        vectors.add_named_vector_params(
            VECTOR_NAME,
            VectorParamsBuilder::new(dim as u64, Distance::Cosine),
        );
        let create = CreateCollectionBuilder::new(collection.clone()).vectors_config(vectors);
        let info = connection.ensure_collection(&collection, create)?;
        check_layout(&collection, &info, dim)?;
        connection.ensure_index(&collection, Some(&info), VERSION_FIELD, FieldType::Integer)?;
        Ok(Self {
            connection,
            collection,
            dim,
        })
    }

    /// The collection's name.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    fn check_dim(&self, got: usize) -> Result<(), VectorStoreError> {
        if got != self.dim {
            return Err(VectorStoreError::Dimension {
                got,
                want: self.dim,
            });
        }
        Ok(())
    }
}

/// Refuses a collection whose `dense` vector has another size or distance.
fn check_layout(
    collection: &str,
    info: &CollectionInfo,
    dim: usize,
) -> Result<(), QdrantStoreError> {
    let schema = |reason: String| QdrantStoreError::Schema {
        collection: collection.to_string(),
        reason,
    };
    let params = info
        .config
        .as_ref()
        .and_then(|c| c.params.as_ref())
        .and_then(|p| p.vectors_config.as_ref())
        .and_then(|v| v.config.as_ref());
    let dense = match params {
        Some(Config::ParamsMap(map)) => map.map.get(VECTOR_NAME),
        _ => None,
    }
    .ok_or_else(|| schema(format!("has no named vector {VECTOR_NAME:?}")))?;
    if dense.size != dim as u64 {
        return Err(schema(format!(
            "holds {}-dimensional vectors, the configured embedder makes {dim}: use another \
             storage.qdrant_collection or re-create the collection",
            dense.size
        )));
    }
    if dense.distance != Distance::Cosine as i32 {
        return Err(schema(format!(
            "uses distance {:?}, Cited needs Cosine",
            Distance::try_from(dense.distance).ok()
        )));
    }
    Ok(())
}

impl VectorStore for QdrantVectorStore {
    fn upsert(&self, points: Vec<VectorPoint>) -> Result<(), VectorStoreError> {
        for p in &points {
            self.check_dim(p.vector.len())?;
        }
        let structs: Vec<PointStruct> = points
            .into_iter()
            .map(|p| {
                let vectors: HashMap<String, Vector> =
                    HashMap::from([(VECTOR_NAME.to_string(), Vector::new_dense(p.vector))]);
                let payload: HashMap<&str, Value> =
                    HashMap::from([(VERSION_FIELD, Value::from(p.version_id))]);
                PointStruct::new(p.chunk_id, vectors, payload)
            })
            .collect();
        Ok(self
            .connection
            .upsert("upsert vectors", &self.collection, structs)?)
    }

    fn delete_versions(&self, ids: &[VersionId]) -> Result<(), VectorStoreError> {
        Ok(self.connection.delete_versions(&self.collection, ids)?)
    }

    /// Writes wait for the server to apply them (its write-ahead log makes them durable), so there is
    /// nothing left to flush.
    fn flush(&self) -> Result<(), VectorStoreError> {
        Ok(())
    }

    /// The server builds its HNSW graphs by itself.
    fn optimize(&self) -> Result<(), VectorStoreError> {
        Ok(())
    }

    fn search(
        &self,
        vector: &[f32],
        filter: &VersionFilter,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, VectorStoreError> {
        if filter.is_empty_match() || limit == 0 {
            return Ok(Vec::new());
        }
        self.check_dim(vector.len())?;
        Ok(self.connection.nearest(
            "search vectors",
            &self.collection,
            VECTOR_NAME,
            VectorInput::new_dense(vector.to_vec()),
            version_filter(filter),
            limit,
        )?)
    }

    fn scroll(
        &self,
        from: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<VectorPoint>, Option<u64>), VectorStoreError> {
        use qdrant_client::qdrant::point_id::PointIdOptions;
        use qdrant_client::qdrant::{value::Kind, vector_output, vectors_output::VectorsOptions};
        let name = self.collection.clone();
        let limit = u32::try_from(limit.max(1)).unwrap_or(u32::MAX);
        let response = self.connection.run("scroll vectors", move |c| {
            let mut request = qdrant_client::qdrant::ScrollPointsBuilder::new(name.clone())
                .limit(limit)
                .with_payload(true)
                .with_vectors(true);
            if let Some(start) = from {
                request = request.offset(start);
            }
            async move { c.scroll(request).await }
        })?;
        let num_id = |id: Option<qdrant_client::qdrant::PointId>| match id
            .and_then(|id| id.point_id_options)
        {
            Some(PointIdOptions::Num(n)) => Some(n),
            _ => None,
        };
        let malformed = |id: u64, what: &str| {
            VectorStoreError::Backend(format!("{}: point {id} has no {what}", self.collection))
        };
        let mut points = Vec::with_capacity(response.result.len());
        for p in response.result {
            let Some(chunk_id) = num_id(p.id) else {
                continue;
            };
            let version_id = match p.payload.get(VERSION_FIELD).and_then(|v| v.kind.as_ref()) {
                Some(Kind::IntegerValue(v)) => *v,
                _ => return Err(malformed(chunk_id, "version id")),
            };
            let vector = match p.vectors.and_then(|v| v.vectors_options) {
                Some(VectorsOptions::Vectors(mut named)) => {
                    match named.vectors.remove(VECTOR_NAME).map(|v| v.into_vector()) {
                        Some(vector_output::Vector::Dense(d)) => d.data,
                        _ => return Err(malformed(chunk_id, "dense vector")),
                    }
                }
                _ => return Err(malformed(chunk_id, "named vectors")),
            };
            points.push(VectorPoint {
                chunk_id,
                version_id,
                vector,
            });
        }
        Ok((points, num_id(response.next_page_offset)))
    }

    fn count_version(&self, id: VersionId) -> Result<usize, VectorStoreError> {
        let filter = version_filter(&VersionFilter::Only(vec![id]));
        Ok(self.connection.count(&self.collection, filter)? as usize)
    }

    fn len(&self) -> Result<usize, VectorStoreError> {
        Ok(self.connection.count(&self.collection, None)? as usize)
    }
}
