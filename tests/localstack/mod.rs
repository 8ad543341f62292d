//! A second, independent CloudFormation implementation on loopback: LocalStack's community core
//! (localstack-core 4.14.0, pinned with everything it runs with in tests/localstack-requirements.txt, which
//! `bash tests/run.sh` installs into target/py-localstack with a Python >= 3.12). No Docker, no account token:
//! `tests/localstack/server.py` patches it where slipway's templates need it (tests/README.md lists every
//! difference) and runs LocalStack's own runtime on a free port.
//!
//! It starts once per test run, when a test first asks for it, and serves every test after: each test acts in
//! an account of its own (LocalStack keeps accounts apart by the 12-digit access key ID), so tests share the
//! server and nothing else. It stops when the test process ends (server.py watches its parent).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{python_tool_in, repo_root};

/// The running server.
pub struct LocalStack {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// What it writes.
    log: PathBuf,
}

impl LocalStack {
    /// The server, started by the first test that asks (and waited for by every other that asks meanwhile).
    pub fn shared() -> &'static LocalStack {
        static SERVER: OnceLock<LocalStack> = OnceLock::new();
        SERVER.get_or_init(LocalStack::launch)
    }

    fn launch() -> LocalStack {
        let python = python_tool_in(
            "SLIPWAY_LOCALSTACK_PYTHON",
            "target/py-localstack",
            "tests/localstack-requirements.txt",
            "python",
        );
        let server = repo_root().join("tests/localstack/server.py");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // Its files (certificates, unpacked function code) live for the test process, not beyond it.
        let root = tempfile::Builder::new().prefix("slipway-localstack-").tempdir().unwrap().keep();
        let log = root.join("server.log");
        let out = std::fs::File::create(&log).unwrap();
        let started = Instant::now();
        let mut child = Command::new(&python)
            .arg(&server)
            .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("DNS_ADDRESS", "0")
            .env("DISABLE_EVENTS", "1")
            // Host mode, with its files under `root`, whatever this machine looks like.
            .env("OVERRIDE_IN_DOCKER", "0")
            .env("FILESYSTEM_ROOT", &root)
            // No network: its self-signed certificate at once, not after a failed download.
            .env("SKIP_SSL_CERT_DOWNLOAD", "1")
            .env("SLIPWAY_LOCALSTACK_PARENT", std::process::id().to_string())
            .env_remove("AWS_ENDPOINT_URL")
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; run `bash tests/run.sh`", python.display()));
        let endpoint = format!("http://127.0.0.1:{port}");
        loop {
            if healthy(port) {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{} {} exited with {status} before it answered on port {port}; run `bash tests/run.sh`, which \
                     installs LocalStack into target/py-localstack. It wrote:\n{}",
                    python.display(),
                    server.display(),
                    std::fs::read_to_string(&log).unwrap_or_default(),
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "LocalStack did not answer on port {port} within 180 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("LocalStack answered on {endpoint} after {:.1} s", started.elapsed().as_secs_f64());
        LocalStack { endpoint, log }
    }

    /// What the server has written so far (its log, with the traceback of any request that failed).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The environment variables that point the slipway binary at it through the standard chain, acting in
    /// `account`, with the team's local store in `store`.
    pub fn env(&self, account: &str, store: &std::path::Path) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", account.into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/slipway-test-config".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/slipway-test-credentials".into()),
            ("SLIPWAY_STORE", store.display().to_string()),
        ]
    }

    /// A CloudFormation client acting in `account`.
    pub fn client(&self, account: &str) -> aws_sdk_cloudformation::Client {
        use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_cloudformation::Client::from_conf(
            aws_sdk_cloudformation::Config::builder()
                .http_client(slipway::cloud::https_client())
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(&self.endpoint)
                .credentials_provider(Credentials::new(account, "testing", None, None, "tests"))
                .build(),
        )
    }

    /// An S3 client acting in `account`, path-style.
    pub fn s3(&self, account: &str) -> aws_sdk_s3::Client {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::new()
                .http_client(slipway::cloud::https_client())
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(&self.endpoint)
                .force_path_style(true)
                .credentials_provider(Credentials::new(account, "testing", None, None, "tests"))
                .build(),
        )
    }
}

/// Whether LocalStack's health endpoint answers 200 on `port`.
fn healthy(port: u16) -> bool {
    let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /_localstack/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if conn.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// A fresh 12-digit account for one test, so that tests sharing the server see nothing of each other's.
pub fn account() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{:012}", 200_000_000_000u64 + u64::from(NEXT.fetch_add(1, Ordering::Relaxed)))
}
