//! One bound on the AWS calls in flight, shared by every connection a command makes, and a pause that
//! all of them keep when AWS throttles any of them.
//!
//! Commands read many stacks at once (`diff --against deployed`, `status`, a deploy's record step), and
//! a real region answers each call in tens of milliseconds, so reading them one at a time costs seconds.
//! Reading them all at once would meet CloudFormation's request rate limit instead. So each call waits
//! for one of [`IN_FLIGHT`] places, and a throttled answer (seen on every attempt, including the ones the
//! SDK retries by itself) makes every call that starts afterwards wait a pause that doubles with each
//! throttle in a row, up to [`MAX_PAUSE`], and is forgotten after answers that are not throttled.
//!
//! Why not the SDK's adaptive retry mode, whose rate limiter is also shared: after a throttle at the low
//! request rates of a CLI it lowers the rate to half a request per second and charges a retry five
//! tokens, so one throttle can stall a run for ten seconds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_cloudformation::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_cloudformation::error::BoxError;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How many calls may be in flight at once, across every connection of one command.
pub const IN_FLIGHT: usize = 16;

/// The pause after the first throttle in a row; each further one doubles it.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// The longest pause.
pub const MAX_PAUSE: Duration = Duration::from_secs(5);

/// The places for calls, and the pause they keep.
#[derive(Debug)]
pub struct Limiter {
    places: Semaphore,
    calm: Mutex<Calm>,
}

#[derive(Debug, Default)]
struct Calm {
    /// No call starts before this.
    until: Option<Instant>,
    /// Throttled answers in a row.
    strikes: u32,
}

impl Limiter {
    /// A limiter of `in_flight` places (at least one).
    pub fn new(in_flight: usize) -> Arc<Limiter> {
        Arc::new(Limiter { places: Semaphore::new(in_flight.max(1)), calm: Mutex::new(Calm::default()) })
    }

    /// Waits for a place, then for the pause a throttle set, if one is on; the call holds the place until
    /// the returned permit is dropped.
    pub(crate) async fn place(&self) -> SemaphorePermit<'_> {
        let permit = self.places.acquire().await.expect("the limiter's semaphore is never closed");
        loop {
            let until = self.calm.lock().expect("the limiter's lock is not poisoned").until;
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => return permit,
            }
        }
    }

    /// An answer came back throttled: every call that starts from now on waits.
    fn throttled(&self) {
        let mut calm = self.calm.lock().expect("the limiter's lock is not poisoned");
        let pause = FIRST_PAUSE.saturating_mul(1 << calm.strikes.min(8)).min(MAX_PAUSE);
        // Jitter, so that the calls waiting do not all start again in the same instant.
        let pause = pause.mul_f64(0.5 + fastrand::f64() / 2.0);
        calm.strikes = calm.strikes.saturating_add(1);
        let until = Instant::now() + pause;
        calm.until = Some(calm.until.map_or(until, |t| t.max(until)));
    }

    /// An answer came back that was not throttled.
    fn answered(&self) {
        let mut calm = self.calm.lock().expect("the limiter's lock is not poisoned");
        calm.strikes = calm.strikes.saturating_sub(1);
    }
}

/// The error codes with which AWS services say "slow down".
const THROTTLING_CODES: [&str; 7] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// Whether an HTTP answer says "slow down": status 429, or an error whose code is a throttling one (in
/// the XML of the query and S3 protocols, or the JSON of the others).
pub(crate) fn is_throttling(status: u16, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status < 400 {
        return false;
    }
    let text = String::from_utf8_lossy(body);
    THROTTLING_CODES.iter().any(|code| {
        text.contains(&format!("<Code>{code}</Code>"))
            || text.contains(&format!("\"{code}\""))
            || text.contains(&format!("#{code}\""))
    })
}

/// Tells the limiter about every attempt's answer; added to every client a [`super::Cloud`] makes.
#[derive(Debug)]
pub(crate) struct Watch(pub Arc<Limiter>);

impl Intercept for Watch {
    fn name(&self) -> &'static str {
        "slipway-throttle-watch"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(response) = context.response() {
            let body = response.body().bytes().unwrap_or_default();
            if is_throttling(response.status().as_u16(), body) {
                self.0.throttled();
            } else {
                self.0.answered();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_answers_are_recognised_in_every_protocol() {
        let query = b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>";
        assert!(is_throttling(400, query));
        assert!(is_throttling(503, b"<Error><Code>SlowDown</Code></Error>"));
        assert!(is_throttling(400, br#"{"__type":"com.amazonaws#ThrottlingException","message":"x"}"#));
        assert!(is_throttling(429, b""));
        assert!(!is_throttling(400, b"<Code>ValidationError</Code><Message>Stack does not exist</Message>"));
        assert!(!is_throttling(200, b"<Code>Throttling</Code>"));
    }

    #[test]
    fn a_throttle_pauses_every_call_that_starts_after_it() {
        let limiter = Limiter::new(2);
        assert!(limiter.calm.lock().unwrap().until.is_none(), "no pause before a throttle");
        limiter.throttled();
        limiter.throttled();
        // The second throttle in a row pauses 200 to 400 ms (twice the first pause, with jitter).
        let calm = limiter.calm.lock().unwrap().until.unwrap();
        assert!(calm > Instant::now() + FIRST_PAUSE / 2 && calm <= Instant::now() + FIRST_PAUSE * 2);
        limiter.answered();
        limiter.answered();
        assert_eq!(limiter.calm.lock().unwrap().strikes, 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn no_more_calls_than_places_are_in_flight() {
        let limiter = Limiter::new(2);
        let a = limiter.place().await;
        let _b = limiter.place().await;
        assert!(limiter.places.try_acquire().is_err(), "both places are taken");
        drop(a);
        assert!(limiter.places.try_acquire().is_ok());
    }
}
