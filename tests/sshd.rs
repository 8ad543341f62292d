//! A Docker host over real SSH: Debian's OpenSSH server (`openssh-server`), started by a test on a
//! loopback port in front of the test command's Docker engine, with a host key and a login key made for
//! that test. Logging in runs the user's commands with `DOCKER_HOST` set to the test engine, so that
//! `docker system dial-stdio` (what the docker and compose CLIs run over `ssh://`) reaches it.
//!
//! [`Sshd::known_hosts`] pins the server's key, as a CI secret would; [`Sshd::other_known_hosts`] pins
//! another key for the same address, as if the server had been replaced.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Docker, tempdir};

/// Where Debian's package puts the server.
const SSHD: &str = "/usr/sbin/sshd";
const HOW: &str = "the SSH tests need Debian's OpenSSH server: as root, run `apt-get install -y openssh-server` \
                   (`bash tests/run.sh` installs it when missing)";

/// An OpenSSH server on loopback in front of the test engine; stopped when dropped.
pub struct Sshd {
    child: Child,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The user to log in as (whoever runs the tests).
    pub user: String,
}

impl Sshd {
    /// Starts a server in front of `engine`. Panics with the install command when OpenSSH's server is
    /// missing: never a skip.
    pub fn start(engine: &Docker) -> Sshd {
        assert!(Path::new(SSHD).is_file(), "{SSHD} is missing: {HOW}");
        let dir = tempdir();
        let path = |name: &str| dir.path().join(name);
        for key in ["host_key", "client_key", "other_host_key"] {
            keygen(&path(key));
        }
        std::fs::copy(path("client_key.pub"), path("authorized_keys")).unwrap();
        let user =
            String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_string();
        // The privilege-separation directory sshd insists on (the package's service makes it at boot).
        let _ = std::fs::create_dir_all("/run/sshd");
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {pid}\nAuthorizedKeysFile {keys}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nAllowUsers {user}\n\
             SetEnv DOCKER_HOST={engine_host}\nLogLevel VERBOSE\n",
            host_key = path("host_key").display(),
            pid = path("sshd.pid").display(),
            keys = path("authorized_keys").display(),
            engine_host = engine.host,
        );
        std::fs::write(path("sshd_config"), config).unwrap();
        let log = std::fs::File::create(path("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(path("sshd_config"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{SSHD} did not start: {e}: {HOW}"));
        let sshd = Sshd { child, dir, port, user };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "sshd did not listen on {port}:\n{}", sshd.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    /// The Docker host address: `ssh://user@127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("ssh://{}@127.0.0.1:{}", self.user, self.port)
    }

    /// The private key the server accepts.
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("client_key")
    }

    /// A known-hosts file pinning the server's key.
    pub fn known_hosts(&self) -> PathBuf {
        self.pin("host_key.pub", "known_hosts")
    }

    /// The engine's arguments that reach the Docker host through this server, its key pinned, with events
    /// as lines and quick polls: `--docker-host URL --ssh-known-hosts FILE --ssh-key FILE --progress events
    /// --poll-ms 20`.
    pub fn engine_args(&self) -> Vec<String> {
        let (known, key) = (self.known_hosts(), self.key());
        let paths = [known.to_str().unwrap(), key.to_str().unwrap()];
        ["--docker-host", &self.url(), "--ssh-known-hosts", paths[0], "--ssh-key", paths[1]]
            .into_iter()
            .chain(["--progress", "events", "--poll-ms", "20"])
            .map(str::to_string)
            .collect()
    }

    /// A known-hosts file pinning another key for the same address: the server as if it changed.
    pub fn other_known_hosts(&self) -> PathBuf {
        self.pin("other_host_key.pub", "other_known_hosts")
    }

    fn pin(&self, public: &str, file: &str) -> PathBuf {
        let key = std::fs::read_to_string(self.dir.path().join(public)).unwrap();
        let mut fields = key.split_whitespace();
        let (kind, body) = (fields.next().unwrap(), fields.next().unwrap());
        let path = self.dir.path().join(file);
        std::fs::write(&path, format!("[127.0.0.1]:{} {kind} {body}\n", self.port)).unwrap();
        path
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "slipway-test", "-f"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("ssh-keygen: {e}: install openssh-client"));
    assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}
