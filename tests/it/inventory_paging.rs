//! What the emulator cannot do: ListUsers over several pages (one user repeated
//! across pages, as a listing that moves under the reader can), a user whose keys
//! cannot be read, and one deleted during the load. Mocked at the SDK's HTTP layer
//! with aws-smithy-mocks.

use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client;
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
use aws_sdk_iam::operation::list_access_keys::{ListAccessKeysError, ListAccessKeysOutput};
use aws_sdk_iam::operation::list_user_tags::ListUserTagsOutput;
use aws_sdk_iam::operation::list_users::ListUsersOutput;
use aws_sdk_iam::types::{AccessKeyLastUsed, AccessKeyMetadata, StatusType, Tag, User};
use aws_smithy_mocks::{MockResponse, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use iamkeys::aws::IamClient;
use iamkeys::aws::inventory::{self, LoadEvent, LoadOptions, Source};
use iamkeys::core::model::LastUsed;

const PAGES: [(Option<&str>, std::ops::Range<usize>, Option<&str>); 3] = [
    (None, 0..100, Some("page-2")),
    // user099 again: the listing moved between pages.
    (Some("page-2"), 99..200, Some("page-3")),
    (Some("page-3"), 200..250, None),
];

fn user(i: usize) -> User {
    User::builder()
        .user_name(format!("user{i:03}"))
        .path("/")
        .user_id(format!("AIDA{i:016}"))
        .arn(format!("arn:aws:iam::123456789012:user/user{i:03}"))
        .create_date(DateTime::from_secs(1_700_000_000))
        .build()
        .expect("all required fields set")
}

fn mocked_client() -> IamClient {
    let list_users = mock!(Client::list_users).then_compute_response(|req| {
        let (_, range, next) = PAGES
            .iter()
            .find(|(marker, _, _)| req.marker() == *marker)
            .expect("a marker the mock handed out");
        let mut out = ListUsersOutput::builder()
            .set_users(Some(range.clone().map(user).collect()))
            .is_truncated(next.is_some());
        if let Some(next) = next {
            out = out.marker(*next);
        }
        MockResponse::Output(out.build().expect("users set"))
    });
    let list_keys = mock!(Client::list_access_keys).then_compute_response(|req| {
        let name = req.user_name().unwrap_or_default().to_string();
        if name == "user150" {
            return MockResponse::Error(ListAccessKeysError::generic(
                ErrorMetadata::builder()
                    .code("NoSuchEntity")
                    .message("The user with name user150 cannot be found.")
                    .build(),
            ));
        }
        if name == "user042" {
            return MockResponse::Error(ListAccessKeysError::generic(
                ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("User is not authorized to perform iam:ListAccessKeys")
                    .build(),
            ));
        }
        let key = AccessKeyMetadata::builder()
            .user_name(&name)
            .access_key_id(format!("AKIA{}", name.to_uppercase()))
            .status(StatusType::Active)
            .create_date(DateTime::from_secs(1_710_000_000))
            .build();
        MockResponse::Output(
            ListAccessKeysOutput::builder()
                .access_key_metadata(key)
                .build()
                .expect("keys set"),
        )
    });
    // Descriptions the console's way: user007's key has one; a tag for another key is ignored.
    let tags = mock!(Client::list_user_tags).then_compute_response(|req| {
        let tag = |k: &str, v: &str| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value set")
        };
        let tags = match req.user_name() {
            Some("user007") => vec![tag("AKIAUSER007", "deploy bot"), tag("team", "platform")],
            _ => Vec::new(),
        };
        MockResponse::Output(
            ListUserTagsOutput::builder()
                .set_tags(Some(tags))
                .build()
                .expect("tags set"),
        )
    });
    let last_used = mock!(Client::get_access_key_last_used).then_compute_response(|_| {
        MockResponse::Output(
            GetAccessKeyLastUsedOutput::builder()
                .access_key_last_used(
                    AccessKeyLastUsed::builder()
                        .last_used_date(DateTime::from_secs(1_720_000_000))
                        .service_name("s3")
                        .region("N/A")
                        .build()
                        .expect("required fields set"),
                )
                .build(),
        )
    });
    // Live mode: the root-key check asks GetAccountSummary.
    let summary = mock!(Client::get_account_summary).then_output(|| {
        aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput::builder().build()
    });
    let iam = mock_client!(
        aws_sdk_iam,
        RuleMode::MatchAny,
        [&list_users, &list_keys, &tags, &last_used, &summary]
    );
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .build(),
    );
    IamClient::new(iam, sts)
}

#[tokio::test]
async fn every_page_of_users_loads_once_and_a_denied_user_does_not_stop_the_rest() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = LoadOptions {
        concurrency: 8,
        source: Source::Live,
        unused_after_days: 45,
        confirm_after: LoadOptions::CONFIRM_AFTER,
        skip_users_the_report_shows_without_keys: true,
    };
    inventory::load(
        mocked_client(),
        options,
        inventory::no_priority(),
        move |e| sink.lock().unwrap().push(e),
    )
    .await;
    let events = events.lock().unwrap().clone();

    let pages: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            LoadEvent::UsersPage { users, last_page } => Some((users.len(), *last_page)),
            _ => None,
        })
        .collect();
    assert_eq!(pages, [(100, false), (100, false), (50, true)]);

    let mut names: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            LoadEvent::UsersPage { users, .. } => Some(users.iter().map(|u| u.name.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    let listed = names.len();
    names.sort();
    names.dedup();
    assert_eq!(
        (listed, names.len()),
        (250, 250),
        "nothing lost, nothing doubled"
    );
    // Deleted during the load: dropped, not a failure.
    let gone: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            LoadEvent::UserGone { user } => Some(user.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(gone, ["user150"]);

    let keys: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            LoadEvent::Keys { user, result } => Some((user.clone(), result.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(keys.len(), 249);
    let denied: Vec<_> = keys.iter().filter(|(_, r)| r.is_err()).collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].0, "user042");
    let described: Vec<_> = keys
        .iter()
        .flat_map(|(_, r)| r.iter().flatten())
        .filter_map(|k| k.description.as_deref().map(|d| (k.id.as_str(), d)))
        .collect();
    assert_eq!(described, [("AKIAUSER007", "deploy bot")]);
    let err = denied[0].1.as_ref().unwrap_err();
    assert_eq!(
        (err.operation, err.code.as_str()),
        ("ListAccessKeys", "AccessDenied")
    );

    let uses: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            LoadEvent::LastUsed { result, .. } => Some(result.clone().expect("last use loads")),
            _ => None,
        })
        .collect();
    assert_eq!(uses.len(), 248);
    assert!(
        uses.iter().all(
            |u| matches!(u, LastUsed::Used { service: Some(s), region: None, .. } if s == "s3")
        )
    );
    assert_eq!(events.last(), Some(&LoadEvent::Finished));
}
