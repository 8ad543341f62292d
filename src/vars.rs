//! The process's environment variables as slipway reads them: a variable set to nothing but blanks is not
//! set, and a value never carries the blanks around it. One reader, so that `GITHUB_ACTOR=" "` means the
//! same to every part that reads a variable.

/// The value of environment variable `name`, trimmed; `None` when it is unset, empty, blank or not UTF-8.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The value of `name` read as `T` (a number of seconds, say); `None` when it is unset or does not parse.
pub fn parsed<T: std::str::FromStr>(name: &str) -> Option<T> {
    var(name).and_then(|v| v.parse().ok())
}
