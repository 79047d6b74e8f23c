#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The administrator's jobs against the emulator: bulk deactivate/delete with
//! a plan, the journal and undo, and rotation with proof.

mod common;

use std::collections::HashMap;
use std::path::Path;

use iamkeys::emulator::{Seed, SeedKey, SeedUse, SeedUser};

/// Ten users with one key each: even ones unused for 100 days, odd ones used
/// two days ago; one user with an inactive key besides.
fn bulk_org() -> Seed {
    let mut users: Vec<SeedUser> = (0..10)
        .map(|i| SeedUser {
            name: format!("bulk{i:02}"),
            path: "/bulk/".into(),
            created_days_ago: 500.0,
            keys: vec![SeedKey {
                status: "Active".into(),
                created_days_ago: 300.0,
                last_used: Some(SeedUse {
                    days_ago: if i % 2 == 0 { 100.0 } else { 2.0 },
                    service: "s3".into(),
                    region: "eu-west-1".into(),
                }),
                description: None,
            }],
        })
        .collect();
    users[0].keys.push(SeedKey {
        status: "Inactive".into(),
        created_days_ago: 200.0,
        last_used: None,
        description: Some("old laptop".into()),
    });
    Seed {
        users,
        ..Seed::default()
    }
}

/// Key id → status, as IAM lists them now.
async fn statuses(endpoint: &str, users: &[String]) -> HashMap<String, String> {
    let iam = common::raw_iam(endpoint).await;
    let mut out = HashMap::new();
    for user in users {
        let listed = iam.list_access_keys().user_name(user).send().await.unwrap();
        for key in listed.access_key_metadata() {
            out.insert(
                key.access_key_id().unwrap().to_string(),
                key.status().unwrap().as_str().to_string(),
            );
        }
    }
    out
}

fn iamkeys(endpoint: &str, journal: &Path, args: &[&str]) -> std::process::Output {
    let out = common::iamkeys_as_outsider()
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .arg("--journal")
        .arg(journal)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "iamkeys {args:?} → {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_deactivate_plans_changes_exactly_the_matching_keys_and_undo_restores_them() {
    let emulator = common::start_emulator(&bulk_org());
    let endpoint = emulator.endpoint.clone();
    let users: Vec<String> = emulator
        .report
        .users
        .iter()
        .map(|u| u.name.clone())
        .collect();
    let unused: Vec<String> = emulator
        .report
        .users
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, u)| u.keys[0].id.clone())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let before = statuses(&endpoint, &users).await;

    // A dry run prints the plan and changes nothing.
    let out = iamkeys(
        &endpoint,
        &journal,
        &["deactivate", "--filter", "is:unused", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0));
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(plan.contains("plan: deactivate 5 keys"), "{plan}");
    for id in &unused {
        assert!(plan.contains(id.as_str()), "{id} in the plan: {plan}");
    }
    assert_eq!(statuses(&endpoint, &users).await, before);
    assert!(!journal.exists(), "a dry run writes no journal");

    // Without --yes and without a terminal it refuses.
    let out = iamkeys(
        &endpoint,
        &journal,
        &["deactivate", "--filter", "is:unused"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(statuses(&endpoint, &users).await, before);

    // Read-only mode refuses at the choke point, with the reason.
    let out = iamkeys(
        &endpoint,
        &journal,
        &[
            "deactivate",
            "--filter",
            "is:unused",
            "--yes",
            "--read-only",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only mode"));
    assert_eq!(statuses(&endpoint, &users).await, before);

    // --yes changes exactly the matching keys, as IAM tells.
    let out = iamkeys(
        &endpoint,
        &journal,
        &["deactivate", "--filter", "is:unused", "--yes"],
    );
    assert_eq!(out.status.code(), Some(0));
    let after = statuses(&endpoint, &users).await;
    for (id, status) in &after {
        let expected = if unused.contains(id) {
            "Inactive"
        } else {
            before[id].as_str()
        };
        assert_eq!(status, expected, "{id}");
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.contains("\"action\":\"deactivate\""), "{text}");
    assert!(text.contains("\"result\":\"ok\""), "{text}");
    assert!(
        text.contains("\"caller_arn\":\"arn:aws:sts::123456789012:user/moto\""),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Undo reactivates them.
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(statuses(&endpoint, &users).await, before);
    // A second undo does not undo the undo; it finds nothing left to reactivate.
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(statuses(&endpoint, &users).await, before);

    // Delete takes inactive keys only and names the active ones it left out.
    let out = iamkeys(
        &endpoint,
        &journal,
        &["delete", "--filter", "bulk00", "--yes"],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("active: deactivate it first"), "{stdout}");
    let after = statuses(&endpoint, &users).await;
    assert_eq!(after.len(), before.len() - 1, "the inactive key is gone");
    assert!(after.contains_key(&emulator.report.users[0].keys[0].id));
    // Undo of a deletion says it cannot.
    let out = iamkeys(&endpoint, &journal, &["undo", "--yes"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("a deleted key cannot be restored"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
