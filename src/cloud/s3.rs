//! Objects in S3: templates too large to pass to CloudFormation inline go through a bucket, and a team's
//! release store, ledger and locks live in one (each record a new object, created only if absent; a stale
//! lock deleted only if it is still the one that was read).

use aws_sdk_s3::primitives::ByteStream;

use super::{Cloud, CloudError, Failure};

/// How a conditional write or delete ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conditional {
    /// Done; the object's new ETag for a write.
    Done(Option<String>),
    /// The condition did not hold: the object exists (`If-None-Match: *`) or is no longer the one named
    /// (`If-Match`): HTTP 412.
    Refused,
    /// The object is not there (a delete of something already gone).
    Missing,
}

/// An object as read: its bytes and its ETag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// The contents.
    pub bytes: Vec<u8>,
    /// The ETag, for a later `If-Match`.
    pub etag: String,
}

impl Cloud {
    /// Uploads a template to `bucket` and returns the URL CloudFormation reads it from.
    pub async fn upload_template(&self, bucket: &str, key: &str, body: &str) -> Result<String, CloudError> {
        self.put(bucket, key, body.as_bytes().to_vec(), Some("application/json")).await?;
        Ok(self.object_url(bucket, key))
    }

    /// The path-style URL of an object: CloudFormation reads it in every region, whatever the bucket's name.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("https://s3.{}.amazonaws.com/{bucket}/{key}", self.region)
    }

    /// Creates `key` with `bytes` only if no object has that key (`If-None-Match: *`).
    pub async fn put_new(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<Conditional, CloudError> {
        self.within("PutObject", "-", async {
            let _place = self.place().await;
            let sent = self
                .s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .if_none_match("*")
                .body(ByteStream::from(bytes))
                .send()
                .await;
            match sent {
                Ok(out) => Ok(Conditional::Done(out.e_tag().map(str::to_string))),
                Err(e) => match self.error("PutObject", "-", e) {
                    e if precondition_failed(&e) => Ok(Conditional::Refused),
                    e => Err(e),
                },
            }
        })
        .await
    }

    /// The object at `key`, or `None` when there is none.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<Object>, CloudError> {
        self.within("GetObject", "-", async {
            let _place = self.place().await;
            let out = match self.s3.get_object().bucket(bucket).key(key).send().await {
                Ok(out) => out,
                Err(e) => {
                    let e = self.error("GetObject", "-", e);
                    if matches!(&e.failure, Failure::Service { code } if code == "NoSuchKey" || code == "NotFound") {
                        return Ok(None);
                    }
                    return Err(e);
                }
            };
            let etag = out.e_tag().unwrap_or_default().to_string();
            let bytes = out.body.collect().await.map_err(|e| CloudError {
                action: "GetObject",
                stack: "-".into(),
                message: format!("reading s3://{bucket}/{key} failed: {e}"),
                failure: Failure::Unreachable,
            })?;
            Ok(Some(Object { bytes: bytes.into_bytes().to_vec(), etag }))
        })
        .await
    }

    /// Whether `bucket` has an object at `key` (HeadObject).
    pub async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, CloudError> {
        self.within("HeadObject", "-", async {
            let _place = self.place().await;
            match self.s3.head_object().bucket(bucket).key(key).send().await {
                Ok(_) => Ok(true),
                Err(e) => match self.error("HeadObject", "-", e) {
                    e if matches!(&e.failure, Failure::Service { code } if code == "NotFound" || code == "NoSuchKey") => {
                        Ok(false)
                    }
                    e => Err(e),
                },
            }
        })
        .await
    }

    /// Writes `bytes` at `key` (an asset, whose key is its hash: the same key is always the same bytes).
    pub async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), CloudError> {
        self.put(bucket, key, bytes, None).await
    }

    /// Writes `bytes` at `key`, with `content_type` when given.
    async fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>, content_type: Option<&str>) -> Result<(), CloudError> {
        self.within("PutObject", "-", async {
            let _place = self.place().await;
            let request = self.s3.put_object().bucket(bucket).key(key).body(ByteStream::from(bytes));
            request
                .set_content_type(content_type.map(str::to_string))
                .send()
                .await
                .map_err(|e| self.error("PutObject", "-", e))?;
            Ok(())
        })
        .await
    }

    /// The keys below `prefix`, every page of them, in S3's order (sorted).
    pub async fn list_keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, CloudError> {
        self.within("ListObjectsV2", "-", async {
            let _place = self.place().await;
            let mut keys = Vec::new();
            let mut pages = self.s3.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| self.error("ListObjectsV2", "-", e))?;
                keys.extend(page.contents().iter().filter_map(|o| o.key()).map(str::to_string));
            }
            Ok(keys)
        })
        .await
    }

    /// Deletes `key` (S3 answers success for a key that is not there).
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<(), CloudError> {
        self.within("DeleteObject", "-", async {
            let _place = self.place().await;
            self.s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| self.error("DeleteObject", "-", e))?;
            Ok(())
        })
        .await
    }

    /// Deletes `key` only if it is still the object with `etag` (`If-Match`).
    pub async fn delete_if(&self, bucket: &str, key: &str, etag: &str) -> Result<Conditional, CloudError> {
        self.within("DeleteObject", "-", async {
            let _place = self.place().await;
            match self.s3.delete_object().bucket(bucket).key(key).if_match(etag).send().await {
                Ok(_) => Ok(Conditional::Done(None)),
                Err(e) => match self.error("DeleteObject", "-", e) {
                    e if precondition_failed(&e) => Ok(Conditional::Refused),
                    e if matches!(&e.failure, Failure::Service { code } if code == "NoSuchKey" || code == "NotFound") => {
                        Ok(Conditional::Missing)
                    }
                    e => Err(e),
                },
            }
        })
        .await
    }
}

/// Whether S3 refused a conditional request because its condition did not hold (HTTP 412), or because a
/// conflicting conditional write was in flight (409).
fn precondition_failed(e: &CloudError) -> bool {
    matches!(&e.failure, Failure::Service { code }
        if code == "PreconditionFailed" || code == "ConditionalRequestConflict")
}
