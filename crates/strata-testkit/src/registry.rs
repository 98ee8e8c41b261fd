//! The real `docker-registry` (Debian's distribution registry) serving filesystem storage
//! on a free 127.0.0.1 port, optionally with token auth; and how a test treats a missing
//! tool (a failure in CI, a skip elsewhere).

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a missing tool is a failure (CI) or a skip (a developer's machine).
pub fn require(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{tool} is not installed (CI=true, so this is a failure); run scripts/setup.sh");
        }
        let _ = std::io::stderr()
            .write_all(format!("SKIP: {tool} not installed (run scripts/setup.sh)\n").as_bytes());
    }
    found
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Token auth settings for the registry.
pub struct TokenAuth {
    /// The token server's URL.
    pub realm: String,
    /// The PEM certificate the registry trusts.
    pub cert: PathBuf,
}

/// A running `docker-registry serve`, stopped on drop.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Its storage directory.
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// Starts the real registry with filesystem storage in a temp dir.
    pub fn start(auth: Option<&TokenAuth>) -> Registry {
        Self::start_over(auth, None)
    }

    /// Starts the real registry serving an existing storage directory (the corpus's).
    pub fn serve(storage: &Path) -> Registry {
        Self::start_over(None, Some(storage))
    }

    fn start_over(auth: Option<&TokenAuth>, storage: Option<&Path>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let auth_yaml = match auth {
            Some(a) => format!(
                "auth:\n  token:\n    realm: {}\n    service: strata-test\n    issuer: strata-test-issuer\n    rootcertbundle: {}\n",
                a.realm,
                a.cert.display()
            ),
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth_yaml}",
            storage
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.path().join("data"))
                .display()
        );
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let host = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&host).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry { host, dir, child }
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}
