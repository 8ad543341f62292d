//! The serverless team (`tests/projects/orders`): a Lambda + HTTP API + DynamoDB + alarm service in dev,
//! test and prod, each in its own account. The engine, with the team's program as its app, deploys dev and
//! promotes to test, each through the environment's own deploy role (the run's credentials are for
//! another account, as a person's or a CI job's of another environment are), reads `status` of every
//! environment through the same roles, and refuses prod until its wait has passed.

use serde_json::Value;

use super::{engine, ok};
use crate::moto::{Moto, block_on};
use crate::support::tempdir;

/// The release stack `orders-ENV-api` of `env` runs, read in the environment's account through its role.
fn running(moto: &Moto, env: &str, account: &str) -> Option<String> {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "tests"));
    block_on(async {
        let connector = slipway::cloud::Connector::load_from(loader, slipway::cloud::Settings::default()).await;
        let dest = slipway::cloud::Destination { environment: env, account, region: "us-east-1" };
        let role = format!("arn:aws:iam::{account}:role/orders-{env}-deploy");
        let cloud = connector.connect_assuming(&dest, slipway::cloud::RegionRule::Environment, &role).await.unwrap();
        let stack = cloud.describe_stack(&format!("orders-{env}-api")).await.unwrap();
        stack.map(|s| s.parameters["Release"].clone())
    })
}

/// Puts the function's code for `release` where `env`'s template points, in `env`'s account: what the
/// team's build job does before a deploy (moto fetches a function's code, as Lambda does).
fn upload_code(moto: &Moto, env: &str, account: &str, release: &str) {
    use aws_credential_types::Credentials;
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::new()
            .http_client(slipway::cloud::https_client())
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(&moto.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .build(),
    );
    block_on(async {
        let role = format!("arn:aws:iam::{account}:role/orders-{env}-deploy");
        let assumed = sts.assume_role().role_arn(role).role_session_name("build").send().await.unwrap();
        let c = assumed.credentials().unwrap();
        let creds =
            Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().into()), None, "sts");
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::new()
                .http_client(slipway::cloud::https_client())
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .region(aws_sdk_s3::config::Region::new("us-east-1"))
                .endpoint_url(&moto.endpoint)
                .force_path_style(true)
                .credentials_provider(creds)
                .build(),
        );
        let bucket = format!("orders-artifacts-{account}");
        let _ = s3.create_bucket().bucket(&bucket).send().await;
        let zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        s3.put_object().bucket(&bucket).key(format!("handler/{release}.zip")).body(zip.into()).send().await.unwrap();
    });
}

#[test]
fn deployed_and_promoted_across_accounts_with_each_environments_role_and_read_back_through_them() {
    let moto = Moto::start_accounts();
    moto.bootstrap_envs(
        [("dev", "200000000001"), ("test", "200000000002"), ("prod", "200000000003")]
            .iter()
            .map(|(name, account)| {
                slipway::model::Environment::new(*name, slipway::model::Tier::Development)
                    .aws(slipway::model::AccountId::owned(*account), slipway::model::Region::UsEast1)
                    .assume_role(format!("arn:aws:iam::{account}:role/orders-{name}-deploy"))
            })
            .collect(),
    );
    let dir = tempdir();
    let run = |args: &[&str]| engine("orders", dir.path(), Some(&moto), &[], args);
    let apply = ["--yes", "--progress", "events", "--poll-ms", "20"];
    upload_code(&moto, "dev", "200000000001", "r1");
    upload_code(&moto, "test", "200000000002", "r1");

    ok(&run(&[&["deploy", "--env", "dev", "--release", "r1", "--commit", "abc123"][..], &apply].concat()));
    assert_eq!(running(&moto, "dev", "200000000001").as_deref(), Some("r1"));
    assert_eq!(running(&moto, "test", "200000000002"), None);

    let promote = ["promote", "--release", "r1", "--to", "test", "--approved-by", "kim"];
    let promoted = run(&[&promote[..], &apply].concat());
    ok(&promoted);
    assert_eq!(promoted.stdout.lines().last(), Some("deployed: test is on release r1"));
    assert_eq!(running(&moto, "test", "200000000002").as_deref(), Some("r1"));

    // prod waits 30 minutes after the release reached test, whatever the approvals.
    let early = run(&[
        "promote",
        "--release",
        "r1",
        "--to",
        "prod",
        "--approved-by",
        "ada",
        "--approved-by",
        "bo",
        "--dry-run",
    ]);
    assert_eq!(early.status, 1, "{}", early.stderr);
    assert!(early.stdout.contains("[wait] `prod` waits 30m after a release reaches `test`"), "{}", early.stdout);
    assert!(!early.stdout.contains("[approvals]"), "two of ops count:\n{}", early.stdout);

    // status reads each environment in its own account, through the role the definitions name.
    let status = run(&["status", "--format", "json"]);
    ok(&status);
    let envs: Vec<Value> = serde_json::from_str(&status.stdout).unwrap();
    let seen: Vec<(&str, &Value, &Value)> =
        envs.iter().map(|e| (e["environment"].as_str().unwrap(), &e["current"]["release"], &e["drift"])).collect();
    let checked = serde_json::json!({ "checked": true, "drifted": [] });
    let nothing = serde_json::json!({ "checked": false, "why": "nothing deployed yet" });
    assert_eq!(
        seen,
        [
            ("dev", &Value::from("r1"), &checked),
            ("test", &Value::from("r1"), &checked),
            ("prod", &Value::Null, &nothing)
        ],
        "{}",
        status.stdout
    );
}
