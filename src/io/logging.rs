//! Optional diagnostic logs (`--log-file`). Without the flag nothing is logged,
//! so nothing can be printed over the dashboard.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Targets capped at `info` whatever `IAMKEYS_LOG` says: at debug and trace
/// the SDK and the HTTP stack log requests and replies, and a CreateAccessKey
/// reply holds a secret. A cap is a filter of its own, AND-ed with the user's,
/// so no directive (however specific) gets past it.
const CAPPED_TARGETS: [&str; 7] = [
    "aws_smithy",
    "aws_sdk",
    "aws_config",
    "aws_runtime",
    "hyper",
    "h2",
    "rustls",
];

/// The hard cap: everything else passes to the user's filter.
fn cap() -> Targets {
    CAPPED_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::INFO),
    )
}

/// Sends tracing output to `path` (appending; created with mode 0600, never
/// through a symlink). `IAMKEYS_LOG` sets the level (default `info,iamkeys=debug`).
pub fn init(path: &Path) -> std::io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let filter = EnvFilter::try_from_env("IAMKEYS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,iamkeys=debug"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(Mutex::new(SafeWriter(file)))
        .with_ansi(false)
        .with_filter(filter.and(cap()));
    tracing_subscriber::registry().with(layer).init();
    Ok(())
}

/// Writes log records with every control character (but the line break) made
/// visible: a server string that reached a log field cannot drive the terminal
/// of whoever reads the log with `cat`.
struct SafeWriter<W>(W);

impl<W: Write> Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(crate::core::sanitize::keep_newlines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn the_cap_holds_sdk_targets_at_info_and_lets_ours_through() {
        let cap = cap();
        let allows = |target: &str, level: Level| cap.would_enable(target, &level);
        assert!(!allows(
            "aws_smithy_runtime::client::orchestrator",
            Level::TRACE
        ));
        assert!(!allows(
            "aws_smithy_runtime::client::orchestrator",
            Level::DEBUG
        ));
        assert!(allows(
            "aws_smithy_runtime::client::orchestrator",
            Level::INFO
        ));
        assert!(!allows("hyper_util::client", Level::DEBUG));
        assert!(!allows("aws_sdk_iam::operation", Level::TRACE));
        assert!(allows("iamkeys::tui::tasks", Level::TRACE));
    }

    #[test]
    fn the_writer_makes_escapes_visible_but_keeps_lines() {
        let mut out = SafeWriter(Vec::new());
        out.write_all(b"user=\x1b]0;owned\x07 done\n").unwrap();
        assert_eq!(out.0, b"user=\\x1b]0;owned\\x07 done\n");
    }
}
