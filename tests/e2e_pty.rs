#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real binary in a pseudo-terminal against the emulator: what a person sees.

mod common;

use std::time::Duration;

use common::PtySession;

const WAIT: Duration = Duration::from_secs(30);

fn outsider_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", common::OUTSIDER_KEY.0),
        ("AWS_SECRET_ACCESS_KEY", common::OUTSIDER_KEY.1),
    ]
}

#[test]
fn browse_filter_read_a_key_and_quit_with_the_terminal_restored() {
    let emulator = common::start_emulator(&common::small_org());
    let carol = emulator
        .report
        .users
        .iter()
        .find(|u| u.name == "carol.ops")
        .unwrap();
    let used_key = &carol.keys[0];
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 30, 120);
    tui.wait_for("carol.ops", WAIT);
    let screen = tui.wait_for("loaded 30 users", WAIT);
    assert!(
        tui.in_alternate_screen(),
        "the dashboard runs in the alternate screen"
    );
    assert!(screen.contains("account 123456789012"), "{screen}");

    tui.send("/");
    tui.send(&used_key.id.to_lowercase());
    let screen = tui.wait_for("Users 1/30", WAIT);
    assert!(
        screen.contains("carol.ops"),
        "a key id finds its owner:\n{screen}"
    );
    tui.send("\r");
    tui.send("\t");
    let screen = tui.wait_for(&used_key.id, WAIT);
    let row = screen.lines().find(|l| l.contains(&used_key.id)).unwrap();
    let last_use = used_key.last_used.as_ref().unwrap();
    assert!(
        row.contains(&last_use.service) && row.contains(&last_use.region),
        "{row}"
    );
    assert!(row.contains("3 days ago"), "{row}");

    tui.send("q");
    assert!(tui.wait_exit(WAIT), "iamkeys exits 0 on q");
    assert!(!tui.in_alternate_screen(), "the alternate screen was left");
    assert!(!tui.cursor_hidden(), "the cursor is visible again");
}

#[test]
fn ctrl_c_in_the_filter_field_quits_and_restores_the_terminal() {
    let emulator = common::start_emulator(&common::small_org());
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 24, 80);
    tui.wait_for("carol.ops", WAIT);
    tui.send("/q");
    tui.wait_for("filter: q", WAIT);
    tui.send("\x03");
    assert!(tui.wait_exit(WAIT));
    assert!(!tui.in_alternate_screen() && !tui.cursor_hidden());
}

#[test]
fn a_tiny_terminal_says_so_and_still_quits() {
    let emulator = common::start_emulator(&common::small_org());
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 8, 30);
    tui.wait_for("too small", WAIT);
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

/// Runs `iamkeys list ARGS` without a terminal: the dashboard would only say
/// that it needs one, and `list` meets every startup error the dashboard meets.
fn run_plain(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = common::iamkeys_command();
    cmd.arg("list").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run iamkeys");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn startup_errors_are_one_clear_line_with_a_hint_and_a_nonzero_exit() {
    let dead = "http://127.0.0.1:9";
    let (code, stdout, stderr) = run_plain(
        &["--endpoint-url", dead, "--region", "us-east-1"],
        &outsider_env(),
    );
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "the terminal is untouched: {stdout:?}");
    assert!(
        stderr.starts_with("iamkeys: cannot reach AWS") && stderr.contains("NetworkError"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint:") && stderr.lines().count() == 2,
        "{stderr}"
    );

    let (code, _, stderr) = run_plain(&["--region", "us-east-1"], &[]);
    assert_eq!(code, 1);
    // The cause first; the instance metadata service (the chain's last stop) last.
    assert!(
        stderr.starts_with(
            "iamkeys: cannot load AWS credentials: no credentials found: no AWS_ACCESS_KEY_ID"
        ) && stderr.contains("instance metadata is disabled"),
        "{stderr}"
    );

    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[profile team]\nregion = eu-west-1\n").unwrap();
    let path = config.path().to_str().unwrap();
    // A profile that does not exist fails, naming the ones there are, even
    // with keys in the environment (which it would otherwise fall through to).
    let mut env: Vec<(&str, &str)> = outsider_env();
    env.push(("AWS_CONFIG_FILE", path));
    for how in [&["--profile", "nope"][..], &[]] {
        let mut env = env.clone();
        if how.is_empty() {
            env.push(("AWS_PROFILE", "nope"));
        }
        let (code, _, stderr) = run_plain(how, &env);
        assert_eq!(code, 1, "{how:?}");
        assert!(
            stderr.contains("profile 'nope' does not exist; the profiles found are: team"),
            "{stderr}"
        );
    }

    std::fs::write(config.path(), "[profile team\nregion = eu-west-1\n").unwrap();
    let (code, _, stderr) = run_plain(&["--profile", "team"], &[("AWS_CONFIG_FILE", path)]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read the AWS config files"),
        "{stderr}"
    );

    let (code, _, stderr) = run_plain(&[], &outsider_env());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no AWS region is configured") && stderr.contains("--region"),
        "{stderr}"
    );

    for bad in [
        &["--concurrency", "0"][..],
        &["--endpoint-url", "localhost:5000"],
        &["--frobnicate"],
    ] {
        let (code, stdout, stderr) = run_plain(bad, &[]);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
        assert!(
            stdout.is_empty() && stderr.starts_with("error:"),
            "{bad:?}: {stderr}"
        );
    }
}
