//! The inventory loader: every user (ListUsers, page by page), their keys and
//! descriptions (ListAccessKeys, ListUserTags) and each key's last use, from the
//! credential report where it can answer and GetAccessKeyLastUsed where it
//! cannot. A fixed pool of workers keeps at most `concurrency` requests in
//! flight, fewer while IAM throttles; the users the caller marks as most wanted
//! (the ones on screen) go first. Results stream to a sink as they arrive.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::client::{IamClient, Pages, describe};
use super::pace::Pace;
use super::report::{CredentialReport, ReportAnswer};
use crate::core::error::{ErrorKind, IamError};
use crate::core::model::{AccessKey, LastUsed, UseSource, User};

/// Where last uses come from (`--source`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// The credential report, with per-key calls where it cannot answer or is unavailable.
    #[default]
    Auto,
    /// Only the credential report (plus per-key calls for what it lacks); fail without it.
    Report,
    /// One GetAccessKeyLastUsed call per key.
    Live,
}

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

#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    pub concurrency: usize,
    pub source: Source,
    /// The policy's unused threshold: a use in an old credential report older
    /// than this (or none) is confirmed live, since the report may be hours old.
    pub unused_after_days: i64,
    /// A report generated at most this long ago vouches for every last use it
    /// holds (IAM records a use at most once per 15 minutes, and late: a live
    /// read is no fresher), so nothing is confirmed live and users it shows
    /// without keys are not listed (`[source] confirm_after_minutes`).
    pub confirm_after: Duration,
    /// Whether users a fresh report shows without keys may go unlisted (a key
    /// made since the report for such a user is then missed: the headless
    /// commands accept that for one request per user with keys; the
    /// dashboard, where the administrator acts on what is shown, does not).
    pub skip_users_the_report_shows_without_keys: bool,
}

impl LoadOptions {
    /// The default `confirm_after`: IAM's 15-minute recording interval.
    pub const CONFIRM_AFTER: Duration = Duration::from_secs(15 * 60);
}

/// How long keys wait for the credential report before they are listed
/// anyway: with it, users it shows without keys need no ListAccessKeys. The
/// users on screen never wait.
const REPORT_WAIT: Duration = Duration::from_secs(3);

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

/// The users whose work goes first; the caller updates it as the screen moves.
pub type Priority = watch::Receiver<Vec<String>>;

/// Attempts per read (the first and its retries) when the user set none.
/// The loader's reads go out once each (no SDK retries): this is their one
/// retry budget. Throttled reads are paced, so they can afford more tries.
const ATTEMPTS_THROTTLED: u32 = 20;
/// Other passing failures (a dropped connection, a 5xx, a timeout).
/// A keys job's listing and its description read share it, so five (the
/// fourth pause is 2 s) keep a job through a run of 5xx on both.
const ATTEMPTS_OTHER: u32 = 5;

/// How many attempts a read gets in all.
#[derive(Clone, Copy, Debug)]
struct Budget {
    /// The user's max_attempts, if set: then it is the budget for every failure.
    user: Option<u32>,
}

/// The failed attempts of one read so far, by kind.
#[derive(Clone, Copy, Debug, Default)]
struct Failed {
    throttled: u32,
    other: u32,
}

impl Budget {
    /// Counts a failure of a read that had `failed` before: whether it may be tried again.
    fn allows_another(self, failed: &mut Failed, err: &IamError) -> bool {
        if is_throttling(err) {
            failed.throttled += 1;
        } else {
            failed.other += 1;
        }
        match self.user {
            Some(attempts) => failed.throttled + failed.other < attempts.max(1),
            None => failed.throttled < ATTEMPTS_THROTTLED && failed.other < ATTEMPTS_OTHER,
        }
    }
}

#[derive(Clone, Debug)]
enum Job {
    Keys(String),
    LastUsed { user: String, key_id: String },
}

impl Job {
    fn id(&self) -> String {
        match self {
            Job::Keys(user) => format!("keys/{user}"),
            Job::LastUsed { key_id, .. } => format!("used/{key_id}"),
        }
    }
}

enum ReportState {
    Pending,
    Ready(Arc<CredentialReport>),
    /// Live source, or the report was unavailable in auto mode.
    Off,
    /// `--source report` and no report: every last use fails with this.
    Failed(IamError),
}

struct Queue {
    users: VecDeque<String>,
    /// Tags of users listed with them: their keys need no ListUserTags call.
    tags: HashMap<String, Vec<(String, String)>>,
    users_waiting: HashSet<String>,
    /// User → keys whose last use must be asked live; `used_order` keeps FIFO.
    used_waiting: HashMap<String, Vec<String>>,
    used_order: VecDeque<String>,
    /// Keys listed before the report arrived.
    unresolved: Vec<AccessKey>,
    report: ReportState,
    /// Report uses older than this many days (or none) are confirmed live.
    unused_after_days: i64,
    /// A report at most this old is fresh (see `LoadOptions::confirm_after`).
    confirm_after: Duration,
    /// Until then, keys of users not on screen wait for the report.
    report_wait_until: Instant,
    /// When each listed user was created: a user made after the report is
    /// listed even if the report has no keys for it.
    created: HashMap<String, Timestamp>,
    /// See `LoadOptions::skip_users_the_report_shows_without_keys`.
    skip_without_keys: bool,
    /// ListAccessKeys calls saved: users a fresh report shows without keys.
    keys_skipped: usize,
    listing: bool,
    busy: usize,
    limit: usize,
    pace: Pace,
    /// The pace last reported to the sink.
    pace_reported: Option<u32>,
    budget: Budget,
    /// Keys listed by an attempt whose description read then failed: the retry
    /// reads only the descriptions.
    listed: HashMap<String, Vec<AccessKey>>,
    /// Job id → its attempts that failed for a passing reason.
    requeues: HashMap<String, Failed>,
    /// The SDK retry count last reported.
    retries_reported: usize,
    /// Reads this loader tried again (its own retries; its reads have no SDK retries).
    retried: usize,
    /// Listing users failed: nothing more is worth fetching (the report included).
    users_failed: bool,
}

impl Queue {
    fn next(&mut self, priority: &[String]) -> Option<Job> {
        if self.busy >= self.limit {
            return None;
        }
        for user in priority {
            if self.users_waiting.remove(user) {
                return Some(Job::Keys(user.clone()));
            }
        }
        for user in priority {
            if let Some(job) = self.take_used(user) {
                return Some(job);
            }
        }
        if !self.waiting_for_report(Instant::now()) {
            while let Some(user) = self.users.pop_front() {
                if self.users_waiting.remove(&user) {
                    return Some(Job::Keys(user));
                }
            }
        }
        while let Some(user) = self.used_order.pop_front() {
            if let Some(job) = self.take_used(&user) {
                if self.used_waiting.contains_key(&user) {
                    self.used_order.push_front(user);
                }
                return Some(job);
            }
        }
        None
    }

    /// Whether keys not on screen still wait for the report (see `REPORT_WAIT`).
    fn waiting_for_report(&self, now: Instant) -> bool {
        matches!(self.report, ReportState::Pending) && now < self.report_wait_until
    }

    /// The report, when it is ready and fresh (see `LoadOptions::confirm_after`).
    fn fresh_report(&self) -> Option<&CredentialReport> {
        match &self.report {
            ReportState::Ready(report) if report_is_fresh(report, self.confirm_after) => {
                Some(report)
            }
            _ => None,
        }
    }

    /// Whether a fresh report says `user` has no access keys: it is in the
    /// report with no key slot and was created before the report was made.
    fn known_without_keys(&self, user: &str) -> bool {
        if !self.skip_without_keys {
            return false;
        }
        let Some(report) = self.fresh_report() else {
            return false;
        };
        let created_before = self
            .created
            .get(user)
            .is_some_and(|created| *created <= report.generated);
        created_before && report.users.get(user).is_some_and(Vec::is_empty)
    }

    /// A keys job a fresh report answers without a request (the user has no
    /// keys): its events, or `None` when the job must go to IAM.
    fn answer_from_report(&mut self, job: &Job) -> Option<Vec<LoadEvent>> {
        let Job::Keys(user) = job else {
            return None;
        };
        if !self.known_without_keys(user) {
            return None;
        }
        self.keys_skipped += 1;
        let mut events = Vec::new();
        if let Some(tags) = self.tags.get(user) {
            events.push(LoadEvent::UserTags {
                user: user.clone(),
                tags: tag_names(tags),
            });
        }
        events.push(LoadEvent::Keys {
            user: user.clone(),
            result: Ok(Vec::new()),
        });
        Some(events)
    }

    fn take_used(&mut self, user: &str) -> Option<Job> {
        let keys = self.used_waiting.get_mut(user)?;
        let key_id = keys.pop()?;
        if keys.is_empty() {
            self.used_waiting.remove(user);
        }
        Some(Job::LastUsed {
            user: user.to_string(),
            key_id,
        })
    }

    fn push_used(&mut self, user: &str, key_id: String) {
        let keys = self.used_waiting.entry(user.to_string()).or_default();
        if keys.is_empty() {
            self.used_order.push_back(user.to_string());
        }
        keys.push(key_id);
    }

    fn requeue(&mut self, job: Job) {
        match job {
            Job::Keys(user) => {
                self.users_waiting.insert(user.clone());
                self.users.push_front(user);
            }
            Job::LastUsed { user, key_id } => self.push_used(&user, key_id),
        }
    }

    fn done(&self) -> bool {
        !self.listing
            && !matches!(self.report, ReportState::Pending)
            && self.busy == 0
            && self.users_waiting.is_empty()
            && self.used_waiting.is_empty()
    }

    /// Decides how each listed key gets its last use; returns what is known now.
    fn route_keys(&mut self, keys: Vec<AccessKey>) -> Vec<LoadEvent> {
        let mut events = Vec::new();
        let now = Timestamp::now();
        for key in keys {
            match &self.report {
                ReportState::Pending => self.unresolved.push(key),
                ReportState::Off => self.push_used(&key.user, key.id),
                ReportState::Failed(err) => events.push(LoadEvent::LastUsed {
                    user: key.user,
                    key_id: key.id,
                    result: Err(err.clone()),
                    source: UseSource::Live { at: now },
                }),
                ReportState::Ready(report) => {
                    let generated = report.generated;
                    let fresh = report_is_fresh(report, self.confirm_after);
                    let report_says = |used, provisional| LoadEvent::LastUsed {
                        user: key.user.clone(),
                        key_id: key.id.clone(),
                        result: Ok(used),
                        source: UseSource::Report {
                            generated,
                            provisional,
                        },
                    };
                    match report.answer(&key, now, self.unused_after_days) {
                        ReportAnswer::Final(used) => events.push(report_says(used, false)),
                        // A fresh report is as good as a live read.
                        ReportAnswer::Provisional(used) if fresh => {
                            events.push(report_says(used, false))
                        }
                        ReportAnswer::Provisional(used) => {
                            // Shown now, as of the report; confirmed live after the
                            // listing work (the queue serves last uses after keys).
                            events.push(report_says(used, true));
                            self.push_used(&key.user, key.id);
                        }
                        ReportAnswer::Unknown => self.push_used(&key.user, key.id),
                    }
                }
            }
        }
        events
    }

    /// IAM throttled a read sent at `sent`: slow the pace (once per slow-down).
    fn throttled(&mut self, sent: Instant) -> Option<LoadEvent> {
        self.pace
            .throttled(sent, Instant::now())
            .then(|| self.pace_event())
    }

    fn pace_event(&mut self) -> LoadEvent {
        let per_second = self.pace.per_second().map(|r| r.round() as u32);
        tracing::info!(?per_second, "IAM throttling: reads paced");
        self.pace_reported = per_second;
        LoadEvent::Paced { per_second }
    }

    /// Asks the pace to send now (`Err(t)`: ask again at `t`); reports the pace
    /// when it has moved by a fifth or more.
    fn ask_to_send(&mut self) -> (Result<Instant, Instant>, Option<LoadEvent>) {
        let at = Instant::now();
        let asked = self.pace.request(at).map(|()| at);
        let now = self.pace.per_second();
        let moved = match (self.pace_reported, now) {
            (Some(_), None) => true,
            (Some(was), Some(is)) => (is - f64::from(was)).abs() >= f64::from(was) / 5.0,
            (None, _) => false,
        };
        (asked, moved.then(|| self.pace_event()))
    }
}

struct Shared<F> {
    client: IamClient,
    queue: Mutex<Queue>,
    notify: Notify,
    sink: F,
}

impl<F: Fn(LoadEvent)> Shared<F> {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A worker that panicked mid-update leaves plain data behind: keep going.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn emit(&self, events: Vec<LoadEvent>) {
        for event in events {
            (self.sink)(event);
        }
    }
}

/// Whether `report` was generated at most `confirm_after` ago.
fn report_is_fresh(report: &CredentialReport, confirm_after: Duration) -> bool {
    let age = Timestamp::now().duration_since(report.generated);
    age.as_secs() >= 0 && age.unsigned_abs() <= confirm_after
}

fn is_throttling(err: &IamError) -> bool {
    err.kind() == ErrorKind::Throttled
}

/// Failures worth another try after the SDK's own retries gave up: throttling,
/// a dropped connection, a timeout, a garbled reply, IAM's 5xx. (Reads only:
/// the loader never changes anything, so trying again is always safe.)
fn is_transient(err: &IamError) -> bool {
    err.kind().is_transient()
}

/// Reads the whole inventory, sending each step to `sink`. Returns once every
/// request has answered. Dropping the future cancels every request in flight.
pub async fn load<F>(client: IamClient, options: LoadOptions, priority: Priority, sink: F)
where
    F: Fn(LoadEvent) + Send + Sync + 'static,
{
    let max = options.concurrency.max(1);
    // Reads go out once each: this loader is their one retry budget.
    let client = client.single_attempt();
    let shared = Arc::new(Shared {
        client: client.clone(),
        queue: Mutex::new(Queue {
            users: VecDeque::new(),
            tags: HashMap::new(),
            users_waiting: HashSet::new(),
            used_waiting: HashMap::new(),
            used_order: VecDeque::new(),
            unresolved: Vec::new(),
            report: match options.source {
                Source::Live => ReportState::Off,
                Source::Auto | Source::Report => ReportState::Pending,
            },
            unused_after_days: options.unused_after_days,
            confirm_after: options.confirm_after,
            report_wait_until: Instant::now() + REPORT_WAIT,
            created: HashMap::new(),
            skip_without_keys: options.skip_users_the_report_shows_without_keys,
            keys_skipped: 0,
            listing: true,
            busy: 0,
            limit: max,
            pace: Pace::new(Instant::now()),
            pace_reported: None,
            listed: HashMap::new(),
            budget: Budget {
                user: client.user_attempts(),
            },
            requeues: HashMap::new(),
            retries_reported: 0,
            retried: 0,
            users_failed: false,
        }),
        notify: Notify::new(),
        sink,
    });
    let mut tasks = JoinSet::new();
    tasks.spawn(list_users(shared.clone(), options.source != Source::Live));
    match options.source {
        Source::Live => {
            shared.emit(vec![LoadEvent::Source(DataSource::Live { reason: None })]);
            tasks.spawn(read_root_key(shared.clone()));
        }
        source => {
            tasks.spawn(fetch_report(shared.clone(), source));
        }
    }
    let mut workers = JoinSet::new();
    for _ in 0..max {
        workers.spawn(worker(shared.clone(), priority.clone()));
    }
    // A worker that panics (a bug, never a server reply) is replaced, so the
    // jobs it left behind still get done.
    let mut replacements = 0;
    while let Some(ended) = workers.join_next().await {
        if let Err(err) = ended
            && err.is_panic()
            && replacements < 4 * max
        {
            tracing::error!("an inventory worker panicked; starting another");
            replacements += 1;
            workers.spawn(worker(shared.clone(), priority.clone()));
        }
    }
    while tasks.join_next().await.is_some() {}
    shared.emit(vec![LoadEvent::Finished]);
}

/// Lists every user: with their tags in one call per page where allowed
/// (GetAccountAuthorizationDetails), else with ListUsers.
async fn list_users<F: Fn(LoadEvent) + Send + Sync>(shared: Arc<Shared<F>>, with_details: bool) {
    // However this task ends (even by a panic), the workers must learn that listing is over.
    let _done = OnDrop(|| {
        shared.lock().listing = false;
        shared.notify.notify_waiters();
    });
    let mut marker = None;
    let mut failed = Failed::default();
    let mut with_details = with_details;
    let mut pages = Pages::new("ListUsers", Pages::USERS);
    // A user repeated across pages (the listing moved under us) is listed once.
    let mut listed: HashSet<String> = HashSet::new();
    loop {
        let page = if with_details {
            shared.client.user_details_page(marker.clone()).await
        } else {
            shared.client.list_users_page(marker.clone()).await
        };
        match page {
            Err(err) if with_details && marker.is_none() && !is_transient(&err) => {
                tracing::info!(code = %err.code, "no account authorization details: listing users one page at a time");
                with_details = false;
            }
            Ok(page) => {
                failed = Failed::default();
                let last_page = page.next_marker.is_none();
                let mut users = Vec::with_capacity(page.users.len());
                let mut tags = Vec::new();
                let page_tags = page.tags.map(Vec::into_iter);
                let mut page_tags = page_tags.into_iter().flatten();
                for user in page.users {
                    let user_tags = page_tags.next();
                    if listed.insert(user.name.clone()) {
                        if let Some(user_tags) = user_tags {
                            tags.push((user.name.clone(), user_tags));
                        }
                        users.push(user);
                    }
                }
                let names: Vec<(String, Timestamp)> =
                    users.iter().map(|u| (u.name.clone(), u.created)).collect();
                if !tags.is_empty() {
                    shared.lock().tags.extend(tags);
                }
                shared.emit(vec![LoadEvent::UsersPage { users, last_page }]);
                {
                    let mut queue = shared.lock();
                    for (name, created) in names {
                        queue.created.insert(name.clone(), created);
                        queue.users_waiting.insert(name.clone());
                        queue.users.push_back(name);
                    }
                    queue.listing = !last_page;
                }
                shared.notify.notify_waiters();
                match page.next_marker.map(|next| pages.next(&next)) {
                    Some(Ok(next)) => marker = Some(next),
                    Some(Err(err)) => return listing_failed(&shared, err),
                    None => return,
                }
            }
            Err(err)
                if is_transient(&err) && {
                    let budget = shared.lock().budget;
                    budget.allows_another(&mut failed, &err)
                } =>
            {
                log_passing(&err);
                if is_throttling(&err) {
                    let event = shared.lock().throttled(Instant::now());
                    shared.emit(event.into_iter().collect());
                }
                tokio::time::sleep(backoff(failed.throttled + failed.other)).await;
            }
            Err(err) => return listing_failed(&shared, err),
        }
    }
}

/// Listing users ended in `err`: no more users come, the workers learn it.
fn listing_failed<F: Fn(LoadEvent) + Send + Sync>(shared: &Shared<F>, err: IamError) {
    {
        let mut queue = shared.lock();
        queue.listing = false;
        queue.users_failed = true;
    }
    shared.emit(vec![LoadEvent::UsersFailed(err)]);
    shared.notify.notify_waiters();
}

async fn fetch_report<F: Fn(LoadEvent) + Send + Sync>(shared: Arc<Shared<F>>, source: Source) {
    // Should this task die before the report is in, the keys waiting for it go live.
    let _done = OnDrop(|| {
        let mut queue = shared.lock();
        if matches!(queue.report, ReportState::Pending) {
            queue.report = ReportState::Off;
            let unresolved = std::mem::take(&mut queue.unresolved);
            let _ = queue.route_keys(unresolved);
        }
        drop(queue);
        shared.notify.notify_waiters();
    });
    let result = tokio::select! {
        result = shared.client.credential_report() => result,
        // No users, no keys: the report would serve nothing (and may poll a minute).
        () = users_failed(&shared) => return,
    };
    let mut events = Vec::new();
    let report_missing = result.is_err();
    {
        let mut queue = shared.lock();
        match result {
            Ok(report) => {
                events.push(LoadEvent::Source(DataSource::Report {
                    generated: report.generated,
                    root_has_key: report.root_has_key,
                }));
                queue.report = ReportState::Ready(Arc::new(report));
            }
            Err(err) => {
                tracing::warn!(code = %err.code, message = %err.message, "credential report unavailable");
                if source == Source::Report {
                    queue.report = ReportState::Failed(err);
                } else {
                    events.push(LoadEvent::Source(DataSource::Live {
                        reason: Some(format!("credential report unavailable ({})", err.code)),
                    }));
                    queue.report = ReportState::Off;
                }
            }
        }
        let unresolved = std::mem::take(&mut queue.unresolved);
        events.extend(queue.route_keys(unresolved));
    }
    shared.emit(events);
    shared.notify.notify_waiters();
    if report_missing {
        read_root_key(shared.clone()).await;
    }
}

/// The root-key check's second source (GetAccountSummary), with one more
/// try after a passing failure.
async fn read_root_key<F: Fn(LoadEvent) + Send + Sync>(shared: Arc<Shared<F>>) {
    let mut result = shared.client.root_has_access_key().await;
    if let Err(err) = &result
        && is_transient(err)
    {
        tokio::time::sleep(backoff(1)).await;
        result = shared.client.root_has_access_key().await;
    }
    shared.emit(vec![LoadEvent::RootKey(result)]);
}

/// Resolves once listing users has failed.
async fn users_failed<F: Fn(LoadEvent) + Send + Sync>(shared: &Shared<F>) {
    loop {
        let notified = shared.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if shared.lock().users_failed {
            return;
        }
        notified.await;
    }
}

/// A failure that will be tried again, for the log (code and request id).
fn log_passing(err: &IamError) {
    tracing::warn!(
        operation = %err.operation,
        code = %err.code,
        request_id = ?err.request_id,
        "IAM request failed; trying again"
    );
}

fn backoff(attempt: u32) -> Duration {
    // 250 ms, 500 ms, 1 s, 2 s: the budget spans a few seconds, so a burst of
    // dropped connections or 5xx (a brief outage, a restarting proxy) does not
    // use it all up at once.
    Duration::from_millis(250 * 2u64.pow(attempt.saturating_sub(1).min(3)))
}

async fn worker<F: Fn(LoadEvent) + Send + Sync>(shared: Arc<Shared<F>>, priority: Priority) {
    loop {
        let job = loop {
            let notified = shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let wanted = priority.borrow().clone();
                let mut queue = shared.lock();
                match queue.next(&wanted) {
                    Some(job) => match queue.answer_from_report(&job) {
                        Some(events) => Next::Answered(events),
                        None => {
                            queue.busy += 1;
                            Next::Run(job)
                        }
                    },
                    None if queue.done() => Next::Done,
                    None if queue.waiting_for_report(Instant::now()) => {
                        Next::WaitUntil(queue.report_wait_until)
                    }
                    None => Next::Wait,
                }
            };
            match next {
                Next::Run(job) => break Some(job),
                Next::Done => break None,
                Next::Answered(events) => shared.emit(events),
                // Woken by the report, or at the end of the wait.
                Next::WaitUntil(until) => {
                    let _ = tokio::time::timeout_at(until, notified).await;
                }
                Next::Wait => notified.await,
            }
        };
        let Some(job) = job else {
            shared.notify.notify_waiters();
            return;
        };
        // While IAM throttles, reads go out at a pace; the job holds its place meanwhile.
        let sent = paced_send(&shared).await;
        run(&shared, job, sent).await;
        shared.notify.notify_waiters();
    }
}

/// Waits until the pace lets a read go; returns when it went.
async fn paced_send<F: Fn(LoadEvent) + Send + Sync>(shared: &Shared<F>) -> Instant {
    loop {
        let (asked, paced) = shared.lock().ask_to_send();
        shared.emit(paced.into_iter().collect());
        match asked {
            Ok(at) => return at,
            Err(later) => tokio::time::sleep_until(later).await,
        }
    }
}

/// Runs `f` when dropped: keeps the queue's bookkeeping true when a task ends
/// early (a panic in a request, or the load being cancelled).
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// Runs one job and files its result; a job that failed for a passing reason
/// (throttling, a dropped connection, a 5xx) goes back in the queue.
async fn run<F: Fn(LoadEvent) + Send + Sync>(shared: &Shared<F>, job: Job, sent: Instant) {
    // If the request panics, the job no longer counts as in flight.
    let in_flight = OnDrop(|| shared.lock().busy -= 1);
    // When the request that decided the outcome was sent (a job may send two).
    let mut sent = sent;
    let outcome = match &job {
        Job::Keys(user) => {
            let (known, listed) = {
                let queue = shared.lock();
                (
                    queue.tags.get(user).cloned(),
                    queue.listed.get(user).cloned(),
                )
            };
            let keys = match listed {
                // Listed by an earlier attempt whose description read failed.
                Some(keys) => Ok(keys),
                None => shared.client.list_access_keys(user).await,
            };
            match (keys, known) {
                (Ok(mut keys), Some(tags)) => {
                    describe(&mut keys, &tags);
                    Ok(Outcome::Keys(keys, Some(tag_names(&tags))))
                }
                // Keys, then their descriptions (a second request, paced as
                // the first); a refusal of the tags leaves descriptions out.
                (Ok(mut keys), None) if !keys.is_empty() => {
                    {
                        let mut queue = shared.lock();
                        queue.pace.succeeded(Instant::now());
                        queue.listed.insert(user.clone(), keys.clone());
                    }
                    sent = paced_send(shared).await;
                    match shared.client.key_descriptions(user).await {
                        Ok(tags) => {
                            describe(&mut keys, &tags);
                            Ok(Outcome::Keys(keys, Some(tag_names(&tags))))
                        }
                        Err(err) if is_transient(&err) => Err(err),
                        Err(err) => {
                            tracing::warn!(user, error = %err, "key descriptions unreadable");
                            Ok(Outcome::Keys(keys, None))
                        }
                    }
                }
                (keys, _) => keys.map(|keys| Outcome::Keys(keys, None)),
            }
        }
        Job::LastUsed { key_id, .. } => {
            shared.client.key_last_used(key_id).await.map(Outcome::Used)
        }
    };
    let mut events = Vec::new();
    let mut retry = None;
    {
        // The guard's decrement happens here, under the same lock as the filing.
        std::mem::forget(in_flight);
        let mut queue = shared.lock();
        queue.busy -= 1;
        match outcome {
            Err(err) if is_transient(&err) => {
                let budget = queue.budget;
                let failed = queue.requeues.entry(job.id()).or_default();
                let again = budget.allows_another(failed, &err);
                let count = failed.other;
                if again {
                    log_passing(&err);
                    queue.retried += 1;
                    if is_throttling(&err) {
                        // The pace, not a pause, spaces throttled reads.
                        retry = Some(Duration::ZERO);
                        events.extend(queue.throttled(sent));
                    } else {
                        retry = Some(backoff(count));
                    }
                } else {
                    events.push(failure(&job, err));
                }
            }
            Err(err) => events.push(failure(&job, err)),
            Ok(Outcome::Keys(keys, tags)) => {
                queue.pace.succeeded(Instant::now());
                if let Job::Keys(user) = &job {
                    queue.listed.remove(user);
                    if let Some(tags) = tags {
                        events.push(LoadEvent::UserTags {
                            user: user.clone(),
                            tags,
                        });
                    }
                    events.push(LoadEvent::Keys {
                        user: user.clone(),
                        result: Ok(keys.clone()),
                    });
                }
                events.extend(queue.route_keys(keys));
            }
            Ok(Outcome::Used(used)) => {
                queue.pace.succeeded(Instant::now());
                if let Job::LastUsed { user, key_id } = &job {
                    events.push(LoadEvent::LastUsed {
                        user: user.clone(),
                        key_id: key_id.clone(),
                        result: Ok(used),
                        source: UseSource::Live {
                            at: Timestamp::now(),
                        },
                    });
                }
            }
        }
        if retry.is_some() {
            // The throttled job holds its place in flight while this worker backs off.
            queue.busy += 1;
        }
        let retries = shared.client.retries() + queue.retried;
        if retries != queue.retries_reported {
            queue.retries_reported = retries;
            events.push(LoadEvent::Retries { total: retries });
        }
    }
    shared.emit(events);
    if let Some(pause) = retry {
        tokio::time::sleep(pause).await;
        let mut queue = shared.lock();
        queue.busy -= 1;
        queue.requeue(job);
    }
}

/// What a worker does next.
enum Next {
    Run(Job),
    /// A fresh report answered the job without a request: these events.
    Answered(Vec<LoadEvent>),
    Done,
    /// Keys wait for the report until then.
    WaitUntil(Instant),
    Wait,
}

enum Outcome {
    /// The keys, and the names of the user's tags when they were read.
    Keys(Vec<AccessKey>, Option<Vec<String>>),
    Used(LastUsed),
}

fn tag_names(tags: &[(String, String)]) -> Vec<String> {
    tags.iter().map(|(key, _)| key.clone()).collect()
}

fn failure(job: &Job, err: IamError) -> LoadEvent {
    match job {
        // Listed a moment ago, deleted since: not a failure, a user fewer.
        Job::Keys(user) if err.kind() == ErrorKind::NoSuchEntity => {
            LoadEvent::UserGone { user: user.clone() }
        }
        Job::Keys(user) => LoadEvent::Keys {
            user: user.clone(),
            result: Err(err),
        },
        Job::LastUsed { user, key_id } => LoadEvent::LastUsed {
            user: user.clone(),
            key_id: key_id.clone(),
            result: Err(err),
            source: UseSource::Live {
                at: Timestamp::now(),
            },
        },
    }
}

/// A priority that never changes (for callers without a screen).
pub fn no_priority() -> Priority {
    watch::channel(Vec::new()).1
}
