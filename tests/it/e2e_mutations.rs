//! Acting on keys through the real binary in a pseudo-terminal, against the
//! emulator, with IAM's state checked after every step.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::PtySession;
use common::fault_proxy::{FaultProxy, Faults};
use iamkeys::aws::IamClient;
use iamkeys::aws::emulator::{Emulator, Seed, SeedKey, SeedUser};
use iamkeys::core::model::{AccessKey, KeyStatus, LastUsed};

const WAIT: Duration = Duration::from_secs(30);

fn key(status: &str) -> SeedKey {
    SeedKey {
        status: status.into(),
        created_days_ago: 40.0,
        last_used: None,
        description: None,
    }
}

fn user(name: &str, keys: Vec<SeedKey>) -> SeedUser {
    SeedUser {
        name: name.into(),
        path: "/e2e/".into(),
        created_days_ago: 100.0,
        keys,
    }
}

/// The operator signs as `ops-admin`; the others are the users acted on.
fn seed() -> Seed {
    Seed {
        signing_user: Some("ops-admin".into()),
        users: vec![
            user("ops-admin", vec![key("Active")]),
            user("frank.flow", vec![]),
            user(
                "gina.two",
                vec![
                    key("Active"),
                    SeedKey {
                        description: Some("old laptop".into()),
                        ..key("Inactive")
                    },
                ],
            ),
            user("hank.active", vec![key("Active")]),
        ],
        ..Seed::default()
    }
}

struct Harness {
    emulator: Emulator,
    runtime: tokio::runtime::Runtime,
    client: IamClient,
    cwd: tempfile::TempDir,
    /// Where the dashboard is pointed: the emulator, or a fault proxy in front of it.
    endpoint: String,
    proxy: Option<FaultProxy>,
}

impl Harness {
    fn new() -> Self {
        let emulator = common::start_emulator(&seed());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (client, _) = runtime.block_on(common::connect(&emulator, common::OUTSIDER_KEY));
        Self {
            endpoint: emulator.endpoint.clone(),
            emulator,
            runtime,
            client,
            cwd: tempfile::tempdir().unwrap(),
            proxy: None,
        }
    }

    /// The dashboard talks to the emulator through a fault proxy (no faults yet).
    fn behind_proxy() -> Self {
        let mut h = Self::new();
        let proxy = FaultProxy::start(h.emulator.report.port, Faults::default(), 11);
        h.endpoint = proxy.url.clone();
        h.proxy = Some(proxy);
        h
    }

    fn faults(&self, faults: Faults) {
        self.proxy.as_ref().unwrap().set_faults(faults);
    }

    fn spawn(&self, extra: &[&str]) -> PtySession {
        let signing = self.emulator.report.signing.clone().unwrap();
        let mut args = vec!["--endpoint-url", &self.endpoint, "--region", "us-east-1"];
        args.extend_from_slice(extra);
        let tui = PtySession::spawn(
            &args,
            &[
                ("AWS_ACCESS_KEY_ID", &signing.access_key_id),
                ("AWS_SECRET_ACCESS_KEY", &signing.secret_access_key),
                // This harness's own journal: `u` undoes what this test did.
                ("XDG_STATE_HOME", &self.cwd.path().to_string_lossy()),
            ],
            self.cwd.path(),
            32,
            120,
        );
        tui.wait_for("loaded 4 users", WAIT);
        tui
    }

    /// What IAM holds for `user` right now, asked outside iamkeys.
    fn keys(&self, user: &str) -> Vec<AccessKey> {
        self.runtime
            .block_on(self.client.list_keys_described(user))
            .unwrap()
    }

    fn statuses(&self, user: &str) -> Vec<KeyStatus> {
        self.keys(user).iter().map(|k| k.status).collect()
    }

    fn seeded_id(&self, user: &str, index: usize) -> String {
        let u = self
            .emulator
            .report
            .users
            .iter()
            .find(|u| u.name == user)
            .unwrap();
        u.keys[index].id.clone()
    }
}

/// Filters to one user and focuses its keys.
fn open_user(tui: &mut PtySession, name: &str) {
    tui.send("/");
    tui.send(name);
    tui.send("\r");
    tui.wait_for("Users 1/4", WAIT);
}

/// Filters to one user and selects its `index`th key in the keys pane.
fn open_key(tui: &mut PtySession, name: &str, index: usize) {
    open_user(tui, name);
    tui.send("\t");
    for _ in 0..index {
        tui.send("j");
    }
}

fn wait_iam(mut check: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "IAM never got to: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_whole_flow_create_save_use_toggle_delete_with_iam_checked_at_each_step() {
    let h = Harness::new();
    let log = h.cwd.path().join("iamkeys.log");
    let log_arg = log.to_str().unwrap().to_string();
    let mut tui = h.spawn(&["--log-file", &log_arg]);
    open_user(&mut tui, "frank.flow");

    // Create, with a description.
    tui.send("c");
    tui.wait_for("Create an access key for frank.flow", WAIT);
    tui.send("e2e key");
    tui.answer("\r");
    let screen = tui.wait_for("shown once", WAIT);
    let secret = screen
        .lines()
        .find_map(|l| l.split("Secret access key: ").nth(1))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('│')
                .to_string()
        })
        .expect("the secret is on screen");
    assert_eq!(secret.len(), 40, "{secret}");
    let keys = h.keys("frank.flow");
    assert_eq!(keys.len(), 1);
    let id = keys[0].id.clone();
    assert!(screen.contains(&id));
    assert_eq!(keys[0].status, KeyStatus::Active);
    assert_eq!(keys[0].description.as_deref(), Some("e2e key"));

    // Save as CSV: default name, mode 0600, the console's format.
    tui.send("s");
    tui.wait_for("frank.flow_accessKeys.csv", WAIT);
    tui.answer("\r");
    // The absolute path it went to, in the directory the dashboard was started in.
    tui.wait_for(
        &format!(
            "saved to {}/frank.flow_accessKeys.csv",
            h.cwd.path().display()
        ),
        WAIT,
    );
    let csv = h.cwd.path().join("frank.flow_accessKeys.csv");
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        format!("Access key ID,Secret access key\n{id},{secret}\n")
    );
    assert_eq!(
        std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Close: asked once more.
    tui.send("\x1b");
    tui.wait_for("Close? The secret cannot be shown again", WAIT);
    tui.answer("y");
    tui.wait_until(|s| !s.contains("Secret access key:"), WAIT)
        .unwrap();

    // Use the new key, then read its last use on screen after a refresh.
    let used = h.runtime.block_on(async {
        let target = iamkeys::aws::session::Target {
            region: Some("eu-west-1".into()),
            endpoint: Some(h.emulator.endpoint.clone()),
            static_credentials: Some((id.clone(), secret.clone())),
            ..Default::default()
        };
        iamkeys::aws::session::connect(&target)
            .await
            .map(|(_, ctx)| ctx.identity.arn)
    });
    assert!(used.unwrap().ends_with("frank.flow"));
    tui.send("r");
    tui.wait_for("loaded 4 users", WAIT);
    tui.send("\t");
    let screen = tui.wait_for("eu-west-1", WAIT);
    let row = screen
        .lines()
        .find(|l| l.contains(&id))
        .unwrap()
        .to_string();
    assert!(row.contains("sts") && row.contains("today"), "{row}");
    assert!(matches!(
        h.runtime.block_on(h.client.key_last_used(&id)).unwrap(),
        LastUsed::Used { .. }
    ));

    // Deactivate, activate, deactivate again: IAM follows each press.
    for (press, want, says) in [
        (1, KeyStatus::Inactive, "deactivated"),
        (2, KeyStatus::Active, "activated"),
        (3, KeyStatus::Inactive, "deactivated"),
    ] {
        tui.send(" ");
        if want == KeyStatus::Inactive {
            // Used today: deactivating it asks first, naming what stops working.
            tui.wait_for(&format!("Deactivate {id} of frank.flow?"), WAIT);
            tui.wait_for("InvalidClientTokenId", WAIT);
            tui.answer("y");
        }
        tui.wait_for(&format!("{says} {id} of frank.flow"), WAIT);
        wait_iam(
            || h.statuses("frank.flow") == [want],
            &format!("press {press}: {want:?}"),
        );
        let row_status = if want == KeyStatus::Active {
            "Active  "
        } else {
            "Inactive"
        };
        tui.wait_until(
            |s| s.lines().any(|l| l.contains(&id) && l.contains(row_status)),
            WAIT,
        )
        .unwrap_or_else(|s| panic!("row never showed {row_status}:\n{s}"));
    }

    // Delete: Cancel is focused, so Tab to Delete, then Enter.
    tui.send("d");
    tui.wait_for(&format!("Delete {id} of frank.flow?"), WAIT);
    tui.send("\t");
    tui.answer("\r");
    tui.wait_for(&format!("deleted {id} of frank.flow"), WAIT);
    assert!(h.keys("frank.flow").is_empty());
    let tags = h
        .runtime
        .block_on(h.client.key_descriptions("frank.flow"))
        .unwrap();
    assert!(
        tags.is_empty(),
        "the description tag went with the key: {tags:?}"
    );
    tui.wait_for("frank.flow has no access keys", WAIT);

    tui.send("q");
    assert!(tui.wait_exit(WAIT));
    assert!(!tui.in_alternate_screen() && !tui.cursor_hidden());

    // The secret is nowhere but the chosen CSV: not in the log, not on the screen
    // left after exit, not in any other file of the working directory.
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("CreateAccessKey"),
        "the log has the create: {log_text}"
    );
    assert!(
        !log_text.contains(&secret),
        "the secret leaked into the log"
    );
    assert!(
        !tui.contents().contains(&secret),
        "the secret is on the screen after exit"
    );
    // Nothing else in the working and state directories holds it (the journal names keys only).
    let mut dirs = vec![h.cwd.path().to_path_buf()];
    let mut journaled = false;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path != csv {
                journaled |= path.ends_with("journal.jsonl");
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(&secret),
                    "secret in {path:?}"
                );
            }
        }
    }
    assert!(journaled, "the changes were journaled");
}

#[test]
fn two_keys_explain_the_limit_and_change_nothing() {
    let h = Harness::new();
    let mut tui = h.spawn(&[]);
    open_user(&mut tui, "gina.two");
    tui.send("c");
    tui.wait_for("IAM allows two access keys per user", WAIT);
    tui.answer("\r");
    tui.wait_until(|s| !s.contains("IAM allows two"), WAIT)
        .unwrap();
    assert_eq!(
        h.statuses("gina.two"),
        [KeyStatus::Active, KeyStatus::Inactive]
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn an_active_key_is_deleted_only_after_deactivation() {
    let h = Harness::new();
    let id = h.seeded_id("hank.active", 0);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "hank.active", 0);
    tui.send("d");
    tui.wait_for("an active key must be", WAIT);
    tui.answer("\r"); // Cancel is focused
    tui.wait_until(|s| !s.contains("an active key must be"), WAIT)
        .unwrap();
    assert_eq!(h.statuses("hank.active"), [KeyStatus::Active]);

    tui.send("d");
    tui.wait_for("Deactivate it now?", WAIT);
    tui.answer("y");
    tui.wait_for(&format!("deactivated {id}"), WAIT);
    assert_eq!(h.statuses("hank.active"), [KeyStatus::Inactive]);

    tui.send("d");
    tui.wait_for(&format!("Delete {id} of hank.active?"), WAIT);
    tui.answer("y");
    tui.wait_for(&format!("deleted {id}"), WAIT);
    assert!(h.keys("hank.active").is_empty());
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn the_signing_key_is_marked_and_needs_its_id_typed() {
    let h = Harness::new();
    let id = h.seeded_id("ops-admin", 0);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "ops-admin", 0);
    let screen = tui.wait_for("this-session", WAIT);
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&id) && l.contains("this-session")),
        "{screen}"
    );
    tui.send(" ");
    tui.wait_for("loses its access to IAM", WAIT);
    tui.answer("AKIAWRONG\r");
    tui.wait_for("that is not the key id", WAIT);
    assert_eq!(h.statuses("ops-admin"), [KeyStatus::Active]);
    for _ in 0.."AKIAWRONG".len() {
        tui.send("\x7f");
    }
    tui.send(&id);
    tui.answer("\r");
    tui.wait_for(&format!("deactivated {id}"), WAIT);
    assert_eq!(h.statuses("ops-admin"), [KeyStatus::Inactive]);
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn read_only_refuses_every_mutating_binding_and_iam_is_unchanged() {
    let h = Harness::new();
    let before: Vec<_> = ["ops-admin", "frank.flow", "gina.two", "hank.active"]
        .iter()
        .map(|u| h.keys(u))
        .collect();
    let mut tui = h.spawn(&["--read-only"]);
    tui.wait_for("READ-ONLY", WAIT);
    open_key(&mut tui, "gina.two", 0);
    for (key, says) in [
        (" ", "changing a key's status is disabled"),
        ("d", "deleting keys is disabled"),
        ("c", "creating keys is disabled"),
    ] {
        tui.send(key);
        tui.wait_for(says, WAIT);
    }
    tui.send("j ");
    tui.send("jd");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
    let after: Vec<_> = ["ops-admin", "frank.flow", "gina.two", "hank.active"]
        .iter()
        .map(|u| h.keys(u))
        .collect();
    assert_eq!(before, after);
}

/// The status line, last but one row of the screen.
fn status_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines
        .get(lines.len().saturating_sub(2))
        .unwrap_or(&"")
        .to_string()
}

#[test]
fn a_paste_is_never_a_command_and_typed_ahead_keys_do_not_confirm() {
    let h = Harness::new();
    let before = (h.keys("gina.two"), h.keys("hank.active"));
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "gina.two", 1);
    // Bracketed paste: the words would press d, y and space as keys.
    tui.paste("Monday hello world dy \r");
    tui.wait_for("ignored pasted text", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !tui.contents().contains("Delete AKIA"),
        "{}",
        tui.contents()
    );
    // A terminal without bracketed paste sends the same as keys, at once:
    // `d` opens the dialog, and the `y` right behind it is not an answer.
    tui.send("Monday");
    let screen = tui.wait_for("ignored a key pressed as the dialog opened", WAIT);
    assert!(screen.contains("Delete AKIA"), "{screen}");
    tui.answer("\x1b");
    tui.wait_until(|s| !s.contains("Delete AKIA"), WAIT)
        .unwrap();
    // On an active key a pasted space is not a toggle either.
    tui.send("k");
    tui.paste(" ");
    tui.wait_for("ignored pasted text", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
    assert_eq!((h.keys("gina.two"), h.keys("hank.active")), before);
    // The pasted text went into a text field where one was open: checked in
    // update_transitions; here, the filter field takes a paste.
}

#[test]
fn quitting_while_a_key_is_being_created_waits_and_shows_the_secret() {
    let h = Harness::behind_proxy();
    let mut tui = h.spawn(&[]);
    open_user(&mut tui, "hank.active");
    h.faults(Faults {
        slow: 1.0,
        only_action: Some("CreateAccessKey".into()),
        ..Faults::default()
    });
    tui.send("c");
    tui.wait_for("Create an access key for hank.active", WAIT);
    tui.answer("\r");
    tui.send("q");
    tui.wait_for(
        "waiting for IAM to answer the creation of a key for hank.active",
        WAIT,
    );
    tui.wait_for("Secret access key:", WAIT);
    let keys = h.keys("hank.active");
    assert_eq!(keys.len(), 2);
    assert!(tui.contents().contains(&keys[1].id) || tui.contents().contains(&keys[0].id));
    // The secret is closed only after asking; then q quits.
    tui.send("\x1b");
    tui.answer("y");
    tui.wait_until(|s| !s.contains("Secret access key:"), WAIT)
        .unwrap();
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn a_lost_create_reply_says_so_and_offers_to_delete_the_key_nobody_saw() {
    let h = Harness::behind_proxy();
    let mut tui = h.spawn(&[]);
    open_user(&mut tui, "hank.active");
    h.faults(Faults {
        reset_after: 1.0,
        only_action: Some("CreateAccessKey".into()),
        ..Faults::default()
    });
    tui.send("c");
    tui.wait_for("Create an access key for hank.active", WAIT);
    tui.answer("\r");
    let screen = tui.wait_for("A key was made whose secret was lost", WAIT);
    assert!(!screen.contains("could not create"), "{screen}");
    assert_eq!(h.keys("hank.active").len(), 2);
    h.faults(Faults::default());
    tui.answer("y");
    wait_iam(|| h.keys("hank.active").len() == 1, "the lost key deleted");
    tui.wait_for("deleted AKIA", WAIT);
    assert_eq!(h.keys("hank.active")[0].id, h.seeded_id("hank.active", 0));
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn a_lost_delete_reply_is_reported_as_deleted_and_its_tag_removed() {
    let h = Harness::behind_proxy();
    let id = h.seeded_id("gina.two", 1);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "gina.two", 1);
    h.faults(Faults {
        reset_after: 1.0,
        only_action: Some("DeleteAccessKey".into()),
        ..Faults::default()
    });
    tui.send("d");
    tui.wait_for(&format!("Delete {id} of gina.two?"), WAIT);
    tui.answer("y");
    let screen = tui.wait_for(&format!("deleted {id} of gina.two"), WAIT);
    assert!(!status_line(&screen).contains("NoSuchEntity"), "{screen}");
    h.faults(Faults::default());
    assert_eq!(h.keys("gina.two").len(), 1);
    let tags = h
        .runtime
        .block_on(h.client.key_descriptions("gina.two"))
        .unwrap();
    assert!(
        tags.iter().all(|(k, _)| k != &id),
        "tag left behind: {tags:?}"
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn delete_checks_the_server_and_refuses_a_key_reactivated_elsewhere() {
    let h = Harness::new();
    let id = h.seeded_id("gina.two", 1);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "gina.two", 1);
    tui.send("d");
    tui.wait_for(&format!("Delete {id} of gina.two?"), WAIT);
    // Somebody reactivates it in the console while the dialog is open.
    h.runtime
        .block_on(h.client.set_key_status("gina.two", &id, KeyStatus::Active))
        .unwrap();
    tui.answer("y");
    tui.wait_for("is Active on the server", WAIT);
    assert_eq!(
        h.statuses("gina.two"),
        [KeyStatus::Active, KeyStatus::Active]
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn u_undoes_the_last_status_change() {
    let h = Harness::new();
    let id = h.seeded_id("gina.two", 1);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "gina.two", 1);
    tui.send(" ");
    tui.wait_for(&format!("activated {id} of gina.two"), WAIT);
    assert_eq!(
        h.statuses("gina.two"),
        [KeyStatus::Active, KeyStatus::Active]
    );
    tui.send("u");
    // The journal's last operation: asked about, then undone.
    tui.wait_for(" Undo ", WAIT);
    tui.wait_for(&format!("deactivate {id} gina.two"), WAIT);
    std::thread::sleep(Duration::from_millis(300));
    tui.send("y");
    // It says what was changed back, not "(u undoes)" of the change just undone.
    tui.wait_for(&format!("changed back: {id} of gina.two"), WAIT);
    let journal = std::fs::read_to_string(h.cwd.path().join("iamkeys/journal.jsonl")).unwrap();
    assert!(journal.contains("\"source\":\"undo\""), "{journal}");
    assert_eq!(
        h.statuses("gina.two"),
        [KeyStatus::Active, KeyStatus::Inactive]
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn sigquit_restores_the_terminal_and_exits_131() {
    let h = Harness::new();
    let mut tui = h.spawn(&[]);
    // No core dump can carry a secret to disk: the core size limit is 0
    // (and the process is non-dumpable, so ptrace cannot read it either).
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", tui.pid())).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
        ["0", "0"],
        "{core}"
    );
    tui.signal("QUIT");
    let code = tui.wait_exit_code(WAIT);
    assert_eq!(code, 131);
    assert!(!tui.in_alternate_screen() && !tui.cursor_hidden());
}

#[test]
fn ctrl_z_suspends_with_the_terminal_restored_and_fg_resumes() {
    let h = Harness::new();
    let mut tui = h.spawn(&[]);
    for how in ["key", "signal"] {
        if how == "key" {
            tui.send("\x1a");
        } else {
            tui.signal("TSTP");
        }
        wait_iam(|| tui.process_state() == 'T', "the process stopped");
        // What it wrote before stopping may still be on its way through the pty.
        wait_iam(
            || !tui.in_alternate_screen() && !tui.cursor_hidden(),
            "the terminal restored (alternate screen left, cursor shown)",
        );
        tui.signal("CONT");
        wait_iam(|| tui.in_alternate_screen(), "back on the alternate screen");
        // Redrawn whole (the load's message may have expired by now).
        tui.wait_for("Users 4/4", WAIT);
    }
    // Still in raw mode: a single key acts without Enter.
    tui.send("?");
    tui.wait_for("Help", WAIT);
    tui.send("q");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn without_a_terminal_the_dashboard_says_so_and_exits_2() {
    let h = Harness::new();
    let out = common::iamkeys_as_outsider()
        .args(["--endpoint-url", &h.endpoint, "--region", "us-east-1"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("needs a terminal") && stderr.contains("iamkeys list"));
}

#[test]
fn a_change_iam_has_not_propagated_yet_does_not_flip_back_on_screen() {
    let h = Harness::behind_proxy();
    // For two seconds after a change, IAM lists the user's keys as they were.
    h.faults(Faults {
        consistency_lag: Some(Duration::from_secs(2)),
        ..Faults::default()
    });
    let id = h.seeded_id("gina.two", 1);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "gina.two", 1);
    tui.send(" ");
    tui.wait_for(&format!("activated {id} of gina.two"), WAIT);
    let mut saw_propagating = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let screen = tui.contents();
        let row = screen
            .lines()
            .find(|l| l.contains(&id) && (l.contains(" Active ") || l.contains(" Inactive ")));
        assert!(
            row.is_some_and(|r| r.contains("Active") && !r.contains("Inactive")),
            "the key must stay as the change left it:\n{screen}"
        );
        let propagating = screen.contains("propagating…");
        saw_propagating |= propagating;
        if saw_propagating && !propagating {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never settled:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(40));
    }
    assert!(
        h.proxy.as_ref().unwrap().stale_listings() > 0,
        "IAM answered with the old listing at least once"
    );
    assert_eq!(
        h.statuses("gina.two"),
        [KeyStatus::Active, KeyStatus::Active]
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn a_delete_whose_untag_fails_says_the_key_is_gone_and_the_tag_remains() {
    let h = Harness::behind_proxy();
    h.faults(Faults {
        unavailable: 1.0,
        only_action: Some("UntagUser".into()),
        ..Faults::default()
    });
    let id = h.seeded_id("gina.two", 1);
    let mut tui = h.spawn(&[]);
    open_key(&mut tui, "gina.two", 1);
    tui.send("d");
    tui.wait_for(&format!("Delete {id} of gina.two?"), WAIT);
    tui.answer("y");
    tui.wait_for(
        &format!("deleted {id} of gina.two, but its description tag remains"),
        WAIT,
    );
    assert_eq!(h.keys("gina.two").len(), 1, "the key is gone");
    let tags = h
        .runtime
        .block_on(h.client.key_descriptions("gina.two"))
        .unwrap();
    assert!(
        tags.iter().any(|(k, _)| *k == id),
        "the tag stays: {tags:?}"
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn marked_keys_are_deactivated_with_a_plan_and_undone_from_the_journal() {
    let h = Harness::new();
    let mut tui = h.spawn(&[]);
    // The keys view, filtered to the active keys of the users acted on.
    tui.send("2");
    tui.send("/");
    tui.send("is:active /e2e/ hank");
    tui.send("\r");
    tui.wait_for("All keys 1/", WAIT);
    tui.send("M");
    tui.wait_for("1 keys marked", WAIT);
    tui.send("\x1b");
    tui.send("/");
    tui.send("gina");
    tui.send("\r");
    tui.wait_for("All keys 2/", WAIT);
    tui.send("m");
    tui.wait_for("2 keys marked", WAIT);
    tui.send("D");
    let screen = tui.wait_for("Deactivate 2 marked keys", WAIT);
    assert!(screen.contains("Type 2 (the number of keys)"), "{screen}");
    std::thread::sleep(Duration::from_millis(300));
    // A wrong count does nothing.
    tui.send("3\r");
    tui.wait_for("type 2, the number of keys", WAIT);
    tui.send("\x7f2\r");
    tui.wait_for("done: 2 deactivated, 0 failed", WAIT);
    wait_iam(
        || {
            h.statuses("hank.active") == [KeyStatus::Inactive]
                && h.statuses("gina.two") == [KeyStatus::Inactive, KeyStatus::Inactive]
        },
        "both marked keys inactive",
    );
    assert_eq!(h.statuses("ops-admin"), [KeyStatus::Active]);
    tui.send("\x1b");
    // u: the journal's last operation, both keys, back; the count typed, as D asked.
    tui.send("u");
    let screen = tui.wait_for(" Undo ", WAIT);
    assert!(screen.contains("Type 2 (the number of keys)"), "{screen}");
    std::thread::sleep(Duration::from_millis(300));
    tui.send("y\r");
    tui.wait_for("type 2, the number of keys", WAIT);
    assert_eq!(h.statuses("hank.active"), [KeyStatus::Inactive]);
    tui.send("\x7f2\r");
    wait_iam(
        || {
            h.statuses("hank.active") == [KeyStatus::Active]
                && h.statuses("gina.two") == [KeyStatus::Active, KeyStatus::Inactive]
        },
        "both keys active again",
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn the_rotation_wizard_creates_proves_watches_and_retires() {
    let h = Harness::new();
    let old = h.seeded_id("hank.active", 0);
    let mut tui = h.spawn(&[]);
    open_user(&mut tui, "hank.active");
    tui.send("R");
    tui.wait_for(&format!("Rotate {old} of hank.active"), WAIT);
    tui.wait_for("Enter creates the key", WAIT);
    std::thread::sleep(Duration::from_millis(300));
    tui.send("\r");
    // The secret, shown once, over the wizard: saved as a CSV (the old key
    // is retired only once somebody holds it); closing it asks once more.
    let screen = tui.wait_for("shown once", WAIT);
    assert!(screen.contains("Secret access key"), "{screen}");
    tui.send("s");
    tui.wait_for("hank.active_accessKeys.csv", WAIT);
    tui.answer("\r");
    tui.wait_for("saved to", WAIT);
    tui.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    tui.send("y");
    // Back in the wizard: proven, and the old key watched.
    let screen = tui.wait_for("verified:", WAIT);
    assert!(
        screen.contains("signs as") && screen.contains(":user/e2e/hank.active"),
        "{screen}"
    );
    tui.wait_for(&format!("{old} last used:"), WAIT);
    let keys = h.keys("hank.active");
    assert_eq!(keys.len(), 2);
    let new = keys.iter().find(|k| k.id != old).unwrap().id.clone();
    assert_eq!(
        h.statuses("hank.active"),
        [KeyStatus::Active, KeyStatus::Active]
    );
    // The rotation is kept on disk (never the secret) while it is under way.
    let saved_dir = h.cwd.path().join("iamkeys/rotations");
    let saved: String = std::fs::read_dir(&saved_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        saved.contains(&new) && saved.contains("\"step\": \"verified\""),
        "{saved}"
    );
    // Esc leaves; R resumes where it was.
    tui.send("\x1b");
    tui.wait_for("R on the user resumes it", WAIT);
    tui.send("R");
    tui.wait_for(&format!("Enter deactivates {old}"), WAIT);
    std::thread::sleep(Duration::from_millis(300));
    tui.send("\r");
    tui.wait_for(&format!("Enter deletes {old}"), WAIT);
    wait_iam(
        || {
            h.keys("hank.active")
                .iter()
                .any(|k| k.id == old && k.status == KeyStatus::Inactive)
        },
        "the old key inactive",
    );
    // As `d` does: the delete dialog, Cancel focused.
    std::thread::sleep(Duration::from_millis(300));
    tui.send("\r");
    tui.wait_for(&format!("Delete {old} of hank.active?"), WAIT);
    tui.answer("y");
    tui.wait_for("Done:", WAIT);
    wait_iam(
        || {
            let keys = h.keys("hank.active");
            keys.len() == 1 && keys[0].id == new && keys[0].status == KeyStatus::Active
        },
        "only the new key left, active",
    );
    assert_eq!(
        std::fs::read_dir(&saved_dir).unwrap().count(),
        0,
        "nothing left to resume"
    );
    let journal = std::fs::read_to_string(h.cwd.path().join("iamkeys/journal.jsonl")).unwrap();
    // Written ahead: each step's intent, then its one outcome.
    let steps = journal
        .lines()
        .filter(|l| l.contains("\"source\":\"rotate\""))
        .filter(|l| !l.contains("\"result\":\"intent\""))
        .count();
    assert_eq!(steps, 3, "create, deactivate, delete: {journal}");
    assert_eq!(
        journal.matches("\"result\":\"intent\"").count(),
        3,
        "{journal}"
    );
    std::thread::sleep(Duration::from_millis(300));
    tui.send("\r");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}
