//! The credential-report fast path, with IAM's answers the emulator cannot give:
//! a report still being generated, one not present yet, and one denied.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_iam::Client;
use aws_sdk_iam::error::ErrorMetadata;
use aws_sdk_iam::operation::generate_credential_report::{
    GenerateCredentialReportError, GenerateCredentialReportOutput,
};
use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
use aws_sdk_iam::operation::get_credential_report::{
    GetCredentialReportError, GetCredentialReportOutput,
};
use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
use aws_sdk_iam::operation::list_user_tags::ListUserTagsOutput;
use aws_sdk_iam::operation::list_users::ListUsersOutput;
use aws_sdk_iam::types::{AccessKeyLastUsed, AccessKeyMetadata, ReportStateType, StatusType, User};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::{Blob, DateTime};
use iamkeys::aws::IamClient;
use iamkeys::aws::inventory::{self, DataSource, LoadEvent, LoadOptions, Source};
use iamkeys::core::model::LastUsed;

const CREATED: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z

/// Two days ago: recent enough that the report's word on it is final.
fn used() -> i64 {
    jiff::Timestamp::now().as_second() / 86_400 * 86_400 - 2 * 86_400
}

/// The report's text, with `USED` standing for [`used`].
const REPORT: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
alice,arn:aws:iam::1:user/alice,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2023-11-14T22:13:20+00:00,USED,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
bob,arn:aws:iam::1:user/bob,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2023-11-14T22:13:20+00:00,USED,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

fn denied() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("AccessDenied")
        .message("not allowed")
        .build()
}

/// IAM with users alice and bob, one key each; `report` rules decide the report.
fn client(report: Vec<Rule>, live_calls: Arc<AtomicUsize>) -> IamClient {
    let users = mock!(Client::list_users).then_output(|| {
        let user = |name: &str| {
            User::builder()
                .user_name(name)
                .path("/")
                .user_id(name)
                .arn(format!("arn:aws:iam::1:user/{name}"))
                .create_date(DateTime::from_secs(1_577_836_800))
                .build()
                .expect("required fields set")
        };
        ListUsersOutput::builder()
            .users(user("alice"))
            .users(user("bob"))
            .is_truncated(false)
            .build()
            .expect("users set")
    });
    let keys = mock!(Client::list_access_keys).then_compute_output(|req| {
        let name = req.user_name().unwrap_or_default();
        ListAccessKeysOutput::builder()
            .access_key_metadata(
                AccessKeyMetadata::builder()
                    .user_name(name)
                    .access_key_id(format!("AKIA{}", name.to_uppercase()))
                    .status(StatusType::Active)
                    .create_date(DateTime::from_secs(CREATED))
                    .build(),
            )
            .build()
            .expect("keys set")
    });
    let tags = mock!(Client::list_user_tags).then_output(|| {
        ListUserTagsOutput::builder()
            .set_tags(Some(vec![]))
            .build()
            .expect("tags set")
    });
    let last_used = mock!(Client::get_access_key_last_used).then_compute_output(move |_| {
        live_calls.fetch_add(1, Ordering::SeqCst);
        GetAccessKeyLastUsedOutput::builder()
            .access_key_last_used(
                AccessKeyLastUsed::builder()
                    .last_used_date(DateTime::from_secs(used()))
                    .service_name("ec2")
                    .region("us-west-2")
                    .build()
                    .expect("required fields set"),
            )
            .build()
    });
    // Not allowed to read account authorization details: users come from ListUsers.
    let details = mock!(Client::get_account_authorization_details).then_error(|| {
        aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsError::generic(denied())
    });
    // Without a report, the root-key check asks GetAccountSummary.
    let summary = mock!(Client::get_account_summary).then_output(|| {
        aws_sdk_iam::operation::get_account_summary::GetAccountSummaryOutput::builder().build()
    });
    let mut rules = vec![users, keys, tags, last_used, details, summary];
    rules.extend(report);
    let iam = mock_client!(aws_sdk_iam, RuleMode::MatchAny, &rules);
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .build(),
    );
    IamClient::new(iam, sts)
}

fn report_content() -> GetCredentialReportOutput {
    GetCredentialReportOutput::builder()
        .content(Blob::new(REPORT.replace(
            "USED",
            &jiff::Timestamp::from_second(used()).unwrap().to_string(),
        )))
        .generated_time(DateTime::from_secs(used() + 86_400))
        .build()
}

async fn load(client: IamClient, source: Source) -> Vec<LoadEvent> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = LoadOptions {
        concurrency: 4,
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

fn final_last_use(events: &[LoadEvent], key: &str) -> Result<LastUsed, String> {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            LoadEvent::LastUsed { key_id, result, .. } if key_id == key => {
                Some(result.clone().map_err(|e| e.code))
            }
            _ => None,
        })
        .expect("the key got a last use")
}

#[tokio::test]
async fn a_report_being_generated_is_polled_and_then_answers_without_per_key_calls() {
    let generate = mock!(Client::generate_credential_report)
        .sequence()
        .output(|| {
            GenerateCredentialReportOutput::builder()
                .state(ReportStateType::Started)
                .build()
        })
        .output(|| {
            GenerateCredentialReportOutput::builder()
                .state(ReportStateType::Inprogress)
                .build()
        })
        .output(|| {
            GenerateCredentialReportOutput::builder()
                .state(ReportStateType::Complete)
                .build()
        })
        .repeatedly()
        .build();
    let get = mock!(Client::get_credential_report)
        .sequence()
        .error(|| {
            GetCredentialReportError::generic(
                ErrorMetadata::builder()
                    .code("ReportNotPresent")
                    .message("not yet")
                    .build(),
            )
        })
        .output(report_content)
        .repeatedly()
        .build();
    let live = Arc::new(AtomicUsize::new(0));
    let events = load(client(vec![generate, get], live.clone()), Source::Auto).await;

    assert!(
        events
            .iter()
            .any(|e| matches!(e, LoadEvent::Source(DataSource::Report { .. })))
    );
    // alice: everything from the report. bob: the report has the date but no
    // service or region, so exactly one live call completes it.
    assert_eq!(
        final_last_use(&events, "AKIAALICE"),
        Ok(LastUsed::Used {
            at: jiff::Timestamp::from_second(used()).unwrap(),
            service: Some("s3".into()),
            region: Some("eu-west-1".into()),
        })
    );
    assert_eq!(
        final_last_use(&events, "AKIABOB"),
        Ok(LastUsed::Used {
            at: jiff::Timestamp::from_second(used()).unwrap(),
            service: Some("ec2".into()),
            region: Some("us-west-2".into()),
        })
    );
    assert_eq!(live.load(Ordering::SeqCst), 1);
    assert_eq!(events.last(), Some(&LoadEvent::Finished));
}

#[tokio::test]
async fn a_denied_report_falls_back_to_per_key_calls_in_auto_and_fails_in_report_mode() {
    let denied_generate = || {
        mock!(Client::generate_credential_report)
            .then_error(|| GenerateCredentialReportError::generic(denied()))
    };
    let live = Arc::new(AtomicUsize::new(0));
    let events = load(client(vec![denied_generate()], live.clone()), Source::Auto).await;
    let reason = events.iter().find_map(|e| match e {
        LoadEvent::Source(DataSource::Live { reason }) => reason.clone(),
        _ => None,
    });
    assert!(reason.unwrap().contains("AccessDenied"));
    assert_eq!(live.load(Ordering::SeqCst), 2, "one call per key");
    assert!(final_last_use(&events, "AKIAALICE").is_ok());

    let live = Arc::new(AtomicUsize::new(0));
    let events = load(
        client(vec![denied_generate()], live.clone()),
        Source::Report,
    )
    .await;
    assert_eq!(
        final_last_use(&events, "AKIAALICE"),
        Err("AccessDenied".to_string())
    );
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert_eq!(events.last(), Some(&LoadEvent::Finished));
}

#[tokio::test]
async fn live_mode_never_asks_for_the_report() {
    let live = Arc::new(AtomicUsize::new(0));
    let events = load(client(vec![], live.clone()), Source::Live).await;
    assert_eq!(live.load(Ordering::SeqCst), 2);
    assert!(events.contains(&LoadEvent::Source(DataSource::Live { reason: None })));
    // The root-key check's second source was read instead.
    assert!(events.contains(&LoadEvent::RootKey(Ok(false))));
}
