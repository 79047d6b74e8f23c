//! The one owner of application data. Plain data; only `update` mutates it.
//!
//! `State` is in parts: `context` (the session: who, where, with which
//! policy and keys), [`Inventory`] (what the account holds), [`Screen`]
//! (what is shown and selected) and [`Jobs`] (changes in flight, their
//! tickets, marks, the rotation). A second session or account would add a
//! second `context` + `Inventory` pair without touching `Screen` or `Jobs`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use tui_input::Input;

use crate::core::filter::{Filter, KeySubject, Subject};
use crate::core::model::{Identity, KeyStatus, LastUsed, SessionKeys};
use crate::core::policy::{Finding, days_since};
use crate::tui::dialog::Dialog;

pub use crate::core::entries::{Fetch, KeyEntry};

pub use crate::core::inventory::UserEntry;

/// Where iamkeys is pointed, shown in the header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    pub identity: Identity,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// The keys this session depends on (signing, source profile, caller's user).
    pub session: SessionKeys,
    /// `--read-only`: every mutation is refused in `update`.
    pub read_only: bool,
    /// Thresholds and exemptions (the config file's `[policy]`).
    pub policy: crate::core::policy::Policy,
    /// The key bindings, with the config file's `[keys]` overrides.
    pub keymap: crate::tui::keymap::Keymap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Users,
    Keys,
}

pub use crate::tui::screen_mode::{Board, Mode};

/// A request on a key that IAM has not answered yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingOp {
    Activating,
    Deactivating,
    Deleting,
}

impl PendingOp {
    pub fn label(self) -> &'static str {
        match self {
            PendingOp::Activating => "activating…",
            PendingOp::Deactivating => "deactivating…",
            PendingOp::Deleting => "deleting…",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    /// The user's most urgent finding first (the default).
    Urgency,
    Name,
    Path,
    Keys,
    KeyAge,
    LastUsed,
    Created,
}

impl SortColumn {
    pub const ALL: [SortColumn; 7] = [
        SortColumn::Urgency,
        SortColumn::Name,
        SortColumn::Path,
        SortColumn::Keys,
        SortColumn::KeyAge,
        SortColumn::LastUsed,
        SortColumn::Created,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Urgency => "urgency",
            SortColumn::Name => "name",
            SortColumn::Path => "path",
            SortColumn::Keys => "keys",
            SortColumn::KeyAge => "key age",
            SortColumn::LastUsed => "last used",
            SortColumn::Created => "created",
        }
    }

    pub fn next(self) -> SortColumn {
        let at = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }

    /// Orders two users the way an administrator reads this column first:
    /// names A→Z, most keys first, oldest key first, longest unused first, newest user first.
    /// Users whose value is not known yet go last.
    pub fn compare(self, a: &UserEntry, b: &UserEntry) -> Ordering {
        let by_name = || a.user.name.to_lowercase().cmp(&b.user.name.to_lowercase());
        let primary = match self {
            // Needs the policy: `State::rebuild_view` ranks by urgency first.
            SortColumn::Urgency | SortColumn::Name => Ordering::Equal,
            SortColumn::Path => a.user.path.cmp(&b.user.path),
            SortColumn::Keys => {
                known_last(a.keys.ready().map(Vec::len), b.keys.ready().map(Vec::len))
                    .then_with(|| b.key_entries().len().cmp(&a.key_entries().len()))
            }
            SortColumn::KeyAge => known_last(a.oldest_active_key(), b.oldest_active_key())
                .then_with(|| a.oldest_active_key().cmp(&b.oldest_active_key())),
            SortColumn::LastUsed => {
                // Never used (settled, no date) first, then oldest use first.
                let rank = |u: &UserEntry| match (u.last_used(), u.last_used_settled()) {
                    (None, true) if !u.key_entries().is_empty() => (0, None),
                    (Some(at), _) => (1, Some(at)),
                    _ => (2, None),
                };
                rank(a).cmp(&rank(b))
            }
            SortColumn::Created => b.user.created.cmp(&a.user.created),
        };
        primary.then_with(by_name)
    }
}

/// A key's place in urgency order: its most urgent finding that asks for
/// action (none, or an exempt user's, last).
fn rank_of(findings: &[Finding], exempt: bool) -> usize {
    findings
        .iter()
        .filter(|f| f.needs_action() && !exempt)
        .min()
        .map_or(Finding::ALL.len(), |&f| f as usize)
}

/// Known values before unknown ones; equal when both are known or both unknown.
fn known_last<T>(a: Option<T>, b: Option<T>) -> Ordering {
    a.is_none().cmp(&b.is_none())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub reversed: bool,
}

/// How far the current load has got (the core's account of a load).
pub use crate::core::inventory::LoadFacts as LoadProgress;

pub use crate::tui::tickets::{Owner, Tickets};

/// After this long without an answer, the header says IAM is silent.
pub const SILENCE_SHOWN_AFTER: std::time::Duration = std::time::Duration::from_secs(3);
/// After this long without an answer, what is on screen is marked STALE.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(15);

impl State {
    /// Whether requests to IAM are outstanding: a load, a change, a re-read.
    pub fn waiting_for_iam(&self) -> bool {
        self.inventory.load.in_flight || self.jobs.waiting()
    }

    /// How long IAM has left an outstanding request unanswered, if it matters.
    pub fn iam_silence(&self) -> Option<std::time::Duration> {
        self.iam_health
            .silent_for
            .filter(|_| self.waiting_for_iam())
    }
}

/// A quit asked for while a key was being created: the app waits for IAM's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuitRequest {
    pub since: Timestamp,
    /// The signal that asked, if it was one.
    pub signal: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    pub text: String,
    pub is_error: bool,
    /// When it was said: a message (not an error) expires after [`STATUS_EXPIRES_SECS`].
    pub at: Timestamp,
}

/// A status message (not an error) goes after this long; an error stays
/// until the next key is pressed.
pub const STATUS_EXPIRES_SECS: i64 = 10;

#[derive(Debug)]
pub struct State {
    pub now: Timestamp,
    pub context: Context,
    pub should_quit: bool,
    /// The signal that ended the app (it exits with 128 + this).
    pub exit_signal: Option<i32>,
    /// A quit that waits for a key creation's answer.
    pub quit_requested: Option<QuitRequest>,
    /// What the account holds, as loaded: users, keys, last uses (a second
    /// account would be a second `Inventory`).
    pub inventory: Inventory,
    /// Whether IAM is answering (from the app loop, each tick).
    pub iam_health: crate::aws::health::HealthReport,
    /// What is on screen: the views, the selection, the mode, the dialog.
    pub screen: Screen,
    /// Work under way: changes in flight and their tickets, marks, the rotation.
    pub jobs: Jobs,
}

pub use crate::core::inventory::Inventory;

/// What is on screen and how the administrator moves through it.
#[derive(Debug)]
pub struct Screen {
    /// Indices into `users` after filter and sort: what the users pane shows.
    pub view: Vec<usize>,
    /// Set when data changed since `view` was built.
    pub view_stale: bool,
    /// Position of the selection in `view`.
    pub selected: usize,
    /// Whether the administrator has chosen a user (moved, clicked, opened its
    /// keys): until then the selection stays on the first row while rows
    /// arrive and re-sort, and every sort puts it back there.
    pub selection_chosen: bool,
    pub selected_key: usize,
    /// The table on screen.
    pub board: Board,
    /// The keys view's rows after filter and urgency order: (index into
    /// `users`, index into that user's keys).
    pub key_rows: Vec<(usize, usize)>,
    /// Position of the selection in `key_rows`.
    pub selected_row: usize,
    /// The id of the key selected in the keys view once the administrator
    /// chose one: rows are indices, and this is what a rebuild keeps selected
    /// when keys come and go (until then the first row stays selected).
    pub selected_row_key: Option<String>,
    /// How the keys view orders its rows (`s`/`S` there).
    pub key_sort: crate::core::key_sort::KeySort,
    pub focus: Focus,
    pub mode: Mode,
    pub filter: Input,
    /// Why the filter's text is not a filter (a bad term), if it is not.
    pub filter_error: Option<String>,
    pub sort: Sort,
    pub status: Option<StatusLine>,
    pub dialog: Option<Dialog>,
    /// The first line of the help overlay shown (it scrolls).
    pub help_scroll: usize,
    /// Rows a page move jumps (the visible height of the users table).
    pub page_rows: usize,
    /// When the open dialog opened: confirming keys are ignored for a moment after.
    pub dialog_opened: Timestamp,
}

/// Work under way: changes in flight (the tickets and who waits for each),
/// marks for the bulk keys, the rotation wizard.
#[derive(Default, Debug)]
pub struct Jobs {
    /// Key id → the request on it still in flight (at most one per key).
    pub pending_keys: HashMap<String, PendingOp>,
    /// Users a key is being created for.
    pub creating_for: HashSet<String>,
    /// Users whose change IAM has answered but whose listing does not show it
    /// yet (eventual consistency): the change's answer is shown meanwhile.
    pub propagating: HashSet<String>,
    /// The rotation wizard, while it is open.
    pub rotation: Option<crate::tui::wizard::RotationWizard>,
    /// A deactivation waiting for its key's last use, read live before the
    /// in-use question is decided (`space`).
    pub deciding: Option<crate::tui::dialog::KeyTarget>,
    /// Users with a saved rotation in progress (marked in the users view).
    pub rotations_saved: std::collections::BTreeSet<String>,
    /// Keys marked for a bulk action: (user, key id).
    pub marked: std::collections::BTreeSet<(String, String)>,
    pub tickets: Tickets,
}

impl State {
    pub fn new(context: Context, now: Timestamp) -> Self {
        Self {
            now,
            context,
            inventory: Inventory::default(),
            iam_health: Default::default(),
            screen: Screen {
                view: Vec::new(),
                view_stale: false,
                selected: 0,
                selected_key: 0,
                board: Board::Users,
                key_rows: Vec::new(),
                selected_row: 0,
                selected_row_key: None,
                focus: Focus::Users,
                mode: Mode::Normal,
                filter: Input::default(),
                filter_error: None,
                sort: Sort {
                    column: SortColumn::Urgency,
                    reversed: false,
                },
                status: None,
                dialog: None,
                help_scroll: 0,
                page_rows: 10,
                dialog_opened: now,
                selection_chosen: false,
                key_sort: Default::default(),
            },
            jobs: Jobs::default(),
            should_quit: false,
            exit_signal: None,
            quit_requested: None,
        }
    }

    /// The key table in force: the open dialog's, else the mode's.
    pub fn input_mode(&self) -> Mode {
        self.screen
            .dialog
            .as_ref()
            .map_or(self.screen.mode, Dialog::mode)
    }

    /// The selected user; in the keys view, the owner of the selected key.
    pub fn selected_user(&self) -> Option<&UserEntry> {
        let at = match self.screen.board {
            Board::Users => self.screen.view.get(self.screen.selected),
            Board::Keys => self
                .screen
                .key_rows
                .get(self.screen.selected_row)
                .map(|(user, _)| user),
        };
        at.and_then(|&i| self.inventory.users.get(i))
    }

    /// The key the key actions apply to: the keys pane's selection, or the
    /// keys view's.
    pub fn selected_key_entry(&self) -> Option<&KeyEntry> {
        let at = match self.screen.board {
            Board::Users => self.screen.selected_key,
            Board::Keys => self.screen.key_rows.get(self.screen.selected_row)?.1,
        };
        self.selected_user().and_then(|u| u.key_entries().get(at))
    }

    /// Whether a key (not only a user) is selected for the key actions.
    pub fn key_focused(&self) -> bool {
        self.screen.board == Board::Keys || self.screen.focus == Focus::Keys
    }

    pub fn user_mut(&mut self, name: &str) -> Option<&mut UserEntry> {
        self.inventory.user_mut(name)
    }

    /// Whether `user` matches `filter`: the user itself (terms about users),
    /// or one of its keys (every term on that one key).
    pub fn user_matches(&self, filter: &Filter, user: &UserEntry) -> bool {
        let entries = user.key_entries();
        if entries.is_empty() {
            return filter.matches(&Subject {
                name: &user.user.name,
                path: &user.user.path,
                key: None,
            });
        }
        entries
            .iter()
            .any(|entry| self.key_matches(filter, user, entry))
    }

    /// Whether every term of `filter` holds for `entry`, a key of `user`.
    pub fn key_matches(&self, filter: &Filter, user: &UserEntry, entry: &KeyEntry) -> bool {
        let (findings, _) = self.findings(user, entry);
        self.key_matches_with(filter, user, entry, &findings)
    }

    /// [`Self::key_matches`] with the key's findings already worked out.
    fn key_matches_with(
        &self,
        filter: &Filter,
        user: &UserEntry,
        entry: &KeyEntry,
        findings: &[Finding],
    ) -> bool {
        let used = entry.settled_use();
        let key = KeySubject {
            id: &entry.key.id,
            description: entry.key.description.as_deref(),
            active: entry.key.status == KeyStatus::Active,
            findings,
            service: match used {
                Some(LastUsed::Used { service, .. }) => service.as_deref(),
                _ => None,
            },
            region: match used {
                Some(LastUsed::Used { region, .. }) => region.as_deref(),
                _ => None,
            },
            age_days: days_since(entry.key.created, self.now),
            unused_days: used.map(|u| u.at().map(|at| days_since(at, self.now))),
        };
        filter.matches(&Subject {
            name: &user.user.name,
            path: &user.user.path,
            key: Some(key),
        })
    }

    /// Where a key goes in the keys view: the rank of its most urgent finding
    /// that asks for action (exempt users' keys rank as having none).
    pub fn key_urgency_rank(&self, user: &UserEntry, entry: &KeyEntry) -> usize {
        let (findings, exempt) = self.findings(user, entry);
        rank_of(&findings, exempt)
    }

    /// Where `user` goes in urgency order: the rank of its most urgent finding
    /// that is not exempt; users without one last.
    pub fn urgency_rank(&self, user: &UserEntry) -> usize {
        self.worst_finding(user)
            .filter(|(_, exempt)| !exempt)
            .map_or(Finding::ALL.len(), |(f, _)| f as usize)
    }

    /// How the view orders two users under the current sort (before reversing).
    pub fn compare_users(&self, a: &UserEntry, b: &UserEntry) -> Ordering {
        let urgency = if self.screen.sort.column == SortColumn::Urgency {
            self.urgency_rank(a).cmp(&self.urgency_rank(b))
        } else {
            Ordering::Equal
        };
        urgency.then_with(|| self.screen.sort.column.compare(a, b))
    }

    /// The most urgent finding that asks for action among `user`'s keys, and
    /// whether the policy exempts the user.
    pub fn worst_finding(&self, user: &UserEntry) -> Option<(Finding, bool)> {
        user.key_entries()
            .iter()
            .filter_map(|entry| {
                let (findings, exempt) = self.findings(user, entry);
                findings
                    .into_iter()
                    .filter(|f| f.needs_action())
                    .min()
                    .map(|f| (f, exempt))
            })
            .min()
    }

    /// The findings of `entry`, a key of `user`, and whether the policy exempts the user.
    pub fn findings(&self, user: &UserEntry, entry: &KeyEntry) -> (Vec<Finding>, bool) {
        let policy = &self.context.policy;
        let exempt = policy
            .exempt
            .covers(&user.user.name, &user.user.path, &user.tags);
        let session = self
            .context
            .session
            .link(&entry.key.user, &entry.key.id)
            .is_some();
        let findings = policy.key_findings(
            &entry.key,
            entry.settled_use(),
            user.active_keys(),
            session,
            self.now,
        );
        (findings, exempt)
    }

    pub fn user(&self, name: &str) -> Option<&UserEntry> {
        self.inventory.user(name)
    }

    /// The key `key_id` of `user`, if it is listed.
    pub fn key(&self, user: &str, key_id: &str) -> Option<&KeyEntry> {
        self.inventory.key(user, key_id)
    }

    /// The key `key_id` of `user` (see [`Inventory::key_mut`]).
    pub fn key_mut(&mut self, user: &str, key_id: &str) -> Option<&mut KeyEntry> {
        self.inventory.key_mut(user, key_id)
    }

    /// Rebuilds `view` from filter and sort, keeping the selected user
    /// selected once the administrator chose one (else the first row).
    pub fn rebuild_view(&mut self) {
        let keep = self.chosen_user();
        self.rebuild_view_keeping(keep);
    }

    /// The name of the user the administrator chose, if they chose one.
    pub fn chosen_user(&self) -> Option<String> {
        self.screen
            .selection_chosen
            .then(|| self.users_view_user().map(|u| u.user.name.clone()))
            .flatten()
    }

    /// The user selected in the users view (whichever view is on screen).
    fn users_view_user(&self) -> Option<&UserEntry> {
        self.screen
            .view
            .get(self.screen.selected)
            .and_then(|&i| self.inventory.users.get(i))
    }

    /// Rebuilds `view`, selecting the user named `keep` if it is still shown.
    pub fn rebuild_view_keeping(&mut self, keep: Option<String>) {
        // A bad term shows everyone, and the pane's title says why.
        let filter = match Filter::parse(self.screen.filter.value()) {
            Ok(filter) => {
                self.screen.filter_error = None;
                filter
            }
            Err(why) => {
                self.screen.filter_error = Some(why);
                Filter::default()
            }
        };
        // One pass over every key: its findings give both its urgency and
        // whether the filter matches it (the users view and the keys view).
        let keys: Vec<Vec<(usize, bool)>> = self
            .inventory
            .users
            .iter()
            .map(|user| {
                user.key_entries()
                    .iter()
                    .map(|entry| {
                        let (findings, exempt) = self.findings(user, entry);
                        let matches = filter.is_empty()
                            || self.key_matches_with(&filter, user, entry, &findings);
                        (rank_of(&findings, exempt), matches)
                    })
                    .collect()
            })
            .collect();
        let mut view: Vec<usize> = (0..self.inventory.users.len())
            .filter(|&i| match keys[i].as_slice() {
                _ if filter.is_empty() => true,
                [] => self.user_matches(&filter, &self.inventory.users[i]),
                user_keys => user_keys.iter().any(|&(_, matches)| matches),
            })
            .collect();
        let sort = self.screen.sort;
        // Urgency: the rank of each user's most urgent finding (none last).
        let rank: Vec<usize> = if sort.column == SortColumn::Urgency {
            keys.iter()
                .map(|user_keys| {
                    user_keys
                        .iter()
                        .map(|&(rank, _)| rank)
                        .min()
                        .unwrap_or(Finding::ALL.len())
                })
                .collect()
        } else {
            Vec::new()
        };
        view.sort_by(|&a, &b| {
            let order = match rank.get(a).zip(rank.get(b)) {
                Some((ra, rb)) => ra.cmp(rb),
                None => Ordering::Equal,
            }
            .then_with(|| {
                sort.column
                    .compare(&self.inventory.users[a], &self.inventory.users[b])
            });
            if sort.reversed {
                order.reverse()
            } else {
                order
            }
        });
        self.screen.view = view;
        self.screen.view_stale = false;
        self.screen.selected = keep
            .and_then(|name| {
                let at = *self.inventory.by_name.get(&name)?;
                self.screen.view.iter().position(|&i| i == at)
            })
            .unwrap_or(0)
            .min(self.screen.view.len().saturating_sub(1));
        self.clamp_key_selection();
        self.rebuild_key_rows(&keys);
    }

    /// Rebuilds the keys view's rows from each key's (rank, filter match):
    /// every key the filter matches, in the keys view's sort (most urgent
    /// first, then oldest first, by default); the selected key stays selected.
    fn rebuild_key_rows(&mut self, keys: &[Vec<(usize, bool)>]) {
        let keep = self.screen.selected_row_key.clone();
        let mut rows: Vec<(usize, usize, usize)> = Vec::new();
        for (u, user_keys) in keys.iter().enumerate() {
            for (k, &(rank, matches)) in user_keys.iter().enumerate() {
                if matches {
                    rows.push((rank, u, k));
                }
            }
        }
        let row = |&(rank, u, k): &(usize, usize, usize)| {
            let user = &self.inventory.users[u];
            crate::core::key_sort::KeyRow {
                rank,
                owner: &user.user.name,
                path: &user.user.path,
                entry: &user.key_entries()[k],
            }
        };
        let sort = self.screen.key_sort;
        rows.sort_by(|a, b| sort.compare(&row(a), &row(b)));
        self.screen.key_rows = rows.into_iter().map(|(_, u, k)| (u, k)).collect();
        self.screen.selected_row = keep
            .and_then(|id| {
                self.screen.key_rows.iter().position(|&(u, k)| {
                    self.inventory.users[u]
                        .key_entries()
                        .get(k)
                        .is_some_and(|e| e.key.id == id)
                })
            })
            .unwrap_or(self.screen.selected_row)
            .min(self.screen.key_rows.len().saturating_sub(1));
    }

    /// Records which key the keys view's selection is on (after it moved).
    pub fn remember_selected_row(&mut self) {
        self.screen.selected_row_key =
            self.screen
                .key_rows
                .get(self.screen.selected_row)
                .and_then(|&(u, k)| {
                    Some(
                        self.inventory
                            .users
                            .get(u)?
                            .key_entries()
                            .get(k)?
                            .key
                            .id
                            .clone(),
                    )
                });
    }

    pub fn clamp_key_selection(&mut self) {
        let count = self.users_view_user().map_or(0, |u| u.key_entries().len());
        self.screen.selected_key = self.screen.selected_key.min(count.saturating_sub(1));
    }

    /// Replaces `users` wholesale (tests and seeding), rebuilding indices and view.
    pub fn set_users(&mut self, users: Vec<UserEntry>) {
        self.retain_users(|_| false, users);
    }

    /// After the inventory dropped users: the views are rebuilt, with the
    /// selection on `keep` (taken before) where it survives.
    pub fn users_removed(&mut self, keep: Option<String>) {
        self.screen.view.clear();
        // Row indices pointed into the old `users`; the key is kept by id.
        self.screen.key_rows.clear();
        self.rebuild_view_keeping(keep);
    }

    /// Keeps the users for which `keep` holds, appending `extra`, and rebuilds
    /// indices and view with the selection on the same user where it survives.
    pub fn retain_users(&mut self, keep: impl Fn(&UserEntry) -> bool, extra: Vec<UserEntry>) {
        let selected = self.chosen_user();
        self.inventory.users.retain(|u| keep(u));
        self.inventory.users.extend(extra);
        self.reindex();
        self.screen.view.clear();
        // Row indices pointed into the old `users`; the key is kept by id.
        self.screen.key_rows.clear();
        self.rebuild_view_keeping(selected);
    }

    fn reindex(&mut self) {
        self.inventory.reindex();
    }
}

impl Jobs {
    /// Whether a change or a re-read of this session waits for IAM.
    pub fn waiting(&self) -> bool {
        !self.pending_keys.is_empty()
            || !self.creating_for.is_empty()
            || !self.propagating.is_empty()
    }
}
