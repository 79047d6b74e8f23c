#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The inventory loader against a real local IAM emulator: what it loads equals
//! what was seeded, field by field.

mod common;

use std::sync::{Arc, Mutex};

use iamkeys::iam::inventory::{self, DataSource, LoadEvent, LoadOptions, Source};
use iamkeys::iam::model::LastUsed;

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
