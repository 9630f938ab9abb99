//! A private nats-server with JetStream per test: free loopback port, temporary store, killed on
//! drop. It can be stopped and started again on the same port and store (the restart test).
//! `start_secured` runs the shipped `deploy/nats/nats-server.conf` instead: TLS with a CA made
//! by `deploy/nats/gen-certs.sh` in the temporary directory, and NKey users minted by
//! `tutorwatch nats user add` (the service's and the admin loader's from the start).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::free_port;
use super::wait::wait_until_blocking;

/// A running (or stopped) nats-server owned by one test.
#[derive(Debug)]
pub struct NatsServer {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
    /// Started with the shipped secured configuration (in `store`).
    secured: bool,
}

/// The workspace's `deploy/nats` directory.
fn deploy_nats() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace root")
        .join("deploy/nats")
}

fn nats_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("NATS_SERVER_BIN") {
        return PathBuf::from(path);
    }
    for candidate in [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ] {
        if std::path::Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    PathBuf::from("nats-server")
}

impl NatsServer {
    /// Starts a server and waits until it accepts connections.
    pub fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            store: tempfile::tempdir().expect("Failed to create the NATS store dir"),
            child: None,
            secured: false,
        };
        server.restart();
        server
    }

    /// Starts a server with the shipped TLS + NKeys configuration: its certificates made by
    /// `gen-certs.sh`, the service's and the admin loader's users minted by the `tutorwatch`
    /// binary (`keys_dir()/service.nk`, `keys_dir()/admin.nk`).
    pub fn start_secured() -> Self {
        let store = tempfile::tempdir().expect("Failed to create the NATS store dir");
        let dir = store.path();
        let status = Command::new(deploy_nats().join("gen-certs.sh"))
            .arg(dir.join("tls"))
            .stderr(Stdio::null())
            .status()
            .expect("Failed to run deploy/nats/gen-certs.sh (is openssl installed?)");
        assert!(status.success(), "gen-certs.sh failed");
        std::fs::copy(
            deploy_nats().join("nats-server.conf"),
            dir.join("nats-server.conf"),
        )
        .expect("Failed to copy deploy/nats/nats-server.conf");
        let mut server = Self {
            port: free_port(),
            store,
            child: None,
            secured: true,
        };
        for role in ["service", "admin"] {
            server.add_user(&["--role", role]);
        }
        server.restart();
        server
    }

    /// `nats://127.0.0.1:<port>`, or `tls://…` for a secured server.
    pub fn url(&self) -> String {
        let scheme = if self.secured { "tls" } else { "nats" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The CA certificate a secured server's certificate chains to.
    pub fn ca_file(&self) -> PathBuf {
        self.store.path().join("tls/ca.pem")
    }

    /// The users file the secured server includes.
    pub fn users_file(&self) -> PathBuf {
        self.store.path().join("users.conf")
    }

    /// Where minted users' seed files are (`<user>.nk`).
    pub fn keys_dir(&self) -> PathBuf {
        self.store.path().join("keys")
    }

    /// Runs `tutorwatch nats user add ARGS --out keys_dir() --users <the users file>` and returns
    /// what it printed (the user, public key, seed file, inbox prefix, permissions). The running
    /// server sees the user after `reload`.
    pub fn add_user(&self, args: &[&str]) -> serde_json::Value {
        assert!(self.secured, "users need a secured server");
        let output = Command::new(super::binary())
            .args(["nats", "user", "add"])
            .args(args)
            .arg("--out")
            .arg(self.keys_dir())
            .arg("--users")
            .arg(self.users_file())
            .output()
            .expect("Failed to run tutorwatch nats user add");
        assert!(
            output.status.success(),
            "tutorwatch nats user add {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("nats user add prints JSON")
    }

    /// What a secured server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.store.path().join("nats-server.log")).unwrap_or_default()
    }

    /// Makes the running server read its configuration (and users file) again (SIGHUP).
    pub fn reload(&self) {
        let child = self.child.as_ref().expect("the server is not running");
        let status = Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .expect("Failed to run kill");
        assert!(status.success(), "kill -HUP failed");
    }

    /// Starts the server again (same port, same store) after `stop`.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let mut command = Command::new(nats_server_binary());
        if self.secured {
            // The shipped config's paths are relative to the directory it runs in.
            command.current_dir(self.store.path()).args([
                "-c",
                "nats-server.conf",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
            ]);
        } else {
            command
                .args([
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-js",
                    "-sd",
                ])
                .arg(self.store.path());
        }
        let stderr = if self.secured {
            std::fs::File::create(self.store.path().join("nats-server.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null())
        } else {
            Stdio::null()
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("Failed to start nats-server (install it: apt-get install -y nats-server)");
        self.child = Some(child);
        let port = self.port;
        wait_until_blocking(Duration::from_secs(10), "nats-server to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Stops the server (SIGKILL: the harshest way a broker goes away).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
