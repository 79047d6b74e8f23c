//! The inventory loader against a real local IAM emulator: what it loads equals
//! what was seeded, field by field.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use iamkeys::iam::inventory::{self, DataSource, LoadEvent, LoadOptions, Source};
use iamkeys::iam::model::{KeyStatus, LastUsed};
use jiff::Timestamp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaded_inventory_equals_the_seed_from_the_report_and_key_by_key() {
    let emulator = common::start_emulator(&common::small_org());
    let (client, context) = common::connect(&emulator, common::OUTSIDER_KEY).await;
    assert_eq!(context.identity.account, emulator.report.account_id);
    assert_eq!(context.signing_key.as_deref(), Some(common::OUTSIDER_KEY.0));
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
        assert_equals_seed(&emulator, events);
    }
}

async fn load(client: &iamkeys::iam::IamClient, source: Source) -> Vec<LoadEvent> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = LoadOptions {
        concurrency: 4,
        source,
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

fn assert_equals_seed(emulator: &iamkeys::emulator::Emulator, events: Vec<LoadEvent>) {
    let mut users = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let mut last_used = BTreeMap::new();
    for event in events {
        match event {
            LoadEvent::UsersPage { users: page, .. } => {
                for u in page {
                    assert!(
                        users.insert(u.name.clone(), u).is_none(),
                        "user listed twice"
                    );
                }
            }
            LoadEvent::Keys { user, result } => {
                assert!(users.contains_key(&user), "keys of {user} before the user");
                assert!(keys.insert(user, result.expect("keys load")).is_none());
            }
            LoadEvent::LastUsed { key_id, result } => {
                // A second answer may complete a first one (report date, then live details).
                last_used.insert(key_id, result.expect("last use loads"));
            }
            LoadEvent::UsersFailed(err) => panic!("{err}"),
            LoadEvent::Source(_) | LoadEvent::Throttled { .. } | LoadEvent::Finished => {}
        }
    }

    let ts = |s: &str| s.parse::<Timestamp>().unwrap();
    assert_eq!(users.len(), emulator.report.users.len());
    for seeded in &emulator.report.users {
        let user = &users[&seeded.name];
        assert_eq!(user.path, seeded.path);
        assert_eq!(user.created, ts(&seeded.created), "{}", seeded.name);
        let loaded = &keys[&seeded.name];
        assert_eq!(loaded.len(), seeded.keys.len(), "keys of {}", seeded.name);
        for (key, want) in loaded.iter().zip(&seeded.keys) {
            assert_eq!(key.id, want.id);
            assert_eq!(key.user, seeded.name);
            assert_eq!(key.status.as_str(), want.status);
            assert_eq!(key.created, ts(&want.created));
            assert_eq!(
                key.description, want.description,
                "description of {}",
                key.id
            );
            let expected = match &want.last_used {
                None => LastUsed::Never,
                Some(u) => LastUsed::Used {
                    at: ts(&u.date),
                    service: Some(u.service.clone()),
                    region: Some(u.region.clone()),
                },
            };
            assert_eq!(last_used[&key.id], expected, "last use of {}", key.id);
        }
    }
    // The seed has every shape: both statuses, used and never used.
    let all: Vec<_> = keys.values().flatten().collect();
    assert!(all.iter().any(|k| k.status == KeyStatus::Inactive));
    assert!(last_used.values().any(|u| *u == LastUsed::Never));
    assert_eq!(last_used.len(), all.len());
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
        context.signing_key.as_deref(),
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
