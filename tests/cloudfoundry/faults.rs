//! Who the client is and what it does when the API misbehaves: the password grant, a token that expires
//! mid-run, a token given directly, 429 with `Retry-After`, a request never answered.

use std::time::{Duration, Instant};

use serde_json::json;
use slipway::cloudfoundry::{CfError, CloudFoundry, Credentials, Secret};

use super::{CfServer, ORG, PASSWORD, USER, err, run};

#[test]
fn authenticates_with_the_password_grant_of_client_cf_at_the_login_link() {
    let server = CfServer::start();
    let cf = server.client();
    run(async {
        let root = cf.root().await.unwrap();
        assert_eq!(root.links.login.unwrap().href, format!("{}/uaa", server.url));
        let org = cf.organization(ORG).await.unwrap();
        assert_eq!(org.name, ORG);
        // The token is fetched once and then reused.
        cf.organization(ORG).await.unwrap();
    });
    let grants = server.received("POST", "/uaa/oauth/token");
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["body"], json!({ "grant_type": "password", "username": USER, "client": true }));
    let lists = server.received("GET", "/v3/organizations");
    assert_eq!(lists.len(), 2);
    assert!(lists.iter().all(|r| r["token"] == 1 && r["query"]["names"] == ORG), "{lists:?}");

    // A wrong password: UAA's refusal, naming the token endpoint, and never the password.
    let mut settings = server.settings();
    settings.credentials = Credentials::Password { username: USER.into(), password: Secret::new("wrong-password-9") };
    let e = err(run(CloudFoundry::new(settings).unwrap().organization(ORG)));
    let shown = e.to_string();
    assert_eq!(e.status(), Some(401), "{shown}");
    assert!(shown.starts_with(&format!("POST {}/uaa/oauth/token: Cloud Foundry answered 401", server.url)), "{shown}");
    assert!(shown.contains("unauthorized (0): Bad credentials"), "{shown}");
    assert!(!shown.contains("wrong-password-9") && !format!("{e:?}").contains("wrong-password-9"));
}

#[test]
fn a_token_that_expires_mid_run_is_renewed_once_and_the_request_sent_again() {
    let server = CfServer::start();
    let cf = server.client();
    run(async {
        let org = cf.organization(ORG).await.unwrap();
        server.script(json!({ "kind": "expire_tokens" }));
        let space = cf.space(&org.guid, super::SPACE).await.unwrap();
        assert_eq!(space.name, super::SPACE);
    });
    assert_eq!(server.tokens().len(), 2, "a second token was fetched");
    let spaces = server.received("GET", "/v3/spaces");
    let answered: Vec<(i64, i64)> =
        spaces.iter().map(|r| (r["token"].as_i64().unwrap(), r["status"].as_i64().unwrap())).collect();
    assert_eq!(answered, [(1, 401), (2, 200)], "the expired token was refused, the new one accepted");

    // If the new token is refused too, the request fails: one renewal per request, never a loop.
    server.script(json!({ "kind": "reject_token", "method": "GET", "path": "/v3/organizations", "times": 2 }));
    let e = err(run(cf.organization(ORG)));
    assert_eq!((e.status(), e.titles()), (Some(401), vec!["CF-InvalidAuthToken"]), "{e}");
    assert_eq!(server.tokens().len(), 3);
    let orgs = server.received("GET", "/v3/organizations");
    let last: Vec<(i64, i64)> =
        orgs[orgs.len() - 2..].iter().map(|r| (r["token"].as_i64().unwrap(), r["status"].as_i64().unwrap())).collect();
    assert_eq!(last, [(2, 401), (3, 401)]);
}

#[test]
fn a_token_given_directly_is_not_renewed_and_its_refusal_is_reported() {
    let server = CfServer::start();
    let token = run(async {
        let cf = server.client();
        cf.organization(ORG).await.unwrap();
        server.tokens().remove(0)
    });
    let mut settings = server.settings();
    settings.credentials = Credentials::Token(Secret::new(token.clone()));
    let cf = CloudFoundry::new(settings).unwrap();
    run(async {
        assert_eq!(cf.organization(ORG).await.unwrap().name, ORG);
        server.script(json!({ "kind": "expire_tokens" }));
        let e = err(cf.organization(ORG).await);
        assert_eq!(e.titles(), ["CF-InvalidAuthToken"]);
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!(
                "GET {}/v3/organizations?names={ORG}&per_page=200: Cloud Foundry answered 401",
                server.url
            )),
            "{shown}"
        );
        assert!(!shown.contains(&token) && !format!("{e:?}").contains(&token) && !format!("{cf:?}").contains(&token));
    });
    assert_eq!(server.received("POST", "/uaa/oauth/token").len(), 1, "no token was fetched with a given token");
}

#[test]
fn a_429_is_waited_out_as_retry_after_asks_and_said_when_it_keeps_happening() {
    let server = CfServer::start();
    let cf = server.client();
    run(async {
        cf.organization(ORG).await.unwrap();
        server.script(
            json!({ "kind": "rate_limit", "method": "GET", "path": "/v3/organizations", "times": 2, "retry_after": 1 }),
        );
        let started = Instant::now();
        assert_eq!(cf.organization(ORG).await.unwrap().name, ORG);
        // A lower bound only: how much longer a loaded machine takes says nothing about the client.
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(2), "Retry-After: 1, twice, took only {waited:?}");
    });
    let statuses: Vec<i64> =
        server.received("GET", "/v3/organizations").iter().map(|r| r["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [200, 429, 429, 200]);

    // It keeps happening: the error says so, naming the endpoint, after the bounded number of retries.
    let mut settings = server.settings();
    settings.rate_limit_retries = 1;
    // A Retry-After of an hour is cut to the settings' limit.
    settings.retry_after_limit = Duration::from_millis(300);
    let cf = CloudFoundry::new(settings).unwrap();
    server.script(
        json!({ "kind": "rate_limit", "method": "GET", "path": "/v3/spaces", "times": 5, "retry_after": 3600 }),
    );
    let e = run(async {
        let org = cf.organization(ORG).await.unwrap();
        err(cf.space(&org.guid, super::SPACE).await)
    });
    // The client's own account of its wait: 300 ms (0 whole seconds), not the hour asked for.
    assert!(matches!(e, CfError::RateLimited { attempts: 2, waited: 0, .. }), "{e:?}");
    assert!(e.to_string().starts_with(&format!("GET {}/v3/spaces?names=dev", server.url)), "{e}");
    assert!(e.to_string().contains("still rate-limited (429) after 2 attempts"), "{e}");
}

#[test]
fn a_request_never_answered_fails_within_the_timeout_naming_its_endpoint() {
    let server = CfServer::start();
    let mut settings = server.settings();
    settings.timeout = Duration::from_secs(1);
    let cf = CloudFoundry::new(settings).unwrap();
    run(async {
        cf.organization(ORG).await.unwrap();
        server.script(json!({ "kind": "hang", "method": "GET", "path": "/v3/apps/" }));
        let started = Instant::now();
        let e = err(cf.app("4a1e0c7e-never").await);
        let took = started.elapsed();
        assert!(took >= Duration::from_secs(1), "gave up after {took:?}, before its time-out");
        assert!(matches!(e, CfError::Timeout { seconds: 1, .. }), "{e:?}");
        assert_eq!(e.to_string(), format!("GET {}/v3/apps/4a1e0c7e-never: no answer within 1 s", server.url));
        // The client still works: the hung connection was dropped, not reused.
        assert_eq!(cf.organization(ORG).await.unwrap().name, ORG);
    });
    let hung = server.received("GET", "/v3/apps/");
    assert_eq!(hung.len(), 1);
    assert_eq!(hung[0]["status"], "never answered");
}

#[test]
fn the_token_endpoint_is_only_as_patient_as_the_timeout() {
    let server = CfServer::start();
    let mut settings = server.settings();
    settings.timeout = Duration::from_secs(1);
    server.script(json!({ "kind": "hang", "method": "POST", "path": "/uaa/oauth/token" }));
    let e = err(run(CloudFoundry::new(settings).unwrap().organization(ORG)));
    assert_eq!(e.to_string(), format!("POST {}/uaa/oauth/token: no answer within 1 s", server.url));
    assert!(!e.to_string().contains(PASSWORD));
}
