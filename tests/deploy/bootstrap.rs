//! `slipway bootstrap` on a fresh moto account through the real binary, and what deploys do with it: they
//! refuse an account that is not bootstrapped, or bootstrapped by an older version, before taking anything,
//! and their change sets name the bootstrap's execution role.

use aws_sdk_cloudformation::types::{Capability, ChangeSetType};
use serde_json::Value;
use slipway::model::bootstrap::{REQUIRED_VERSION, STACK_NAME};

use super::reference::{deploy, deploy_in, stacks_in};
use crate::faults::Faults;
use crate::moto::{Moto, block_on, call};
use crate::support::{Run, read_tree, tempdir};

const ROLE: &str = "arn:aws:iam::111111111111:role/slipway-cfn-exec-us-east-1";
const BUCKET: &str = "slipway-assets-111111111111-us-east-1";

/// `slipway bootstrap --env dev ARGS…` against `moto`, as CI runs it (no AWS settings from this machine).
fn bootstrap(moto: &Moto, args: &[&str]) -> Run {
    let dir = tempdir();
    let mut cmd = crate::support::engine();
    cmd.args(["bootstrap", "--env", "dev", "--progress", "events", "--poll-ms", "20"])
        .args(args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(moto.env());
    let out = cmd.output().expect("the slipway binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// The first line of `run`'s stderr that is an error.
fn error_line(run: &Run) -> Option<&str> {
    run.stderr.lines().find(|l| l.starts_with("error:"))
}

/// The bootstrap stack's outputs.
fn outputs(moto: &Moto) -> Vec<(String, String)> {
    let client = moto.client();
    block_on(async {
        let out = client.describe_stacks().stack_name(STACK_NAME).send().await.unwrap();
        let mut pairs: Vec<(String, String)> = out.stacks()[0]
            .outputs()
            .iter()
            .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap().to_string()))
            .collect();
        pairs.sort();
        pairs
    })
}

/// The managed policies IAM says the execution role has, by ARN.
fn execution_policies(moto: &Moto) -> Vec<String> {
    let query = "Action=ListAttachedRolePolicies&RoleName=slipway-cfn-exec-us-east-1&Version=2010-05-08";
    let (status, body) = call(&moto.endpoint, "iam", None, query);
    assert_eq!(status, 200, "{body}");
    let mut arns: Vec<String> =
        body.split("<PolicyArn>").skip(1).filter_map(|s| s.split('<').next()).map(str::to_string).collect();
    arns.sort();
    arns
}

#[test]
fn bootstrap_makes_the_bucket_repository_and_role_once_and_execution_policies_change_the_role() {
    let moto = Moto::start_bare("111111111111");
    let first = bootstrap(&moto, &[]);
    assert_eq!(first.status, 0, "{}\n{}", first.stdout, first.stderr);
    let mut lines = first.stdout.lines();
    assert_eq!(lines.next(), Some("bootstrapped account 111111111111 in us-east-1: created stack slipway-bootstrap"));
    let printed: Vec<&str> = lines.collect();
    let repository = "111111111111.dkr.ecr.us-east-1.amazonaws.com/slipway-assets";
    let expected = vec![
        ("AssetsBucket".to_string(), BUCKET.to_string()),
        ("ExecutionRoleArn".to_string(), ROLE.to_string()),
        ("ImageRepository".to_string(), repository.to_string()),
        ("Version".to_string(), REQUIRED_VERSION.to_string()),
    ];
    assert_eq!(outputs(&moto), expected, "the stack's outputs");
    let shown: Vec<String> = expected.iter().map(|(k, v)| format!("  {k}: {v}")).collect();
    assert_eq!(printed, shown, "it prints the outputs");

    // The bucket, as S3 reports it.
    let s3 = moto.s3();
    block_on(async {
        let sse = s3.get_bucket_encryption().bucket(BUCKET).send().await.unwrap();
        let rule = &sse.server_side_encryption_configuration().unwrap().rules()[0];
        let algorithm = rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm().as_str();
        assert_eq!(algorithm, "AES256");
        assert_eq!(crate::moto_patches_s3_iam::versioning(&moto, BUCKET), Some("Enabled".into()));
        let block = s3.get_public_access_block().bucket(BUCKET).send().await.unwrap();
        let block = block.public_access_block_configuration().unwrap();
        let flags = [
            block.block_public_acls(),
            block.block_public_policy(),
            block.ignore_public_acls(),
            block.restrict_public_buckets(),
        ];
        assert_eq!(flags, [Some(true); 4]);
        let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
        let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert!(
            statements.iter().any(|s| s["Effect"] == "Deny"
                && s["Principal"] == "*"
                && s["Action"] == serde_json::json!(["s3:*"])
                && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"),
            "a TLS-only guard: {policy:#}"
        );
    });
    // The repository, as ECR reports it.
    let (status, body) = call(
        &moto.endpoint,
        "ecr",
        Some("AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"),
        r#"{"repositoryNames": ["slipway-assets"]}"#,
    );
    assert_eq!(status, 200, "{body}");
    let repo: Value = serde_json::from_str(&body).unwrap();
    let repo = &repo["repositories"][0];
    assert_eq!(repo["repositoryUri"], repository);
    assert_eq!(repo["imageTagMutability"], "IMMUTABLE");
    assert_eq!(repo["imageScanningConfiguration"]["scanOnPush"], true);
    // The role, as IAM reports it: trusted by CloudFormation, AdministratorAccess by default.
    let (status, body) =
        call(&moto.endpoint, "iam", None, "Action=GetRole&RoleName=slipway-cfn-exec-us-east-1&Version=2010-05-08");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("cloudformation.amazonaws.com"), "{body}");
    assert_eq!(execution_policies(&moto), ["arn:aws:iam::aws:policy/AdministratorAccess"]);

    // Again: nothing changes, and it says so.
    let again = bootstrap(&moto, &[]);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout.lines().next(),
        Some("account 111111111111 in us-east-1 is bootstrapped already: slipway-bootstrap is unchanged")
    );

    // Other execution policies replace the default.
    let narrowed = bootstrap(
        &moto,
        &[
            "--execution-policy",
            "arn:aws:iam::aws:policy/PowerUserAccess",
            "--execution-policy",
            "arn:aws:iam::aws:policy/IAMFullAccess",
        ],
    );
    assert_eq!(narrowed.status, 0, "{}\n{}", narrowed.stdout, narrowed.stderr);
    assert_eq!(
        narrowed.stdout.lines().next(),
        Some("bootstrapped account 111111111111 in us-east-1: updated stack slipway-bootstrap")
    );
    assert_eq!(
        execution_policies(&moto),
        ["arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]
    );

    let bad = bootstrap(&moto, &["--execution-policy", "PowerUserAccess"]);
    assert_eq!(bad.status, 1);
    assert!(error_line(&bad).unwrap_or_default().starts_with("error: --execution-policy `PowerUserAccess` is not"));
}

/// What the store holds of runs: ledger records and locks (releases are not runs).
fn runs_in(store: &std::path::Path) -> Vec<String> {
    read_tree(store).into_iter().map(|(p, _)| p).filter(|p| p.contains("ledger") || p.contains("lock")).collect()
}

#[test]
fn a_deploy_to_an_account_not_bootstrapped_or_bootstrapped_by_an_older_version_is_refused_and_changes_nothing() {
    let moto = Moto::start_bare("111111111111");
    let faults = Faults::start(&moto.endpoint);
    let refused = deploy(&moto, &faults, "r1");
    assert_eq!(refused.status, 6, "{}\n{}", refused.stdout, refused.stderr);
    assert_eq!(
        error_line(&refused),
        Some("error: account 111111111111 in us-east-1 is not bootstrapped: run `slipway bootstrap --env dev`")
    );
    let client = moto.client();
    let stacks = block_on(async { client.describe_stacks().send().await.unwrap().stacks().len() });
    assert_eq!(stacks, 0, "no stack was made");
    assert_eq!(faults.calls("CreateChangeSet"), 0);
    assert_eq!(runs_in(moto.store.path()), Vec::<String>::new(), "no ledger run, no lock");

    // Bootstrapped, then its Version output set lower by deploying an edited template through the SDK.
    assert_eq!(bootstrap(&moto, &[]).status, 0);
    block_on(async {
        let body = client.get_template().stack_name(STACK_NAME).send().await.unwrap();
        let mut template: Value = serde_json::from_str(body.template_body().unwrap()).unwrap();
        template["Outputs"]["Version"]["Value"] = Value::String("0".into());
        let created = client
            .create_change_set()
            .stack_name(STACK_NAME)
            .change_set_name("older")
            .change_set_type(ChangeSetType::Update)
            .template_body(template.to_string())
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .unwrap();
        client.execute_change_set().change_set_name(created.id().unwrap()).send().await.unwrap();
    });
    assert_eq!(outputs(&moto).iter().find(|(k, _)| k == "Version").map(|(_, v)| v.as_str()), Some("0"));
    let older = deploy(&moto, &faults, "r1");
    assert_eq!(older.status, 6, "{}\n{}", older.stdout, older.stderr);
    assert_eq!(
        error_line(&older),
        Some(
            "error: account 111111111111 in us-east-1 is bootstrapped with version 0, and this slipway needs \
             version 1: run `slipway bootstrap --env dev`"
        )
    );
    assert_eq!(stacks_in(&moto).len(), 0, "no stack but the bootstrap");
    assert_eq!(faults.calls("CreateChangeSet"), 0, "nothing was asked of CloudFormation");
    assert_eq!(runs_in(moto.store.path()), Vec::<String>::new(), "no ledger run, no lock");

    // Bootstrapped again: the deploy goes ahead.
    assert_eq!(bootstrap(&moto, &[]).status, 0);
    let dir = tempdir();
    let ok = deploy_in(dir.path(), &moto, &faults, "r1", &["--no-smoke"]);
    assert_eq!(ok.status, 0, "{}\n{}", ok.stdout, ok.stderr);
}

#[test]
fn the_change_sets_of_a_deploy_name_the_execution_role() {
    let (moto, faults) = super::reference::start();
    let dir = tempdir();
    let first = deploy_in(dir.path(), &moto, &faults, "r1", &["--no-smoke"]);
    assert_eq!(first.status, 0, "{}\n{}", first.stdout, first.stderr);
    let second = deploy_in(dir.path(), &moto, &faults, "r2", &["--no-smoke"]);
    assert_eq!(second.status, 0, "{}\n{}", second.stdout, second.stderr);
    // Every change set slipway asked for (creates and updates) named the role: what the proxy saw sent.
    let sent = faults.params_of("CreateChangeSet");
    let kinds: std::collections::BTreeSet<&str> =
        sent.iter().filter_map(|p| p.get("ChangeSetType").map(String::as_str)).collect();
    assert_eq!(kinds, ["CREATE", "UPDATE"].into_iter().collect(), "both kinds were made");
    let roles: Vec<Option<&str>> = sent.iter().map(|p| p.get("RoleARN").map(String::as_str)).collect();
    assert!(!roles.is_empty() && roles.iter().all(|r| *r == Some(ROLE)), "{roles:?}");
    // And CloudFormation (moto) made every stack as the role (DescribeStacks' RoleARN).
    let client = moto.client();
    let made: Vec<(String, Option<String>)> = block_on(async {
        let out = client.describe_stacks().send().await.unwrap();
        out.stacks()
            .iter()
            .filter(|s| s.stack_name() != Some(STACK_NAME))
            .map(|s| (s.stack_name().unwrap().to_string(), s.role_arn().map(str::to_string)))
            .collect()
    });
    assert_eq!(made.len(), super::reference::stacks().len(), "{made:?}");
    assert!(made.iter().all(|(_, r)| r.as_deref() == Some(ROLE)), "{made:?}");
}

#[test]
fn an_environment_with_no_aws_target_has_no_account_to_bootstrap() {
    // The compose flow's servers run on compose hosts only.
    let project = crate::model::reference_flows::compose_servers_only();
    let env = &project.environments[0];
    assert!(env.aws_target().is_none());
    let (ui, captured) = slipway::cli::Ui::captured("");
    let code =
        slipway::cli::run_at(&project, ["slipway", "bootstrap", "--env", &env.name], &ui, &slipway::clock::SystemClock);
    assert_eq!(code, std::process::ExitCode::from(1));
    assert_eq!(
        captured.err().lines().next().map(str::to_string),
        Some(format!("error: environment `{}` has no AWS target, so there is no account to bootstrap", env.name))
    );
    assert_eq!(captured.out(), "");
}
