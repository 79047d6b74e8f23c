//! In-memory states for update and render tests, at a fixed "now".

use iamkeys::core::model::{
    AccessKey, Identity, KeyStatus, LastUsed, SessionKeys, UseSource, User,
};
use iamkeys::tui::state::{Context, Fetch, KeyEntry, State, UserEntry};
use jiff::{SignedDuration, Timestamp};

pub fn now() -> Timestamp {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

pub fn days_ago(n: i64) -> Timestamp {
    now() - SignedDuration::from_hours(24 * n)
}

pub fn context() -> Context {
    Context {
        identity: Identity {
            account: "123456789012".into(),
            arn: "arn:aws:iam::123456789012:user/ops/iamkeys-admin".into(),
        },
        profile: Some("prod-admin".into()),
        region: Some("us-east-1".into()),
        endpoint: None,
        session: SessionKeys {
            signing: Some("AKIAADMIN00000000001".into()),
            source: None,
            user: Some("iamkeys-admin".into()),
        },
        read_only: false,
        policy: Default::default(),
        keymap: Default::default(),
    }
}

pub fn user(name: &str, path: &str, created_days_ago: i64) -> User {
    User {
        name: name.into(),
        path: path.into(),
        arn: format!("arn:aws:iam::123456789012:user{path}{name}"),
        created: days_ago(created_days_ago),
    }
}

pub fn key(
    user: &str,
    id: &str,
    status: KeyStatus,
    created_days_ago: i64,
    used: Option<(i64, &str, &str)>,
) -> KeyEntry {
    KeyEntry {
        key: AccessKey {
            id: id.into(),
            user: user.into(),
            status,
            created: days_ago(created_days_ago),
            description: None,
        },
        last_used: Fetch::Ready(match used {
            None => LastUsed::Never,
            Some((days, service, region)) => LastUsed::Used {
                at: days_ago(days),
                service: Some(service.into()),
                region: Some(region.into()),
            },
        }),
        use_source: Some(UseSource::Live { at: now() }),
    }
}

pub fn entry(user: User, keys: Fetch<Vec<KeyEntry>>) -> UserEntry {
    UserEntry {
        user,
        keys,
        seen_in: 0,
        tags: Vec::new(),
    }
}

/// Five users: two keys (one inactive), the signing key, no keys, keys still
/// loading, and keys that could not be read.
pub fn sample_state() -> State {
    use KeyStatus::*;
    let mut state = State::new(context(), now());
    state.set_users(vec![
        entry(
            user("carol.ops", "/ops/", 900),
            Fetch::Ready(vec![
                key(
                    "carol.ops",
                    "AKIACAROL00000000001",
                    Active,
                    400,
                    Some((3, "s3", "eu-west-1")),
                ),
                key("carol.ops", "AKIACAROL00000000002", Inactive, 30, None),
            ]),
        ),
        entry(
            user("iamkeys-admin", "/ops/", 1500),
            Fetch::Ready(vec![key(
                "iamkeys-admin",
                "AKIAADMIN00000000001",
                Active,
                30,
                Some((0, "iam", "us-east-1")),
            )]),
        ),
        entry(user("erin.nokeys", "/", 20), Fetch::Ready(vec![])),
        entry(user("frank.loading", "/data/", 60), Fetch::Loading),
        entry(
            user("gina.denied", "/finance/", 70),
            Fetch::Failed(iamkeys::core::IamError::new(
                "ListAccessKeys",
                "AccessDenied",
                "User is not authorized to perform iam:ListAccessKeys",
            )),
        ),
    ]);
    state
}

/// [`sample_state`] with `user` selected in the users pane.
pub fn sample_state_on_user(user: &str) -> State {
    let mut state = sample_state();
    state.screen.selected = state
        .screen
        .view
        .iter()
        .position(|&i| state.inventory.users[i].user.name == user)
        .unwrap();
    // As a move or a click would: the administrator chose this user.
    state.screen.selection_chosen = true;
    state
}

/// [`sample_state`] with the `index`th key of `user` selected in the keys pane.
pub fn sample_state_on_key(user: &str, index: usize) -> State {
    let mut state = sample_state_on_user(user);
    iamkeys::tui::update::update(&mut state, iamkeys::tui::action::Action::OpenKeys);
    state.screen.selected_key = index;
    state
}

/// A key last used at `days` ago with no service or region recorded (as a
/// credential report's `N/A` reads).
pub fn key_used_nowhere(user: &str, id: &str, created_days_ago: i64, days: i64) -> KeyEntry {
    let mut entry = key(user, id, KeyStatus::Active, created_days_ago, None);
    entry.last_used = Fetch::Ready(LastUsed::Used {
        at: days_ago(days),
        service: None,
        region: None,
    });
    entry
}

/// An account as it looks for real: long names (30+ characters), names that
/// differ only in their last digits, long paths, every finding (the root
/// user's key too), a key used with no service or region, a description.
pub fn realistic_state() -> State {
    use KeyStatus::*;
    let mut state = State::new(context(), now());
    let mut users = vec![
        entry(
            user(
                "alice.fernandez-oliveira-00035",
                "/engineering/platform/",
                900,
            ),
            Fetch::Ready(vec![]),
        ),
        entry(
            user("ivan.smith-00115", "/engineering/platform/", 800),
            Fetch::Ready(vec![
                key(
                    "ivan.smith-00115",
                    "AKIAIVAN115000000001",
                    Active,
                    400,
                    None,
                ),
                key(
                    "ivan.smith-00115",
                    "AKIAIVAN115000000002",
                    Active,
                    300,
                    Some((2, "dynamodb", "ap-southeast-2")),
                ),
            ]),
        ),
        entry(
            user("ivan.smith-001", "/engineering/", 700),
            Fetch::Ready(vec![key(
                "ivan.smith-001",
                "AKIAIVAN001000000001",
                Active,
                120,
                Some((1, "s3", "eu-west-1")),
            )]),
        ),
        entry(
            user("svc-dynamodb-38", "/service-accounts/", 600),
            Fetch::Ready(vec![key(
                "svc-dynamodb-38",
                "AKIASVCDYNAMO0000038",
                Active,
                100,
                None,
            )]),
        ),
        entry(
            user("svc-dynamodb-3", "/service-accounts/", 600),
            Fetch::Ready(vec![key(
                "svc-dynamodb-3",
                "AKIASVCDYNAMO0000003",
                Active,
                20,
                Some((60, "dynamodb", "us-west-2")),
            )]),
        ),
        entry(
            user(
                "bartholomew.featherstonehaugh-42",
                "/finance/accounts-payable/",
                1200,
            ),
            Fetch::Ready(vec![
                key_used_nowhere(
                    "bartholomew.featherstonehaugh-42",
                    "AKIABARTHOLOMEW00042",
                    500,
                    200,
                ),
                key(
                    "bartholomew.featherstonehaugh-42",
                    "AKIABARTHOLOMEW00043",
                    Inactive,
                    30,
                    None,
                ),
            ]),
        ),
        entry(
            user("iamkeys-admin", "/ops/", 1500),
            Fetch::Ready(vec![key(
                "iamkeys-admin",
                "AKIAADMIN00000000001",
                Active,
                30,
                Some((0, "iam", "us-east-1")),
            )]),
        ),
    ];
    for i in 0..12 {
        let name = format!("contractor.external-team-{i:05}");
        users.push(entry(
            user(&name, "/contractors/external/", 300 + i),
            Fetch::Ready(vec![key(
                &name,
                &format!("AKIACONTRACTOR{i:06}"),
                Active,
                50 + i,
                None,
            )]),
        ));
    }
    if let Fetch::Ready(keys) = &mut users[1].keys {
        keys[1].key.description = Some("deploys the nightly data export to the warehouse".into());
    }
    state.set_users(users);
    state.inventory.load.generation = 1;
    state.inventory.load.root_key_summary = Some(Ok(true));
    state.inventory.load.started = Some(now() - SignedDuration::from_millis(2300));
    state.inventory.load.finished = Some(now());
    state
}
