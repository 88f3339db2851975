use std::path::Path;

use cited_core::{VersionFilter, VersionId};
use qdrant_edge::{
    Condition, CountRequest, Distance, EdgeConfig, EdgeShard, EdgeVectorParams, FieldCondition,
    Filter, Match, NamedQuery, PayloadFieldSchema, PayloadSchemaType, PointId,
    PointInsertOperations, PointOperations, PointStruct, QueryEnum, QueryRequest, ScoringQuery,
    ScrollRequest, UpdateOperation, VectorInternal, VectorStructInternal, Vectors,
    WithPayloadInterface, WithVector,
};

use crate::{VectorPoint, VectorStore, VectorStoreError};

const VECTOR_NAME: &str = "dense";
const VERSION_FIELD: &str = "version_id";
const CONFIG_FILE: &str = "edge_config.json";

/// Chunk vectors in an embedded Qdrant Edge shard on disk.
pub struct EdgeVectorStore {
    shard: EdgeShard,
    dim: usize,
}

fn backend(e: impl std::fmt::Display) -> VectorStoreError {
    VectorStoreError::Backend(e.to_string())
}

fn version_key() -> Result<qdrant_edge::JsonPath, VectorStoreError> {
    VERSION_FIELD
        .try_into()
        .map_err(|_| backend("invalid payload key"))
}

impl EdgeVectorStore {
    /// Opens the shard in `dir`, creating it (cosine vectors of `dim` dimensions, an integer index on the
    /// version id) when the directory holds none.
    pub fn open(dir: &Path, dim: usize) -> Result<Self, VectorStoreError> {
        let shard = if dir.join(CONFIG_FILE).exists() {
            EdgeShard::load(dir, None).map_err(backend)?
        } else {
            std::fs::create_dir_all(dir).map_err(backend)?;
            let config = EdgeConfig::builder()
                .vector(
                    VECTOR_NAME,
                    EdgeVectorParams::builder(dim, Distance::Cosine).build(),
                )
                .build();
            let shard = EdgeShard::new(dir, config).map_err(backend)?;
            shard
                .update(UpdateOperation::FieldIndexOperation(
                    qdrant_edge::FieldIndexOperations::CreateIndex(qdrant_edge::CreateIndex {
                        field_name: version_key()?,
                        field_schema: Some(PayloadFieldSchema::FieldType(
                            PayloadSchemaType::Integer,
                        )),
                    }),
                ))
                .map_err(backend)?;
            shard
        };
        let store = Self { shard, dim };
        let stored_dim = store
            .shard
            .config()
            .vectors
            .get(VECTOR_NAME)
            .map(|p| p.size)
            .ok_or_else(|| {
                backend(format!(
                    "shard in {} has no '{VECTOR_NAME}' vector",
                    dir.display()
                ))
            })?;
        if stored_dim != dim {
            return Err(VectorStoreError::Dimension {
                got: dim,
                want: stored_dim,
            });
        }
        Ok(store)
    }

    fn version_condition(ids: &[VersionId]) -> Result<Condition, VectorStoreError> {
        Ok(Condition::Field(FieldCondition::new_match(
            version_key()?,
            Match::from(ids.to_vec()),
        )))
    }

    fn filter(filter: &VersionFilter) -> Result<Option<Filter>, VectorStoreError> {
        Ok(match filter {
            VersionFilter::Only(ids) => Some(Filter::new_must(Self::version_condition(ids)?)),
            VersionFilter::Except(ids) if ids.is_empty() => None,
            VersionFilter::Except(ids) => Some(Filter::new_must_not(Self::version_condition(ids)?)),
        })
    }
}

impl VectorStore for EdgeVectorStore {
    fn upsert(&self, points: Vec<VectorPoint>) -> Result<(), VectorStoreError> {
        let mut structs = Vec::with_capacity(points.len());
        for p in points {
            if p.vector.len() != self.dim {
                return Err(VectorStoreError::Dimension {
                    got: p.vector.len(),
                    want: self.dim,
                });
            }
            let vectors = Vectors::new_named([(VECTOR_NAME, p.vector)]);
            let payload = serde_json::json!({ VERSION_FIELD: p.version_id });
            structs.push(PointStruct::new(PointId::NumId(p.chunk_id), vectors, payload).0);
        }
        self.shard
            .update(UpdateOperation::PointOperation(
                PointOperations::UpsertPoints(PointInsertOperations::PointsList(structs)),
            ))
            .map_err(backend)
    }

    fn delete_versions(&self, ids: &[VersionId]) -> Result<(), VectorStoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let filter = Filter::new_must(Self::version_condition(ids)?);
        self.shard
            .update(UpdateOperation::PointOperation(
                PointOperations::DeletePointsByFilter(filter),
            ))
            .map_err(backend)
    }

    fn flush(&self) -> Result<(), VectorStoreError> {
        self.shard.flush().map_err(backend)
    }

    fn optimize(&self) -> Result<(), VectorStoreError> {
        self.shard.optimize().map(|_| ()).map_err(backend)
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
        if vector.len() != self.dim {
            return Err(VectorStoreError::Dimension {
                got: vector.len(),
                want: self.dim,
            });
        }
        let mut request = QueryRequest::new(limit);
        request.query = Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
            query: qdrant_edge::VectorInternal::Dense(vector.to_vec()),
            using: Some(VECTOR_NAME.into()),
        })));
        request.filter = Self::filter(filter)?;
        request.with_payload = WithPayloadInterface::Bool(false);
        request.with_vector = WithVector::Bool(false);
        let points = self.shard.query(request).map_err(backend)?;
        Ok(points
            .into_iter()
            .filter_map(|p| match p.id {
                PointId::NumId(id) => Some((id, p.score)),
                PointId::Uuid(_) => None,
            })
            .collect())
    }

    fn scroll(
        &self,
        from: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<VectorPoint>, Option<u64>), VectorStoreError> {
        let mut request = ScrollRequest::new();
        request.offset = from.map(PointId::NumId);
        request.limit = Some(limit.max(1));
        request.with_payload = Some(WithPayloadInterface::Bool(true));
        request.with_vector = WithVector::Bool(true);
        let (records, next) = self.shard.scroll(request).map_err(backend)?;
        let mut points = Vec::with_capacity(records.len());
        for record in records {
            let PointId::NumId(chunk_id) = record.id else {
                continue;
            };
            let version_id = record
                .payload
                .as_ref()
                .and_then(|p| p.0.get(VERSION_FIELD))
                .and_then(|v| v.as_i64())
                .ok_or_else(|| backend(format!("point {chunk_id} has no version id")))?;
            let vector = match record.vector {
                Some(VectorStructInternal::Named(mut named)) => match named.remove(VECTOR_NAME) {
                    Some(VectorInternal::Dense(v)) => v,
                    _ => return Err(backend(format!("point {chunk_id} has no dense vector"))),
                },
                _ => return Err(backend(format!("point {chunk_id} has no named vectors"))),
            };
            points.push(VectorPoint {
                chunk_id,
                version_id,
                vector,
            });
        }
        let next = match next {
            Some(PointId::NumId(id)) => Some(id),
            _ => None,
        };
        Ok((points, next))
    }

    fn count_version(&self, id: VersionId) -> Result<usize, VectorStoreError> {
        let mut request = CountRequest::new();
        request.filter = Some(Filter::new_must(Self::version_condition(&[id])?));
        request.exact = true;
        self.shard.count(request).map_err(backend)
    }

    fn len(&self) -> Result<usize, VectorStoreError> {
        let mut request = CountRequest::new();
        request.exact = true;
        self.shard.count(request).map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(i: usize) -> Vec<f32> {
        let mut v = vec![0.0; 4];
        v[i] = 1.0;
        v
    }

    #[test]
    fn upsert_filter_delete_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EdgeVectorStore::open(dir.path(), 4).expect("open");
        store
            .upsert(vec![
                VectorPoint {
                    chunk_id: 1,
                    version_id: 10,
                    vector: unit(0),
                },
                VectorPoint {
                    chunk_id: 2,
                    version_id: 11,
                    vector: vec![0.9, 0.1, 0.0, 0.0],
                },
                VectorPoint {
                    chunk_id: 3,
                    version_id: 12,
                    vector: unit(2),
                },
            ])
            .expect("upsert");
        let hits = store
            .search(&unit(0), &VersionFilter::Except(vec![]), 2)
            .expect("search");
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![1, 2]);
        let hits = store
            .search(&unit(0), &VersionFilter::Except(vec![10]), 1)
            .expect("search");
        assert_eq!(hits[0].0, 2);
        let hits = store
            .search(&unit(0), &VersionFilter::Only(vec![12]), 3)
            .expect("search");
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![3]);
        store.delete_versions(&[10]).expect("delete");
        assert_eq!(store.count_version(10).expect("count"), 0);
        store.flush().expect("flush");
        drop(store);
        let store = EdgeVectorStore::open(dir.path(), 4).expect("reopen");
        assert_eq!(store.len().expect("len"), 2);
        drop(store);
        assert!(matches!(
            EdgeVectorStore::open(dir.path(), 8),
            Err(VectorStoreError::Dimension { .. })
        ));
    }
}
