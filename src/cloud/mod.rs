//! The one layer that talks to AWS (CloudFormation, S3, STS), over the AWS SDK for Rust.
//!
//! This is the floor of the engine: it imports no other slipway module, and the rest of the engine never
//! sees HTTP or SDK types. It answers in plain data: a stack's state, template and events; a change set
//! and the resource changes CloudFormation says it would make (with its own replacement verdicts, which
//! the diff turns into impacts); an object written to or read from S3.
//!
//! Credentials and region come from `aws-config`'s standard chain (environment, profile, SSO, web
//! identity, instance metadata); the region an environment's definition names wins over the chain's, and
//! `AWS_ENDPOINT_URL` points every client elsewhere (tests use a moto server on loopback). Every call has a
//! bounded time per attempt and in total (see [`Settings`]), so no command waits forever on an endpoint
//! that accepts connections and never answers.
//!
//! - [`connect`]: the checks made before anything changes (credentials, region, endpoint, account).
//! - [`stacks`]: describing, reading and deleting stacks.
//! - [`change_set`]: creating, reading, executing and deleting change sets.
//! - [`poll`]: how often to ask how things stand.
//! - [`limit`]: one bound on the calls in flight for the whole command, and a pause all of them keep
//!   when AWS throttles any of them; every call of a [`Cloud`] goes through it.
//! - [`s3`]: objects in S3 (large templates; the release store, ledger and locks of teams that keep them
//!   there), with the conditional writes and deletes they rely on.

mod change_set;
mod connect;
pub mod limit;
mod poll;
mod s3;
mod stacks;

pub use change_set::{
    ChangeDetail, ChangeSet, ChangeSetOutcome, ChangeSetRequest, ParameterValue, Recreation, Replacement,
    ResourceChange, TemplateSource,
};
pub use connect::{ConnectError, Connector, Destination, RegionRule};
pub use limit::Limiter;
pub use poll::Poll;
pub use s3::{Conditional, Object};
pub use stacks::{StackEvent, StackState};

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

/// The HTTPS client every AWS call goes through: hyper with rustls on ring, trusting the system's root
/// certificates. The SDK's default client is the same on aws-lc, whose C library took 37 s of a fresh
/// build's path to the first synth. Tests give it to the SDK clients they make too.
pub fn https_client() -> aws_sdk_cloudformation::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// How long calls may take, and how often they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How long to wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long one attempt of a call may take; a slower answer counts as a failure and is retried.
    pub attempt_timeout: Duration,
    /// How many attempts a call gets (throttling, 5xx, timeouts and dropped connections are retried).
    pub max_attempts: u32,
}

impl Settings {
    /// The environment variable that sets [`Settings::attempt_timeout`] in seconds.
    pub const TIMEOUT_VARIABLE: &'static str = "SLIPWAY_CLOUD_TIMEOUT";

    /// The defaults, with the attempt timeout from `SLIPWAY_CLOUD_TIMEOUT` (seconds) and the attempts from
    /// the SDK's own `AWS_MAX_ATTEMPTS` when they are set.
    pub fn from_env() -> Self {
        let mut settings = Settings::default();
        if let Some(n) = std::env::var("AWS_MAX_ATTEMPTS").ok().and_then(|v| v.trim().parse::<u32>().ok()) {
            settings.max_attempts = n.max(1);
        }
        if let Some(secs) = std::env::var(Self::TIMEOUT_VARIABLE).ok().and_then(|v| v.trim().parse::<f64>().ok())
            && secs > 0.0
        {
            settings.attempt_timeout = Duration::from_secs_f64(secs);
            settings.connect_timeout = settings.connect_timeout.min(settings.attempt_timeout);
        }
        settings
    }

    /// The longest a call can take in all: every attempt timing out, plus the retries' back-off.
    pub fn total_timeout(&self) -> Duration {
        self.attempt_timeout * self.max_attempts + Duration::from_secs(20)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings { connect_timeout: Duration::from_secs(5), attempt_timeout: Duration::from_secs(30), max_attempts: 5 }
    }
}

/// Why a call failed, as far as the caller needs to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The service answered with an error of its own (`ValidationError`, `AccessDenied`, ...).
    Service {
        /// The error code.
        code: String,
    },
    /// The endpoint accepted no connection, or dropped it.
    Unreachable,
    /// The endpoint did not answer in time.
    Timeout,
    /// The endpoint answered something that is not an AWS answer.
    BadAnswer,
}

/// An AWS call that failed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{action}{} failed: {message}", if stack == "-" { String::new() } else { format!(" for stack `{stack}`") })]
pub struct CloudError {
    /// What was being done (`GetTemplate`).
    pub action: &'static str,
    /// The stack (`-` for a call about no stack).
    pub stack: String,
    /// The service's or the client's explanation, one line.
    pub message: String,
    /// What kind of failure.
    pub failure: Failure,
}

impl CloudError {
    /// Whether CloudFormation answered that the stack the call names does not exist (any more).
    pub fn stack_missing(&self) -> bool {
        matches!(self.failure, Failure::Service { .. }) && stacks::is_missing(&self.message)
    }
}

/// The status of a raw HTTP response, whichever SDK crate's alias of it.
pub(crate) trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// A one-line explanation of an SDK error: the service's error code and message when it sent one, the
/// HTTP status when it sent something else, and otherwise what happened to the connection, naming
/// `endpoint` (no raw response dumps).
pub(crate) fn error<E, R>(action: &'static str, stack: &str, endpoint: &str, e: SdkError<E, R>) -> CloudError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    let (message, failure) = match (&e, e.code(), e.message()) {
        (_, Some(code), Some(message)) => (format!("{code}: {message}"), Failure::Service { code: code.into() }),
        (_, Some(code), None) => (code.to_string(), Failure::Service { code: code.into() }),
        (SdkError::ServiceError(s), None, _) => {
            (format!("{endpoint} answered HTTP {} with no AWS error in it", s.raw().status_code()), Failure::BadAnswer)
        }
        (SdkError::ResponseError(r), None, _) => {
            (format!("the answer of {endpoint} (HTTP {}) could not be read", r.raw().status_code()), Failure::BadAnswer)
        }
        (SdkError::TimeoutError(_), _, _) => (format!("AWS at {endpoint} did not answer in time"), Failure::Timeout),
        _ => {
            // The chain of causes, each once: "dispatch failure: io error: ... Connection refused".
            let mut parts = vec![e.to_string()];
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                let text = c.to_string();
                if !parts.last().is_some_and(|p| p.contains(&text)) {
                    parts.push(text);
                }
                cause = c.source();
            }
            let text = parts.join(": ");
            if text.contains("timeout") || text.contains("timed out") {
                (format!("AWS at {endpoint} did not answer in time ({text})"), Failure::Timeout)
            } else {
                (format!("cannot reach AWS at {endpoint}: {text}"), Failure::Unreachable)
            }
        }
    };
    CloudError { action, stack: stack.to_string(), message, failure }
}

/// A connection to one account and region: CloudFormation, STS (whose credentials these are) and S3
/// (templates too large to pass inline, the release store).
#[derive(Clone, Debug)]
pub struct Cloud {
    cfn: Client,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    /// The region every call goes to.
    pub region: String,
    /// Where calls go: `AWS_ENDPOINT_URL`, or AWS itself.
    pub endpoint: String,
    /// The bound on calls in flight this connection shares with every other of its command.
    limiter: Arc<Limiter>,
}

impl Cloud {
    /// Clients for `region` from an SDK configuration that already carries the timeouts and retries, whose
    /// calls go through `limiter`.
    fn new(config: &aws_config::SdkConfig, region: &str, limiter: &Arc<Limiter>) -> Self {
        let region_value = aws_config::Region::new(region.to_string());
        let watch = || limit::Watch(limiter.clone());
        let cfn =
            aws_sdk_cloudformation::config::Builder::from(config).region(region_value.clone()).interceptor(watch());
        let sts = aws_sdk_sts::config::Builder::from(config).region(region_value.clone()).interceptor(watch());
        // A local endpoint (moto, a proxy) has no per-bucket host names: address buckets by path there.
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .region(region_value)
            .force_path_style(config.endpoint_url().is_some())
            .interceptor(watch());
        let endpoint = config
            .endpoint_url()
            .map(str::to_string)
            .unwrap_or_else(|| format!("https://cloudformation.{region}.amazonaws.com"));
        Cloud {
            cfn: Client::from_conf(cfn.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            region: region.to_string(),
            endpoint,
            limiter: limiter.clone(),
        }
    }

    /// Waits for a place among the calls in flight (see [`limit`]); the call holds it while the permit lives.
    async fn place(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.limiter.place().await
    }

    /// The AWS account the credentials belong to (STS GetCallerIdentity).
    pub async fn account(&self) -> Result<String, CloudError> {
        let _place = self.place().await;
        let out = self.sts.get_caller_identity().send().await.map_err(|e| self.error("GetCallerIdentity", "-", e))?;
        Ok(out.account().unwrap_or_default().to_string())
    }

    fn error<E, R>(&self, action: &'static str, stack: &str, e: SdkError<E, R>) -> CloudError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        error(action, stack, &self.endpoint, e)
    }
}
