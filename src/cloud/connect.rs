//! Connecting: credentials and region from the standard chain, then one cheap call that proves the
//! endpoint answers and the credentials belong to the environment's account, before anything reads or
//! changes a stack. Every command that talks to AWS connects here, so the same mistake (credentials for
//! another account, a region that is not the environment's) gets the same message everywhere.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use std::time::Duration;

use super::{Cloud, Deadline, Failure, Limiter, Settings};

/// Where a command wants to work: an environment's account and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Destination<'a> {
    /// The environment's name, for messages.
    pub environment: &'a str,
    /// The twelve-digit account.
    pub account: &'a str,
    /// The region code (`us-east-1`).
    pub region: &'a str,
}

/// What to do when the chain configures a region (`AWS_REGION`, a profile) that is not the environment's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionRule {
    /// Refuse: a command that changes stacks must not run with settings meant for somewhere else.
    Strict,
    /// Use the environment's region: reading is harmless, and a diff of environments in several regions
    /// needs one configured region for all of them.
    Environment,
}

/// Why slipway could not start talking to AWS. Nothing has been read or changed when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The credential chain found nothing usable.
    #[error("no usable AWS credentials: {0}")]
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
    /// The endpoint did not answer (the message names it).
    #[error("{message}")]
    Unreachable {
        /// The endpoint tried.
        endpoint: String,
        /// What failed.
        message: String,
    },
    /// AWS answered, but refused the credentials.
    #[error("AWS at {endpoint} refused the credentials: {message}")]
    Refused {
        /// The endpoint that answered.
        endpoint: String,
        /// Its answer.
        message: String,
    },
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

impl ConnectError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ConnectError::NoCredentials(_) => {
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or AWS_ROLE_ARN with \
                 AWS_WEB_IDENTITY_TOKEN_FILE (GitHub OIDC)"
            }
            ConnectError::WrongRegion { .. } => "the environment's definition names its region; nothing else is needed",
            ConnectError::Unreachable { .. } => "check the network, or AWS_ENDPOINT_URL if it is set",
            ConnectError::Refused { .. } => "check that the credentials are current (AWS_PROFILE, AWS_ACCESS_KEY_ID)",
            ConnectError::WrongAccount { .. } => {
                "use credentials for the environment's account (AWS_PROFILE), or have slipway assume a role in it \
                 (deploy, promote and rollback take --assume-role ARN), or work on one environment at a time with \
                 --env NAME"
            }
        }
    }
}

/// The standard credential chain, loaded once, from which clients for each environment are made.
pub struct Connector {
    config: aws_config::SdkConfig,
    settings: Settings,
    /// Shared by every connection made here: one bound on the command's calls in flight.
    limiter: std::sync::Arc<Limiter>,
    /// When the command stops waiting for AWS, if it has a deadline: counted from loading.
    deadline: Option<Deadline>,
}

impl Connector {
    /// Loads the standard chain with slipway's timeouts and retries.
    pub async fn load(settings: Settings) -> Connector {
        Connector::load_from(aws_config::defaults(BehaviorVersion::latest()), settings).await
    }

    /// Loads the chain from `loader` (credentials, endpoint), with slipway's timeouts and retries.
    pub async fn load_from(loader: aws_config::ConfigLoader, settings: Settings) -> Connector {
        let config = loader
            .http_client(super::https_client())
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(settings.connect_timeout)
                    .read_timeout(settings.attempt_timeout)
                    .operation_attempt_timeout(settings.attempt_timeout)
                    .operation_timeout(settings.total_timeout())
                    .build(),
            )
            .load()
            .await;
        Connector {
            config,
            deadline: Deadline::from(&settings),
            settings,
            limiter: Limiter::new(super::limit::IN_FLIGHT),
        }
    }

    /// Clients in `region` (the chain's region when `None`, else `us-east-1`) after checking only that
    /// credentials exist: for a team's S3 release store, whose bucket may be in any account the credentials
    /// can reach.
    pub async fn anywhere(&self, region: Option<&str>) -> Result<Cloud, ConnectError> {
        self.credentials().await?;
        let region = region
            .map(str::to_string)
            .or_else(|| self.config.region().map(|r| r.to_string()))
            .unwrap_or_else(|| "us-east-1".to_string());
        Ok(Cloud::new(&self.config, &region, &self.limiter, self.deadline))
    }

    /// Checks that the chain gives credentials, within the time limit.
    async fn credentials(&self) -> Result<(), ConnectError> {
        let Some(provider) = self.config.credentials_provider() else {
            return Err(ConnectError::NoCredentials("no credential provider is configured".into()));
        };
        // Within the command's deadline too, when it has one.
        let mut limit = tokio::time::Instant::now() + self.settings.total_timeout();
        if let Some(deadline) = self.deadline {
            limit = limit.min(deadline.at);
        }
        match tokio::time::timeout_at(limit, provider.provide_credentials()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(ConnectError::NoCredentials(causes(&e))),
            Err(_) => Err(ConnectError::NoCredentials(format!(
                "the credential chain gave no answer within {}s",
                self.settings.total_timeout().min(self.deadline.map_or(Duration::MAX, |d| d.bound)).as_secs()
            ))),
        }
    }

    /// Connects to `dest` as role `role_arn`, assumed through STS with the chain's credentials (for an
    /// environment in another account than theirs), then checks the account as [`Connector::connect`] does.
    pub async fn connect_assuming(
        &self,
        dest: &Destination<'_>,
        rule: RegionRule,
        role_arn: &str,
    ) -> Result<Cloud, ConnectError> {
        self.check_region(dest, rule)?;
        self.credentials().await?;
        let base = Cloud::new(&self.config, dest.region, &self.limiter, self.deadline);
        let session = format!("slipway-{}", dest.environment);
        let call = base.sts.assume_role().role_arn(role_arn).role_session_name(session).send();
        let assumed = base
            .within("AssumeRole", "-", async {
                call.await.map_err(|e| super::error("AssumeRole", "-", &base.endpoint, e))
            })
            .await
            .map_err(|e| match e.failure {
                Failure::Service { .. } => ConnectError::Refused {
                    endpoint: base.endpoint.clone(),
                    message: format!("assuming {role_arn}: {}", e.message),
                },
                _ => ConnectError::Unreachable { endpoint: base.endpoint.clone(), message: e.message },
            })?;
        let Some(c) = assumed.credentials() else {
            return Err(ConnectError::Refused {
                endpoint: base.endpoint.clone(),
                message: format!("assuming {role_arn} gave no credentials"),
            });
        };
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        let credentials = aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "slipway-assume-role",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
            .build();
        let cloud = Cloud::new(&config, dest.region, &self.limiter, self.deadline);
        self.check_account(&cloud, dest).await?;
        Ok(cloud)
    }

    fn check_region(&self, dest: &Destination<'_>, rule: RegionRule) -> Result<(), ConnectError> {
        if let (RegionRule::Strict, Some(configured)) = (rule, self.config.region())
            && configured.as_ref() != dest.region
        {
            return Err(ConnectError::WrongRegion {
                env: dest.environment.into(),
                expected: dest.region.into(),
                configured: configured.to_string(),
            });
        }
        Ok(())
    }

    async fn check_account(&self, cloud: &Cloud, dest: &Destination<'_>) -> Result<(), ConnectError> {
        let actual = cloud.account().await.map_err(|e| match e.failure {
            Failure::Service { .. } => ConnectError::Refused { endpoint: cloud.endpoint.clone(), message: e.message },
            _ => ConnectError::Unreachable { endpoint: cloud.endpoint.clone(), message: e.message },
        })?;
        if actual != dest.account {
            return Err(ConnectError::WrongAccount {
                env: dest.environment.into(),
                expected: dest.account.into(),
                actual,
            });
        }
        Ok(())
    }

    /// Connects to `dest`: checks the region by `rule`, that credentials exist, that the endpoint answers,
    /// and that the credentials belong to the destination's account.
    pub async fn connect(&self, dest: &Destination<'_>, rule: RegionRule) -> Result<Cloud, ConnectError> {
        self.check_region(dest, rule)?;
        self.credentials().await?;
        let cloud = Cloud::new(&self.config, dest.region, &self.limiter, self.deadline);
        self.check_account(&cloud, dest).await?;
        Ok(cloud)
    }
}

/// An error and its causes as one line, each cause once and only its first line: the SDK's errors carry
/// whole HTTP responses in their `Debug` form, which is no message for a person.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        let line = text.lines().next().unwrap_or_default().trim().to_string();
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
        next = err.source();
    }
    parts.join(": ")
}
