//! IAM is eventually consistent: right after a change, ListAccessKeys can
//! answer as before it. A pre-check that reads straight after the previous
//! step must read again, for a bounded time, before it refuses. The fault
//! proxy's `consistency_lag` answers stale listings for a while after each
//! change, as IAM can.

use std::time::Duration;

use crate::common;
use crate::common::fault_proxy::{FaultProxy, Faults};
use iamkeys::aws::emulator::{Seed, SeedKey, SeedUser};

fn seed() -> Seed {
    let key = |status: &str| SeedKey {
        status: status.into(),
        created_days_ago: 200.0,
        last_used: None,
        description: None,
    };
    Seed {
        users: vec![SeedUser {
            name: "rita".into(),
            path: "/".into(),
            created_days_ago: 400.0,
            keys: vec![key("Active"), key("Inactive")],
        }],
        ..Seed::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_that_makes_room_then_creates_waits_for_iam_to_catch_up() {
    let emulator = common::start_emulator(&seed());
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            consistency_lag: Some(Duration::from_secs(2)),
            ..Faults::default()
        },
        5,
    );
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rita.csv");
    let old = emulator.report.users[0].keys[0].id.clone();
    let out = common::iamkeys_as_outsider()
        .args(["rotate", "--user", "rita", "--secret-out"])
        .arg(&csv)
        .args(["--delete-inactive", "--delete-old", "--yes"])
        .args(["--endpoint-url", &proxy.url, "--region", "us-east-1"])
        .arg("--journal")
        .arg(dir.path().join("journal.jsonl"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Right after making room the listing still shows two keys, and right
    // after deactivating it still shows the old key active: both pre-checks
    // read again instead of refusing.
    assert!(out.status.success(), "{stderr}");
    assert!(proxy.stale_listings() > 0, "the proxy never answered stale");
    let iam = common::raw_iam(&emulator.endpoint).await;
    let keys = iam
        .list_access_keys()
        .user_name("rita")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = keys
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_ne!(ids[0], old);
    assert!(std::fs::read_to_string(&csv).unwrap().contains(ids[0]));
}
