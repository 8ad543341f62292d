//! Patterns every team needs, made of the typed resources: the roles GitHub Actions deploys and diffs an
//! environment with (through GitHub's OIDC provider, with the role CloudFormation runs as), the bucket
//! access logs go to, and an account and region's bootstrap stack. Each is a value whose fields are the
//! choices a team may change, with the defaults a careful team would pick, added to a template in one call.

mod access_logs;
mod bootstrap;
mod github_deploy;
mod store_access;

pub use access_logs::AccessLogBucket;
pub use bootstrap::{Bootstrap, BootstrapNames};
pub use github_deploy::{DiffRole, GitHubDeployRoles, OidcProvider, Subjects};
pub use store_access::StoreAccessRole;
