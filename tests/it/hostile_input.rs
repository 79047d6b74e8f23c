//! Hostile input from this machine rather than the server: a config file
//! others can write, bindings that put a change on a key that answers a
//! dialog, escape sequences in local files, keys typed ahead of a headless
//! prompt, and a paste that arrives as keys (no bracketed paste).

use crate::common;
use crate::common::PtySession;

use iamkeys::aws::emulator::{Seed, SeedKey, SeedUse, SeedUser};

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// No byte a terminal acts on: C0 (but line breaks), DEL, C1, bidi overrides.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what} carries U+{:04X}:\n{text}", c as u32);
    }
}

/// Writes `body` as `$XDG_CONFIG_HOME/iamkeys/config.toml` under `home`, with `mode`.
fn default_config(home: &Path, body: &str, mode: u32) -> PathBuf {
    let dir = home.join("iamkeys");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// `iamkeys list ARGS` on `endpoint` with `config_home` as `$XDG_CONFIG_HOME`.
fn list_with_config_home(
    endpoint: &str,
    config_home: &Path,
    args: &[&str],
) -> std::process::Output {
    common::iamkeys_as_outsider()
        .env("XDG_CONFIG_HOME", config_home)
        .arg("list")
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .output()
        .unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_config_others_can_write_is_refused_and_fail_on_says_how_many_users_are_exempt() {
    let emulator = common::start_emulator(&common::small_org());
    let home = tempfile::tempdir().unwrap();
    let exempt_all = "[policy.exempt]\nusers = [\"*\"]\n";

    // World-writable: anyone could have exempted everyone. Refused, exit 2, nothing listed.
    let path = default_config(home.path(), exempt_all, 0o666);
    let out = list_with_config_home(&emulator.endpoint, home.path(), &["--fail-on", "any"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&path.display().to_string())
            && stderr.contains("writable by everyone")
            && stderr.contains("refuses"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing listed");

    // Group-writable: the same.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o620)).unwrap();
    let out = list_with_config_home(&emulator.endpoint, home.path(), &["--fail-on", "any"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("writable by its group"));

    // Another user's file (only root can make one here).
    if std::os::unix::fs::chown(&path, Some(65534), None).is_ok() {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = list_with_config_home(&emulator.endpoint, home.path(), &["--fail-on", "any"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert!(stderr_of(&out).contains("belongs to user id 65534"));
        std::os::unix::fs::chown(
            &path,
            Some(std::fs::metadata(home.path()).unwrap().uid()),
            None,
        )
        .unwrap();
    }

    // A symbolic link to a good file: never followed.
    let real = home.path().join("real.toml");
    std::fs::write(&real, exempt_all).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = home.path().join("link.toml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = common::iamkeys_as_outsider()
        .arg("--config")
        .arg(&link)
        .args([
            "list",
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("symbolic link"));

    // The user's own 0600 file is read; the gate then says how many users it did not judge.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = list_with_config_home(&emulator.endpoint, home.path(), &["--fail-on", "any"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "everyone exempt: {stderr}");
    assert!(
        stderr.contains("--fail-on: 30 of 30 users are exempt"),
        "{stderr}"
    );
    default_config(
        home.path(),
        "[policy.exempt]\nusers = [\"carol*\", \"user0?\"]\n",
        0o600,
    );
    let out = list_with_config_home(&emulator.endpoint, home.path(), &["--fail-on", "any"]);
    assert!(
        stderr_of(&out).contains("--fail-on: 11 of 30 users are exempt"),
        "{}",
        stderr_of(&out)
    );
    // Without --fail-on nothing is said about it.
    let out = list_with_config_home(&emulator.endpoint, home.path(), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr_of(&out).contains("exempt"), "{}", stderr_of(&out));
}

/// `iamkeys --config PATH list` against a port nobody listens on: the config
/// is judged before anything connects.
fn list_with_config(path: &Path) -> std::process::Output {
    common::iamkeys_as_outsider()
        .arg("--config")
        .arg(path)
        .args([
            "list",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap()
}

#[test]
fn a_binding_that_puts_a_change_on_a_dialog_key_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    for (body, line, why) in [
        // Esc cancels every dialog: a second Esc would reactivate the key.
        (
            "[keys]\nback = \"b\"\ntoggle = [\"Esc\"]\n",
            3,
            "toggle: Esc cancels",
        ),
        (
            "[policy]\n\n[keys]\nopen = \"o\"\ndelete = \"Enter\"\n",
            5,
            "delete: Enter confirms",
        ),
        (
            "[keys]\ncopy-id = \"Y\"\nundo = \"y\"\n",
            3,
            "undo: y confirms",
        ),
        (
            "[keys]\ndeactivate-marked = [\"D\", \"n\"]\n",
            2,
            "deactivate-marked: n cancels",
        ),
    ] {
        std::fs::write(&path, body).unwrap();
        let out = list_with_config(&path);
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{body}: {stderr}");
        assert!(
            stderr.contains(&format!("config.toml: line {line}: [keys] {why}"))
                && stderr.contains("may not start a change"),
            "{body}: {stderr}"
        );
    }
}

#[test]
fn escape_sequences_in_a_config_or_its_name_reach_stderr_as_visible_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    for body in [
        // An unknown key whose name clears the screen and sets the title.
        "[policy]\n\"\\u001b]0;owned\\u0007\\u001b[2J\" = 1\n",
        "[keys]\n\"\\u001b[2Jtoggle\\u202e\" = \"t\"\n",
        "[keys]\ntoggle = \"\\u001b[31m\"\n",
    ] {
        std::fs::write(&path, body).unwrap();
        let out = list_with_config(&path);
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert!(stderr_of(&out).contains("line 2"), "{}", stderr_of(&out));
        assert_inert(body, &out.stderr);
    }
    // A file name with an escape in it.
    let named = dir.path().join("evil\u{1b}[2J\u{9b}1m.toml");
    let out = list_with_config(&named);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("evil\\x1b[2J\\u{9b}1m.toml"),
        "{}",
        stderr_of(&out)
    );
    assert_inert("a missing config's name", &out.stderr);
}

const WAIT: Duration = Duration::from_secs(30);

/// Two users, each with one active key that has not been used for 100 days:
/// deactivating such a key asks nothing (it is not in use), so a stray space
/// in the keys pane deactivates it at once.
fn idle_keys_org() -> Seed {
    let user = |name: &str| SeedUser {
        name: name.into(),
        path: "/".into(),
        created_days_ago: 400.0,
        keys: vec![SeedKey {
            status: "Active".into(),
            created_days_ago: 300.0,
            last_used: Some(SeedUse {
                days_ago: 100.0,
                service: "s3".into(),
                region: "eu-west-1".into(),
            }),
            description: None,
        }],
    };
    Seed {
        users: vec![user("paula.paste"), user("quentin.quiet")],
        ..Seed::default()
    }
}

/// Key id → status of `user`'s keys, as IAM lists them now.
fn statuses(endpoint: &str, user: &str) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let iam = common::raw_iam(endpoint).await;
        let listed = iam.list_access_keys().user_name(user).send().await.unwrap();
        listed
            .access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap().to_string(),
                    k.status().unwrap().as_str().to_string(),
                )
            })
            .collect()
    })
}

#[test]
fn a_paste_without_bracketed_paste_is_text_not_keys() {
    let emulator = common::start_emulator(&idle_keys_org());
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 30, 120);
    tui.wait_for("loaded 2 users", WAIT);
    tui.send("/paula\r");
    tui.wait_for("Users 1/2", WAIT);
    tui.send("\t");
    let id = statuses(&emulator.endpoint, "paula.paste")[0].0.clone();
    tui.wait_for("Keys of paula.paste", WAIT);

    // The terminal sends the paste as plain keys, in one write.
    tui.send_at_once("hello world");
    let screen = tui.wait_for("ignored pasted text (11 characters)", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let screen_after = tui.contents();
    for dialog in ["Delete", "Deactivate", "Create an access key", "Undo"] {
        assert!(
            !screen.contains(dialog) && !screen_after.contains(dialog),
            "no dialog:\n{screen_after}"
        );
    }
    assert_eq!(
        statuses(&emulator.endpoint, "paula.paste"),
        [(id.clone(), "Active".to_string())],
        "the space in the paste changed nothing"
    );

    // A filter field takes a burst as its text (Esc: back to the users, Esc: no filter).
    tui.send("\x1b");
    tui.send("\x1b");
    tui.wait_for("filter: none", WAIT);
    tui.send("/");
    tui.send_at_once("quentin");
    tui.wait_for("Users 1/2", WAIT);
    tui.wait_for("quentin.quiet", WAIT);
    tui.send("\x1b");

    // The control: the same space typed by a person deactivates the key at once.
    tui.send("/paula\r");
    tui.send("\t");
    tui.wait_for("Keys of paula.paste", WAIT);
    tui.send(" ");
    tui.wait_for(&format!("deactivated {id}"), WAIT);
    assert_eq!(
        statuses(&emulator.endpoint, "paula.paste"),
        [(id, "Inactive".to_string())]
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

/// `iamkeys deactivate --filter paula` in a pty, signed as an outsider.
fn deactivate_args(endpoint: &str) -> Vec<&str> {
    vec![
        "deactivate",
        "--filter",
        "paula",
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
    ]
}

fn outsider_env(state: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", common::OUTSIDER_KEY.0.to_string()),
        ("AWS_SECRET_ACCESS_KEY", common::OUTSIDER_KEY.1.to_string()),
        ("XDG_STATE_HOME", state.display().to_string()),
    ]
}

#[test]
fn keys_typed_while_a_headless_command_loads_do_not_answer_its_question() {
    let emulator = common::start_emulator(&idle_keys_org());
    let dir = tempfile::tempdir().unwrap();
    let env = outsider_env(dir.path());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut run = PtySession::spawn(
        &deactivate_args(&emulator.endpoint),
        &env,
        dir.path(),
        30,
        120,
    );
    // Typed at once, before the plan is on screen.
    run.send("1\r");
    run.wait_for("Type 1 to go on:", WAIT);
    std::thread::sleep(Duration::from_secs(1));
    let screen = run.contents();
    assert!(screen.contains("plan: deactivate 1 keys"), "{screen}");
    assert!(!screen.contains("deactivated\t"), "{screen}");
    let id = statuses(&emulator.endpoint, "paula.paste")[0].0.clone();
    assert_eq!(
        statuses(&emulator.endpoint, "paula.paste"),
        [(id.clone(), "Active".to_string())],
        "the keys typed ahead did not confirm"
    );
    // The question still waits for its answer: a wrong one declines.
    run.send("2\r");
    assert_eq!(run.wait_exit_code(WAIT), 2);
    assert!(
        run.contents().contains("not confirmed"),
        "{}",
        run.contents()
    );
    assert_eq!(
        statuses(&emulator.endpoint, "paula.paste"),
        [(id, "Active".to_string())]
    );
}

#[test]
fn a_headless_plan_is_shown_on_the_terminal_when_stdout_is_redirected() {
    let emulator = common::start_emulator(&idle_keys_org());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let env = outsider_env(dir.path());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out_arg = out.display().to_string();
    let mut args = vec![
        "-c",
        "out=$1; shift; exec \"$@\" > \"$out\"",
        "sh",
        &out_arg,
        env!("CARGO_BIN_EXE_iamkeys"),
    ];
    args.extend(deactivate_args(&emulator.endpoint));
    let mut run = PtySession::spawn_program("sh", &args, &env, dir.path(), 30, 120);
    let screen = run.wait_for("Type 1 to go on:", WAIT);
    let id = statuses(&emulator.endpoint, "paula.paste")[0].0.clone();
    assert!(
        screen.contains("plan: deactivate 1 keys") && screen.contains(&id),
        "the plan is on the terminal: {screen}"
    );
    run.answer("1\r");
    assert_eq!(run.wait_exit_code(WAIT), 0, "{}", run.contents());
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written.contains("plan: deactivate 1 keys")
            && written.contains(&format!("deactivated\tpaula.paste\t{id}")),
        "stdout keeps the plan and the results: {written}"
    );
    assert_eq!(
        statuses(&emulator.endpoint, "paula.paste"),
        [(id, "Inactive".to_string())]
    );
}
