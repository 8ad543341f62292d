//! Connecting: credentials and region from the standard chain, then one cheap call that proves the
//! endpoint answers and the credentials belong to the environment's account, before anything changes.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cloudformation::config::Region;
use aws_sdk_cloudformation::error::DisplayErrorContext;

use super::Cloud;
use crate::model::AwsTarget;

/// Why slipway could not start talking to AWS. Nothing has been changed when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The credential chain found nothing usable.
    #[error(
        "no usable AWS credentials ({0}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or \
         AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (GitHub OIDC)"
    )]
    NoCredentials(String),
    /// The configured region is not the environment's.
    #[error(
        "the AWS region configured here is {configured} but environment `{env}` deploys to {expected}; \
         unset AWS_REGION/AWS_DEFAULT_REGION or correct the environment's definition"
    )]
    WrongRegion {
        /// The environment.
        env: String,
        /// Its region.
        expected: String,
        /// The region from the environment variables or profile.
        configured: String,
    },
    /// The endpoint did not answer.
    #[error("cannot reach AWS at {endpoint}: {message}; check the network, or AWS_ENDPOINT_URL if it is set")]
    Unreachable {
        /// The endpoint tried.
        endpoint: String,
        /// What failed.
        message: String,
    },
    /// AWS answered, but refused the credentials.
    #[error("AWS refused the credentials: {0}")]
    Refused(String),
    /// The credentials are for another account.
    #[error(
        "the AWS credentials belong to account {actual} but environment `{env}` deploys to account {expected}; \
         refusing to touch the wrong account"
    )]
    WrongAccount {
        /// The environment.
        env: String,
        /// Its account.
        expected: String,
        /// The credentials' account.
        actual: String,
    },
}

/// How long one attempt of a call may take; a slower answer counts as a failure and is retried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

impl Cloud {
    /// Connects to `target` for environment `env` with the standard chain, refusing a configured region
    /// that is not the environment's and credentials of another account.
    pub async fn connect(env: &str, target: &AwsTarget) -> Result<Cloud, ConnectError> {
        let expected_region = target.region.code();
        let chain = aws_config::defaults(BehaviorVersion::latest()).load().await;
        if let Some(configured) = chain.region() {
            if configured.as_ref() != expected_region {
                return Err(ConnectError::WrongRegion {
                    env: env.into(),
                    expected: expected_region.into(),
                    configured: configured.to_string(),
                });
            }
        }
        Cloud::connect_with(env, target, aws_config::defaults(BehaviorVersion::latest())).await
    }

    /// Connects with the settings of `loader` (credentials, endpoint), in the environment's region, with
    /// slipway's retry and timeout policy, refusing credentials of another account.
    pub async fn connect_with(
        env: &str,
        target: &AwsTarget,
        loader: aws_config::ConfigLoader,
    ) -> Result<Cloud, ConnectError> {
        let expected_region = target.region.code();
        let config = loader
            .region(Region::new(expected_region.to_string()))
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .build(),
            )
            .load()
            .await;
        let endpoint = config
            .endpoint_url()
            .map(str::to_string)
            .unwrap_or_else(|| format!("https://sts.{expected_region}.amazonaws.com"));
        let Some(provider) = config.credentials_provider() else {
            return Err(ConnectError::NoCredentials("no credential provider is configured".into()));
        };
        if let Err(e) = provider.provide_credentials().await {
            return Err(ConnectError::NoCredentials(DisplayErrorContext(&e).to_string()));
        }
        let cloud = Cloud::new(&config, Some(expected_region));
        let actual = cloud.account().await.map_err(|e| {
            // AWS answered with an error of its own: the credentials were refused. Anything else is the
            // connection.
            if e.message.contains(':') && !e.message.contains("dispatch failure") && !e.message.contains("timeout") {
                ConnectError::Refused(e.message)
            } else {
                ConnectError::Unreachable { endpoint: endpoint.clone(), message: e.message }
            }
        })?;
        if actual != target.account.as_str() {
            return Err(ConnectError::WrongAccount { env: env.into(), expected: target.account.to_string(), actual });
        }
        Ok(cloud)
    }
}
