//! `slipway diff --against deployed`, through the real SDK client and wire protocol, against a moto
//! CloudFormation server on loopback: stacks are deployed with the SDK, then the definitions' output is
//! compared with them.

use aws_sdk_cloudformation::types::Capability;
use serde_json::{Value, json};

use crate::moto::{Moto, block_on};
use crate::support::{Run, tempdir};

/// The dev environment's synthesized template of `stack`.
fn dev_template(stack: &str) -> Value {
    let project = webapp::project();
    let set = crate::support::synth(&project, &["dev".to_string()]).unwrap();
    let bytes = set.file(&format!("dev/cloudformation/{stack}.template.json")).unwrap();
    serde_json::from_slice(bytes).unwrap()
}

/// Creates stack `webapp-dev-<stack>` from `body` with the SDK.
fn deploy(moto: &Moto, stack: &str, body: String) {
    let client = moto.client();
    block_on(async {
        client
            .create_stack()
            .stack_name(format!("webapp-dev-{stack}"))
            .template_body(body)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .unwrap_or_else(|e| panic!("deploying {stack}: {}", aws_sdk_cloudformation::error::DisplayErrorContext(e)))
    });
}

/// Deploys the logging stack as the definitions make it: the buckets of the data and deploy-role stacks
/// log to its bucket, whose name they import, so it must exist before them.
fn deploy_logging(moto: &Moto) {
    deploy(moto, "logging", serde_json::to_string(&dev_template("logging")).unwrap());
}

fn slipway_against(moto: &Moto, args: &[&str]) -> Run {
    let dir = tempdir();
    let mut c = crate::support::engine();
    c.args(args).current_dir(dir.path()).env("NO_COLOR", "1").env_remove("AWS_PROFILE");
    for (k, v) in moto.env() {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn stack<'a>(diff: &'a Value, name: &str) -> Option<&'a Value> {
    diff["environments"][0]["stacks"].as_array().unwrap().iter().find(|s| s["name"] == name)
}

#[test]
fn diff_against_deployed_stacks() {
    let moto = Moto::start();
    deploy_logging(&moto);
    // deploy-role as it is now, but uploaded as YAML with short-form tags: no difference may show.
    deploy(&moto, "deploy-role", crate::diff::templates::short_form_yaml(&dev_template("deploy-role")));
    // data as an earlier revision had it: a fixed bucket name (createOnly) and a narrower bucket policy.
    let mut data = dev_template("data");
    data["Resources"]["UploadsBucket"]["Properties"]["BucketName"] = json!("webapp-dev-uploads-old");
    deploy(&moto, "data", serde_json::to_string(&data).unwrap());
    // logging is deployed as it is now; network, app and monitoring are not deployed.

    let run =
        slipway_against(&moto, &["diff", "--against", "deployed", "--env", "dev", "--format", "json", "--exit-code"]);
    assert_eq!(run.status, 2, "{}\n{}", run.stdout, run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        stack(&diff, "deploy-role").is_none(),
        "deployed as YAML, unchanged: {:#}",
        stack(&diff, "deploy-role").unwrap()
    );
    let data = stack(&diff, "data").expect("data differs");
    assert_eq!(data["change"], "modified");
    let bucket = data["resources"].as_array().unwrap().iter().find(|r| r["logical_id"] == "UploadsBucket").unwrap();
    assert_eq!((bucket["impact"].as_str(), bucket["impact_source"].as_str()), (Some("replace"), Some("slipway")));
    assert_eq!(bucket["properties"][0]["old"], "webapp-dev-uploads-old");
    let policy =
        data["resources"].as_array().unwrap().iter().find(|r| r["logical_id"] == "UploadsBucketPolicy").unwrap();
    assert_eq!(policy["impact"], "replace", "its Bucket (createOnly) refers to the replaced bucket");
    for missing in ["network", "app", "monitoring"] {
        let s = stack(&diff, missing).unwrap_or_else(|| panic!("{missing} is not deployed: it shows as added"));
        assert_eq!(s["change"], "added");
        assert!(s["resources"].as_array().unwrap().iter().all(|r| r["impact"] == "create"));
    }
    // Only templates are compared with what is deployed.
    assert!(diff["environments"][0]["files"].as_array().unwrap().is_empty());
}

#[test]
fn change_set_is_created_read_and_deleted() {
    let moto = Moto::start();
    deploy_logging(&moto);
    let mut data = dev_template("data");
    data["Resources"]["UploadsBucket"]["Properties"]["BucketName"] = json!("webapp-dev-uploads-old");
    deploy(&moto, "data", serde_json::to_string(&data).unwrap());
    let run =
        slipway_against(&moto, &["diff", "--against", "deployed", "--env", "dev", "--change-set", "--format", "json"]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(stack(&diff, "data").unwrap()["change"], "modified");
    let client = moto.client();
    let left = block_on(async { client.list_change_sets().stack_name("webapp-dev-data").send().await.unwrap() });
    assert!(left.summaries().is_empty(), "the change set is deleted afterwards: {:?}", left.summaries());
}

/// What AWS says and moto does not: the bucket's change needs no replacement after all.
fn bucket_not_replaced(request: &str, response: String) -> String {
    // The deployed logging stack has a change set of its own, with no changes.
    if !request.contains("Action=DescribeChangeSet") || !response.contains("<StackName>webapp-dev-data</StackName>") {
        return response;
    }
    let id = "<LogicalResourceId>UploadsBucket</LogicalResourceId>";
    assert!(response.contains(id), "moto's change set lists the bucket: {response}");
    response.replace(
        id,
        &format!(
            "{id}<Replacement>False</Replacement><Details><member><Target><Attribute>Properties</Attribute>\
             <Name>BucketName</Name><RequiresRecreation>Never</RequiresRecreation></Target></member></Details>"
        ),
    )
}

#[test]
fn change_set_verdicts_win_over_offline_ones() {
    let moto = Moto::start();
    deploy_logging(&moto);
    let mut data = dev_template("data");
    data["Resources"]["UploadsBucket"]["Properties"]["BucketName"] = json!("webapp-dev-uploads-old");
    deploy(&moto, "data", serde_json::to_string(&data).unwrap());
    let proxy = crate::moto::Rewriter::start(&moto.endpoint, bucket_not_replaced);
    let mut env = moto.env();
    env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint.clone()));
    let run = |extra: &[&str]| {
        let dir = tempdir();
        let mut c = crate::support::engine();
        c.args(["diff", "--against", "deployed", "--env", "dev", "--format", "json"])
            .args(extra)
            .current_dir(dir.path());
        for (k, v) in &env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let bucket = |diff: &Value| {
        stack(diff, "data").unwrap()["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["logical_id"] == "UploadsBucket")
            .unwrap()
            .clone()
    };
    let offline = bucket(&run(&[]));
    assert_eq!((offline["impact"].as_str(), offline["impact_source"].as_str()), (Some("replace"), Some("slipway")));
    let verdict = bucket(&run(&["--change-set"]));
    assert_eq!((verdict["impact"].as_str(), verdict["impact_source"].as_str()), (Some("update"), Some("change-set")));
    assert_eq!(verdict["properties"][0]["impact"], "update", "RequiresRecreation: Never for BucketName");
    let client = moto.client();
    let left = block_on(async { client.list_change_sets().stack_name("webapp-dev-data").send().await.unwrap() });
    assert!(left.summaries().is_empty(), "the change set is deleted afterwards");
}

#[test]
fn credentials_for_another_account_are_refused() {
    let moto = Moto::start_as("999999999999");
    let run = slipway_against(&moto, &["diff", "--against", "deployed", "--env", "dev", "--exit-code"]);
    assert_eq!(run.status, 1, "--exit-code makes every error 1: {}", run.stderr);
    let message = "cloud error: the AWS credentials belong to account 999999999999 but environment `dev` deploys to \
                   account 111111111111; refusing to touch the wrong account";
    assert_eq!(run.stderr.lines().next(), Some(message), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    // Without --exit-code it is what deploy says and exits with for the same mistake.
    let run = slipway_against(&moto, &["diff", "--against", "deployed", "--env", "dev"]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert_eq!(run.stderr.lines().next(), Some(message), "{}", run.stderr);
}

#[test]
fn change_set_needs_against_deployed() {
    let dir = tempdir();
    let run = crate::support::slipway(dir.path(), &["diff", "--against", "out", "--change-set"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("--change-set needs --against deployed"), "{}", run.stderr);
}

#[test]
fn an_unreachable_endpoint_is_a_cloud_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempdir();
    let out = crate::support::engine()
        .args(["diff", "--against", "deployed", "--env", "dev"])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.starts_with(&format!("cloud error: cannot reach AWS at http://127.0.0.1:{port}: ")), "{stderr}");
    assert!(stderr.contains("hint: check the network, or AWS_ENDPOINT_URL if it is set"), "{stderr}");
}

#[test]
fn an_endpoint_that_never_answers_is_given_up_on_in_bounded_time_naming_it() {
    // Accepts every connection and never answers, holding it open.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    let dir = tempdir();
    let out = crate::support::engine()
        .args(["diff", "--against", "deployed", "--env", "dev"])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SLIPWAY_CLOUD_TIMEOUT", "1")
        .env("AWS_MAX_ATTEMPTS", "2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // Whichever limit fires first (the read or the whole attempt), the message names the endpoint.
    let first = stderr.lines().next().unwrap();
    assert!(first.starts_with(&format!("cloud error: AWS at {endpoint} did not answer in time")), "{stderr}");
}

/// A loopback endpoint that accepts every connection and never answers, holding each open.
fn silent_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    endpoint
}

/// A person waits for `diff --against deployed`: against an endpoint that never answers it gives up on its
/// deadline, naming the endpoint, whatever the calls' own bounds (here the defaults: five attempts of 30 s,
/// 159 s in all before the deadline). The deadline is 60 s by default (`Settings::PERSON_WAITING`, checked
/// by the cloud layer's unit test); SLIPWAY_CLOUD_DEADLINE shortens it here so the test takes seconds.
#[test]
fn diff_against_a_silent_endpoint_gives_up_on_the_commands_deadline() {
    let endpoint = silent_endpoint();
    let dir = tempdir();
    let mut child = crate::support::engine()
        .args(["diff", "--against", "deployed", "--env", "dev"])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("SLIPWAY_CLOUD_TIMEOUT")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env("SLIPWAY_CLOUD_DEADLINE", "3")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        // Not a measure of speed: a guard, so that a missing deadline fails here (the SDK alone waits 159 s)
        // rather than hanging the suite.
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("still waiting after {:?}: no deadline cut the calls off", start.elapsed());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let first = stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "cloud error: AWS at {endpoint} did not answer within 3 s, as long as this command waits for AWS in all \
             (SLIPWAY_CLOUD_DEADLINE seconds to change it)"
        ),
        "{stderr}"
    );
}
