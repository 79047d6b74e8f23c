//! `iamkeys rotate` never loses a key, a secret or a record: a dead stdout
//! takes no secret and retires nothing, the default retires the old key after
//! the proof, a resume re-reads IAM, `--self` keeps the old key in the
//! credentials file until the proof, a hostile secret is written nowhere, the
//! rotation state is read by the trusted-file rules, and a run killed around
//! CreateAccessKey or during the proof is explained and finished by a rerun —
//! against an emulator that answers in whole seconds, as IAM does.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::iam_like::IamLike;
use iamkeys::aws::emulator::{Emulator, Seed, SeedKey, SeedUse, SeedUser};

fn user(name: &str) -> SeedUser {
    SeedUser {
        name: name.into(),
        path: "/".into(),
        created_days_ago: 500.0,
        keys: vec![SeedKey {
            status: "Active".into(),
            created_days_ago: 120.0,
            last_used: Some(SeedUse {
                days_ago: 1.0,
                service: "s3".into(),
                region: "eu-west-1".into(),
            }),
            description: None,
        }],
    }
}

fn org(names: &[&str], propagation: Option<f64>) -> Seed {
    Seed {
        users: names.iter().map(|n| user(n)).collect(),
        signing_user: Some("selfie".into()),
        new_key_propagation_secs: propagation,
        ..Seed::default()
    }
}

fn old_key(emulator: &Emulator, name: &str) -> String {
    emulator
        .report
        .users
        .iter()
        .find(|u| u.name == name)
        .unwrap()
        .keys[0]
        .id
        .clone()
}

/// Key id → status of `user`'s keys, as IAM lists them now.
async fn keys_of(endpoint: &str, user: &str) -> HashMap<String, String> {
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

/// `iamkeys rotate ARGS` on `endpoint`, signed with the outsider key.
fn rotate_command(endpoint: &str, journal: &Path, args: &[&str]) -> Command {
    let mut cmd = common::iamkeys_as_outsider();
    cmd.arg("rotate")
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .arg("--journal")
        .arg(journal)
        .stdin(Stdio::null());
    cmd
}

fn show(what: &str, out: &Output) {
    eprintln!(
        "{what} → {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    show(&format!("{cmd:?}"), &out);
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn summary(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Where the rotation of `user` is kept for this test.
fn state_file(emulator: &Emulator, user: &str) -> PathBuf {
    common::test_state_home()
        .join("iamkeys")
        .join("rotations")
        .join(format!("{}-{user}.json", emulator.report.account_id))
}

/// Waits until `done` holds (or panics after `timeout`).
fn wait_until(what: &str, timeout: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigkill(child: &mut std::process::Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_stdout_takes_no_secret_and_nothing_is_retired() {
    // The proof takes a second or two (propagation), as on IAM: a pipe's
    // reader that closes at once is gone by the retire step.
    let emulator = common::start_emulator(&org(&["closed", "full", "piped"], Some(1.5)));
    let endpoint = emulator.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let args = |user: &'static str| ["--user", user, "--secret-out", "-", "--delete-old", "--yes"];

    // `>&-`: refused before anything is created.
    let inner = rotate_command(&endpoint, &journal, &args("closed"));
    let mut closed = Command::new("sh");
    closed
        .arg("-c")
        .arg("exec \"$0\" \"$@\" >&-")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => closed.env(k, v),
            None => closed.env_remove(k),
        };
    }
    closed.stdin(Stdio::null());
    let out = run(closed);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("closed or /dev/null"),
        "{}",
        stderr(&out)
    );
    let keys = keys_of(&endpoint, "closed").await;
    assert_eq!(keys.len(), 1, "nothing was created: {keys:?}");
    assert_eq!(keys[&old_key(&emulator, "closed")], "Active");

    // `>/dev/full`: the write fails (no panic); the new key is deleted again.
    let mut full = rotate_command(&endpoint, &journal, &args("full"));
    full.stdout(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    );
    let out = run(full);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(!text.contains("panicked"), "{text}");
    assert!(
        text.contains("No space left") && text.contains("deleted again"),
        "{text}"
    );
    let keys = keys_of(&endpoint, "full").await;
    assert_eq!(keys.len(), 1, "the new key was deleted again: {keys:?}");
    assert_eq!(keys[&old_key(&emulator, "full")], "Active");

    // `| head -c 10`: the reader takes 10 bytes and closes the pipe. The old
    // key is neither deactivated nor deleted, and the new key is named.
    let mut piped = rotate_command(&endpoint, &journal, &args("piped"));
    piped.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = piped.spawn().unwrap();
    let mut head = [0u8; 10];
    use std::io::Read;
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // (The pipe's read end is dropped here.)
    let out = child.wait_with_output().unwrap();
    show("piped", &out);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("closed it") && text.contains("Nothing was retired"),
        "{text}"
    );
    let keys = keys_of(&endpoint, "piped").await;
    let old = old_key(&emulator, "piped");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[&old], "Active");
    let new = keys.keys().find(|k| **k != old).unwrap();
    assert!(text.contains(new.as_str()), "the new key is named: {text}");
    // A rerun cannot prove a secret kept nowhere: it says so and retires nothing.
    let out = run(rotate_command(&endpoint, &journal, &args("piped")));
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("kept nowhere else"),
        "{}",
        stderr(&out)
    );
    assert_eq!(keys_of(&endpoint, "piped").await[&old], "Active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_key_is_retired_by_default_and_a_rerun_finishes_a_kept_one() {
    let emulator = common::start_emulator(&org(&["plain", "keeper"], None));
    let endpoint = emulator.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");

    let csv = dir.path().join("plain.csv");
    let out = run(rotate_command(
        &endpoint,
        &journal,
        &[
            "--user",
            "plain",
            "--secret-out",
            csv.to_str().unwrap(),
            "--yes",
        ],
    ));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(summary(&out)["old_key_now"], "inactive");
    let old = old_key(&emulator, "plain");
    assert_eq!(keys_of(&endpoint, "plain").await[&old], "Inactive");

    // --keep-old keeps it active; the same command without it retires it.
    let csv = dir.path().join("keeper.csv");
    let keep = [
        "--user",
        "keeper",
        "--secret-out",
        csv.to_str().unwrap(),
        "--yes",
        "--keep-old",
    ];
    let out = run(rotate_command(&endpoint, &journal, &keep));
    assert_eq!(out.status.code(), Some(0));
    let done = summary(&out);
    assert_eq!(done["old_key_now"], "active");
    let new = done["new_key"].as_str().unwrap().to_string();
    let old = old_key(&emulator, "keeper");
    let keys = keys_of(&endpoint, "keeper").await;
    assert_eq!(
        (keys[&old].as_str(), keys[&new].as_str()),
        ("Active", "Active")
    );
    let out = run(rotate_command(&endpoint, &journal, &keep[..5]));
    assert_eq!(out.status.code(), Some(0), "a rerun finishes what it made");
    let done = summary(&out);
    assert_eq!(done["resumed"], true);
    assert_eq!(done["new_key"], new.as_str());
    assert_eq!(done["old_key_now"], "inactive");
    let keys = keys_of(&endpoint, "keeper").await;
    assert_eq!(
        (keys[&old].as_str(), keys[&new].as_str()),
        ("Inactive", "Active")
    );
    assert!(!state_file(&emulator, "keeper").exists());
    // --keep-old with a retire flag is a contradiction.
    let out = run(rotate_command(
        &endpoint,
        &journal,
        &[
            "--user",
            "keeper",
            "--secret-out",
            "-",
            "--keep-old",
            "--delete-old",
            "--yes",
        ],
    ));
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_stops_when_iam_lists_the_new_key_inactive() {
    let emulator = common::start_emulator(&org(&["moved"], None));
    let proxy = IamLike::start(emulator.report.port);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let csv = dir.path().join("moved.csv");
    let args = [
        "--user",
        "moved",
        "--secret-out",
        csv.to_str().unwrap(),
        "--yes",
        "--keep-old",
    ];
    let out = run(rotate_command(&proxy.url, &journal, &args));
    assert_eq!(out.status.code(), Some(0));
    let new = summary(&out)["new_key"].as_str().unwrap().to_string();
    let arn = summary(&out)["signs_as"].as_str().unwrap().to_string();
    let old = old_key(&emulator, "moved");
    // Elsewhere, somebody deactivates the new key; for a few seconds IAM
    // still lets it sign.
    common::raw_iam(&emulator.endpoint)
        .await
        .update_access_key()
        .user_name("moved")
        .access_key_id(&new)
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();
    proxy.signs_anyway(&new, &arn);
    let out = run(rotate_command(&proxy.url, &journal, &args[..5]));
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains(&format!("new key {new} as Inactive"))
            && text.contains("nothing was retired"),
        "{text}"
    );
    let keys = keys_of(&emulator.endpoint, "moved").await;
    assert_eq!(
        keys[&old], "Active",
        "the old key is never deactivated then"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_after_create_on_whole_second_iam_names_the_orphan_and_deletes_it_when_asked()
{
    let emulator = common::start_emulator(&org(&["crash"], None));
    let proxy = IamLike::start(emulator.report.port);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let csv = dir.path().join("crash.csv");
    let args = [
        "--user",
        "crash",
        "--secret-out",
        csv.to_str().unwrap(),
        "--yes",
    ];
    let old = old_key(&emulator, "crash");

    // IAM's dates are whole seconds here.
    let listed = common::raw_iam(&proxy.url)
        .await
        .list_access_keys()
        .user_name("crash")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.access_key_metadata()[0]
            .create_date()
            .unwrap()
            .subsec_nanos(),
        0
    );

    proxy.hold_create_replies(true);
    let mut child = rotate_command(&proxy.url, &journal, &args).spawn().unwrap();
    wait_until(
        "CreateAccessKey reaching IAM",
        Duration::from_secs(30),
        || proxy.creates_reached() == 1,
    );
    std::thread::sleep(Duration::from_millis(300));
    sigkill(&mut child);
    proxy.hold_create_replies(false);
    let keys = keys_of(&emulator.endpoint, "crash").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let orphan = keys.keys().find(|k| **k != old).unwrap().clone();
    assert!(!csv.exists(), "the secret was never saved");
    assert!(
        state_file(&emulator, "crash").exists(),
        "the rotation is kept"
    );

    // A rerun names the orphan and how to delete it, and creates nothing.
    let out = run(rotate_command(&proxy.url, &journal, &args));
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains(&orphan) && text.contains("never saved") && text.contains("--delete-orphan"),
        "{text}"
    );
    assert_eq!(proxy.creates_reached(), 1);
    assert_eq!(keys_of(&emulator.endpoint, "crash").await.len(), 2);

    // --delete-orphan deletes it and rotates afresh.
    let mut with = args.to_vec();
    with.push("--delete-orphan");
    let out = run(rotate_command(&proxy.url, &journal, &with));
    assert_eq!(out.status.code(), Some(0));
    let done = summary(&out);
    let new = done["new_key"].as_str().unwrap();
    assert_ne!(new, orphan);
    let keys = keys_of(&emulator.endpoint, "crash").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(
        (keys[&old].as_str(), keys[new].as_str()),
        ("Inactive", "Active")
    );
    let log = std::fs::read_to_string(&journal).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(&orphan) && l.contains("\"action\":\"delete\"")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_during_the_proof_leaves_the_secret_saved_and_a_rerun_finishes() {
    let emulator = common::start_emulator(&org(&["prover"], None));
    let proxy = IamLike::start(emulator.report.port);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let csv = dir.path().join("prover.csv");
    let args = [
        "--user",
        "prover",
        "--secret-out",
        csv.to_str().unwrap(),
        "--yes",
    ];
    let old = old_key(&emulator, "prover");

    proxy.refuse_new_keys(Some(&[]));
    let mut child = rotate_command(&proxy.url, &journal, &args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("a refused proof", Duration::from_secs(30), || {
        proxy.proofs_refused() >= 1
    });
    sigkill(&mut child);

    let keys = keys_of(&emulator.endpoint, "prover").await;
    assert_eq!(keys.len(), 2);
    let new = keys.keys().find(|k| **k != old).unwrap().clone();
    assert_eq!(
        (keys[&old].as_str(), keys[&new].as_str()),
        ("Active", "Active")
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains(&new), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let state = std::fs::read_to_string(state_file(&emulator, "prover")).unwrap();
    assert!(
        state.contains(&new) && state.contains("\"created\""),
        "{state}"
    );
    let log = std::fs::read_to_string(&journal).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(&new) && l.contains("\"action\":\"create\"")),
        "{log}"
    );

    proxy.refuse_new_keys(None);
    let out = run(rotate_command(&proxy.url, &journal, &args));
    assert_eq!(out.status.code(), Some(0));
    let done = summary(&out);
    assert_eq!(done["resumed"], true);
    assert_eq!(done["new_key"], new.as_str());
    assert_eq!(done["old_key_now"], "inactive");
    assert_eq!(
        keys_of(&emulator.endpoint, "prover").await[&old],
        "Inactive"
    );
    assert!(!state_file(&emulator, "prover").exists());
    let log = std::fs::read_to_string(&journal).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(&old) && l.contains("\"action\":\"deactivate\"")),
        "{log}"
    );
}

/// A temporary HOME whose credentials file holds the seeded signing key
/// under `[default]`, beside another profile.
fn self_home(emulator: &Emulator) -> (tempfile::TempDir, PathBuf, String) {
    let signing = emulator.report.signing.clone().unwrap();
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let credentials = aws.join("credentials");
    let original = format!(
        "[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = othersecret\n\n[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        signing.access_key_id, signing.secret_access_key
    );
    std::fs::write(&credentials, &original).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600)).unwrap();
    (home, credentials, original)
}

fn rotate_self(endpoint: &str, home: &Path, credentials: &Path, extra: &[&str]) -> Output {
    let mut cmd = common::iamkeys_command();
    cmd.args([
        "rotate",
        "--self",
        "--yes",
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
    ])
    .args(extra)
    .arg("--journal")
    .arg(home.join("journal.jsonl"))
    .env("HOME", home)
    .env("AWS_SHARED_CREDENTIALS_FILE", credentials)
    .stdin(Stdio::null());
    run(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_self_keeps_the_old_key_in_the_file_until_the_new_one_is_proven() {
    let emulator = common::start_emulator(&org(&["selfie"], None));
    let proxy = IamLike::start(emulator.report.port);
    let (home, credentials, original) = self_home(&emulator);
    let old = emulator.report.signing.clone().unwrap().access_key_id;

    proxy.refuse_new_keys(Some(&[old.as_str()]));
    let out = rotate_self(
        &proxy.url,
        home.path(),
        &credentials,
        &["--verify-timeout", "2"],
    );
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        std::fs::read_to_string(&credentials).unwrap(),
        original,
        "the file is as it was"
    );
    let keys = keys_of(&emulator.endpoint, "selfie").await;
    let new = keys.keys().find(|k| **k != old).unwrap().clone();
    assert_eq!(keys[&old], "Active");
    let pending = credentials.with_file_name(format!("credentials.iamkeys-new-{new}"));
    let text = stderr(&out);
    assert!(
        text.contains(&pending.display().to_string()) && text.contains("still holds the old key"),
        "{text}"
    );
    let kept = std::fs::read_to_string(&pending).unwrap();
    assert!(kept.contains(&new), "{kept}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&pending).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Once IAM lets the new key sign, the rerun writes it and retires the old.
    proxy.refuse_new_keys(None);
    let out = rotate_self(&proxy.url, home.path(), &credentials, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(summary(&out)["new_key"], new.as_str());
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(
        text.contains(&format!("aws_access_key_id = {new}")),
        "{text}"
    );
    assert!(
        !text.contains(&old) && text.starts_with("[other]\naws_access_key_id = AKIAOTHER"),
        "{text}"
    );
    assert!(!pending.exists(), "the pending copy is gone");
    assert_eq!(
        keys_of(&emulator.endpoint, "selfie").await[&old],
        "Inactive"
    );
}

/// ESC ] 0 ; (window title), a bell, a line break and a line a credentials
/// file would obey, XML-escaped.
const HOSTILE_SECRET: &str = "abc&#x1b;]0;owned&#x7;&#10;credential_process = /tmp/evil";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_secret_is_written_nowhere_and_its_key_is_deleted_again() {
    let emulator = common::start_emulator(&org(&["victim", "selfie"], None));
    let proxy = IamLike::start(emulator.report.port);
    proxy.hostile_secret(HOSTILE_SECRET);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");

    let out = run(rotate_command(
        &proxy.url,
        &journal,
        &["--user", "victim", "--secret-out", "-", "--yes"],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing reaches stdout: {:?}",
        out.stdout
    );
    assert!(!out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07));
    let text = stderr(&out);
    assert!(
        text.contains("not of IAM's shape") && text.contains("deleted again"),
        "{text}"
    );
    let keys = keys_of(&emulator.endpoint, "victim").await;
    assert_eq!(keys.len(), 1, "the key it made is deleted again: {keys:?}");
    assert_eq!(keys[&old_key(&emulator, "victim")], "Active");

    // --self: the credentials file gets no line of it, and no pending file is made.
    let (home, credentials, original) = self_home(&emulator);
    let out = rotate_self(&proxy.url, home.path(), &credentials, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&credentials).unwrap(), original);
    let beside: Vec<_> = std::fs::read_dir(credentials.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    assert_eq!(keys_of(&emulator.endpoint, "selfie").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_as_the_rotation_state_is_refused_not_waited_on() {
    let emulator = common::start_emulator(&org(&["fifo"], None));
    let dir = tempfile::tempdir().unwrap();
    let state = state_file(&emulator, "fifo");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let made = Command::new("mkfifo").arg(&state).status().unwrap();
    assert!(made.success());
    let mut child = rotate_command(
        &emulator.endpoint,
        &dir.path().join("journal.jsonl"),
        &["--user", "fifo", "--secret-out", "-", "--yes"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("rotate waits on a FIFO put where its state is kept");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    show("fifo", &out);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("FIFO") && text.contains(&state.display().to_string()),
        "{text}"
    );
    assert_eq!(
        keys_of(&emulator.endpoint, "fifo").await.len(),
        1,
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_before_retiring_waits_out_a_listing_that_lags_the_create() {
    use common::fault_proxy::{FaultProxy, Faults};
    let emulator = common::start_emulator(&org(&["lagged"], None));
    // IAM is eventually consistent: for 2 s after the create, the user's
    // listing does not show the new key yet.
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            consistency_lag: Some(Duration::from_secs(2)),
            ..Faults::default()
        },
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("lagged.csv");
    let out = run(rotate_command(
        &proxy.url,
        &dir.path().join("journal.jsonl"),
        &[
            "--user",
            "lagged",
            "--secret-out",
            csv.to_str().unwrap(),
            "--yes",
        ],
    ));
    assert_eq!(out.status.code(), Some(0));
    assert!(proxy.stale_listings() >= 1, "the listing lagged");
    assert_eq!(summary(&out)["old_key_now"], "inactive");
    let old = old_key(&emulator, "lagged");
    assert_eq!(
        keys_of(&emulator.endpoint, "lagged").await[&old],
        "Inactive"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_self_rewrites_every_profile_with_the_key_and_warns_of_it_in_the_environment() {
    let emulator = common::start_emulator(&org(&["selfie"], None));
    let signing = emulator.report.signing.clone().unwrap();
    let (home, credentials, _) = self_home(&emulator);
    let old = signing.access_key_id.clone();
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = {old} # laptop\naws_secret_access_key = {}\n[ci]\naws_access_key_id={old}\naws_secret_access_key={}\n",
            signing.secret_access_key, signing.secret_access_key
        ),
    )
    .unwrap();
    let mut cmd = common::iamkeys_command();
    cmd.args([
        "rotate",
        "--self",
        "--yes",
        "--endpoint-url",
        &emulator.endpoint,
    ])
    .args(["--region", "us-east-1", "--journal"])
    .arg(home.path().join("journal.jsonl"))
    .env("HOME", home.path())
    .env("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    .env("AWS_ACCESS_KEY_ID", &old)
    .env("AWS_SECRET_ACCESS_KEY", &signing.secret_access_key)
    .stdin(Stdio::null());
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(0));
    let new = summary(&out)["new_key"].as_str().unwrap().to_string();
    let text = stderr(&out);
    assert!(text.contains("exported in AWS_ACCESS_KEY_ID"), "{text}");
    assert!(text.contains("[default], [ci]"), "{text}");
    let file = std::fs::read_to_string(&credentials).unwrap();
    assert!(!file.contains(&old), "{file}");
    assert!(
        file.contains(&format!("aws_access_key_id = {new} # laptop\n")),
        "{file}"
    );
    assert_eq!(file.matches(&new).count(), 2, "{file}");
    assert_eq!(
        keys_of(&emulator.endpoint, "selfie").await[&old],
        "Inactive"
    );
}
