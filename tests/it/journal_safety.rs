//! The jobs never lose a key, a secret or a record: the journal written
//! ahead of every change, read back whatever a crash left, refused when it
//! cannot be trusted; undo per entry, checked against IAM, with the
//! confirmation the original asked for. The real binary against the emulator
//! (through the fault proxy where IAM must misbehave), and the dashboard's
//! transitions.

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use common::fault_proxy::{FaultProxy, Faults};
use iamkeys::aws::emulator::{Seed, SeedKey, SeedUse, SeedUser};

/// What moto's anonymous caller (a key of no user) acts as.
const MOTO_CALLER: &str = "arn:aws:sts::123456789012:user/moto";

fn unused_key(status: &str) -> SeedKey {
    SeedKey {
        status: status.into(),
        created_days_ago: 300.0,
        last_used: Some(SeedUse {
            days_ago: 100.0,
            service: "s3".into(),
            region: "eu-west-1".into(),
        }),
        description: None,
    }
}

/// `n` users `safe00…` with one active key each, unused for 100 days.
fn org(n: usize) -> Seed {
    Seed {
        users: (0..n)
            .map(|i| SeedUser {
                name: format!("safe{i:02}"),
                path: "/safe/".into(),
                created_days_ago: 500.0,
                keys: vec![unused_key("Active")],
            })
            .collect(),
        ..Seed::default()
    }
}

fn key_ids(emulator: &iamkeys::aws::emulator::Emulator) -> Vec<String> {
    emulator
        .report
        .users
        .iter()
        .flat_map(|u| u.keys.iter().map(|k| k.id.clone()))
        .collect()
}

/// Key id → status, as IAM lists them now.
async fn statuses(endpoint: &str) -> HashMap<String, String> {
    let iam = common::raw_iam(endpoint).await;
    let mut out = HashMap::new();
    let users = iam.list_users().send().await.unwrap();
    for user in users.users() {
        let listed = iam
            .list_access_keys()
            .user_name(user.user_name())
            .send()
            .await
            .unwrap();
        for key in listed.access_key_metadata() {
            out.insert(
                key.access_key_id().unwrap().to_string(),
                key.status().unwrap().as_str().to_string(),
            );
        }
    }
    out
}

fn command(endpoint: &str, journal: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = common::iamkeys_as_outsider();
    cmd.args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .arg("--journal")
        .arg(journal)
        .stdin(std::process::Stdio::null());
    cmd
}

fn iamkeys(endpoint: &str, journal: &Path, args: &[&str]) -> std::process::Output {
    let out = command(endpoint, journal, args).output().unwrap();
    eprintln!(
        "iamkeys {args:?} → {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The journal's lines that parse as JSON.
fn journal_lines(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read(journal)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect()
}

/// The ids of the journal's intents that have no outcome line.
fn intents_without_outcome(journal: &Path) -> Vec<String> {
    let lines = journal_lines(journal);
    let id = |l: &serde_json::Value| l["id"].as_str().unwrap_or_default().to_string();
    lines
        .iter()
        .filter(|l| l["result"] == "intent")
        .map(id)
        .filter(|i| !lines.iter().any(|l| l["result"] != "intent" && id(l) == *i))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_mid_run_is_an_error_not_a_panic_and_undo_restores_every_key_changed() {
    let emulator = common::start_emulator(&org(6));
    let endpoint = emulator.endpoint.clone();
    let before = statuses(&endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    // As `| head`: the reader goes away after the first result.
    let mut child = command(
        &endpoint,
        &journal,
        &[
            "deactivate",
            "--filter",
            "path:/safe/",
            "--yes",
            "--concurrency",
            "1",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 && !line.starts_with("deactivated") {
        line.clear();
    }
    assert!(line.starts_with("deactivated"), "{line}");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    eprintln!("{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    assert!(stderr.contains("not attempted"), "{stderr}");
    // Every change that began is journaled with its outcome.
    assert_eq!(intents_without_outcome(&journal), Vec::<String>::new());
    let changed = statuses(&endpoint).await;
    let inactive = changed.values().filter(|s| *s == "Inactive").count();
    assert!(
        (1..6).contains(&inactive),
        "it stopped mid-way: {changed:?}"
    );
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        statuses(&endpoint).await,
        before,
        "every key changed is back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_trusted_refuses_every_change_unless_no_journal() {
    use std::os::unix::fs::PermissionsExt;
    let emulator = common::start_emulator(&org(2));
    let endpoint = emulator.endpoint.clone();
    let before = statuses(&endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, "").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let directory = dir.path().join("dir.jsonl");
    std::fs::create_dir(&directory).unwrap();
    let fifo = dir.path().join("fifo.jsonl");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writable = dir.path().join("writable.jsonl");
    std::fs::write(&writable, "").unwrap();
    std::fs::set_permissions(&writable, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut cases = vec![
        (link.clone(), "symbolic link"),
        (directory, "directory"),
        (fifo, "FIFO"),
        (writable, "writable by everyone"),
    ];
    // Another user's file (the tests may run as root, who can give one away).
    let theirs = dir.path().join("theirs.jsonl");
    std::fs::write(&theirs, "").unwrap();
    if std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).is_ok() {
        cases.push((theirs, "belongs to user id 65534"));
    }
    for (journal, why) in cases {
        let mut child = command(
            &endpoint,
            &journal,
            &["deactivate", "--filter", "path:/safe/", "--yes"],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        // A FIFO must not hang it.
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("iamkeys hangs on a journal that is a {why}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{why}: {stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert!(stderr.contains("--no-journal"), "{stderr}");
        assert_eq!(statuses(&endpoint).await, before, "{why}: nothing changed");
        // Undo refuses to read it too (never blocking on the FIFO).
        let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
        assert_ne!(out.status.code(), Some(0), "{why}");
        assert!(!text(&out.stderr).contains("nothing to undo"), "{why}");
    }
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");
    // --no-journal goes on without one, and says there is none.
    let out = common::iamkeys_as_outsider()
        .args([
            "deactivate",
            "--filter",
            "path:/safe/",
            "--yes",
            "--no-journal",
        ])
        .args(["--endpoint-url", &endpoint, "--region", "us-east-1"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--no-journal"));
    assert!(statuses(&endpoint).await.values().all(|s| s == "Inactive"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_changes_leave_one_outcome_each_and_undo_restores_them_all() {
    let emulator = common::start_emulator(&org(4));
    let before = statuses(&emulator.endpoint).await;
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            // Enough for the SDK's own retries to run out: the bulk run tries again.
            throttle: 0.8,
            only_action: Some("UpdateAccessKey".into()),
            ..Faults::default()
        },
        16,
    );
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let out = iamkeys(
        &proxy.url,
        &journal,
        &["deactivate", "--filter", "path:/safe/", "--yes"],
    );
    assert_eq!(out.status.code(), Some(0));
    let throttles = proxy.counts().get("throttle").copied().unwrap_or(0);
    assert!(throttles > 0, "the proxy throttled: {:?}", proxy.counts());
    let lines = journal_lines(&journal);
    let outcomes: Vec<_> = lines.iter().filter(|l| l["result"] != "intent").collect();
    assert_eq!(outcomes.len(), 4, "one outcome per change: {lines:?}");
    assert!(outcomes.iter().all(|l| l["result"] == "ok"), "{outcomes:?}");
    let attempts: u64 = outcomes
        .iter()
        .map(|l| l["attempts"].as_u64().unwrap())
        .sum();
    assert!(
        attempts > 4,
        "the run tried again after throttles: {outcomes:?}"
    );
    let out = iamkeys(&emulator.endpoint, &journal, &["undo", "--yes"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("reactivate 4 keys"), "{stdout}");
    assert!(!stdout.contains("cannot be undone"), "{stdout}");
    assert_eq!(statuses(&emulator.endpoint).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_and_bad_lines_never_hide_an_entry_or_the_rest_of_the_journal() {
    use std::os::unix::fs::OpenOptionsExt;
    let emulator = common::start_emulator(&org(3));
    let endpoint = emulator.endpoint.clone();
    let before = statuses(&endpoint).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    // A byte that is not UTF-8, then a last line torn by a crash (no newline).
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&journal)
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"time\":\"\xff\"}\n{\"time\":\"2026-12-").unwrap();
    drop(file);
    let out = iamkeys(
        &endpoint,
        &journal,
        &["deactivate", "--filter", "path:/safe/", "--yes"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(statuses(&endpoint).await.values().all(|s| s == "Inactive"));
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("2 lines of") && stderr.contains("were skipped"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("reactivate 3 keys"));
    assert_eq!(statuses(&endpoint).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_denied_for_one_key_leaves_it_for_the_next_undo() {
    let emulator = common::start_emulator(&org(4));
    let endpoint = emulator.endpoint.clone();
    let before = statuses(&endpoint).await;
    let denied = key_ids(&emulator)[2].clone();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let out = iamkeys(
        &endpoint,
        &journal,
        &["deactivate", "--filter", "path:/safe/", "--yes"],
    );
    assert_eq!(out.status.code(), Some(0));
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            deny_key: Some(denied.clone()),
            ..Faults::default()
        },
        1,
    );
    let out = iamkeys(&proxy.url, &journal, &["undo", "--last", "1", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "one key failed");
    assert!(text(&out.stdout).contains("AccessDenied"));
    let now = statuses(&endpoint).await;
    assert_eq!(now[&denied], "Inactive");
    assert_eq!(now.values().filter(|s| *s == "Active").count(), 3);
    // The next undo goes back to that key, not to an older operation.
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("reactivate 1 keys"), "{stdout}");
    assert!(stdout.contains(&denied), "{stdout}");
    assert_eq!(statuses(&endpoint).await, before);
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("nothing to undo"));
}

/// A journal line as iamkeys writes an outcome.
fn line(key: &str, user: &str, caller: &str, days_ago: i64, request_id: &str) -> serde_json::Value {
    let time = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days_ago);
    serde_json::json!({
        "time": time.to_string(),
        "operation": "op-by-hand",
        "source": "deactivate",
        "account": "123456789012",
        "caller_arn": caller,
        "user": user,
        "key_id": key,
        "action": "deactivate",
        "status_before": "Active",
        "status_after": "Inactive",
        "request_id": request_id,
        "result": "ok",
        "id": format!("by-hand-{key}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_leaves_a_key_used_since_and_holds_foreign_forged_and_old_entries() {
    let inactive = |used_days_ago: f64| SeedKey {
        status: "Inactive".into(),
        created_days_ago: 300.0,
        last_used: Some(SeedUse {
            days_ago: used_days_ago,
            service: "s3".into(),
            region: "eu-west-1".into(),
        }),
        description: None,
    };
    let user = |name: &str, key: SeedKey| SeedUser {
        name: name.into(),
        path: "/safe/".into(),
        created_days_ago: 500.0,
        keys: vec![key],
    };
    let seed = Seed {
        users: vec![
            // Deactivated 3 days ago, used yesterday: active since, made inactive elsewhere.
            user("used", inactive(1.0)),
            user("foreign", inactive(100.0)),
            user("forged", inactive(100.0)),
            user("old", inactive(100.0)),
        ],
        ..Seed::default()
    };
    let emulator = common::start_emulator(&seed);
    let endpoint = emulator.endpoint.clone();
    let ids = key_ids(&emulator);
    let moto_id = "M".repeat(52);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let lines = [
        line(&ids[0], "used", MOTO_CALLER, 3, &moto_id),
        line(
            &ids[1],
            "foreign",
            "arn:aws:iam::123456789012:user/mallory",
            1,
            &moto_id,
        ),
        line(&ids[2], "forged", MOTO_CALLER, 1, "not-a-request-id"),
        line(
            &ids[3],
            "old",
            MOTO_CALLER,
            10,
            "0b7c8f4e-3d1a-4c5b-9e2f-1a2b3c4d5e6f",
        ),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&journal, body).unwrap();
    std::fs::set_permissions(
        &journal,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();

    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "the used key's undo is refused");
    assert!(stdout.contains("reactivate 1 keys"), "{stdout}");
    assert!(stdout.contains("held back: 3 entries"), "{stdout}");
    assert!(stdout.contains("user/mallory") && stdout.contains("--include-foreign"));
    assert!(stdout.contains("request id"), "{stdout}");
    assert!(stdout.contains("--include-old"), "{stdout}");
    assert!(stdout.contains("after iamkeys deactivated it"), "{stdout}");
    assert!(statuses(&endpoint).await.values().all(|s| s == "Inactive"));

    let out = iamkeys(
        &endpoint,
        &journal,
        &["undo", "--yes", "--include-foreign", "--include-old"],
    );
    assert_eq!(out.status.code(), Some(1), "the used key stays refused");
    let now = statuses(&endpoint).await;
    assert_eq!(now[&ids[0]], "Inactive", "left as it is");
    for id in &ids[1..] {
        assert_eq!(now[id], "Active", "{id} included and reactivated");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_killed_mid_way_is_undone_completely() {
    let emulator = common::start_emulator(&org(8));
    let before = statuses(&emulator.endpoint).await;
    // Slow replies to the changes, so the kill lands mid-run.
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            slow: 1.0,
            only_action: Some("UpdateAccessKey".into()),
            ..Faults::default()
        },
        3,
    );
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let mut child = command(
        &proxy.url,
        &journal,
        &[
            "deactivate",
            "--filter",
            "path:/safe/",
            "--yes",
            "--concurrency",
            "2",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while !journal_lines(&journal).iter().any(|l| l["result"] == "ok") {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no change made"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Let requests the proxy still holds reach IAM (or not) before looking.
    std::thread::sleep(Duration::from_millis(800));
    let changed = statuses(&emulator.endpoint).await;
    let lines = journal_lines(&journal);
    let journaled: Vec<&str> = lines.iter().filter_map(|l| l["key_id"].as_str()).collect();
    let inactive: Vec<&String> = changed
        .iter()
        .filter(|(_, s)| *s == "Inactive")
        .map(|(id, _)| id)
        .collect();
    assert!(!inactive.is_empty() && inactive.len() < 8, "{changed:?}");
    for id in &inactive {
        assert!(journaled.contains(&id.as_str()), "{id} changed unjournaled");
    }
    let out = iamkeys(&emulator.endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        statuses(&emulator.endpoint).await,
        before,
        "every key that was changed is undone"
    );
    // Nothing is left open: the unknown ones were recorded as found so.
    let out = iamkeys(&emulator.endpoint, &journal, &["undo", "--yes"]);
    assert!(text(&out.stderr).contains("nothing to undo"));
}

#[test]
fn undo_of_many_keys_in_the_dashboard_asks_for_the_count_and_says_it_changed_them_back() {
    use common::fixtures::{now, sample_state};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use iamkeys::core::change::ChangeOutcome;
    use iamkeys::io::journal::{Entry, JournalAction, Outcome, UndoScope, plan_undo};
    use iamkeys::tui::action::{Action, Effect};
    use iamkeys::tui::dialog::Dialog;
    use iamkeys::tui::update::update;
    let mut state = sample_state();
    let entry = |key: &str, id: &str| Entry {
        time: now().to_string(),
        operation: "op1".into(),
        source: "dashboard".into(),
        account: "123456789012".into(),
        caller_arn: "arn:aws:iam::123456789012:user/ops/iamkeys-admin".into(),
        user: "carol.ops".into(),
        key_id: Some(key.into()),
        action: JournalAction::Activate,
        status_before: Some("Inactive".into()),
        status_after: Some("Active".into()),
        request_id: Some("0b7c8f4e-3d1a-4c5b-9e2f-1a2b3c4d5e6f".into()),
        result: Outcome::Ok,
        error: None,
        undoes: None,
        id: Some(id.into()),
        undoes_entry: None,
        attempts: Some(1),
    };
    // carol's active key was activated (undo: deactivate), her inactive one deactivated.
    let mut entries = vec![
        entry("AKIACAROL00000000001", "e1"),
        entry("AKIACAROL00000000002", "e2"),
    ];
    entries[1].action = JournalAction::Deactivate;
    let scope = UndoScope::last(&state.context.identity.arn, now(), 7);
    let plan = plan_undo(&entries, &scope);
    assert_eq!(plan.count(), 2);
    update(&mut state, Action::UndoPlanned(Ok(plan)));
    assert!(matches!(
        state.screen.dialog,
        Some(Dialog::UndoPlan { typed: Some(_), .. })
    ));
    update(
        &mut state,
        Action::Tick(now() + jiff::SignedDuration::from_secs(1)),
    );
    // One `y` (or Enter) is not enough for two keys.
    assert_eq!(update(&mut state, Action::DialogConfirm), vec![]);
    assert_eq!(update(&mut state, Action::DialogSubmit), vec![]);
    let Some(Dialog::UndoPlan { error, .. }) = &state.screen.dialog else {
        panic!("the dialog stays open: {:?}", state.screen.dialog)
    };
    assert!(error.as_deref().unwrap().contains("type 2"), "{error:?}");
    update(
        &mut state,
        Action::DialogEdit(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE)),
    );
    let effects = update(&mut state, Action::DialogSubmit);
    let [Effect::RunPlan { items }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(items.len(), 2);
    let ids: Vec<_> = items
        .iter()
        .map(|(_, p)| p.operation.undoes_entry.clone().unwrap())
        .collect();
    assert_eq!(ids, ["e2", "e1"], "reactivations first");
    // Its answer says what was changed back, never "(u undoes)".
    let (ticket, planned) = items[0].clone();
    update(
        &mut state,
        Action::Changed {
            ticket,
            change: planned.change,
            result: Ok(ChangeOutcome::StatusSet),
        },
    );
    let status = &state.screen.status.as_ref().unwrap().text;
    assert!(status.contains("changed back"), "{status}");
    assert!(!status.contains("u undoes"), "{status}");
}

#[test]
fn the_dashboard_says_at_once_when_the_journal_cannot_be_used() {
    let emulator = common::start_emulator(&org(2));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    std::fs::create_dir(&journal).unwrap();
    let journal = journal.to_string_lossy().into_owned();
    let tui = common::PtySession::spawn(
        &[
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
            "--journal",
            &journal,
        ],
        &[
            ("AWS_ACCESS_KEY_ID", common::OUTSIDER_KEY.0),
            ("AWS_SECRET_ACCESS_KEY", common::OUTSIDER_KEY.1),
        ],
        dir.path(),
        32,
        200,
    );
    let screen = tui.wait_for("no usable journal", Duration::from_secs(30));
    assert!(screen.contains("every change is refused"), "{screen}");
    // A toggle is refused with the reason, and IAM is unchanged.
    let mut tui = tui;
    tui.wait_for("loaded", Duration::from_secs(30));
    tui.send("/");
    tui.send("safe00");
    tui.send("\r");
    tui.wait_for("Users 1/2", Duration::from_secs(30));
    tui.send("\t");
    tui.send(" ");
    let screen = tui
        .wait_until(
            |s| s.contains("nothing was changed") || s.contains("Deactivate"),
            Duration::from_secs(30),
        )
        .unwrap();
    if !screen.contains("nothing was changed") {
        std::thread::sleep(Duration::from_millis(300));
        tui.send("y");
    }
    let screen = tui.wait_for("nothing was changed", Duration::from_secs(30));
    assert!(screen.contains("directory"), "{screen}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let now = runtime.block_on(statuses(&emulator.endpoint));
    assert!(now.values().all(|s| s == "Active"), "{now:?}");
    tui.send("q");
    assert!(tui.wait_exit(Duration::from_secs(30)));
}

#[test]
fn each_demo_run_journals_on_its_own() {
    let state = common::test_state_home();
    let demo = |args: &[&str]| {
        let out = common::iamkeys_command()
            .arg("--demo")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        eprintln!(
            "--demo {args:?} → {:?}\n{}\n{}",
            out.status.code(),
            text(&out.stdout),
            text(&out.stderr)
        );
        out
    };
    let out = demo(&["deactivate", "--filter", "uma.hall", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("deactivated"));
    // A fresh demo has a fresh emulator: the earlier run's keys are not offered.
    let out = demo(&["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("nothing to undo"));
    let left: Vec<_> = std::fs::read_dir(state.join("iamkeys"))
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !left
            .iter()
            .any(|n| n.to_string_lossy().starts_with("demo-journal")),
        "a demo's journal goes with its run: {left:?}"
    );
}
