//! The inventory loader against a real local IAM emulator: what it loads equals
//! what was seeded, field by field.

use crate::common;

use std::sync::{Arc, Mutex};

use iamkeys::aws::inventory::{self, DataSource, LoadEvent, LoadOptions, Source};
use iamkeys::core::model::LastUsed;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaded_inventory_equals_the_seed_from_the_report_and_key_by_key() {
    let emulator = common::start_emulator(&common::small_org());
    let (client, context) = common::connect(&emulator, common::OUTSIDER_KEY).await;
    assert_eq!(context.identity.account, emulator.report.account_id);
    assert_eq!(
        context.session.signing.as_deref(),
        Some(common::OUTSIDER_KEY.0)
    );
    for source in [Source::Live, Source::Auto, Source::Report] {
        let events = load(&client, source).await;
        let reported = events.iter().find_map(|e| match e {
            LoadEvent::Source(s) => Some(s.clone()),
            _ => None,
        });
        match source {
            Source::Live => assert_eq!(reported, Some(DataSource::Live { reason: None })),
            _ => assert!(
                matches!(reported, Some(DataSource::Report { .. })),
                "{reported:?}"
            ),
        }
        common::assert_inventory_equals_seed(&emulator, events);
    }
}

async fn load(client: &iamkeys::aws::IamClient, source: Source) -> Vec<LoadEvent> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = LoadOptions {
        concurrency: 4,
        source,
        unused_after_days: 45,
        confirm_after: LoadOptions::CONFIRM_AFTER,
        skip_users_the_report_shows_without_keys: true,
    };
    inventory::load(
        client.clone(),
        options,
        inventory::no_priority(),
        move |e| sink.lock().unwrap().push(e),
    )
    .await;
    let events = events.lock().unwrap().clone();
    assert_eq!(events.last(), Some(&LoadEvent::Finished));
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signing_key_is_the_one_the_session_resolved() {
    let mut seed = common::small_org();
    seed.signing_user = Some("dave.dev".into());
    let emulator = common::start_emulator(&seed);
    let signing = emulator.report.signing.clone().expect("dave.dev has a key");
    let (client, context) = common::connect(
        &emulator,
        (&signing.access_key_id, &signing.secret_access_key),
    )
    .await;
    assert_eq!(
        context.session.signing.as_deref(),
        Some(signing.access_key_id.as_str())
    );
    assert!(
        context.identity.arn.ends_with("user/engineering/dave.dev"),
        "{}",
        context.identity.arn
    );
    // Signing with the key is a use of it: IAM now says so (service and region of our calls).
    match client.key_last_used(&signing.access_key_id).await.unwrap() {
        LastUsed::Used { region, .. } => assert_eq!(region.as_deref(), Some("us-east-1")),
        LastUsed::Never => panic!("the signing key should be marked as used"),
    }
}

/// An organisation whose credential report was made three hours ago, the way
/// IAM keeps one: uses since are missing from it.
fn org_with_an_old_report() -> iamkeys::aws::emulator::Seed {
    use iamkeys::aws::emulator::{Seed, SeedKey, SeedUse, SeedUser};
    let key = |created_days_ago: f64, last_used: Option<SeedUse>| SeedKey {
        status: "Active".into(),
        created_days_ago,
        last_used,
        description: None,
    };
    let user = |name: &str, keys| SeedUser {
        name: name.into(),
        path: "/".into(),
        created_days_ago: 6000.0,
        keys,
    };
    let s3 = |days_ago| {
        Some(SeedUse {
            days_ago,
            service: "s3".into(),
            region: "eu-west-1".into(),
        })
    };
    Seed {
        signing_user: Some("late.user".into()),
        users: vec![
            // Never used as of the report; it signs (is used) after it.
            user("late.user", vec![key(10.0, None)]),
            // Two keys made in the same second: the report cannot tell them apart.
            user("twins", vec![key(20.0, s3(1.0)), key(20.0, None)]),
            // Made before IAM recorded use (2015-04-22): no use recorded.
            user("ancient", vec![key(5000.0, None)]),
            // Used recently, before the report: its word is final.
            user("steady", vec![key(30.0, s3(2.0))]),
        ],
        report_hours_ago: Some(3.0),
        root_key: true,
        ..Seed::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_report_never_shows_a_key_older_or_emptier_than_it_is() {
    use iamkeys::core::model::UseSource;
    let emulator = common::start_emulator(&org_with_an_old_report());
    let late = emulator.report.signing.clone().unwrap();
    // Signing with late.user's key uses it, three hours after the report.
    let (client, _) =
        common::connect(&emulator, (&late.access_key_id, &late.secret_access_key)).await;
    let report = client.credential_report().await.unwrap();
    let age = jiff::Timestamp::now().duration_since(report.generated);
    assert!(
        (2.9 * 3600.0..3.1 * 3600.0).contains(&age.as_secs_f64()),
        "the report keeps its true time: {age:?}"
    );
    assert!(report.root_has_key, "the <root_account> row is there");

    let events = load(&client, Source::Auto).await;
    let answers = |user: &str| -> Vec<(String, Result<LastUsed, String>, UseSource)> {
        events
            .iter()
            .filter_map(|e| match e {
                LoadEvent::LastUsed {
                    user: u,
                    key_id,
                    result,
                    source,
                } if u == user => {
                    Some((key_id.clone(), result.clone().map_err(|e| e.code), *source))
                }
                _ => None,
            })
            .collect()
    };
    // late.user: "never" as of the report (provisional), then the live use.
    let late_answers = answers("late.user");
    assert!(
        matches!(
            late_answers.first(),
            Some((
                _,
                Ok(LastUsed::Never),
                UseSource::Report {
                    provisional: true,
                    ..
                }
            ))
        ),
        "{late_answers:?}"
    );
    assert!(
        matches!(
            late_answers.last(),
            Some((_, Ok(LastUsed::Used { .. }), UseSource::Live { .. }))
        ),
        "{late_answers:?}"
    );
    // The twins are asked live only, and each gets its own answer.
    let twins = answers("twins");
    assert!(
        twins
            .iter()
            .all(|(_, _, s)| matches!(s, UseSource::Live { .. })),
        "{twins:?}"
    );
    let mut used: Vec<bool> = twins
        .iter()
        .map(|(_, r, _)| matches!(r, Ok(LastUsed::Used { .. })))
        .collect();
    used.sort();
    assert_eq!(used, [false, true], "{twins:?}");
    // A recent use in the report needs no call.
    let steady = answers("steady");
    assert!(
        matches!(
            steady.as_slice(),
            [(
                _,
                Ok(LastUsed::Used { .. }),
                UseSource::Report {
                    provisional: false,
                    ..
                }
            )]
        ),
        "{steady:?}"
    );

    // `list` says the same, with where each value comes from and as of when.
    let records = json_records(common::list_as_outsider(
        &emulator.endpoint,
        &["--output", "json"],
    ));
    let record = |user: &str| record_of(&records, user);
    let late = record("late.user");
    assert!(late["last_used"].is_string(), "{late}");
    assert_eq!(late["never_used"], false);
    assert_eq!(late["source"], "live");
    let steady = record("steady");
    assert_eq!(steady["source"], "report");
    let as_of: jiff::Timestamp = steady["as_of"].as_str().unwrap().parse().unwrap();
    assert_eq!(as_of, report.generated);
    let ancient = record("ancient");
    assert!(
        ancient["last_used"].is_null() && ancient["never_used"].is_null(),
        "{ancient}"
    );
    let table = common::list_as_outsider(&emulator.endpoint, &["--filter", "ancient"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("no use recorded"), "{table}");
}

#[test]
fn list_gates_ci_on_findings_with_the_policy_and_its_exemptions() {
    use iamkeys::aws::emulator::{Seed, SeedKey, SeedUse, SeedUser};
    let key = |created_days_ago: f64, used_days_ago: Option<f64>| SeedKey {
        status: "Active".into(),
        created_days_ago,
        last_used: used_days_ago.map(|days_ago| SeedUse {
            days_ago,
            service: "s3".into(),
            region: "eu-west-1".into(),
        }),
        description: None,
    };
    let user = |name: &str, keys| SeedUser {
        name: name.into(),
        path: "/".into(),
        created_days_ago: 400.0,
        keys,
    };
    let seed = Seed {
        users: vec![
            user("old.key", vec![key(200.0, Some(100.0))]),
            user("fresh", vec![key(10.0, Some(1.0))]),
            user("breakglass-1", vec![key(30.0, None)]),
        ],
        root_key: true,
        ..Seed::default()
    };
    let emulator = common::start_emulator(&seed);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[policy]\nrotate_after_days = 180\n\n[policy.exempt]\nusers = [\"breakglass-*\"]\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let list = |extra: &[&str]| {
        let mut args = vec!["--config", config, "--output", "json"];
        args.extend_from_slice(extra);
        common::list_as_outsider(&emulator.endpoint, &args)
    };
    let records = json_records(list(&[]));
    let by_user = |name: &str| record_of(&records, name);
    let root = by_user("<root_account>");
    assert_eq!(root["findings"], serde_json::json!(["root-key"]));
    let old = by_user("old.key");
    assert_eq!(
        old["findings"],
        serde_json::json!(["unused", "rotation-due"])
    );
    assert_eq!(old["account"], emulator.report.account_id.as_str());
    assert!(old["user_arn"].as_str().unwrap().ends_with(":user/old.key"));
    assert_eq!(by_user("fresh")["findings"], serde_json::json!([]));
    let glass = by_user("breakglass-1");
    assert_eq!(glass["findings"], serde_json::json!(["never-used"]));
    assert_eq!(glass["exempt"], true);

    // The gate: exempt findings never fail; others exit 4; `any` includes the root key.
    assert_eq!(list(&["--fail-on", "never-used"]).status.code(), Some(0));
    assert_eq!(
        list(&["--fail-on", "unused,never-used"]).status.code(),
        Some(4)
    );
    assert_eq!(list(&["--fail-on", "root-key"]).status.code(), Some(4));
    let out = list(&["--fail-on", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'nope' is not a finding"));

    // Filter terms, as the dashboard's `/`: all must hold.
    let users_of = |out: std::process::Output| -> Vec<String> {
        let records: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        records
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["user"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(users_of(list(&["--filter", "is:unused"])), ["old.key"]);
    assert_eq!(
        users_of(list(&["--filter", "is:active unused>50 service:s3"])),
        ["old.key"]
    );
    assert_eq!(
        users_of(list(&["--filter", "is:root-key"])),
        ["<root_account>"]
    );
    assert_eq!(
        users_of(list(&["--filter", "age>20 is:never-used"])),
        ["breakglass-1"]
    );
    let out = list(&["--filter", "is:stale"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'is:stale'"));
}

/// The JSON records of a `list` that exited 0.
fn json_records(out: std::process::Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The first record of `user`.
fn record_of(records: &serde_json::Value, user: &str) -> serde_json::Value {
    records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user"] == user)
        .unwrap_or_else(|| panic!("no record of {user}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_details_read_groups_policies_mfa_and_the_console_password() {
    use iamkeys::core::model::ConsolePassword;
    let emulator = common::start_emulator(&common::small_org());
    let (client, _) = common::connect(&emulator, common::OUTSIDER_KEY).await;
    let iam = common::raw_iam(&emulator.endpoint).await;
    let user = "carol.ops";
    iam.create_group()
        .group_name("oncall")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("oncall")
        .user_name(user)
        .send()
        .await
        .unwrap();
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    let policy = iam
        .create_policy()
        .policy_name("ReadBuckets")
        .policy_document(document)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name(user)
        .policy_arn(policy.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name(user)
        .policy_name("break-glass")
        .policy_document(document)
        .send()
        .await
        .unwrap();
    let device = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("carol-phone")
        .send()
        .await
        .unwrap();
    let serial = device
        .virtual_mfa_device()
        .unwrap()
        .serial_number()
        .to_string();
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    let before = client.user_details(user).await.unwrap();
    assert_eq!(before.groups, ["oncall"]);
    assert_eq!(before.attached_policies, ["ReadBuckets"]);
    assert_eq!(before.inline_policies, ["break-glass"]);
    assert_eq!(before.mfa_devices, [serial]);
    assert_eq!(before.console, ConsolePassword::None);
    iam.create_login_profile()
        .user_name(user)
        .password("Correct-Horse-Battery-9")
        .send()
        .await
        .unwrap();
    let after = client.user_details(user).await.unwrap();
    assert!(
        matches!(after.console, ConsolePassword::Enabled { .. }),
        "{:?}",
        after.console
    );
    // A user that is gone says so.
    let err = client.user_details("nobody-here").await.unwrap_err();
    assert_eq!(err.kind(), iamkeys::core::ErrorKind::NoSuchEntity, "{err}");
}
