//! Shared test helpers: fixtures, a seeded emulator, and a pseudo-terminal
//! harness that runs the real binary and reads its screen back.
#![allow(dead_code)]

pub mod fixtures;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iamkeys::emulator::{Emulator, Seed, SeedKey, SeedUse, SeedUser};
use iamkeys::iam::IamClient;
use iamkeys::iam::session::{self, Target};
use iamkeys::state::Context;
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
    }
}

pub fn start_emulator(seed: &Seed) -> Emulator {
    Emulator::start(seed).expect("the moto emulator starts (python3 with moto installed)")
}

/// Connects to the emulator through the same path the binary uses.
pub async fn connect(emulator: &Emulator, credentials: (&str, &str)) -> (IamClient, Context) {
    let target = Target {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint: Some(emulator.endpoint.clone()),
        static_credentials: Some((credentials.0.into(), credentials.1.into())),
    };
    session::connect(&target)
        .await
        .expect("connects to the emulator")
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
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_iamkeys"));
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

    pub fn send(&mut self, text: &str) {
        self.writer
            .write_all(text.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Waits for the process to exit and returns its success.
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
