//! The inventory: what a load found, and the ONE reducer that turns the
//! loader's events into it. The dashboard (`tui`) and the headless commands
//! (`cli`) both hold an [`Inventory`] and feed it the same events; what they
//! draw or print from it is theirs, what it means is decided here once:
//! which users and keys there are, each key's last use and where it was read
//! (a credential report's value stays "as of the report" until a live read
//! confirms it), and the findings of a key.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::core::IamError;
use crate::core::entries::{Fetch, KeyEntry};
use crate::core::model::{AccessKey, KeyStatus, LastUsed, SessionKeys, UseSource, User};
use crate::core::policy::{Finding, Policy};

/// Where the last uses on screen came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    Report {
        generated: Timestamp,
        /// The report's `<root_account>` row: the root user has an access key.
        root_has_key: bool,
    },
    Live {
        reason: Option<String>,
    },
}

/// One step of a load, in the order a consumer can rely on: a user's `Keys`
/// come after the `UsersPage` that named it, a key's `LastUsed` after its `Keys`
/// (a key may get a second `LastUsed` that completes the first), `Finished` last.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadEvent {
    UsersPage {
        users: Vec<User>,
        last_page: bool,
    },
    UsersFailed(IamError),
    Keys {
        user: String,
        result: Result<Vec<AccessKey>, IamError>,
    },
    LastUsed {
        user: String,
        key_id: String,
        result: Result<LastUsed, IamError>,
        /// Where the value comes from and as of when (a failure is a live read's).
        source: UseSource,
    },
    /// The names of a user's tags (for the policy's exempt tag), when read;
    /// before the user's `Keys`.
    UserTags {
        user: String,
        tags: Vec<String>,
    },
    /// A user listed, then gone (NoSuchEntity on its keys): deleted during the load.
    UserGone {
        user: String,
    },
    Source(DataSource),
    /// Whether the root user has an access key, from GetAccountSummary: read
    /// when the credential report (the first source) is not to be had.
    RootKey(Result<bool, IamError>),
    /// The SDK has retried this many requests so far (throttling, 5xx, resets).
    Retries {
        total: usize,
    },
    /// IAM throttled us: reads are paced at about `per_second` from now on
    /// (it grows back); `None` once throttling has stopped and pacing with it.
    Paced {
        per_second: Option<u32>,
    },
    Finished,
}

/// A user as the inventory holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct UserEntry {
    pub user: User,
    pub keys: Fetch<Vec<KeyEntry>>,
    /// The load generation that last listed this user; older ones are removed
    /// once a refresh has listed every user.
    pub seen_in: u64,
    /// The keys of the user's tags, when read (for the policy's exempt tag).
    pub tags: Vec<String>,
}

impl UserEntry {
    pub fn key_entries(&self) -> &[KeyEntry] {
        self.keys.ready().map(Vec::as_slice).unwrap_or_default()
    }

    pub fn active_keys(&self) -> usize {
        self.key_entries()
            .iter()
            .filter(|k| k.key.status == KeyStatus::Active)
            .count()
    }

    /// Creation time of the oldest active key.
    pub fn oldest_active_key(&self) -> Option<Timestamp> {
        self.key_entries()
            .iter()
            .filter(|k| k.key.status == KeyStatus::Active)
            .map(|k| k.key.created)
            .min()
    }

    /// The most recent use over all keys.
    pub fn last_used(&self) -> Option<Timestamp> {
        self.key_entries()
            .iter()
            .filter_map(|k| k.last_used.ready().and_then(LastUsed::at))
            .max()
    }

    /// Whether every key's last use has been read (or failed).
    pub fn last_used_settled(&self) -> bool {
        matches!(self.keys, Fetch::Ready(_))
            && self
                .key_entries()
                .iter()
                .all(|k| !matches!(k.last_used, Fetch::Loading))
    }
}

/// How far a load has got, and what it said beyond users and keys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadFacts {
    /// Which load this is (a refresh supersedes the one before).
    pub generation: u64,
    pub in_flight: bool,
    /// ListUsers reached its last page.
    pub users_listed: bool,
    /// Users whose keys were answered (listed, failed or gone).
    pub users_with_keys: usize,
    pub keys_known: usize,
    /// Keys whose last use this load has answered.
    pub answered_keys: HashSet<String>,
    pub started: Option<Timestamp>,
    pub finished: Option<Timestamp>,
    /// ListUsers failed: what is held is not the whole account.
    pub error: Option<IamError>,
    /// Where the last uses come from, once the loader knows.
    pub source: Option<DataSource>,
    /// GetAccountSummary's word on the root user's access key, read when the
    /// credential report is not to be had (`Err`: that could not be read).
    pub root_key_summary: Option<Result<bool, IamError>>,
    /// Reads per second while IAM throttles this load (None: not throttling).
    pub paced_at: Option<u32>,
    /// Requests the SDK retried during this load.
    pub retries: usize,
    /// The users last sent to the loader as most wanted.
    pub prioritized: Vec<String>,
    /// The sequence number this load's ticket was issued at: its replies are
    /// applied to a user only if nothing newer about that user is known.
    pub seq: u64,
}

/// Whether an event about a user may change what is held of it: the
/// dashboard refuses a load's answer that is older than what it knows (a
/// change or re-read since), the headless commands take every answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// A user's key listing.
    Keys,
    /// A key's last use.
    LastUse,
}

/// What an event changed, for the driver to follow up (redraw, remove, say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Users, keys or last uses changed: views built from them are stale.
    pub changed: bool,
    /// Users went (deleted since the previous load, or during this one).
    pub removed: bool,
    /// The load ended.
    pub finished: bool,
}

/// Users, their keys and last uses, and what the load said: the one place
/// the loader's events are digested.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub users: Vec<UserEntry>,
    /// User name → index into `users`.
    pub by_name: HashMap<String, usize>,
    pub load: LoadFacts,
    /// When each user's keys were last listed (the `as_of` of a user without keys).
    pub keys_listed: HashMap<String, Timestamp>,
    /// Keys whose report value a live read could not confirm, and why.
    pub unconfirmed: HashMap<String, IamError>,
    /// Users' groups, policies, MFA and console password, read when their
    /// key's details open (kept until the next refresh).
    pub user_details: HashMap<String, Fetch<crate::core::model::UserDetails>>,
    /// When the last load that listed every user finished: the age of what is shown.
    pub loaded_at: Option<Timestamp>,
}

impl Inventory {
    /// Applies one event of load `generation`, at `now`. `accept` says
    /// whether a user's keys or a key's last use may change (see [`Gate`]).
    pub fn apply(
        &mut self,
        generation: u64,
        event: LoadEvent,
        now: Timestamp,
        accept: impl Fn(Gate, &str) -> bool,
    ) -> Applied {
        let mut applied = Applied::default();
        match event {
            LoadEvent::UsersPage { users, last_page } => {
                for user in users {
                    match self.user_mut(&user.name) {
                        Some(entry) => {
                            entry.user = user;
                            entry.seen_in = generation;
                        }
                        None => {
                            self.by_name.insert(user.name.clone(), self.users.len());
                            self.users.push(UserEntry {
                                user,
                                keys: Fetch::Loading,
                                seen_in: generation,
                                tags: Vec::new(),
                            });
                        }
                    }
                }
                applied.changed = true;
                if last_page {
                    self.load.users_listed = true;
                    // Users deleted since the previous load go now.
                    applied.removed = self.retain(|u| u.seen_in == generation);
                }
            }
            LoadEvent::UsersFailed(err) => self.load.error = Some(err),
            LoadEvent::Keys { user, result } => {
                self.load.users_with_keys += 1;
                if let Ok(keys) = &result {
                    self.load.keys_known += keys.len();
                }
                if accept(Gate::Keys, &user) {
                    applied.changed = self.set_keys(&user, result, now);
                }
            }
            LoadEvent::LastUsed {
                user,
                key_id,
                result,
                source,
            } => {
                // A key can be answered twice (report, then live): counted once.
                self.load.answered_keys.insert(key_id.clone());
                if accept(Gate::LastUse, &user) {
                    applied.changed = self.set_last_use(&user, &key_id, result, source);
                }
            }
            LoadEvent::UserTags { user, tags } => {
                if let Some(entry) = self.user_mut(&user) {
                    entry.tags = tags;
                }
            }
            LoadEvent::UserGone { user } => {
                self.load.users_with_keys += 1;
                applied.removed = self.retain(|u| u.user.name != user);
                applied.changed = applied.removed;
            }
            LoadEvent::Source(source) => self.load.source = Some(source),
            LoadEvent::RootKey(result) => self.load.root_key_summary = Some(result),
            LoadEvent::Paced { per_second } => self.load.paced_at = per_second,
            LoadEvent::Retries { total } => self.load.retries = total,
            LoadEvent::Finished => {
                self.load.in_flight = false;
                self.load.finished = Some(now);
                if self.load.error.is_none() {
                    self.loaded_at = Some(now);
                }
                applied.finished = true;
            }
        }
        applied
    }

    /// A user's keys as listed: each keeps the last use known until the new
    /// answer comes. Whether anything is held of the user.
    fn set_keys(
        &mut self,
        user: &str,
        result: Result<Vec<AccessKey>, IamError>,
        now: Timestamp,
    ) -> bool {
        let Some(entry) = self.user_mut(user) else {
            return false;
        };
        entry.keys = match result {
            Ok(keys) => {
                let previous = entry.key_entries().to_vec();
                Fetch::Ready(
                    keys.into_iter()
                        .map(|key| {
                            let known = previous.iter().find(|p| p.key.id == key.id);
                            KeyEntry {
                                key,
                                last_used: known.map_or(Fetch::Loading, |p| p.last_used.clone()),
                                use_source: known.and_then(|p| p.use_source),
                            }
                        })
                        .collect(),
                )
            }
            Err(err) => Fetch::Failed(err),
        };
        self.keys_listed.insert(user.to_string(), now);
        true
    }

    /// A key's last use. A failed live confirmation of a report's value
    /// leaves that value, marked as of the report: it does not make it true,
    /// nor unknown; the reason is kept in `unconfirmed`.
    fn set_last_use(
        &mut self,
        user: &str,
        key_id: &str,
        result: Result<LastUsed, IamError>,
        source: UseSource,
    ) -> bool {
        let Some(entry) = self.key_mut(user, key_id) else {
            return false;
        };
        match result {
            Ok(used) => {
                entry.last_used = Fetch::Ready(used);
                entry.use_source = Some(source);
                self.unconfirmed.remove(key_id);
            }
            Err(err) if entry.use_source.is_some_and(UseSource::provisional) => {
                self.unconfirmed.insert(key_id.to_string(), err);
            }
            Err(err) => {
                entry.last_used = Fetch::Failed(err);
                entry.use_source = None;
            }
        }
        true
    }

    /// Keeps the users `keep` accepts; whether any went.
    pub fn retain(&mut self, keep: impl Fn(&UserEntry) -> bool) -> bool {
        let before = self.users.len();
        self.users.retain(|u| keep(u));
        if self.users.len() == before {
            return false;
        }
        let names: HashSet<&str> = self.users.iter().map(|u| u.user.name.as_str()).collect();
        self.keys_listed
            .retain(|name, _| names.contains(name.as_str()));
        self.reindex();
        true
    }

    /// Rebuilds `by_name` after `users` changed order or membership.
    pub fn reindex(&mut self) {
        self.by_name = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.user.name.clone(), i))
            .collect();
    }

    pub fn user(&self, name: &str) -> Option<&UserEntry> {
        self.users.get(*self.by_name.get(name)?)
    }

    pub fn user_mut(&mut self, name: &str) -> Option<&mut UserEntry> {
        let at = *self.by_name.get(name)?;
        self.users.get_mut(at)
    }

    /// The key `key_id` of `user`, if it is listed.
    pub fn key(&self, user: &str, key_id: &str) -> Option<&KeyEntry> {
        self.user(user)?
            .key_entries()
            .iter()
            .find(|k| k.key.id == key_id)
    }

    /// The key `key_id` of `user`, found through the user index (no scan of
    /// every user for each of the thousands of last uses a load brings).
    pub fn key_mut(&mut self, user: &str, key_id: &str) -> Option<&mut KeyEntry> {
        match &mut self.user_mut(user)?.keys {
            Fetch::Ready(keys) => keys.iter_mut().find(|k| k.key.id == key_id),
            _ => None,
        }
    }

    /// Whether the root user has an access key, and which source says so:
    /// the credential report, else GetAccountSummary; `Err` says why neither
    /// could tell.
    pub fn root_key(&self) -> Result<(bool, &'static str, Option<Timestamp>), String> {
        if let Some(DataSource::Report {
            generated,
            root_has_key,
        }) = &self.load.source
        {
            return Ok((*root_has_key, "report", Some(*generated)));
        }
        match &self.load.root_key_summary {
            Some(Ok(present)) => Ok((*present, "account-summary", None)),
            Some(Err(err)) => Err(format!(
                "no credential report, and GetAccountSummary failed ({}: {})",
                err.code, err.message
            )),
            None => Err("no credential report, and GetAccountSummary was not read".into()),
        }
    }
}

/// The findings of `entry`, a key of `user`, and whether the policy exempts
/// the user: the one definition both drivers use (only a settled last use
/// makes findings; `session` are the keys this session depends on).
pub fn key_findings(
    policy: &Policy,
    session: &SessionKeys,
    user: &UserEntry,
    entry: &KeyEntry,
    now: Timestamp,
) -> (Vec<Finding>, bool) {
    let exempt = policy
        .exempt
        .covers(&user.user.name, &user.user.path, &user.tags);
    let ours = session.link(&entry.key.user, &entry.key.id).is_some();
    let findings = policy.key_findings(
        &entry.key,
        entry.settled_use(),
        user.active_keys(),
        ours,
        now,
    );
    (findings, exempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn user(name: &str) -> User {
        User {
            name: name.into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::1:user/{name}"),
            created: ts("2020-01-01T00:00:00Z"),
        }
    }

    fn key(user: &str, id: &str) -> AccessKey {
        AccessKey {
            id: id.into(),
            user: user.into(),
            status: KeyStatus::Active,
            created: ts("2026-01-01T00:00:00Z"),
            description: None,
        }
    }

    fn feed(inv: &mut Inventory, generation: u64, event: LoadEvent) -> Applied {
        inv.apply(generation, event, ts("2026-11-30T00:00:00Z"), |_, _| true)
    }

    fn page(names: &[&str]) -> LoadEvent {
        LoadEvent::UsersPage {
            users: names.iter().map(|n| user(n)).collect(),
            last_page: true,
        }
    }

    fn keys(name: &str, ids: &[&str]) -> LoadEvent {
        LoadEvent::Keys {
            user: name.into(),
            result: Ok(ids.iter().map(|id| key(name, id)).collect()),
        }
    }

    fn used(
        name: &str,
        id: &str,
        result: Result<LastUsed, IamError>,
        source: UseSource,
    ) -> LoadEvent {
        LoadEvent::LastUsed {
            user: name.into(),
            key_id: id.into(),
            result,
            source,
        }
    }

    const LIVE: UseSource = UseSource::Live {
        at: Timestamp::UNIX_EPOCH,
    };

    #[test]
    fn a_refresh_drops_the_users_it_no_longer_lists_and_keeps_known_last_uses() {
        let mut inv = Inventory::default();
        feed(&mut inv, 1, page(&["alice", "bob"]));
        feed(&mut inv, 1, keys("alice", &["AKIA1"]));
        feed(
            &mut inv,
            1,
            used("alice", "AKIA1", Ok(LastUsed::Never), LIVE),
        );
        let applied = feed(&mut inv, 2, page(&["alice"]));
        assert!(applied.removed && applied.changed);
        assert!(inv.user("bob").is_none());
        assert_eq!(inv.by_name.get("alice"), Some(&0));
        // Re-listed, the key keeps its last use until the new answer comes.
        feed(&mut inv, 2, keys("alice", &["AKIA1", "AKIA2"]));
        let alice = inv.user("alice").unwrap();
        assert_eq!(
            alice.key_entries()[0].last_used,
            Fetch::Ready(LastUsed::Never)
        );
        assert_eq!(alice.key_entries()[1].last_used, Fetch::Loading);
        assert!(!alice.last_used_settled());
        assert_eq!(inv.load.keys_known, 3);
    }

    #[test]
    fn a_failed_confirmation_keeps_the_reports_value_and_says_why() {
        let mut inv = Inventory::default();
        feed(&mut inv, 1, page(&["alice"]));
        feed(&mut inv, 1, keys("alice", &["AKIA1"]));
        let report = UseSource::Report {
            generated: ts("2026-11-30T00:00:00Z"),
            provisional: true,
        };
        feed(
            &mut inv,
            1,
            used("alice", "AKIA1", Ok(LastUsed::Never), report),
        );
        let denied = IamError::new("GetAccessKeyLastUsed", "AccessDenied", "no");
        feed(
            &mut inv,
            1,
            used("alice", "AKIA1", Err(denied.clone()), LIVE),
        );
        let entry = &inv.user("alice").unwrap().key_entries()[0];
        assert_eq!(entry.last_used, Fetch::Ready(LastUsed::Never));
        assert_eq!(entry.use_source, Some(report));
        assert_eq!(entry.settled_use(), None, "not settled: it is the report's");
        assert_eq!(inv.unconfirmed.get("AKIA1"), Some(&denied));
        // A live answer settles it and clears the reason.
        feed(
            &mut inv,
            1,
            used("alice", "AKIA1", Ok(LastUsed::Never), LIVE),
        );
        assert!(inv.unconfirmed.is_empty());
        // Without a report's value, a failure is the key's last use: unknown.
        feed(
            &mut inv,
            1,
            used("alice", "AKIA1", Err(denied.clone()), LIVE),
        );
        let entry = &inv.user("alice").unwrap().key_entries()[0];
        assert_eq!(entry.last_used, Fetch::Failed(denied));
        assert_eq!(inv.load.answered_keys.len(), 1);
    }

    #[test]
    fn the_gate_keeps_an_older_answer_from_replacing_newer_knowledge() {
        let mut inv = Inventory::default();
        feed(&mut inv, 1, page(&["alice"]));
        let applied = inv.apply(
            1,
            keys("alice", &["AKIA1"]),
            Timestamp::UNIX_EPOCH,
            |gate, user| !(gate == Gate::Keys && user == "alice"),
        );
        assert!(!applied.changed);
        assert_eq!(inv.user("alice").unwrap().keys, Fetch::Loading);
        // Still counted as answered: progress is about the load.
        assert_eq!(inv.load.users_with_keys, 1);
    }

    #[test]
    fn the_root_key_comes_from_the_report_else_the_account_summary() {
        let mut inv = Inventory::default();
        assert!(inv.root_key().unwrap_err().contains("not read"));
        feed(&mut inv, 1, LoadEvent::RootKey(Ok(true)));
        assert_eq!(inv.root_key(), Ok((true, "account-summary", None)));
        let generated = ts("2026-11-30T00:00:00Z");
        feed(
            &mut inv,
            1,
            LoadEvent::Source(DataSource::Report {
                generated,
                root_has_key: false,
            }),
        );
        assert_eq!(inv.root_key(), Ok((false, "report", Some(generated))));
        let gone = feed(
            &mut inv,
            1,
            LoadEvent::UserGone {
                user: "nobody".into(),
            },
        );
        assert!(!gone.removed);
        assert!(feed(&mut inv, 1, LoadEvent::Finished).finished);
    }
}
