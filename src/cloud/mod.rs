//! The one layer that talks to AWS (CloudFormation, CloudWatch, S3, STS), over the AWS SDK for Rust.
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
//! that accepts connections and never answers. A command a person waits for also sets a deadline for all
//! of its calls together ([`Settings::with_deadline`]): five attempts of 30 s each are a bound for a deploy
//! in CI, not for someone reading a diff.
//!
//! - [`connect`]: the checks made before anything changes (credentials, region, endpoint, account).
//! - [`stacks`]: describing, reading and deleting stacks.
//! - [`change_set`]: creating, reading, executing and deleting change sets.
//! - [`alarms`]: how the CloudWatch alarms a deploy is watched by stand.
//! - [`poll`]: how often to ask how things stand.
//! - [`limit`]: one bound on the calls in flight for the whole command, and a pause all of them keep
//!   when AWS throttles any of them; every call of a [`Cloud`] goes through it.
//! - [`s3`]: objects in S3 (large templates; the release store, ledger and locks of teams that keep them
//!   there), with the conditional writes and deletes they rely on.

mod alarms;
mod change_set;
mod connect;
pub mod limit;
mod poll;
mod s3;
mod stacks;

pub use alarms::AlarmState;
pub use change_set::{
    ChangeDetail, ChangeSet, ChangeSetOutcome, ChangeSetRequest, ParameterValue, Recreation, Replacement,
    ResourceChange, RollbackTriggers, TemplateSource,
};
pub use connect::{ConnectError, Connector, Destination, RegionRule};
pub use limit::Limiter;
pub use poll::Poll;
pub use s3::{Conditional, Object};
pub use stacks::{StackEvent, StackState};

use std::future::Future;
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
    /// How long all of the command's calls together may take, counted from [`Connector::load`]; none
    /// (the default) for commands that must see their changes through, such as a deploy.
    pub deadline: Option<Duration>,
}

impl Settings {
    /// The environment variable that sets [`Settings::attempt_timeout`] in seconds.
    pub const TIMEOUT_VARIABLE: &'static str = "SLIPWAY_CLOUD_TIMEOUT";

    /// The environment variable that sets, in seconds, the deadline of a command that has one.
    pub const DEADLINE_VARIABLE: &'static str = "SLIPWAY_CLOUD_DEADLINE";

    /// How long a command a person waits for (`diff --against deployed`) talks to AWS in all before it
    /// gives up, unless `SLIPWAY_CLOUD_DEADLINE` says otherwise.
    pub const PERSON_WAITING: Duration = Duration::from_secs(60);

    /// The defaults, with the attempt timeout from `SLIPWAY_CLOUD_TIMEOUT` (seconds) and the attempts from
    /// the SDK's own `AWS_MAX_ATTEMPTS` when they are set.
    pub fn from_env() -> Self {
        let mut settings = Settings::default();
        if let Some(n) = crate::vars::parsed::<u32>("AWS_MAX_ATTEMPTS") {
            settings.max_attempts = n.max(1);
        }
        if let Some(secs) = crate::vars::parsed::<f64>(Self::TIMEOUT_VARIABLE)
            && secs > 0.0
        {
            settings.attempt_timeout = Duration::from_secs_f64(secs);
            settings.connect_timeout = settings.connect_timeout.min(settings.attempt_timeout);
        }
        settings
    }

    /// These settings with a deadline for the whole command: `SLIPWAY_CLOUD_DEADLINE` seconds when that is
    /// set, else `default`.
    pub fn with_deadline(mut self, default: Duration) -> Self {
        let set = std::env::var(Self::DEADLINE_VARIABLE).ok().and_then(|v| v.trim().parse::<f64>().ok());
        self.deadline = Some(set.filter(|s| *s > 0.0).map_or(default, Duration::from_secs_f64));
        self
    }

    /// The longest a call can take in all: every attempt timing out, plus the retries' back-off.
    pub fn total_timeout(&self) -> Duration {
        self.attempt_timeout * self.max_attempts + Duration::from_secs(20)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(30),
            max_attempts: 5,
            deadline: None,
        }
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
    cw: aws_sdk_cloudwatch::Client,
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    /// The region every call goes to.
    pub region: String,
    /// Where calls go: `AWS_ENDPOINT_URL`, or AWS itself.
    pub endpoint: String,
    /// The bound on calls in flight this connection shares with every other of its command.
    limiter: Arc<Limiter>,
    /// When the command's calls must have ended, and the bound it came from, if the command has one.
    deadline: Option<Deadline>,
}

/// The moment a command stops waiting for AWS, shared by every connection it makes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    /// When.
    pub at: tokio::time::Instant,
    /// The bound it was set from, for messages.
    pub bound: Duration,
}

impl Deadline {
    /// The deadline `settings` ask for, counted from now.
    pub(crate) fn from(settings: &Settings) -> Option<Deadline> {
        settings.deadline.map(|bound| Deadline { at: tokio::time::Instant::now() + bound, bound })
    }

    /// The error of `action` (about `stack`) cut off by this deadline, naming `endpoint`.
    pub(crate) fn error(&self, action: &'static str, stack: &str, endpoint: &str) -> CloudError {
        CloudError {
            action,
            stack: stack.to_string(),
            message: format!(
                "AWS at {endpoint} did not answer within {} s, as long as this command waits for AWS in all \
                 ({} seconds to change it)",
                self.bound.as_secs_f64(),
                Settings::DEADLINE_VARIABLE
            ),
            failure: Failure::Timeout,
        }
    }
}

impl Cloud {
    /// Clients for `region` from an SDK configuration that already carries the timeouts and retries, whose
    /// calls go through `limiter`.
    fn new(config: &aws_config::SdkConfig, region: &str, limiter: &Arc<Limiter>, deadline: Option<Deadline>) -> Self {
        let region_value = aws_config::Region::new(region.to_string());
        let watch = || limit::Watch(limiter.clone());
        let cfn =
            aws_sdk_cloudformation::config::Builder::from(config).region(region_value.clone()).interceptor(watch());
        let cw = aws_sdk_cloudwatch::config::Builder::from(config).region(region_value.clone()).interceptor(watch());
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
            cw: aws_sdk_cloudwatch::Client::from_conf(cw.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            region: region.to_string(),
            endpoint,
            limiter: limiter.clone(),
            deadline,
        }
    }

    /// Runs `call` (the whole of one of this connection's operations: waiting for a place, every attempt,
    /// every page) within the command's deadline, if it has one.
    async fn within<T>(
        &self,
        action: &'static str,
        stack: &str,
        call: impl Future<Output = Result<T, CloudError>>,
    ) -> Result<T, CloudError> {
        let Some(deadline) = self.deadline else { return call.await };
        match tokio::time::timeout_at(deadline.at, call).await {
            Ok(result) => result,
            Err(_) => Err(deadline.error(action, stack, &self.endpoint)),
        }
    }

    /// Waits for a place among the calls in flight (see [`limit`]); the call holds it while the permit lives.
    async fn place(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.limiter.place().await
    }

    /// The AWS account the credentials belong to (STS GetCallerIdentity).
    pub async fn account(&self) -> Result<String, CloudError> {
        self.within("GetCallerIdentity", "-", async {
            let _place = self.place().await;
            let out =
                self.sts.get_caller_identity().send().await.map_err(|e| self.error("GetCallerIdentity", "-", e))?;
            Ok(out.account().unwrap_or_default().to_string())
        })
        .await
    }

    fn error<E, R>(&self, action: &'static str, stack: &str, e: SdkError<E, R>) -> CloudError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        error(action, stack, &self.endpoint, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that sets a deadline gets 60 s unless SLIPWAY_CLOUD_DEADLINE says otherwise; the others
    /// have none. (The variable is not set while the unit tests run.)
    #[test]
    fn a_person_waits_at_most_a_minute_and_a_deploy_is_not_cut_off() {
        assert_eq!(Settings::PERSON_WAITING, Duration::from_secs(60));
        assert!(std::env::var_os(Settings::DEADLINE_VARIABLE).is_none(), "unset for this test");
        assert_eq!(Settings::default().deadline, None);
        assert_eq!(Settings::default().with_deadline(Settings::PERSON_WAITING).deadline, Some(Duration::from_secs(60)));
        // Without it, one call alone may take longer than that.
        assert!(Settings::default().total_timeout() > Duration::from_secs(150));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_call_past_the_deadline_fails_naming_the_endpoint() {
        let config = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        let settings = Settings { deadline: Some(Duration::from_millis(100)), ..Settings::default() };
        let cloud = Cloud::new(&config, "us-east-1", &Limiter::new(1), Deadline::from(&settings));
        let never = std::future::pending::<Result<(), CloudError>>();
        let e = cloud.within("DescribeStacks", "app", never).await.unwrap_err();
        assert_eq!(e.failure, Failure::Timeout);
        assert_eq!(
            e.to_string(),
            "DescribeStacks for stack `app` failed: AWS at https://cloudformation.us-east-1.amazonaws.com did not \
             answer within 0.1 s, as long as this command waits for AWS in all (SLIPWAY_CLOUD_DEADLINE seconds to \
             change it)"
        );
    }
}
