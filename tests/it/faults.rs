//! Holding up under faults: a seeded fault-injecting proxy between iamkeys and
//! the emulator (throttling, 503s, dropped connections, slow, cut and garbled
//! replies). Replay a failure with the seed it prints: IAMKEYS_FAULT_SEED=N.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fault_proxy::{FaultProxy, Faults};
use iamkeys::aws::inventory::{self, LoadEvent, LoadOptions, Source};
use iamkeys::core::model::KeyStatus;

const WAIT: Duration = Duration::from_secs(60);

fn emulator_port(emulator: &iamkeys::aws::emulator::Emulator) -> u16 {
    emulator.report.port
}

async fn load_through(proxy: &FaultProxy, source: Source) -> Vec<LoadEvent> {
    let (client, _) = common::connect_to(&proxy.url, common::OUTSIDER_KEY).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = LoadOptions {
        concurrency: 8,
        source,
        unused_after_days: 45,
        confirm_after: LoadOptions::CONFIRM_AFTER,
        skip_users_the_report_shows_without_keys: true,
    };
    inventory::load(client, options, inventory::no_priority(), move |e| {
        sink.lock().unwrap().push(e)
    })
    .await;
    events.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_of_requests_throttled_and_more_failing_still_loads_everything() {
    let emulator = common::start_emulator(&common::small_org());
    let faults = Faults {
        throttle: 0.20,
        unavailable: 0.05,
        reset_before: 0.03,
        slow: 0.05,
        truncate: 0.02,
        ..Faults::default()
    };
    let proxy = FaultProxy::start(emulator_port(&emulator), faults, 20261130);
    for source in [Source::Live, Source::Auto] {
        let events = load_through(&proxy, source).await;
        let retried = events
            .iter()
            .any(|e| matches!(e, LoadEvent::Retries { total } if *total > 0));
        assert!(retried, "the load told its consumer about the retries");
        common::assert_inventory_equals_seed(&emulator, events);
    }
    let counts = proxy.counts();
    assert!(
        counts.get("throttle").copied().unwrap_or(0) > 10,
        "faults struck: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_reply_is_lost_happens_once_and_reports_failure() {
    let emulator = common::start_emulator(&common::small_org());
    let proxy = FaultProxy::start(emulator_port(&emulator), Faults::default(), 7);
    let (client, _) = common::connect_to(&proxy.url, common::OUTSIDER_KEY).await;
    proxy.set_faults(Faults {
        reset_after: 1.0,
        only_action: Some("CreateAccessKey".into()),
        ..Faults::default()
    });
    let err = client
        .create_key("erin.nokeys")
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.code, "NetworkError", "{err}");
    proxy.set_faults(Faults::default());
    let keys = client.list_access_keys("erin.nokeys").await.unwrap();
    assert_eq!(keys.len(), 1, "IAM made the key exactly once: {keys:?}");
    assert_eq!(
        proxy.counts().get("reset_after"),
        Some(&1),
        "no retry was sent"
    );

    // Toggling is idempotent: under the same fault, the SDK may retry it, and it lands once.
    proxy.set_faults(Faults {
        reset_after: 0.5,
        only_action: Some("UpdateAccessKey".into()),
        ..Faults::default()
    });
    let _ = client
        .set_key_status("erin.nokeys", &keys[0].id, KeyStatus::Inactive)
        .await;
    proxy.set_faults(Faults::default());
    let keys = client.list_access_keys("erin.nokeys").await.unwrap();
    assert_eq!(keys[0].status, KeyStatus::Inactive);
}

#[test]
fn a_reply_that_is_not_iam_xml_is_a_clear_error_not_a_crash() {
    let emulator = common::start_emulator(&common::small_org());
    let proxy = FaultProxy::start(emulator_port(&emulator), Faults::default(), 11);
    proxy.set_faults(Faults {
        malformed: 1.0,
        only_action: Some("ListAccessKeys".into()),
        ..Faults::default()
    });
    let out = common::iamkeys_as_outsider()
        .args([
            "list",
            "--output",
            "json",
            "--source",
            "live",
            "--endpoint-url",
            &proxy.url,
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "partial failure: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let records: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout stays JSON");
    let errors: Vec<_> = records
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["error"].as_str())
        .collect();
    assert_eq!(errors.len(), 30, "every user's keys failed: {errors:?}");
    assert!(
        errors.iter().all(|e| e.starts_with("BadResponse")),
        "{errors:?}"
    );
}

/// The dashboard (30×140) on the small organisation through a fault proxy (no
/// faults yet), loaded.
fn dashboard_behind_proxy(
    seed: u64,
) -> (
    iamkeys::aws::emulator::Emulator,
    FaultProxy,
    tempfile::TempDir,
    common::PtySession,
) {
    let emulator = common::start_emulator(&common::small_org());
    let proxy = FaultProxy::start(emulator_port(&emulator), Faults::default(), seed);
    let cwd = tempfile::tempdir().unwrap();
    let tui = common::PtySession::as_outsider(&proxy.url, &[], cwd.path(), 30, 140);
    tui.wait_for("loaded 30 users", WAIT);
    (emulator, proxy, cwd, tui)
}

#[test]
fn the_endpoint_dies_mid_session_the_data_is_marked_stale_and_r_recovers() {
    let (_emulator, proxy, _cwd, mut tui) = dashboard_behind_proxy(3);
    proxy.set_down(true);
    tui.send("r");
    // The failed connection shows within three seconds, while the SDK still retries.
    let screen = tui.wait_for(
        "(retrying): the connection was closed",
        Duration::from_secs(3),
    );
    assert!(
        screen.contains(&format!("IAM at {} has not answered", proxy.url)),
        "{screen}"
    );
    let screen = tui.wait_for("STALE", WAIT);
    assert!(
        screen.contains("the refresh failed (NetworkError)"),
        "{screen}"
    );
    assert!(
        screen.contains("carol.ops") && screen.contains("users 30"),
        "the data stays: {screen}"
    );
    proxy.set_down(false);
    tui.send("r");
    let screen = tui.wait_for("loaded 30 users", WAIT);
    assert!(!screen.contains("STALE"), "{screen}");
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

/// An IAM that accepts connections and never answers (only STS answers, so
/// that the session starts).
fn silent_iam(emulator: &iamkeys::aws::emulator::Emulator) -> FaultProxy {
    FaultProxy::start(
        emulator_port(emulator),
        Faults {
            silent: 1.0,
            spare_action: Some("GetCallerIdentity".into()),
            ..Faults::default()
        },
        9,
    )
}

#[test]
fn an_iam_that_never_answers_is_said_within_seconds_and_stale_within_fifteen() {
    let (_emulator, proxy, _cwd, mut tui) = dashboard_behind_proxy(9);
    proxy.set_faults(Faults {
        silent: 1.0,
        ..Faults::default()
    });
    let pressed = std::time::Instant::now();
    tui.send("r");
    tui.wait_for(
        "has not answered for 3 s (retrying)",
        Duration::from_secs(6),
    );
    let screen = tui.wait_for("STALE (data of", Duration::from_secs(16));
    assert!(
        pressed.elapsed() < Duration::from_secs(16),
        "STALE after {:?}",
        pressed.elapsed()
    );
    assert!(screen.contains("carol.ops"), "the data stays: {screen}");
    // IAM answers again: the marks go, the load finishes.
    proxy.set_faults(Faults::default());
    let screen = tui.wait_for("loaded 30 users", Duration::from_secs(90));
    assert!(
        !screen.contains("STALE") && !screen.contains("has not answered"),
        "{screen}"
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

#[test]
fn list_gives_up_on_an_iam_that_never_answers_within_a_minute() {
    let emulator = common::start_emulator(&common::small_org());
    let proxy = silent_iam(&emulator);
    let started = std::time::Instant::now();
    let out = common::list_as_outsider(&proxy.url, &[]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(
        stderr.contains(&format!("IAM at {} has not answered for", proxy.url)),
        "{stderr}"
    );
}

#[test]
fn the_users_max_attempts_is_the_one_budget_of_each_read() {
    let org = common::small_org();
    // A fresh report shows the others without keys: they need no ListAccessKeys.
    let with_keys = org.users.iter().filter(|u| !u.keys.is_empty()).count();
    assert_eq!(with_keys, 20);
    let emulator = common::start_emulator(&org);
    let proxy = FaultProxy::start(
        emulator_port(&emulator),
        Faults {
            throttle: 1.0,
            only_action: Some("ListAccessKeys".into()),
            ..Faults::default()
        },
        13,
    );
    let out = common::iamkeys_as_outsider()
        .env("AWS_MAX_ATTEMPTS", "2")
        .args([
            "list",
            "--output",
            "json",
            "--endpoint-url",
            &proxy.url,
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = proxy
        .seen()
        .iter()
        .filter(|s| s.action == "ListAccessKeys")
        .count();
    // Two attempts for each of the 20 users with keys: not the SDK's retries
    // times the loader's.
    assert_eq!(sent, 2 * with_keys);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    let emulator = common::start_emulator(&common::small_org());
    for signal in ["TERM", "HUP"] {
        let cwd = tempfile::tempdir().unwrap();
        let mut tui = common::PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 24, 80);
        tui.wait_for("loaded 30 users", WAIT);
        tui.send("/car");
        tui.wait_for("filter: car", WAIT);
        tui.signal(signal);
        tui.wait_exit_any(WAIT);
        assert!(
            !tui.in_alternate_screen(),
            "SIG{signal}: alternate screen left"
        );
        assert!(!tui.cursor_hidden(), "SIG{signal}: cursor shown");
    }
}

#[test]
fn the_log_carries_codes_and_request_ids_of_failures() {
    let emulator = common::start_emulator(&common::small_org());
    // Half the attempts at the credential report are throttled: each is logged
    // with its code and request id, and the polling goes on until the report comes.
    let faults = Faults {
        throttle: 0.5,
        only_action: Some("GenerateCredentialReport".into()),
        ..Faults::default()
    };
    let proxy = FaultProxy::start(emulator_port(&emulator), faults, 5);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("iamkeys.log");
    let out = common::iamkeys_as_outsider()
        .args([
            "list",
            "--output",
            "csv",
            "--endpoint-url",
            &proxy.url,
            "--region",
            "us-east-1",
            "--log-file",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("code=Throttling"))
        .unwrap_or_else(|| panic!("no throttling in the log:\n{text}"));
    assert!(line.contains("request_id=Some(\"fault-proxy\")"), "{line}");
    assert!(
        !text.contains(common::OUTSIDER_KEY.1),
        "the secret key is not logged"
    );
}

#[test]
fn a_panic_in_a_background_task_restores_the_terminal_and_ends_the_app() {
    let emulator = common::start_emulator(&common::small_org());
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = common::PtySession::as_outsider(
        &emulator.endpoint,
        &[("IAMKEYS_TEST_PANIC_IN_TASK", "1"), ("RUST_BACKTRACE", "0")],
        cwd.path(),
        40,
        120,
    );
    tui.wait_exit_any(WAIT);
    assert!(!tui.in_alternate_screen(), "alternate screen left");
    assert!(!tui.cursor_hidden(), "cursor shown");
    let screen = tui.contents();
    assert!(
        screen.contains("IAMKEYS_TEST_PANIC_IN_TASK is set"),
        "the report: {screen}"
    );
    assert!(screen.contains("a background task panicked"), "{screen}");
}
