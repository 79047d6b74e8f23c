//! A local IAM emulator: moto's server, run in-process by a small Python
//! launcher that ships with the crate, on a free 127.0.0.1 port. Used by
//! `--demo` and by the tests. The emulator stops when [`Emulator`] is dropped
//! (and on its own if this process dies, since its stdin then closes).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

const LAUNCHER: &str = include_str!("../../assets/emulator/launcher.py");
/// The demo organisation: 180 users under several paths.
pub const DEMO_ORG: &str = include_str!("../../assets/demo-org.json");
/// The moto release the launcher is written against, installed if missing.
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.1";
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// What to create in the emulator. Dates are "days ago" so seeded ages stay true.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Seed {
    /// The user whose first key is reported back as [`SeedReport::signing`].
    #[serde(default)]
    pub signing_user: Option<String>,
    pub users: Vec<SeedUser>,
    /// Make the credential report at seeding time, as of this many hours ago
    /// (IAM keeps a report up to four hours): uses since are missing from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_hours_ago: Option<f64>,
    /// The `<root_account>` row says the root user has an access key.
    #[serde(default)]
    pub root_key: bool,
    /// STS refuses a new key for this many seconds after it was made, as IAM
    /// does while a key propagates (moto accepts it at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_key_propagation_secs: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SeedUser {
    pub name: String,
    pub path: String,
    pub created_days_ago: f64,
    pub keys: Vec<SeedKey>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeedKey {
    pub status: String,
    pub created_days_ago: f64,
    pub last_used: Option<SeedUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeedUse {
    pub days_ago: f64,
    pub service: String,
    pub region: String,
}

/// What the launcher created, with the ids and exact dates IAM now holds.
#[derive(Clone, Debug, Deserialize)]
pub struct SeedReport {
    pub account_id: String,
    pub users: Vec<SeededUser>,
    pub signing: Option<SigningKey>,
    pub port: u16,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SeededUser {
    pub name: String,
    pub path: String,
    pub created: String,
    pub keys: Vec<SeededKey>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SeededKey {
    pub id: String,
    pub status: String,
    pub created: String,
    pub last_used: Option<SeededUse>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SeededUse {
    pub date: String,
    pub service: String,
    pub region: String,
}

/// Demo-only credentials of a seeded user (never real AWS credentials).
#[derive(Clone, Deserialize)]
pub struct SigningKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(
        "python3 was not found; the IAM emulator behind --demo needs Python 3 (apt-get install python3)"
    )]
    NoPython,
    #[error("could not install the IAM emulator ({MOTO_REQUIREMENT}): {0}")]
    Install(String),
    #[error("the IAM emulator did not start: {0}")]
    Start(String),
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    pub endpoint: String,
    pub report: SeedReport,
    _workdir: tempfile::TempDir,
}

impl Emulator {
    /// Starts moto on a free loopback port and seeds it. Blocks until it serves.
    pub fn start(seed: &Seed) -> Result<Self, EmulatorError> {
        let seed_json =
            serde_json::to_string(seed).map_err(|e| EmulatorError::Start(e.to_string()))?;
        Self::start_json(&seed_json)
    }

    /// Like [`Emulator::start`], from seed JSON (the format of `assets/demo-org.json`).
    pub fn start_json(seed_json: &str) -> Result<Self, EmulatorError> {
        let python = python_with_moto()?;
        let workdir = tempfile::tempdir().map_err(|e| EmulatorError::Start(e.to_string()))?;
        let launcher = workdir.path().join("launcher.py");
        let seed_path = workdir.path().join("seed.json");
        let stderr_path = workdir.path().join("stderr.log");
        let io = |e: std::io::Error| EmulatorError::Start(e.to_string());
        std::fs::write(&launcher, LAUNCHER).map_err(io)?;
        std::fs::write(&seed_path, seed_json).map_err(io)?;
        let stderr = std::fs::File::create(&stderr_path).map_err(io)?;
        let mut child = Command::new(&python)
            .arg(&launcher)
            .arg(&seed_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(io)?;
        let report = match read_report(&mut child) {
            Ok(report) => report,
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                let last = log
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                return Err(EmulatorError::Start(
                    format!("{why} {last}").trim().to_string(),
                ));
            }
        };
        Ok(Self {
            child,
            endpoint: format!("http://127.0.0.1:{}", report.port),
            report,
            _workdir: workdir,
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Closing stdin asks the launcher to stop; kill makes sure it does.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for the launcher's one-line JSON report on stdout.
fn read_report(child: &mut Child) -> Result<SeedReport, String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let result = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(result);
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(Ok(line)) if !line.trim().is_empty() => {
            serde_json::from_str(&line).map_err(|e| format!("unreadable launcher report ({e})."))
        }
        Ok(Ok(_)) => Err("the launcher exited early.".into()),
        Ok(Err(e)) => Err(format!("reading the launcher: {e}.")),
        Err(_) => Err(format!("no answer within {}s.", START_TIMEOUT.as_secs())),
    }
}

/// A Python interpreter that can import moto: `$IAMKEYS_PYTHON` or python3 if it
/// has moto, else a cache virtualenv where moto is installed on first use.
fn python_with_moto() -> Result<PathBuf, EmulatorError> {
    let system =
        std::env::var_os("IAMKEYS_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    match has_moto(&system) {
        Some(true) => return Ok(system),
        Some(false) => {}
        None => return Err(EmulatorError::NoPython),
    }
    let venv = cache_dir().join("moto-venv");
    let venv_python = venv.join("bin").join("python");
    if has_moto(&venv_python) == Some(true) {
        return Ok(venv_python);
    }
    {
        use std::io::Write;
        // Dropped if stderr cannot take it (closed or full): never a panic.
        let _ = writeln!(
            std::io::stderr().lock(),
            "iamkeys: moto is not installed; installing {MOTO_REQUIREMENT} into {} (once)…",
            crate::core::sanitize::server_text(&venv.display().to_string())
        );
    }
    run_quietly(Command::new(&system).args(["-m", "venv"]).arg(&venv))?;
    run_quietly(Command::new(venv.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        MOTO_REQUIREMENT,
    ]))?;
    match has_moto(&venv_python) {
        Some(true) => Ok(venv_python),
        _ => Err(EmulatorError::Install(
            "moto still cannot be imported after installing it".into(),
        )),
    }
}

/// `Some(has moto)`, or `None` if the interpreter does not run at all.
fn has_moto(python: &Path) -> Option<bool> {
    Command::new(python)
        .args(["-c", "import moto.server, moto.iam"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()
        .map(|s| s.success())
}

fn run_quietly(command: &mut Command) -> Result<(), EmulatorError> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| EmulatorError::Install(e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("failed");
    Err(EmulatorError::Install(last.to_string()))
}

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("iamkeys");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("iamkeys"),
        None => std::env::temp_dir().join("iamkeys-cache"),
    }
}
