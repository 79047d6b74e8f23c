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

use super::client::{IamClient, Pages, describe};
use super::error::{ErrorKind, IamError};
use super::model::{AccessKey, LastUsed, UseSource, User};
use super::report::{CredentialReport, ReportAnswer};

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
    Report { generated: Timestamp },
    Live { reason: Option<String> },
}

#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    pub concurrency: usize,
    pub source: Source,
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
    /// A user listed, then gone (NoSuchEntity on its keys): deleted during the load.
    UserGone {
        user: String,
    },
    Source(DataSource),
    /// The SDK has retried this many requests so far (throttling, 5xx, resets).
    Retries {
        total: usize,
    },
    /// IAM throttled us: at most `in_flight` requests from now on (it grows back).
    Throttled {
        in_flight: usize,
    },
    Finished,
}

/// The users whose work goes first; the caller updates it as the screen moves.
pub type Priority = watch::Receiver<Vec<String>>;

/// A throttled request is put back this many times before its error is reported.
const MAX_REQUEUES: u32 = 8;
/// Other passing failures (a dropped connection, a 5xx) get fewer extra tries:
/// the SDK has retried them already, and a dead endpoint should show soon.
const MAX_REQUEUES_OTHER: u32 = 2;

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
    listing: bool,
    busy: usize,
    limit: usize,
    max: usize,
    successes: usize,
    requeues: HashMap<String, u32>,
    /// The SDK retry count last reported.
    retries_reported: usize,
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
        while let Some(user) = self.users.pop_front() {
            if self.users_waiting.remove(&user) {
                return Some(Job::Keys(user));
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
                    let report_says = |used, provisional| LoadEvent::LastUsed {
                        user: key.user.clone(),
                        key_id: key.id.clone(),
                        result: Ok(used),
                        source: UseSource::Report {
                            generated,
                            provisional,
                        },
                    };
                    match report.answer(&key, now, crate::audit::MAX_UNUSED_DAYS) {
                        ReportAnswer::Final(used) => events.push(report_says(used, false)),
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

    /// Slows down after a throttle: halves the requests in flight.
    fn throttled(&mut self) -> LoadEvent {
        self.limit = (self.limit / 2).max(1);
        self.successes = 0;
        LoadEvent::Throttled {
            in_flight: self.limit,
        }
    }

    /// Speeds up again, one request more after each run of successes.
    fn succeeded(&mut self) {
        self.successes += 1;
        if self.limit < self.max && self.successes >= self.limit * 4 {
            self.limit += 1;
            self.successes = 0;
        }
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
    let shared = Arc::new(Shared {
        client,
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
            listing: true,
            busy: 0,
            limit: max,
            max,
            successes: 0,
            requeues: HashMap::new(),
            retries_reported: 0,
        }),
        notify: Notify::new(),
        sink,
    });
    let mut tasks = JoinSet::new();
    tasks.spawn(list_users(shared.clone(), options.source != Source::Live));
    match options.source {
        Source::Live => shared.emit(vec![LoadEvent::Source(DataSource::Live { reason: None })]),
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
    let mut throttles = 0;
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
                throttles = 0;
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
                let names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
                if !tags.is_empty() {
                    shared.lock().tags.extend(tags);
                }
                shared.emit(vec![LoadEvent::UsersPage { users, last_page }]);
                {
                    let mut queue = shared.lock();
                    for name in names {
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
            Err(err) if is_transient(&err) && throttles < requeue_limit(&err) => {
                throttles += 1;
                if is_throttling(&err) {
                    let event = shared.lock().throttled();
                    shared.emit(vec![event]);
                }
                tokio::time::sleep(backoff(throttles)).await;
            }
            Err(err) => return listing_failed(&shared, err),
        }
    }
}

/// Listing users ended in `err`: no more users come, the workers learn it.
fn listing_failed<F: Fn(LoadEvent) + Send + Sync>(shared: &Shared<F>, err: IamError) {
    shared.lock().listing = false;
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
    let result = shared.client.credential_report().await;
    let mut events = Vec::new();
    {
        let mut queue = shared.lock();
        match result {
            Ok(report) => {
                events.push(LoadEvent::Source(DataSource::Report {
                    generated: report.generated,
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
}

/// How many extra tries a request that failed for a passing reason gets.
fn requeue_limit(err: &IamError) -> u32 {
    if is_throttling(err) {
        MAX_REQUEUES
    } else {
        MAX_REQUEUES_OTHER
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 * 2u64.pow(attempt.min(5)))
}

async fn worker<F: Fn(LoadEvent) + Send + Sync>(shared: Arc<Shared<F>>, priority: Priority) {
    loop {
        let job = loop {
            let notified = shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let wanted = priority.borrow().clone();
                let mut queue = shared.lock();
                if let Some(job) = queue.next(&wanted) {
                    queue.busy += 1;
                    break Some(job);
                }
                if queue.done() {
                    break None;
                }
            }
            notified.await;
        };
        let Some(job) = job else {
            shared.notify.notify_waiters();
            return;
        };
        run(&shared, job).await;
        shared.notify.notify_waiters();
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
async fn run<F: Fn(LoadEvent) + Send + Sync>(shared: &Shared<F>, job: Job) {
    // If the request panics, the job no longer counts as in flight.
    let in_flight = OnDrop(|| shared.lock().busy -= 1);
    let outcome = match &job {
        Job::Keys(user) => {
            let known = shared.lock().tags.get(user).cloned();
            match known {
                Some(tags) => shared.client.list_access_keys(user).await.map(|mut keys| {
                    describe(&mut keys, &tags);
                    Outcome::Keys(keys)
                }),
                None => shared
                    .client
                    .list_keys_described(user)
                    .await
                    .map(Outcome::Keys),
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
                let id = job.id();
                let count = queue.requeues.entry(id).or_insert(0);
                *count += 1;
                if *count <= requeue_limit(&err) {
                    retry = Some(backoff(*count));
                    if is_throttling(&err) {
                        events.push(queue.throttled());
                    }
                } else {
                    events.push(failure(&job, err));
                }
            }
            Err(err) => events.push(failure(&job, err)),
            Ok(Outcome::Keys(keys)) => {
                queue.succeeded();
                if let Job::Keys(user) = &job {
                    events.push(LoadEvent::Keys {
                        user: user.clone(),
                        result: Ok(keys.clone()),
                    });
                }
                events.extend(queue.route_keys(keys));
            }
            Ok(Outcome::Used(used)) => {
                queue.succeeded();
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
        let retries = shared.client.retries();
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

enum Outcome {
    Keys(Vec<AccessKey>),
    Used(LastUsed),
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
