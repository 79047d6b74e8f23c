//! Attacks that got through the jobs' defences, each pinned by the real
//! binary against the emulator.

use crate::common;

use std::time::Duration;

use iamkeys::aws::emulator::{Seed, SeedKey, SeedUser};

fn one_user_org() -> Seed {
    Seed {
        users: vec![SeedUser {
            name: "red00".into(),
            path: "/red/".into(),
            created_days_ago: 500.0,
            keys: vec![SeedKey {
                status: "Active".into(),
                created_days_ago: 300.0,
                last_used: None,
                description: None,
            }],
        }],
        ..Seed::default()
    }
}

/// A FIFO among the saved rotations (where the dashboard lists the users
/// with a rotation in progress) is skipped, not waited on: the dashboard
/// still quits.
#[test]
fn a_fifo_among_the_saved_rotations_never_keeps_the_dashboard_from_quitting() {
    let emulator = common::start_emulator(&one_user_org());
    let dir = tempfile::tempdir().unwrap();
    let rotations = common::test_state_home().join("iamkeys").join("rotations");
    std::fs::create_dir_all(&rotations).unwrap();
    let fifo = rotations.join("123456789012-red99.json");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut tui = common::PtySession::as_outsider(&emulator.endpoint, &[], dir.path(), 32, 200);
    tui.wait_for("red00", Duration::from_secs(30));
    tui.wait_for("loaded", Duration::from_secs(30));
    tui.send("q");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut exited = false;
    while !exited && std::time::Instant::now() < deadline {
        exited = tui.exited().is_some();
        std::thread::sleep(Duration::from_millis(100));
    }
    if !exited {
        tui.signal("KILL");
    }
    let _ = std::fs::remove_file(&fifo);
    assert!(exited, "the dashboard hangs on quit: {}", tui.contents());
}

/// Key id → status of `user`'s keys, as IAM lists them now.
async fn keys_of(endpoint: &str, user: &str) -> std::collections::HashMap<String, String> {
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
}

fn dev_full() -> std::process::Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap()
        .into()
}

/// A full stderr (`2>/dev/full`) never aborts a rotation half-way: the
/// messages are dropped, the rotation finishes and says so by its exit code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_stderr_never_aborts_a_rotation_half_way() {
    let emulator = common::start_emulator(&one_user_org());
    let old: Vec<String> = keys_of(&emulator.endpoint, "red00")
        .await
        .into_keys()
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("new.csv");
    let out = common::iamkeys_as_outsider()
        .args(["rotate", "--user", "red00", "--yes", "--secret-out"])
        .arg(&csv)
        .args([
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ])
        .arg("--journal")
        .arg(dir.path().join("journal.jsonl"))
        .stdin(std::process::Stdio::null())
        .stderr(dev_full())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let keys = keys_of(&emulator.endpoint, "red00").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(
        keys[&old[0]], "Inactive",
        "the old key is retired: {keys:?}"
    );
    let saved = std::fs::read_to_string(&csv).unwrap();
    let new = keys.keys().find(|k| **k != old[0]).unwrap();
    assert!(saved.contains(new.as_str()), "{saved}");
    assert!(stdout.contains("\"verified\":true"), "{stdout}");
}

/// `list --fail-on` keeps its exit code when stderr is full.
#[test]
fn a_full_stderr_never_costs_list_fail_on_its_exit_code() {
    let emulator = common::start_emulator(&one_user_org());
    let run = |stderr: std::process::Stdio| {
        common::iamkeys_as_outsider()
            .args(["list", "--fail-on", "any"])
            .args([
                "--endpoint-url",
                &emulator.endpoint,
                "--region",
                "us-east-1",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .status()
            .unwrap()
            .code()
    };
    let expected = run(std::process::Stdio::null());
    assert!(matches!(expected, Some(c) if c != 0), "{expected:?}");
    assert_eq!(run(dev_full()), expected);
}

/// `n` users `red00…` under `/red/`, one active key each.
fn org(n: usize) -> Seed {
    let mut seed = one_user_org();
    let template = seed.users.remove(0);
    seed.users = (0..n)
        .map(|i| SeedUser {
            name: format!("red{i:02}"),
            ..template.clone()
        })
        .collect();
    seed
}

fn bulk(endpoint: &str, journal: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut cmd = common::iamkeys_as_outsider();
    cmd.args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .arg("--journal")
        .arg(journal)
        .stdin(std::process::Stdio::null());
    cmd
}

async fn all_statuses(endpoint: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        out.extend(keys_of(endpoint, &format!("red{i:02}")).await.into_values());
    }
    out
}

/// An undo killed (SIGKILL) mid-way leaves a journal the next undo finishes
/// from: every key back, and nothing left open after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_killed_mid_way_is_finished_by_the_next_undo() {
    use common::fault_proxy::{FaultProxy, Faults};
    let emulator = common::start_emulator(&org(6));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let out = bulk(
        &emulator.endpoint,
        &journal,
        &["deactivate", "--filter", "path:/red/", "--yes"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        all_statuses(&emulator.endpoint, 6)
            .await
            .iter()
            .all(|s| s == "Inactive")
    );
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            slow: 1.0,
            only_action: Some("UpdateAccessKey".into()),
            ..Faults::default()
        },
        5,
    );
    let lines = || std::fs::read_to_string(&journal).unwrap_or_default();
    let before = lines().lines().count();
    let mut child = bulk(
        &proxy.url,
        &journal,
        &["undo", "--yes", "--concurrency", "1"],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let started = std::time::Instant::now();
    // Kill once the undo has changed a key back and journaled it.
    while !lines()
        .lines()
        .skip(before)
        .any(|l| l.contains("\"result\":\"ok\""))
    {
        assert!(started.elapsed() < Duration::from_secs(60), "no undo made");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let now = all_statuses(&emulator.endpoint, 6).await;
    let active = now.iter().filter(|s| *s == "Active").count();
    assert!((1..6).contains(&active), "killed mid-way: {now:?}");
    let out = bulk(&emulator.endpoint, &journal, &["undo", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let now = all_statuses(&emulator.endpoint, 6).await;
    assert!(now.iter().all(|s| s == "Active"), "{now:?}\n{stderr}");
    let out = bulk(&emulator.endpoint, &journal, &["undo", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains("nothing to undo"), "{stderr}");
}

/// A key deleted elsewhere after a bulk run never wedges undo's stack: the
/// undo says it is gone, and the next undo goes on to the operation before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_deleted_elsewhere_never_keeps_undo_from_the_operations_before() {
    let mut seed = org(3);
    seed.users[0].path = "/red/a/".into();
    seed.users[1].path = "/red/a/".into();
    seed.users[2].path = "/red/b/".into();
    let emulator = common::start_emulator(&seed);
    let endpoint = emulator.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let run = |args: &[&str]| {
        let out = bulk(&endpoint, &journal, args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        eprintln!(
            "{args:?} → {:?}\n{}{stderr}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        );
        (out.status.code(), stderr)
    };
    let status = |user: &'static str| {
        let endpoint = endpoint.clone();
        async move {
            keys_of(&endpoint, user)
                .await
                .into_values()
                .collect::<Vec<_>>()
        }
    };
    // The older operation, then the newer one.
    assert_eq!(
        run(&["deactivate", "--filter", "path:/red/b/", "--yes"]).0,
        Some(0)
    );
    assert_eq!(
        run(&["deactivate", "--filter", "path:/red/a/", "--yes"]).0,
        Some(0)
    );
    // Someone deletes one of the newer operation's keys.
    let gone: String = keys_of(&endpoint, "red01")
        .await
        .into_keys()
        .next()
        .unwrap();
    let iam = common::raw_iam(&endpoint).await;
    iam.delete_access_key()
        .user_name("red01")
        .access_key_id(&gone)
        .send()
        .await
        .unwrap();
    run(&["undo", "--yes"]);
    assert_eq!(status("red00").await, vec!["Active".to_string()]);
    // The next undo reaches the older operation.
    run(&["undo", "--yes"]);
    assert_eq!(
        status("red02").await,
        vec!["Active".to_string()],
        "the older operation was never undone"
    );
    let (_, stderr) = run(&["undo", "--yes"]);
    assert!(stderr.contains("nothing to undo"), "{stderr}");
}
