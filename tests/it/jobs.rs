//! The administrator's jobs against the emulator: bulk deactivate/delete with
//! a plan, the journal and undo, and rotation with proof.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use iamkeys::aws::emulator::{Seed, SeedKey, SeedUse, SeedUser};

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
    // Written ahead: an intent before each request, its outcome after.
    assert_eq!(text.lines().count(), 10, "{text}");
    assert_eq!(text.matches("\"result\":\"intent\"").count(), 5, "{text}");
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

fn one_key_user(name: &str, extra_inactive: bool) -> SeedUser {
    let mut keys = vec![SeedKey {
        status: "Active".into(),
        created_days_ago: 120.0,
        last_used: Some(SeedUse {
            days_ago: 1.0,
            service: "s3".into(),
            region: "eu-west-1".into(),
        }),
        description: Some("ci runner".into()),
    }];
    if extra_inactive {
        keys.push(SeedKey {
            status: "Inactive".into(),
            created_days_ago: 400.0,
            last_used: None,
            description: None,
        });
    }
    SeedUser {
        name: name.into(),
        path: "/".into(),
        created_days_ago: 500.0,
        keys,
    }
}

/// An organisation where STS refuses a new key for its first two seconds, as
/// IAM does while it propagates.
fn rotation_org() -> Seed {
    Seed {
        users: vec![
            one_key_user("alice", false),
            one_key_user("bob", true),
            one_key_user("selfie", false),
        ],
        signing_user: Some("selfie".into()),
        new_key_propagation_secs: Some(2.0),
        ..Seed::default()
    }
}

fn summary(out: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_proves_the_new_key_before_retiring_the_old_and_resumes_after_a_failure() {
    let emulator = common::start_emulator(&rotation_org());
    let endpoint = emulator.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let alice_old = emulator.report.users[0].keys[0].id.clone();

    // A user with one key; the proof waits out the propagation.
    let csv = dir.path().join("alice.csv");
    let out = iamkeys(
        &endpoint,
        &journal,
        &[
            "rotate",
            "--user",
            "alice",
            "--secret-out",
            csv.to_str().unwrap(),
            "--deactivate-old",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let done = summary(&out);
    assert_eq!(done["verified"], true);
    assert_eq!(done["old_key"], alice_old.as_str());
    assert_eq!(done["old_key_now"], "inactive");
    assert!(done["signs_as"].as_str().unwrap().ends_with(":user/alice"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not sign yet"));
    let new_id = done["new_key"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("Access key ID,Secret access key\n") && text.contains(&new_id));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let keys = statuses(&endpoint, &["alice".to_string()]).await;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[&alice_old], "Inactive");
    assert_eq!(keys[&new_id], "Active");
    let log = std::fs::read_to_string(&journal).unwrap();
    assert!(
        log.contains("\"action\":\"create\"") && log.contains(&new_id),
        "{log}"
    );
    // The description went with the key.
    let iam = common::raw_iam(&endpoint).await;
    let tags = iam
        .list_user_tags()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == new_id && t.value() == "ci runner")
    );

    // Two keys: it needs leave to make room, then deletes the inactive one.
    let bob_csv = dir.path().join("bob.csv");
    let bob_args = [
        "rotate",
        "--user",
        "bob",
        "--secret-out",
        bob_csv.to_str().unwrap(),
        "--delete-old",
        "--yes",
        "--verify-timeout",
        "1",
    ];
    let out = iamkeys(&endpoint, &journal, &bob_args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--delete-inactive"));
    assert!(!bob_csv.exists());
    // With leave, but a proof cut short (IAM still propagating): the new key
    // exists, the old key is untouched, and exit 5 says so.
    let mut with_room = bob_args.to_vec();
    with_room.push("--delete-inactive");
    let out = iamkeys(&endpoint, &journal, &with_room);
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the old key") && stderr.contains("untouched"),
        "{stderr}"
    );
    let bob_old = emulator.report.users[1].keys[0].id.clone();
    let keys = statuses(&endpoint, &["bob".to_string()]).await;
    assert_eq!(keys.len(), 2, "the inactive key made room for the new one");
    assert_eq!(keys[&bob_old], "Active");
    // Rerun: it resumes (no second new key), proves it, deletes the old key.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let out = iamkeys(&endpoint, &journal, &bob_args[..bob_args.len() - 2]);
    assert_eq!(out.status.code(), Some(0));
    let done = summary(&out);
    assert_eq!(done["resumed"], true);
    assert_eq!(done["old_key_now"], "deleted");
    let keys = statuses(&endpoint, &["bob".to_string()]).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[done["new_key"].as_str().unwrap()], "Active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_self_rewrites_the_credentials_file_and_keeps_the_rest() {
    let emulator = common::start_emulator(&rotation_org());
    let endpoint = emulator.endpoint.clone();
    let signing = emulator.report.signing.clone().unwrap();
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let credentials = aws.join("credentials");
    let original = format!(
        "# team keys\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = othersecret\n\n[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = us-east-1\n",
        signing.access_key_id, signing.secret_access_key
    );
    std::fs::write(&credentials, &original).unwrap();
    let out = common::iamkeys_command()
        .args([
            "rotate",
            "--self",
            "--yes",
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
        ])
        .arg("--journal")
        .arg(home.path().join("journal.jsonl"))
        .env("HOME", home.path())
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    eprintln!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    let done = summary(&out);
    let new_id = done["new_key"].as_str().unwrap();
    assert_ne!(new_id, signing.access_key_id);
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(
        text.contains(&format!("aws_access_key_id = {new_id}")),
        "{text}"
    );
    assert!(!text.contains(&signing.access_key_id) && !text.contains(&signing.secret_access_key));
    assert!(text.starts_with("# team keys\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = othersecret\n"), "{text}");
    assert!(text.ends_with("region = us-east-1\n"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let keys = statuses(&endpoint, &["selfie".to_string()]).await;
    assert_eq!(keys[&signing.access_key_id], "Inactive");
    assert_eq!(keys[new_id], "Active");
}
