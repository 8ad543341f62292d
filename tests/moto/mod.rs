//! A real CloudFormation API on loopback for the tests: the moto server that `bash tests/run.sh`
//! installs into target/py (pinned in tests/python-requirements.txt), on a free port, stopped on drop.
//! It runs through `tests/moto/server.py`, which patches moto where it differs from CloudFormation
//! (exports and outputs of stacks made by change sets, `Fn::Cidr`, delete order, ...; tests/README.md
//! lists every difference).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};

use slipway::cloud::{Connector, Poll, Settings};
use slipway::model::Environment;

use crate::support::{python_tool, repo_root};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// What the server writes (one line per request, and tracebacks).
    log: tempfile::NamedTempFile,
    /// The team's local store (releases, ledger, locks) that runs against this server share.
    pub store: tempfile::TempDir,
}

impl Moto {
    /// Starts a moto server on a free loopback port, as the reference `dev` environment's account
    /// (111111111111), and waits until it answers.
    pub fn start() -> Moto {
        Moto::start_as("111111111111")
    }

    /// Starts a moto server whose credentials belong to `account`, bootstrapped there in us-east-1 (the
    /// region of every environment deployed to such a server) as `slipway bootstrap` does it.
    pub fn start_as(account: &str) -> Moto {
        let moto = Moto::launch(Some(account));
        moto.bootstrap(account, slipway::model::Region::UsEast1);
        moto
    }

    /// Starts a moto server whose credentials belong to `account`, with nothing in it: not bootstrapped.
    pub fn start_bare(account: &str) -> Moto {
        Moto::launch(Some(account))
    }

    /// Starts a moto server of many accounts: plain credentials act in moto's default account
    /// (123456789012), and credentials from STS AssumeRole act in the role's account, as on AWS.
    pub fn start_accounts() -> Moto {
        Moto::launch(None)
    }

    fn launch(account: Option<&str>) -> Moto {
        let python = python_tool("SLIPWAY_TEST_PYTHON", "python");
        let server = repo_root().join("tests/moto/server.py");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = tempfile::Builder::new().prefix("slipway-moto-").suffix(".log").tempfile().unwrap();
        let mut command = Command::new(&python);
        command.arg(&server).args(["-H", "127.0.0.1", "-p", &port.to_string()]).env_remove("MOTO_ACCOUNT_ID");
        if let Some(account) = account {
            command.env("MOTO_ACCOUNT_ID", account);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; run `bash tests/run.sh`", python.display()));
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{} {} exited with {status} before it answered on port {port}; run `bash tests/run.sh`, which \
                     installs moto into target/py. It wrote:\n{}",
                    python.display(),
                    server.display(),
                    std::fs::read_to_string(log.path()).unwrap_or_default()
                );
            }
            assert!(start.elapsed() < Duration::from_secs(60), "moto did not answer on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint: format!("http://127.0.0.1:{port}"), log, store: crate::support::tempdir() }
    }

    /// Bootstraps `account` in `region` through slipway's own `ops::bootstrap` (what `slipway bootstrap`
    /// runs), with the server's plain credentials.
    pub fn bootstrap(&self, account: &str, region: slipway::model::Region) {
        self.bootstrap_envs(vec![
            Environment::new("bootstrap", slipway::model::Tier::Development)
                .aws(slipway::model::AccountId::owned(account), region),
        ]);
    }

    /// Bootstraps the account and region of each of `envs` ([`bootstrap_envs`]), assuming the role each
    /// names when it is in another account than the server's plain credentials; on a thread of its own,
    /// so that a test already inside a runtime can call it.
    pub fn bootstrap_envs(&self, envs: Vec<Environment>) {
        let endpoint = self.endpoint.clone();
        let region = envs.iter().find_map(|e| e.aws_target()).map_or("us-east-1", |t| t.region.code());
        std::thread::spawn(move || {
            block_on(async {
                let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .endpoint_url(&endpoint)
                    .region(aws_config::Region::new(region))
                    .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
                let connector = Connector::load_from(loader, Settings::default()).await;
                bootstrap_envs(&connector, &envs).await;
            })
        })
        .join()
        .expect("bootstrapping moto panicked");
    }

    /// What the server has written so far: a request line per call, and the traceback of any that failed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// An SDK client for it, with test credentials in us-east-1 (the reference `dev` environment's region).
    pub fn client(&self) -> Client {
        client_for(&self.endpoint)
    }

    /// An S3 client for it, with the same credentials and region; path-style, as moto serves buckets.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::new()
                .http_client(slipway::cloud::https_client())
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .region(aws_sdk_s3::config::Region::new("us-east-1"))
                .endpoint_url(&self.endpoint)
                .force_path_style(true)
                .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
                .build(),
        )
    }

    /// The environment variables that point the slipway binary at it through the standard chain.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/slipway-test-config".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/slipway-test-credentials".into()),
            ("SLIPWAY_STORE", self.store.path().display().to_string()),
        ]
    }

    /// The Lambda functions moto holds, as its own state says (`/moto-api/data.json`): what Lambda would
    /// answer to GetFunction, read without a Lambda client.
    pub fn functions(&self) -> Vec<Function> {
        let url = format!("{}/moto-api/data.json", self.endpoint);
        let (status, body) = crate::support::http_get(&url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, 200, "{url}: {body}");
        let data: serde_json::Value = serde_json::from_str(&body).unwrap();
        let listed = data["awslambda"]["LambdaFunction"].as_array().cloned().unwrap_or_default();
        listed
            .iter()
            .map(|f| Function {
                account: f["account_id"].as_str().unwrap_or_default().into(),
                name: f["function_name"].as_str().unwrap_or_default().into(),
                bucket: f["code"]["S3Bucket"].as_str().unwrap_or_default().into(),
                key: f["code"]["S3Key"].as_str().unwrap_or_default().into(),
                code_sha256: f["code_sha_256"].as_str().unwrap_or_default().into(),
            })
            .collect()
    }
}

/// A Lambda function as moto holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Its account.
    pub account: String,
    /// Its name.
    pub name: String,
    /// Where its code was fetched from.
    pub bucket: String,
    /// The code's key.
    pub key: String,
    /// The SHA-256 of the code, base64 (Lambda's `CodeSha256`).
    pub code_sha256: String,
}

/// An SDK client for a CloudFormation endpoint on loopback.
pub fn client_for(endpoint: &str) -> Client {
    let config = aws_sdk_cloudformation::Config::builder()
        .http_client(slipway::cloud::https_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    Client::from_conf(config)
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Bootstraps the account and region of each of `envs` once, through slipway's own `ops::bootstrap` (what
/// `slipway bootstrap --env` runs), connected through `connector` as a deploy connects (the environment's
/// role when the credentials are for another account). Panics naming the environment when one fails.
pub async fn bootstrap_envs<'a>(connector: &Connector, envs: impl IntoIterator<Item = &'a Environment>) {
    let mut done = std::collections::BTreeSet::new();
    for env in envs {
        let Some(target) = env.aws_target() else { continue };
        if !done.insert((target.account.to_string(), target.region)) {
            continue;
        }
        let cloud = slipway::ops::deploy::connect(connector, env, None)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to bootstrap {}: {e}", env.name));
        let mut quiet = slipway::apply::cloudformation::EventLines::new(std::io::sink());
        let done =
            slipway::ops::bootstrap::bootstrap(&cloud, env, &[], Poll::from_min(Duration::from_millis(20)), &mut quiet)
                .await
                .unwrap_or_else(|e| panic!("cannot bootstrap {}: {e}", env.name));
        assert_eq!(
            done.applied.ending,
            slipway::apply::cloudformation::Ending::Deployed,
            "bootstrapping {} failed: {:?}",
            env.name,
            done.applied
        );
    }
}

/// One call of an AWS API the tests have no SDK client for (IAM, ECR), to the moto server at `endpoint`:
/// a POST of `body` (a query string, or JSON with `target` as `X-Amz-Target`), for `service` in us-east-1.
/// moto routes a request by the service its credential scope names and checks no signature. The status
/// and the answer's body.
pub fn call(endpoint: &str, service: &str, target: Option<&str>, body: &str) -> (u16, String) {
    let content_type = match target {
        Some(_) => "application/x-amz-json-1.1",
        None => "application/x-www-form-urlencoded; charset=utf-8",
    };
    let mut headers = format!("Content-Type: {content_type}\r\n");
    if let Some(target) = target {
        headers.push_str(&format!("X-Amz-Target: {target}\r\n"));
    }
    request(endpoint, "POST", "/", service, &headers, body)
}

/// A GET of `path` (with its query) from `service` on the moto server at `endpoint`, as [`call`] makes it:
/// for answers moto writes in another form than the SDK reads (S3's GetBucketVersioning, whose root
/// element moto names `GetBucketVersioningResponse`).
pub fn get(endpoint: &str, service: &str, path: &str) -> (u16, String) {
    request(endpoint, "GET", path, service, "", "")
}

fn request(endpoint: &str, method: &str, path: &str, service: &str, headers: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         {headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// Runs a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// A proxy in front of moto that rewrites some answers: it stands in for what AWS sends and moto does
/// not (moto's DescribeChangeSet has no `Replacement` or `Details`), while every request still reaches
/// moto through the real wire protocol.
pub struct Rewriter {
    /// `http://127.0.0.1:PORT` of the proxy.
    pub endpoint: String,
}

type Rewrite = fn(request: &str, response: String) -> String;

impl Rewriter {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) that passes each response body through
    /// `rewrite`, given the request body. It runs until the test process ends.
    pub fn start(upstream: &str, rewrite: Rewrite) -> Rewriter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, rewrite);
                });
            }
        });
        Rewriter { endpoint }
    }
}

/// Reads one HTTP message head (through the blank line) from `r`; `None` at end of stream.
pub fn read_head(r: &mut impl std::io::BufRead) -> std::io::Result<Option<String>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        head.push_str(&line);
        if line == "\r\n" {
            return Ok(Some(head));
        }
    }
}

pub fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .map(|(_, v)| v.trim().parse().unwrap())
        .unwrap_or(0)
}

fn serve(conn: TcpStream, upstream: &str, rewrite: Rewrite) -> std::io::Result<()> {
    use std::io::{BufReader, Read, Write};
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    while let Some(head) = read_head(&mut reader)? {
        let mut body = vec![0; content_length(&head)];
        reader.read_exact(&mut body)?;
        let (answer_head, answer_body) = forward(upstream, &head, &body)?;
        assert!(!answer_head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{answer_head}");
        // Text (the APIs' XML and JSON) may be rewritten; anything else (an object's bytes) passes as it is.
        let new_body = match String::from_utf8(answer_body) {
            Ok(text) => rewrite(&String::from_utf8_lossy(&body), text).into_bytes(),
            Err(binary) => binary.into_bytes(),
        };
        writer.write_all(pass_head(&answer_head, new_body.len()).as_bytes())?;
        writer.write_all(&new_body)?;
        writer.flush()?;
    }
    Ok(())
}

/// An answer's head as a proxy passes it on, for a body of `length` bytes on a connection it closes.
pub fn pass_head(head: &str, length: usize) -> String {
    let mut out: String = head
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.is_empty() && !l.starts_with("content-length:") && !l.starts_with("connection:")
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    out.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    out
}

/// Sends one request (`head` and `body`) to `upstream` on a connection of its own, closed by moto after its
/// answer, and returns the answer's head and body (bytes: an object's may be anything).
pub fn forward(upstream: &str, head: &str, body: &[u8]) -> std::io::Result<(String, Vec<u8>)> {
    use std::io::{Read, Write};
    let forwarded: String = head
        .lines()
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect::<String>()
        + "Connection: close\r\n\r\n";
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(forwarded.as_bytes())?;
    up.write_all(body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    // An upstream that closes without an answer is a dropped connection to the client (which retries), not
    // a panic of the proxy's thread.
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("{upstream} closed without an answer"))
    })? + 4;
    let (head, body) = answer.split_at(split);
    Ok((String::from_utf8_lossy(head).into_owned(), body.to_vec()))
}
