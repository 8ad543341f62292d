//! The one layer over GitHub's REST API, beside `cloud` on the floor: it imports no engine module, and the
//! rest of the engine knows nothing of HTTP.
//!
//! A small typed layer (`get_json`, `get_optional`, `put_json`, `post_json`, `delete`) over one hyper
//! client, each request bounded in time and every error naming its endpoint (`GET
//! https://api.github.com/users/priya`), and above it the endpoints slipway calls: environments, their
//! deployment branch policies, users and teams, and (in [`approvals`]) who approved a workflow run's
//! pending deployments, which slipway's policy counts. The API's address is
//! `GITHUB_API_URL` (as on GitHub Actions runners and GitHub Enterprise Server; default
//! `https://api.github.com`) and the token `GITHUB_TOKEN`.

pub mod api;
#[cfg(feature = "engine")]
pub mod approvals;
#[cfg(feature = "engine")]
mod client;

pub use api::*;
#[cfg(feature = "engine")]
pub use client::*;
