//! `iamkeys evidence` against the emulator: CloudTrail event history per
//! region, paged and paced, with denied regions said as such.

use crate::common::{iamkeys_as_outsider, small_org, start_emulator};
use iamkeys::aws::emulator::{Emulator, Seed, SeedEvent};

/// `count` events of `call` (action, service, region) from `from` (source, agent).
fn event(
    user: &str,
    call: (&str, &str, &str),
    from: (&str, &str),
    minutes_ago: f64,
    count: u32,
) -> SeedEvent {
    SeedEvent {
        user: user.into(),
        key: 0,
        minutes_ago,
        service: call.1.into(),
        action: call.0.into(),
        region: call.2.into(),
        source: from.0.into(),
        agent: from.1.into(),
        count,
    }
}

fn key_of(emulator: &Emulator, user: &str) -> String {
    emulator
        .report
        .users
        .iter()
        .find(|u| u.name == user)
        .unwrap()
        .keys[0]
        .id
        .clone()
}

fn evidence(emulator: &Emulator, key: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let out = iamkeys_as_outsider()
        .args(["evidence", "--key", key, "--output", "json"])
        .args(extra)
        .args([
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "evidence failed: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn names(value: &serde_json::Value) -> Vec<(String, u64)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn seed(events: Vec<SeedEvent>, denied: &[&str]) -> Seed {
    Seed {
        events,
        cloudtrail_denied_regions: denied.iter().map(|r| r.to_string()).collect(),
        ..small_org()
    }
}

#[test]
fn two_services_from_two_sources() {
    let emulator = start_emulator(&seed(
        vec![
            event(
                "carol.ops",
                ("ListBuckets", "s3", "eu-west-1"),
                ("10.1.2.3", "python-requests/2.31"),
                12.0,
                3,
            ),
            event(
                "carol.ops",
                ("SendMessage", "sqs", "us-east-1"),
                ("192.0.2.7", "aws-cli/2.15"),
                60.0,
                2,
            ),
        ],
        &[],
    ));
    let key = key_of(&emulator, "carol.ops");
    let (json, _) = evidence(&emulator, &key, &[]);
    // The last-used region (eu-west-1) first, then the session's.
    let regions: Vec<_> = json["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(json["events"], 5, "{json}");
    assert_eq!(
        names(&json["services"]),
        [("s3".to_string(), 3), ("sqs".to_string(), 2)]
    );
    assert_eq!(
        names(&json["calls"]),
        [
            ("s3:ListBuckets".to_string(), 3),
            ("sqs:SendMessage".to_string(), 2)
        ]
    );
    assert_eq!(
        names(&json["sources"]),
        [("10.1.2.3".to_string(), 3), ("192.0.2.7".to_string(), 2)]
    );
    assert_eq!(
        names(&json["user_agents"]),
        [
            ("python-requests/2.31".to_string(), 3),
            ("aws-cli/2.15".to_string(), 2)
        ]
    );
    assert_eq!(json["last"]["action"], "ListBuckets");
    assert_eq!(json["first"]["action"], "SendMessage");
    let verdict = json["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with(
            "in use: 5 events, last ListBuckets from 10.1.2.3, python-requests/2.31, 12 minutes ago"
        ),
        "{verdict}"
    );
}

#[test]
fn a_key_without_events_is_not_called_unused() {
    let emulator = start_emulator(&seed(vec![], &[]));
    let key = key_of(&emulator, "carol.ops");
    let (json, _) = evidence(&emulator, &key, &["--days", "30"]);
    assert_eq!(json["events"], 0);
    assert!(json["last"].is_null());
    let verdict = json["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with(
            "no management events in 30 days in eu-west-1, us-east-1 (not proof of no use"
        ),
        "{verdict}"
    );
    assert!(!verdict.contains("unused"));
    // The text form says it too.
    let out = iamkeys_as_outsider()
        .args([
            "evidence",
            "--key",
            &key,
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "No events in 90 days in the regions read. This is not proof the key is unused."
        ),
        "{text}"
    );
    assert!(
        text.contains("data events (such as S3 object reads"),
        "{text}"
    );
}

#[test]
fn a_denied_region_is_named_with_its_reason_and_the_rest_is_read() {
    let emulator = start_emulator(&seed(
        vec![
            event(
                "carol.ops",
                ("ListBuckets", "s3", "eu-west-1"),
                ("10.1.2.3", "boto3"),
                5.0,
                1,
            ),
            event(
                "carol.ops",
                ("SendMessage", "sqs", "us-east-1"),
                ("10.1.2.3", "boto3"),
                5.0,
                4,
            ),
        ],
        &["eu-west-1"],
    ));
    let key = key_of(&emulator, "carol.ops");
    let (json, stderr) = evidence(&emulator, &key, &[]);
    let regions = json["regions"].as_array().unwrap();
    assert_eq!(regions[0]["region"], "eu-west-1");
    assert_eq!(regions[0]["denied"], true);
    assert!(
        regions[0]["reason"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException")
    );
    assert!(
        regions[0]["reason"]
            .as_str()
            .unwrap()
            .contains("cloudtrail:LookupEvents")
    );
    assert_eq!(regions[1]["read"], true);
    assert_eq!(json["events"], 4);
    assert!(
        json["verdict"]
            .as_str()
            .unwrap()
            .ends_with("1 region(s) not read: eu-west-1")
    );
    assert!(stderr.is_empty() || !stderr.contains("panick"), "{stderr}");
}

#[test]
fn many_pages_are_paced_under_the_limit_and_nothing_is_lost() {
    // 170 events: 4 pages of one region, asked faster than 2 a second unless paced.
    let emulator = start_emulator(&seed(
        vec![event(
            "carol.ops",
            ("GetObjectAcl", "s3", "eu-west-1"),
            ("10.9.9.9", "boto3"),
            1.0,
            170,
        )],
        &[],
    ));
    let key = key_of(&emulator, "carol.ops");
    let (json, _) = evidence(&emulator, &key, &["--regions", "eu-west-1"]);
    assert_eq!(json["events"], 170);
    assert_eq!(
        json["throttled"], 0,
        "the pacer kept under CloudTrail's limit"
    );
}
