//! Objects in S3: templates too large to pass to CloudFormation inline go through a bucket.

use super::{Cloud, CloudError};

impl Cloud {
    /// Uploads a template to `bucket` and returns the URL CloudFormation reads it from.
    pub async fn upload_template(&self, bucket: &str, key: &str, body: &str) -> Result<String, CloudError> {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .content_type("application/json")
            .send()
            .await
            .map_err(|e| self.error("PutObject", "-", e))?;
        Ok(self.object_url(bucket, key))
    }

    /// The path-style URL of an object: CloudFormation reads it in every region, whatever the bucket's name.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("https://s3.{}.amazonaws.com/{bucket}/{key}", self.region)
    }
}
