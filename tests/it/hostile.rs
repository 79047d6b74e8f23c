//! A hostile endpoint (a loopback server written in tests/common/hostile.rs)
//! puts terminal escape sequences into every string and pages forever. What
//! reaches stdout, stderr and the log is checked byte for byte; the dashboard
//! itself is checked in a pty.

use crate::common;

use std::time::{Duration, Instant};

use common::hostile::{HostileServer, Script};

/// Clear the screen, set the window title, write the clipboard (OSC 52),
/// a C1 CSI, a bell, DEL and a right-to-left override, XML-escaped.
const POISON: &str =
    "&#x1b;[2J&#x1b;]0;owned&#x7;&#x1b;]52;c;cHduZWQ=&#x7;&#xc2;&#x9b;1m&#x7f;&#x202e;";

fn script() -> Script {
    Script {
        poison: POISON.into(),
        endless_users: false,
        endless_keys: false,
        deny_identity: false,
        endless_accounts: false,
    }
}

/// No byte a terminal acts on: C0 (but line breaks in logs and tables), DEL,
/// C1 (U+0080–U+009F in UTF-8), bidi overrides and isolates.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what} carries U+{:04X}:\n{text}", c as u32);
    }
}

fn run_list(server: &HostileServer, args: &[&str], log: &std::path::Path) -> std::process::Output {
    common::iamkeys_as_outsider()
        .args(["--endpoint-url", &server.url, "--region", "us-east-1"])
        .arg("--log-file")
        .arg(log)
        .args(args)
        .env("IAMKEYS_LOG", "trace")
        .output()
        .unwrap()
}

#[test]
fn escape_sequences_from_the_server_never_reach_stdout_stderr_or_the_log() {
    let server = HostileServer::start(script());
    let dir = tempfile::tempdir().unwrap();
    for output in ["table", "csv", "json"] {
        let log = dir.path().join(format!("{output}.log"));
        let out = run_list(
            &server,
            &["list", "--output", output, "--source", "auto"],
            &log,
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_inert(&format!("{output} stdout"), &out.stdout);
        assert_inert(&format!("{output} stderr"), &out.stderr);
        assert_inert(&format!("{output} log"), &std::fs::read(&log).unwrap());
        // What was there is shown, made visible.
        assert!(
            stdout.contains("AKIAHOSTILE000000001"),
            "{output}:\n{stdout}"
        );
        assert!(stdout.contains("x1b[2J"), "{output}:\n{stdout}");
        assert!(stdout.contains("u{202e}"), "{output}:\n{stdout}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("credential report unavailable (Denied"),
            "{stderr}"
        );
    }
    // The log file is the user's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("table.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn an_error_message_with_escapes_is_printed_inert() {
    let server = HostileServer::start(Script {
        deny_identity: true,
        ..script()
    });
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let out = run_list(&server, &["list"], &log);
    assert_eq!(out.status.code(), Some(1));
    assert_inert("stderr", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("you shall not pass\\x1b[2J"), "{stderr}");
}

#[test]
fn a_server_that_repeats_its_page_marker_is_an_error_not_an_endless_load() {
    for (endless_users, endless_keys, says, code) in [
        (true, false, "same page marker", 1),
        (false, true, "same page marker", 3),
    ] {
        let server = HostileServer::start(Script {
            endless_users,
            endless_keys,
            ..script()
        });
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = run_list(
            &server,
            &["list", "--output", "json", "--source", "live"],
            &dir.path().join("log"),
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(out.status.code(), Some(code), "{out:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains(says), "{all}");
    }
}

#[test]
fn the_dashboard_shows_hostile_strings_inert() {
    let server = HostileServer::start(script());
    let dir = tempfile::tempdir().unwrap();
    let mut tui = common::PtySession::as_outsider(&server.url, &[], dir.path(), 30, 120);
    let screen = tui.wait_for("AKIAHOSTILE", Duration::from_secs(30));
    assert!(screen.contains("eve\\x1b[2J"), "{screen}");
    tui.send("q");
    assert!(tui.wait_exit(Duration::from_secs(10)));
}

#[test]
fn a_hostile_organization_is_read_inert_once_per_account_and_endless_paging_stops() {
    let server = HostileServer::start(script());
    let dir = tempfile::tempdir().unwrap();
    let out = run_list(
        &server,
        &["list", "--org", "--output", "json"],
        &dir.path().join("log"),
    );
    // The member's AssumeRole is refused (poisoned), the odd id is not read: exit 3.
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_inert("stdout", &out.stdout);
    assert_inert("stderr", &out.stderr);
    let records: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let prod: Vec<_> = records
        .iter()
        .filter(|r| r["account_id"] == "111111111111")
        .collect();
    assert_eq!(prod.len(), 1, "listed twice, read once: {records:#?}");
    assert!(
        prod[0]["account_name"]
            .as_str()
            .unwrap()
            .contains("\\x1b[2J")
    );
    assert!(
        records.iter().any(|r| r["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an account id"))),
        "{records:#?}"
    );

    let endless = HostileServer::start(Script {
        endless_accounts: true,
        ..script()
    });
    let started = Instant::now();
    let out = run_list(&endless, &["list", "--org"], &dir.path().join("log2"));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("pages in a loop"));
}
