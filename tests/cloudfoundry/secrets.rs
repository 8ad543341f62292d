//! The token and the password never leave the client except to where they belong: a whole deploy, with
//! every failure the server can play, and then every error (`Display` and `Debug`), every value returned
//! and every client and settings `Debug` searched for every token the server issued and for the password.

use std::time::Duration;

use serde_json::json;
use slipway::cloudfoundry::{CloudFoundry, Credentials, Lifecycle, NewApp, NewDeployment, Secret};

use super::deploys::{running_app, stage_image};
use super::{CfServer, ORG, PASSWORD, USER, run, space};

#[test]
fn no_error_or_debug_output_holds_a_token_or_the_password() {
    let server = CfServer::start();
    let cf = server.client();
    let mut shown: Vec<String> = Vec::new();
    let mut errors = 0;
    macro_rules! keep {
        ($e:expr) => {{
            let result = $e;
            match &result {
                Ok(v) => shown.push(format!("{v:?}")),
                Err(e) => {
                    errors += 1;
                    shown.push(format!("{e}"));
                    shown.push(format!("{e:?}"));
                }
            }
            result
        }};
    }
    let mut fast = server.settings();
    fast.timeout = Duration::from_secs(1);
    fast.rate_limit_retries = 0;
    let impatient = CloudFoundry::new(fast.clone()).unwrap();
    run(async {
        let space = space(&cf).await;
        let (app, first) = running_app(&cf, "frontend", "registry.example/frontend:1", 1).await;
        keep!(cf.app(&app).await).unwrap();
        keep!(cf.create_app(&NewApp::new("frontend", &space)).await).unwrap_err();
        keep!(cf.app("no-such-app").await).unwrap_err();
        keep!(cf.space("no-such-org", "dev").await).unwrap_err();

        // A token expires mid-run and is renewed.
        server.script(json!({ "kind": "expire_tokens" }));
        keep!(cf.current_droplet(&app).await).unwrap();

        // Staging fails; a binding job fails; a deployment crashes and is canceled.
        server.script(json!([
            { "kind": "fail_staging", "app": "frontend", "error_id": "StagingError", "details": "out of disk" },
            { "kind": "fail_binding", "service_instance": "db" },
            { "kind": "crash", "app": "frontend", "indexes": [0] },
        ]));
        let package = keep!(
            cf.create_docker_package(&app, "registry.example/private:1", Some(("robot", &Secret::new("registry-pw"))))
                .await
        )
        .unwrap();
        let build = keep!(cf.create_build(&package.guid, None).await).unwrap();
        keep!(cf.wait_for_build(&build.guid, Duration::from_secs(5)).await).unwrap_err();
        let db = keep!(cf.service_instance(&space, "db").await).unwrap();
        keep!(cf.bind_service(&app, &db.guid, Duration::from_secs(5)).await).unwrap_err();
        let second = stage_image(&cf, &app, "registry.example/frontend:2").await;
        let d = keep!(cf.create_deployment(&NewDeployment::rolling(&app).droplet(&second)).await).unwrap();
        keep!(cf.wait_for_deployment(&d.guid, Duration::from_millis(500)).await).unwrap_err();
        keep!(cf.cancel_deployment(&d.guid).await).unwrap();
        keep!(cf.wait_for_deployment(&d.guid, Duration::from_secs(5)).await).unwrap_err();
        keep!(cf.continue_deployment(&d.guid).await).unwrap_err();
        assert_eq!(keep!(cf.current_droplet(&app).await).unwrap().unwrap().guid, first);
        keep!(cf.revisions(&app).await).unwrap();

        // Rate-limited for good; never answered.
        server.script(json!({ "kind": "rate_limit", "path": "/v3/apps", "times": 1, "retry_after": 1 }));
        keep!(impatient.app(&app).await).unwrap_err();
        server.script(json!({ "kind": "hang", "path": "/v3/apps" }));
        keep!(impatient.app(&app).await).unwrap_err();
        keep!(
            impatient
                .create_app(&NewApp::new("other", &space).lifecycle(Lifecycle::docker()).env("SECRET_KEY", "v4lue"))
                .await
        )
        .unwrap();
    });

    // A token given directly, then refused; a wrong password.
    let token = server.tokens().pop().unwrap();
    let mut given = server.settings();
    given.credentials = Credentials::Token(Secret::new(token));
    let given = CloudFoundry::new(given).unwrap();
    server.script(json!({ "kind": "expire_tokens" }));
    keep!(run(given.organization(ORG))).unwrap_err();
    let mut wrong = server.settings();
    wrong.credentials =
        Credentials::Password { username: USER.into(), password: Secret::new(format!("{PASSWORD}-not")) };
    keep!(run(CloudFoundry::new(wrong.clone()).unwrap().organization(ORG))).unwrap_err();
    for debug in
        [format!("{cf:?}"), format!("{impatient:?}"), format!("{given:?}"), format!("{fast:?}"), format!("{wrong:?}")]
    {
        shown.push(debug);
    }

    let tokens = server.tokens();
    assert!(tokens.len() >= 3, "the run fetched and renewed tokens: {}", tokens.len());
    assert!(errors >= 12, "the run met every kind of failure ({errors} errors)");
    let text = shown.join("\n");
    for secret in tokens.iter().map(String::as_str).chain([PASSWORD, "registry-pw"]) {
        let leaks: Vec<&String> = shown.iter().filter(|s| s.contains(secret)).collect();
        assert!(leaks.is_empty(), "a secret appears in:\n{leaks:#?}");
    }
    // The searched text is real output: errors naming endpoints, values of the resources.
    assert!(text.contains(&format!("GET {}/v3/apps/no-such-app: Cloud Foundry answered 404", server.url)), "{text}");
    assert!(text.contains("StagingError - Staging error: out of disk"), "{text}");
    assert!(text.contains("no answer within 1 s") && text.contains("still rate-limited (429)"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    // The server did receive the secrets where they belong: the password at the token endpoint (its
    // request was accepted), the registry password in the package.
    let package = server.received("POST", "/v3/packages");
    assert!(package.iter().any(|p| p["body"]["data"]["password"] == "registry-pw"), "{package:?}");
}
