//! How often to ask AWS how an operation stands: from a short interval, doubling up to a longer one, so a
//! quick change set is seen quickly and a long stack update does not cost hundreds of calls.

use std::time::Duration;

/// A polling schedule: from `min`, doubling to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll {
    /// The first interval.
    pub min: Duration,
    /// The longest interval.
    pub max: Duration,
}

impl Default for Poll {
    fn default() -> Self {
        Poll { min: Duration::from_secs(2), max: Duration::from_secs(15) }
    }
}

impl Poll {
    /// A schedule starting at `min`, doubling up to 7.5 times that.
    pub fn from_min(min: Duration) -> Self {
        Poll { min, max: min * 15 / 2 }
    }

    /// The first interval.
    pub fn start(&self) -> Duration {
        self.min
    }

    /// Sleeps `delay`, then returns the next, longer interval.
    pub async fn wait(&self, delay: Duration) -> Duration {
        tokio::time::sleep(delay).await;
        (delay * 2).min(self.max)
    }
}
