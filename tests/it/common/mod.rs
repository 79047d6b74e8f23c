//! Shared test helpers: fixtures, a seeded emulator, and a pseudo-terminal
//! harness that runs the real binary and reads its screen back.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod fixtures;
pub mod hostile;
pub mod iam_like;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iamkeys::aws::IamClient;
use iamkeys::aws::emulator::{Emulator, Seed, SeedKey, SeedUse, SeedUser};
use iamkeys::aws::session::{self, Target};
use iamkeys::tui::state::Context;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// A key id no seeded user owns: signing with it leaves every seeded last use untouched.
pub const OUTSIDER_KEY: (&str, &str) = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
);

/// A small organisation with every shape the dashboard must show: no keys, one,
/// two; active and inactive; used (with service and region) and never used.
pub fn small_org() -> Seed {
    let used = |days_ago: f64, service: &str, region: &str| {
        Some(SeedUse {
            days_ago,
            service: service.into(),
            region: region.into(),
        })
    };
    let key = |status: &str, created_days_ago: f64, last_used| SeedKey {
        status: status.into(),
        created_days_ago,
        last_used,
        description: None,
    };
    let mut users = vec![
        SeedUser {
            name: "carol.ops".into(),
            path: "/ops/".into(),
            created_days_ago: 900.0,
            keys: vec![
                SeedKey {
                    description: Some("laptop".into()),
                    ..key("Active", 400.0, used(3.0, "s3", "eu-west-1"))
                },
                key("Inactive", 30.0, None),
            ],
        },
        SeedUser {
            name: "dave.dev".into(),
            path: "/engineering/".into(),
            created_days_ago: 100.0,
            keys: vec![key("Active", 10.0, used(1.0, "lambda", "ap-southeast-2"))],
        },
        SeedUser {
            name: "erin.nokeys".into(),
            path: "/".into(),
            created_days_ago: 20.0,
            keys: vec![],
        },
    ];
    for i in 0..27 {
        users.push(SeedUser {
            name: format!("user{i:02}"),
            path: if i % 2 == 0 {
                "/team-a/".into()
            } else {
                "/team-b/".into()
            },
            created_days_ago: 50.0 + i as f64,
            keys: (0..(i % 3))
                .map(|k| {
                    key(
                        if k == 0 { "Active" } else { "Inactive" },
                        5.0 + i as f64,
                        used(2.0, "ec2", "us-west-2"),
                    )
                })
                .collect(),
        });
    }
    Seed {
        signing_user: None,
        users,
        ..Seed::default()
    }
}

pub fn start_emulator(seed: &Seed) -> Emulator {
    Emulator::start(seed).expect("the moto emulator starts (python3 with moto installed)")
}

/// Connects to the emulator through the same path the binary uses.
pub async fn connect(emulator: &Emulator, credentials: (&str, &str)) -> (IamClient, Context) {
    connect_to(&emulator.endpoint, credentials).await
}

/// Connects to `endpoint` (the emulator, or a proxy in front of it).
pub async fn connect_to(endpoint: &str, credentials: (&str, &str)) -> (IamClient, Context) {
    let target = Target {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint.to_string()),
        static_credentials: Some((credentials.0.into(), credentials.1.into())),
    };
    session::connect(&target)
        .await
        .expect("connects to the emulator")
}

/// The real binary as a plain process, kept away from this machine's AWS
/// settings (profiles, region, credentials, instance metadata).
pub fn iamkeys_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_iamkeys"));
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/iamkeys-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/iamkeys-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("XDG_STATE_HOME", test_state_home())
        .env("XDG_CONFIG_HOME", "/nonexistent/iamkeys-test-config-home");
    cmd
}

/// A state directory of this test (journal, rotations), never the machine's
/// own. All suites share one process, so the directory is named after the
/// test (libtest runs each test on a thread named after it): two tests never
/// see each other's journal or saved rotations, and one test's runs share it.
pub fn test_state_home() -> std::path::PathBuf {
    let test: String = std::thread::current()
        .name()
        .unwrap_or("main")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!("iamkeys-test-state-{}-{test}", std::process::id()))
}

/// `iamkeys_command` signed with [`OUTSIDER_KEY`].
pub fn iamkeys_as_outsider() -> std::process::Command {
    let mut cmd = iamkeys_command();
    cmd.env("AWS_ACCESS_KEY_ID", OUTSIDER_KEY.0)
        .env("AWS_SECRET_ACCESS_KEY", OUTSIDER_KEY.1);
    cmd
}

/// `iamkeys list ARGS` on `endpoint` (us-east-1), signed with [`OUTSIDER_KEY`].
pub fn list_as_outsider(endpoint: &str, args: &[&str]) -> std::process::Output {
    iamkeys_as_outsider()
        .arg("list")
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .output()
        .expect("run iamkeys list")
}

/// Time between the keys `PtySession::send` types: far slower than a
/// paste, faster than a person.
pub const KEY_GAP: Duration = Duration::from_millis(25);

/// `text` split into keys: a CSI or SS3 escape sequence (`ESC [ … final`,
/// `ESC O x`) is one key, every other character another.
fn keys_of(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut keys = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let mut end = at + 1;
        if chars[at] == '\x1b' && end < chars.len() {
            match chars[end] {
                '[' => {
                    end += 1;
                    while end < chars.len() && !('\x40'..='\x7e').contains(&chars[end]) {
                        end += 1;
                    }
                    end = (end + 1).min(chars.len());
                }
                'O' => end = (end + 2).min(chars.len()),
                _ => {}
            }
        }
        keys.push(chars[at..end].iter().collect());
        at = end;
    }
    keys
}

/// The real `iamkeys` binary in a pseudo-terminal, its screen kept by a vt100 parser.
pub struct PtySession {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl PtySession {
    pub fn spawn(
        args: &[&str],
        env: &[(&str, &str)],
        cwd: &std::path::Path,
        rows: u16,
        cols: u16,
    ) -> Self {
        Self::spawn_program(env!("CARGO_BIN_EXE_iamkeys"), args, env, cwd, rows, cols)
    }

    /// Like [`PtySession::spawn`], for another program (`sh -c` around the
    /// binary, to redirect its stdout while it asks on the terminal).
    pub fn spawn_program(
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
        cwd: &std::path::Path,
        rows: u16,
        cols: u16,
    ) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env("TERM", "xterm-256color");
        for var in [
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL",
        ] {
            cmd.env_remove(var);
        }
        // Keep the SDK away from the real ~/.aws and the instance metadata service.
        cmd.env("AWS_CONFIG_FILE", "/nonexistent/iamkeys-test-config");
        cmd.env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/iamkeys-test-credentials",
        );
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("XDG_STATE_HOME", test_state_home());
        cmd.env("XDG_CONFIG_HOME", "/nonexistent/iamkeys-test-config-home");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn iamkeys");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().expect("rows > 0"),
            cols.try_into().expect("cols > 0"),
            0,
        )));
        let sink = screen.clone();
        std::thread::spawn(move || {
            // Keep the master alive as long as the reader runs.
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        Self {
            screen,
            writer,
            child,
        }
    }

    /// The dashboard on `endpoint` (us-east-1), signed with [`OUTSIDER_KEY`].
    pub fn as_outsider(
        endpoint: &str,
        extra_env: &[(&str, &str)],
        cwd: &std::path::Path,
        rows: u16,
        cols: u16,
    ) -> Self {
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID", OUTSIDER_KEY.0),
            ("AWS_SECRET_ACCESS_KEY", OUTSIDER_KEY.1),
        ];
        env.extend_from_slice(extra_env);
        Self::spawn(
            &["--endpoint-url", endpoint, "--region", "us-east-1"],
            &env,
            cwd,
            rows,
            cols,
        )
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until `needle` is on screen; panics with the screen if it never comes.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_until(|s| s.contains(needle), timeout)
            .unwrap_or_else(|screen| panic!("'{needle}' never appeared; screen:\n{screen}"))
    }

    pub fn wait_until(
        &self,
        done: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.contents();
            if done(&screen) {
                return Ok(screen);
            }
            if Instant::now() > deadline {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `text` as a person does: one key at a time (an escape sequence
    /// such as an arrow is one key), [`KEY_GAP`] apart. The dashboard takes
    /// keys that come faster for a paste (see `send_at_once`).
    pub fn send(&mut self, text: &str) {
        for key in keys_of(text) {
            self.writer.write_all(key.as_bytes()).expect("write to pty");
            self.writer.flush().expect("flush pty");
            std::thread::sleep(KEY_GAP);
        }
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Writes `text` in one write, as a terminal without bracketed paste
    /// delivers a paste (or as keys typed while nothing read them).
    pub fn send_at_once(&mut self, text: &str) {
        self.writer
            .write_all(text.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Answers a dialog that just opened: waits out the quarter second in which
    /// a dialog that changes IAM ignores confirming keys, as a person would.
    pub fn answer(&mut self, text: &str) {
        std::thread::sleep(Duration::from_millis(300));
        self.send(text);
    }

    /// Pastes `text` the way a terminal with bracketed paste does.
    pub fn paste(&mut self, text: &str) {
        self.send_at_once(&format!("\x1b[200~{text}\x1b[201~"));
    }

    /// Waits for the process to exit and returns its success.
    /// Whether the process has ended, and if so whether it succeeded.
    pub fn exited(&mut self) -> Option<bool> {
        let status = self.child.try_wait().expect("try_wait")?;
        // Let the reader thread drain the last bytes.
        std::thread::sleep(Duration::from_millis(200));
        Some(status.success())
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader thread drain the last bytes.
                std::thread::sleep(Duration::from_millis(200));
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("iamkeys did not exit; screen:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a signal (`TERM`, `HUP`, …) to the process.
    pub fn signal(&self, name: &str) {
        let pid = self.child.process_id().expect("a pid");
        let status = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, whatever its status.
    pub fn wait_exit_any(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.child.try_wait().expect("try_wait").is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("iamkeys did not exit; screen:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Waits for the process to exit and returns its exit code (128 + N for a signal).
    pub fn wait_exit_code(&mut self, timeout: Duration) -> u32 {
        self.wait_exit_any(timeout);
        self.child
            .try_wait()
            .expect("try_wait")
            .expect("exited")
            .exit_code()
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a pid")
    }

    /// The process state letter from /proc (R, S, T for stopped, …).
    pub fn process_state(&self) -> char {
        let pid = self.child.process_id().expect("a pid");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.rsplit(')')
            .next()
            .and_then(|rest| rest.trim_start().chars().next())
            .unwrap_or('?')
    }

    pub fn in_alternate_screen(&self) -> bool {
        self.screen.lock().unwrap().screen().alternate_screen()
    }

    pub fn cursor_hidden(&self) -> bool {
        self.screen.lock().unwrap().screen().hide_cursor()
    }
}

impl Drop for PtySession {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Checks a load's events against what the emulator was seeded with, field by field.
pub fn assert_inventory_equals_seed(
    emulator: &Emulator,
    events: Vec<iamkeys::aws::inventory::LoadEvent>,
) {
    use iamkeys::aws::inventory::LoadEvent;
    use iamkeys::core::model::{KeyStatus, LastUsed};
    use jiff::Timestamp;
    use std::collections::BTreeMap;
    let mut users = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let mut last_used = BTreeMap::new();
    for event in events {
        match event {
            LoadEvent::UsersPage { users: page, .. } => {
                for u in page {
                    assert!(
                        users.insert(u.name.clone(), u).is_none(),
                        "user listed twice"
                    );
                }
            }
            LoadEvent::Keys { user, result } => {
                assert!(users.contains_key(&user), "keys of {user} before the user");
                assert!(keys.insert(user, result.expect("keys load")).is_none());
            }
            LoadEvent::LastUsed { key_id, result, .. } => {
                // A second answer may complete a first one (report date, then live details).
                last_used.insert(key_id, result.expect("last use loads"));
            }
            LoadEvent::UsersFailed(err) => panic!("{err}"),
            LoadEvent::UserGone { user } => panic!("{user} vanished during the load"),
            LoadEvent::UserTags { .. } => {}
            LoadEvent::Source(_)
            | LoadEvent::RootKey(_)
            | LoadEvent::Paced { .. }
            | LoadEvent::Retries { .. }
            | LoadEvent::Finished => {}
        }
    }

    let ts = |s: &str| s.parse::<Timestamp>().unwrap();
    assert_eq!(users.len(), emulator.report.users.len());
    for seeded in &emulator.report.users {
        let user = &users[&seeded.name];
        assert_eq!(user.path, seeded.path);
        assert_eq!(user.created, ts(&seeded.created), "{}", seeded.name);
        let loaded = &keys[&seeded.name];
        assert_eq!(loaded.len(), seeded.keys.len(), "keys of {}", seeded.name);
        for (key, want) in loaded.iter().zip(&seeded.keys) {
            assert_eq!(key.id, want.id);
            assert_eq!(key.user, seeded.name);
            assert_eq!(key.status.as_str(), want.status);
            assert_eq!(key.created, ts(&want.created));
            assert_eq!(
                key.description, want.description,
                "description of {}",
                key.id
            );
            let expected = match &want.last_used {
                None => LastUsed::Never,
                Some(u) => LastUsed::Used {
                    at: ts(&u.date),
                    service: Some(u.service.clone()),
                    region: Some(u.region.clone()),
                },
            };
            assert_eq!(last_used[&key.id], expected, "last use of {}", key.id);
        }
    }
    // The seed has every shape: both statuses, used and never used.
    let all: Vec<_> = keys.values().flatten().collect();
    assert!(all.iter().any(|k| k.status == KeyStatus::Inactive));
    assert!(last_used.values().any(|u| *u == LastUsed::Never));
    assert_eq!(last_used.len(), all.len());
}

/// A plain SDK client of the emulator, for seeding what the seed file does not
/// (groups, policies, MFA devices, login profiles).
pub async fn raw_iam(endpoint: &str) -> aws_sdk_iam::Client {
    let credentials =
        aws_credential_types::Credentials::new(OUTSIDER_KEY.0, OUTSIDER_KEY.1, None, None, "test");
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .build();
    aws_sdk_iam::Client::from_conf(config)
}
