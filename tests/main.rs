//! slipway's integration tests, built as one test binary so that linking stays fast. One folder per area
//! of `src/`, beside the harness every area shares (the binary in a controlled environment, the
//! CloudFormation API on loopback (moto, and LocalStack as a second opinion) and the fault proxy in front of them).

mod support;

mod faults;
mod localstack;
/// The patches `tests/localstack/server.py` applies to LocalStack, each checked by name.
#[path = "localstack/patches.rs"]
mod localstack_patches;
mod moto;
/// The patches `tests/moto/server.py` applies to moto, each checked by name.
#[path = "moto/patches.rs"]
mod moto_patches;
/// The patches of `tests/moto/server.py` to moto's S3 buckets and IAM roles made through CloudFormation.
#[path = "moto/patches_s3_iam.rs"]
mod moto_patches_s3_iam;
mod sshd;

mod cfn;
mod cli;
mod cloudfoundry;
mod demo;
mod deploy;
mod diff;
mod docker;
mod evidence;
mod github;
mod judges;
mod layers;
mod ledger;
mod model;
mod policy;
mod projects;
mod report;
mod synth;
