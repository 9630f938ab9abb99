//! The real `tutorwatch serve` process, started against a test's nats-server and sled directory,
//! with its HTTP endpoints on a free port. Killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::free_port;
use super::wait::wait_until;

/// The `tutorwatch` binary under test: `$TW_BIN`, or the one cargo built beside this test binary.
pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("TW_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("Failed to find the test binary");
    // target/<profile>/deps/integration-<hash> -> target/<profile>/tutorwatch
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("tutorwatch"))
        .expect("Failed to find the target directory");
    assert!(
        path.exists(),
        "{} is missing: build it first (`cargo build --bin tutorwatch`; deploy/test.sh does)",
        path.display()
    );
    path
}

/// A running `tutorwatch serve`.
#[derive(Debug)]
pub struct Service {
    child: Option<Child>,
    pub data_dir: PathBuf,
    pub http: String,
    stderr_path: PathBuf,
    nats_url: String,
    args: Vec<String>,
    /// A program (and its arguments) that runs the binary, e.g. a shell that sets a limit first.
    launcher: Vec<String>,
    http_client: reqwest::Client,
}

impl Service {
    /// Starts `tutorwatch serve` with its data in `data_dir`.
    pub fn start(nats_url: &str, data_dir: &Path) -> Self {
        Self::start_with_args(nats_url, data_dir, Vec::new())
    }

    /// Starts `tutorwatch serve` with a settings file holding `config` (TOML).
    pub fn start_with_config(nats_url: &str, data_dir: &Path, config: &str) -> Self {
        let file = data_dir.with_extension("toml");
        std::fs::write(&file, config).expect("Failed to write the settings file");
        Self::start_with_args(
            nats_url,
            data_dir,
            vec!["--config".into(), file.to_string_lossy().into_owned()],
        )
    }

    fn start_with_args(nats_url: &str, data_dir: &Path, args: Vec<String>) -> Self {
        let mut service = Self::unstarted(nats_url, data_dir, args);
        service.restart();
        service
    }

    fn unstarted(nats_url: &str, data_dir: &Path, args: Vec<String>) -> Self {
        // `serve` refuses a data directory others can enter, and `tempfile` makes directories
        // with the default permissions (0755 under the usual umask): make an existing one 0700.
        if data_dir.is_dir() {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
                .expect("Failed to make the data directory owner-only");
        }
        Self {
            args,
            launcher: Vec::new(),
            child: None,
            data_dir: data_dir.to_owned(),
            http: String::new(),
            stderr_path: data_dir.with_extension("stderr.log"),
            nats_url: nats_url.to_owned(),
            http_client: reqwest::Client::new(),
        }
    }

    /// Starts `tutorwatch serve` through `launcher`: `launcher[0] launcher[1..] tutorwatch serve`,
    /// with the settings in the environment (`TW_DATA_DIR` among them) and `config` (TOML).
    pub fn start_launched(
        nats_url: &str,
        data_dir: &Path,
        launcher: &[&str],
        config: &str,
    ) -> Self {
        let file = data_dir.with_extension("toml");
        std::fs::write(&file, config).expect("Failed to write the settings file");
        let args = vec!["--config".into(), file.to_string_lossy().into_owned()];
        let mut service = Self::unstarted(nats_url, data_dir, args);
        service.launcher = launcher.iter().map(|s| (*s).to_owned()).collect();
        service.restart();
        service
    }

    /// Runs the binary directly from the next `restart` on.
    pub fn drop_launcher(&mut self) {
        self.launcher.clear();
    }

    /// The running process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("serve is running").id()
    }

    /// Waits up to `timeout` for the process to exit by itself; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().expect("Failed to wait for tutorwatch") {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the process again (same data directory) after `kill` or `terminate`.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the service is already running");
        let port = free_port();
        self.http = format!("http://127.0.0.1:{port}");
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr_path)
            .expect("Failed to open the service's log file");
        let mut command = match self.launcher.split_first() {
            Some((program, launcher_args)) => {
                let mut command = Command::new(program);
                command.args(launcher_args).arg(binary());
                command
            }
            None => Command::new(binary()),
        };
        let child = command
            .args(&self.args)
            .arg("serve")
            .env("TW_NATS_URL", &self.nats_url)
            .env("TW_DATA_DIR", &self.data_dir)
            .env("TW_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "RUST_LOG",
                std::env::var("TW_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("Failed to start tutorwatch serve");
        self.child = Some(child);
    }

    /// What the service wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// GET a path with a bearer token; the status and JSON body, or `None` while it does not
    /// answer.
    pub async fn get_json_with(&self, path: &str, token: &str) -> Option<(u16, serde_json::Value)> {
        let response = self
            .http_client
            .get(format!("{}{path}", self.http))
            .bearer_auth(token)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.unwrap_or_default()))
    }

    /// GET a path and return the status and JSON body, or `None` while it does not answer.
    pub async fn get_json(&self, path: &str) -> Option<(u16, serde_json::Value)> {
        let response = self
            .http_client
            .get(format!("{}{path}", self.http))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.ok()?))
    }

    /// Waits until `/readyz` says ready.
    pub async fn wait_ready(&self) {
        let stderr = self.stderr_path.clone();
        wait_until(
            Duration::from_secs(30),
            "tutorwatch to be ready",
            || async { matches!(self.get_json("/readyz").await, Some((200, _))) },
        )
        .await;
        let _ = stderr;
    }

    /// The log's event count as the service reports it.
    pub async fn logged_events(&self) -> Option<u64> {
        let (_, body) = self.get_json("/v1/log/stats").await?;
        body["events"].as_u64()
    }

    /// The ingest counter `name` (appended, duplicates, dead_lettered) of the running process.
    pub async fn ingest_counter(&self, name: &str) -> Option<u64> {
        let (_, body) = self.get_json("/v1/log/stats").await?;
        body["ingest"][name].as_u64()
    }

    /// Kills the process with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for the process to exit (at most 30 s).
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the service is not running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("Failed to run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("Failed to wait for tutorwatch") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "tutorwatch did not stop within 30 s of SIGTERM:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}
