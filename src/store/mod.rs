//! Where slipway keeps what it must remember: release bundles, the ledger and the environment locks.
//!
//! One machine keeps them in a directory (`.slipway/` at the top of the working tree, git-ignored); teams
//! whose CI runs on many machines keep them in S3 (`--store s3://bucket/prefix`, or `SLIPWAY_STORE`). Both
//! offer the same few operations, the ones that let many writers share the store safely:
//! - [`Store::put_new`]: an object is created only if its key is free (S3 `If-None-Match: *`; locally a
//!   hard link of a fully written file, which fails if the name exists), so nothing is ever overwritten and
//!   a reader never sees half an object;
//! - [`Store::delete_if`]: an object is deleted only if it is still the one that was read (S3 `If-Match` on
//!   its ETag; locally under an exclusive lock of the store), so two runs taking over one stale lock cannot
//!   both win;
//! - [`Store::get`] and [`Store::list`].

mod local;

use std::path::{Path, PathBuf};

use crate::cloud::{Cloud, CloudError, Conditional};

pub use local::LocalStore;

/// Where a store is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A directory.
    Dir(PathBuf),
    /// An S3 bucket and a key prefix (empty, or ending in `/`).
    S3 {
        /// The bucket.
        bucket: String,
        /// The prefix every key gets.
        prefix: String,
    },
}

impl Location {
    /// `s3://bucket/prefix` or a directory path.
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.is_empty() {
                return Err(StoreError::BadLocation(text.into(), "it is empty"));
            }
            return Ok(Location::Dir(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !valid_bucket {
            return Err(StoreError::BadLocation(text.into(), "the bucket name is not an S3 bucket name"));
        }
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        Ok(Location::S3 { bucket: bucket.into(), prefix })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `--store` names no store.
    #[error("`{0}` is not a store: {1}; give a directory or s3://bucket/prefix")]
    BadLocation(String, &'static str),
    /// The local file system refused.
    #[error("the store at `{}` cannot be used: {source}", .path.display())]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// S3 refused or could not be reached.
    #[error("the store at {location} cannot be used: {source}")]
    Cloud {
        /// The store.
        location: String,
        /// Why.
        source: CloudError,
    },
}

/// An object as read: its bytes and a tag that changes whenever it does (the ETag on S3, the SHA-256 of
/// the bytes in a directory), for [`Store::delete_if`].
pub use crate::cloud::Object;

/// An open store.
#[derive(Clone, Debug)]
pub enum Store {
    /// A directory.
    Local(LocalStore),
    /// An S3 bucket, through this connection.
    S3 {
        /// The connection.
        cloud: Cloud,
        /// The bucket.
        bucket: String,
        /// The prefix every key gets.
        prefix: String,
    },
}

impl Store {
    /// Opens the store at `location`: a directory, or an S3 bucket through `connector`'s credentials
    /// (which must answer).
    pub async fn open(
        location: Location,
        connector: &crate::cloud::Connector,
    ) -> Result<Store, crate::cloud::ConnectError> {
        Ok(match location {
            Location::Dir(dir) => Store::local(&dir),
            Location::S3 { bucket, prefix } => Store::S3 { cloud: connector.anywhere(None).await?, bucket, prefix },
        })
    }

    /// A store in directory `dir` (created when first written).
    pub fn local(dir: &Path) -> Store {
        Store::Local(LocalStore::new(dir))
    }

    /// Where the store is, for messages.
    pub fn location(&self) -> String {
        match self {
            Store::Local(l) => l.root().display().to_string(),
            Store::S3 { bucket, prefix, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    fn cloud_error(&self, source: CloudError) -> StoreError {
        StoreError::Cloud { location: self.location(), source }
    }

    /// Creates `key` with `bytes` unless an object has that key; whether it was created.
    pub async fn put_new(&self, key: &str, bytes: Vec<u8>) -> Result<bool, StoreError> {
        match self {
            Store::Local(l) => l.put_new(key, &bytes),
            Store::S3 { cloud, bucket, prefix } => {
                match cloud.put_new(bucket, &format!("{prefix}{key}"), bytes).await.map_err(|e| self.cloud_error(e))? {
                    Conditional::Done(_) => Ok(true),
                    Conditional::Refused | Conditional::Missing => Ok(false),
                }
            }
        }
    }

    /// The object at `key`, if there is one.
    pub async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        match self {
            Store::Local(l) => l.get(key),
            Store::S3 { cloud, bucket, prefix } => {
                Ok(cloud.get_object(bucket, &format!("{prefix}{key}")).await.map_err(|e| self.cloud_error(e))?)
            }
        }
    }

    /// Every key below `prefix`, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Local(l) => l.list(prefix),
            Store::S3 { cloud, bucket, prefix: base } => {
                let keys =
                    cloud.list_keys(bucket, &format!("{base}{prefix}")).await.map_err(|e| self.cloud_error(e))?;
                let mut keys: Vec<String> =
                    keys.into_iter().filter_map(|k| k.strip_prefix(base.as_str()).map(str::to_string)).collect();
                keys.sort();
                Ok(keys)
            }
        }
    }

    /// Deletes `key` only if it is still the object whose tag is `etag`; whether it was (a key already
    /// gone, or replaced since it was read, is not deleted).
    pub async fn delete_if(&self, key: &str, etag: &str) -> Result<bool, StoreError> {
        match self {
            Store::Local(l) => l.delete_if(key, etag),
            Store::S3 { cloud, bucket, prefix } => {
                let done =
                    cloud.delete_if(bucket, &format!("{prefix}{key}"), etag).await.map_err(|e| self.cloud_error(e))?;
                Ok(matches!(done, Conditional::Done(_)))
            }
        }
    }

    /// Deletes `key`, whatever it holds (`slipway gc`, of what no record refers to); a key already gone is
    /// no error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::Local(l) => l.delete(key),
            Store::S3 { cloud, bucket, prefix } => {
                cloud.delete_object(bucket, &format!("{prefix}{key}")).await.map_err(|e| self.cloud_error(e))
            }
        }
    }

    /// The HTTPS URL of `key` when the store is S3 (CloudFormation can read a template from it).
    pub fn object_url(&self, key: &str) -> Option<String> {
        match self {
            Store::Local(_) => None,
            Store::S3 { cloud, bucket, prefix } => Some(cloud.object_url(bucket, &format!("{prefix}{key}"))),
        }
    }
}
