//! How many requests a load takes for the same truth: an emulator behind a
//! counting proxy, with an IAM-like credential report that is fresh (made by
//! this load) or four hours old. And the root-key check's second source.

use std::collections::BTreeMap;

use crate::common;
use crate::common::fault_proxy::{FaultProxy, Faults};
use iamkeys::aws::emulator::{Seed, SeedKey, SeedUse, SeedUser};

/// 40 users: 25 with keys (recently used, used long ago, never used, one
/// young and never used), 15 without. All made long before any report.
fn org() -> Seed {
    let mut users = Vec::new();
    for i in 0..40 {
        let keys = match i % 8 {
            0..=2 => vec![SeedKey {
                status: "Active".into(),
                created_days_ago: 200.0,
                last_used: Some(SeedUse {
                    days_ago: 1.0,
                    service: "s3".into(),
                    region: "eu-west-1".into(),
                }),
                description: None,
            }],
            3 => vec![SeedKey {
                status: "Active".into(),
                created_days_ago: 300.0,
                last_used: Some(SeedUse {
                    days_ago: 120.0,
                    service: "ec2".into(),
                    region: "us-west-2".into(),
                }),
                description: None,
            }],
            4 => vec![SeedKey {
                status: "Active".into(),
                created_days_ago: if i == 4 { 2.0 } else { 100.0 },
                last_used: None,
                description: None,
            }],
            _ => vec![],
        };
        users.push(SeedUser {
            name: format!("user{i:02}"),
            path: "/".into(),
            created_days_ago: 400.0,
            keys,
        });
    }
    Seed {
        users,
        ..Seed::default()
    }
}

fn by_action(proxy: &FaultProxy) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for seen in proxy.seen() {
        *counts.entry(seen.action).or_default() += 1;
    }
    counts
}

fn records(stdout: &[u8]) -> Vec<serde_json::Value> {
    serde_json::from_slice::<Vec<serde_json::Value>>(stdout).expect("list's JSON")
}

#[test]
fn a_fresh_report_costs_one_call_per_user_with_keys_and_confirms_nothing() {
    let seed = org();
    let with_keys = seed.users.iter().filter(|u| !u.keys.is_empty()).count();
    assert_eq!(with_keys, 25);
    let emulator = common::start_emulator(&seed);
    let proxy = FaultProxy::start(emulator.report.port, Faults::default(), 1);
    let out = common::list_as_outsider(&proxy.url, &["--output", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = by_action(&proxy);
    let total: usize = counts.values().sum();
    assert_eq!(counts.get("ListAccessKeys"), Some(&with_keys), "{counts:?}");
    assert_eq!(counts.get("GetAccessKeyLastUsed"), None, "{counts:?}");
    // The report's calls, the identity, the user listing: a small constant.
    assert!(total <= with_keys + 6, "{total} requests: {counts:?}");

    let records = records(&out.stdout);
    // Every user is there, with or without keys.
    let users: std::collections::BTreeSet<_> = records
        .iter()
        .map(|r| r["user"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 40);
    let key_records: Vec<_> = records
        .iter()
        .filter(|r| r["access_key_id"].is_string())
        .collect();
    assert_eq!(key_records.len(), with_keys);
    for r in &key_records {
        assert_eq!(r["source"], "report", "{r}");
    }
    // The report vouches for "never used" and old uses: their findings are made.
    let findings = |user: &str| -> Vec<String> {
        key_records.iter().find(|r| r["user"] == user).unwrap()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    assert!(findings("user03").contains(&"unused".to_string()));
    // Never used, 100 days old: never-used and, as CIS 1.12 counts it, unused.
    let never = findings("user12");
    assert!(
        never.contains(&"never-used".to_string()) && never.contains(&"unused".to_string()),
        "{never:?}"
    );
    // Two days old and never used: in its grace period, nothing.
    assert!(findings("user04").is_empty(), "{:?}", findings("user04"));
}

#[test]
fn a_report_hours_old_is_confirmed_live_and_every_user_is_listed() {
    let mut seed = org();
    // IAM hands out a report up to four hours old (at four it makes a new one).
    seed.report_hours_ago = Some(3.5);
    let emulator = common::start_emulator(&seed);
    let proxy = FaultProxy::start(emulator.report.port, Faults::default(), 1);
    let out = common::list_as_outsider(&proxy.url, &["--output", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = by_action(&proxy);
    assert_eq!(counts.get("ListAccessKeys"), Some(&40), "{counts:?}");
    // Recent uses with service and region stand; the 5 used long ago or
    // never used (user04 among them) are read live.
    let live = counts.get("GetAccessKeyLastUsed").copied().unwrap_or(0);
    assert_eq!(live, 10, "{counts:?}");
}

#[test]
fn without_a_report_the_root_key_check_reads_the_account_summary() {
    let mut seed = org();
    seed.root_key = true;
    let emulator = common::start_emulator(&seed);
    let proxy = FaultProxy::start(emulator.report.port, Faults::default(), 1);
    let out = common::list_as_outsider(
        &proxy.url,
        &[
            "--output",
            "json",
            "--source",
            "live",
            "--fail-on",
            "root-key",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = records(&out.stdout)
        .into_iter()
        .find(|r| r["user"] == "<root_account>")
        .expect("a root record");
    assert_eq!(root["source"], "account-summary");
    assert_eq!(by_action(&proxy).get("GetAccountSummary"), Some(&1));

    // Neither source can be read: the check was not evaluated, and says so.
    proxy.set_faults(Faults {
        unavailable: 1.0,
        only_action: Some("GetAccountSummary".into()),
        ..Faults::default()
    });
    let out = common::list_as_outsider(
        &proxy.url,
        &[
            "--output",
            "json",
            "--source",
            "live",
            "--fail-on",
            "root-key",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("root-key was not evaluated"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_reads_live_what_an_old_report_said_and_leaves_out_a_key_used_since() {
    // Both keys were last used 35 days ago as of a report 3.5 h old: the
    // report's word is final for the load (within the unused threshold), so
    // only the plan's moment of decision reads them live. sam's key signs now.
    let used = |days_ago| {
        Some(SeedUse {
            days_ago,
            service: "s3".into(),
            region: "eu-west-1".into(),
        })
    };
    let user = |name: &str| SeedUser {
        name: name.into(),
        path: "/plan/".into(),
        created_days_ago: 400.0,
        keys: vec![SeedKey {
            status: "Active".into(),
            created_days_ago: 300.0,
            last_used: used(35.0),
            description: None,
        }],
    };
    let seed = Seed {
        users: vec![user("sam"), user("tom")],
        signing_user: Some("sam".into()),
        report_hours_ago: Some(3.5),
        ..Seed::default()
    };
    let emulator = common::start_emulator(&seed);
    let sam = emulator.report.signing.clone().unwrap();
    common::connect(&emulator, (&sam.access_key_id, &sam.secret_access_key)).await;
    let dir = tempfile::tempdir().unwrap();
    let out = common::iamkeys_as_outsider()
        .args(["deactivate", "--filter", "path:/plan/", "--yes"])
        .args([
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ])
        .arg("--journal")
        .arg(dir.path().join("journal.jsonl"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("since the report said") && stdout.contains(&sam.access_key_id),
        "{stdout}"
    );
    let iam = common::raw_iam(&emulator.endpoint).await;
    let status = |name: &'static str| {
        let iam = iam.clone();
        async move {
            iam.list_access_keys()
                .user_name(name)
                .send()
                .await
                .unwrap()
                .access_key_metadata()[0]
                .status()
                .unwrap()
                .as_str()
                .to_string()
        }
    };
    assert_eq!(
        status("sam").await,
        "Active",
        "used since the report: left alone"
    );
    assert_eq!(status("tom").await, "Inactive");
}
