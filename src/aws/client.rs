//! A thin wrapper over the IAM and STS SDK clients that speaks domain types.

use crate::aws::sdk_error::FromSdk;
use aws_sdk_iam::types::StatusType;
use aws_smithy_types::DateTime;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::core::error::IamError;

/// The code of a CreateAccessKey reply whose key id or secret is not of IAM's
/// shape (or that holds no key): IAM may have made a key all the same.
pub const BAD_NEW_KEY: &str = "BadResponse";
use super::health::{Health, HealthReport, HealthWatch};
use super::report::CredentialReport;
use super::retries::RetryCounter;
use crate::core::model::{AccessKey, Identity, KeyStatus, LastUsed, NewKey, Secret, User};

/// Sends a read: once if the client is [`IamClient::single_attempt`], else
/// with the SDK's retries.
macro_rules! send_read {
    ($client:expr, $request:expr) => {{
        let request = $request;
        if $client.single_attempt {
            request
                .customize()
                .config_override(no_retries())
                .send()
                .await
        } else {
            request.send().await
        }
    }};
}

/// A per-request override: one attempt, no SDK retries.
fn no_retries() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default()
        .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())
}

/// One page of users and the marker of the next page, if any. `tags` holds
/// each user's tags when the page came with them (GetAccountAuthorizationDetails).
#[derive(Debug)]
pub struct UsersPage {
    pub users: Vec<User>,
    pub tags: Option<Vec<Vec<(String, String)>>>,
    pub next_marker: Option<String>,
}

/// The IAM operations iamkeys uses. Cheap to clone (the SDK clients are `Arc`s inside).
#[derive(Clone, Debug)]
pub struct IamClient {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    retries: RetryCounter,
    health: Health,
    /// Where requests go, for messages: the `--endpoint-url`, else IAM's own.
    endpoint: Option<String>,
    /// Reads are sent once, without the SDK's retries: the caller (the loader)
    /// retries them itself, so that each request has one retry budget.
    single_attempt: bool,
    /// The attempts per request the user set (AWS_MAX_ATTEMPTS, the profile's
    /// max_attempts), if they set any.
    user_attempts: Option<u32>,
    /// One bound on requests in flight, shared by every call of every clone:
    /// the loader, re-reads and changes together never open more connections.
    permits: Arc<Semaphore>,
}

/// Requests in flight at once unless [`IamClient::limit_requests`] says otherwise.
const DEFAULT_IN_FLIGHT: usize = 16;

impl IamClient {
    pub fn new(iam: aws_sdk_iam::Client, sts: aws_sdk_sts::Client) -> Self {
        Self {
            iam,
            sts,
            retries: RetryCounter::default(),
            health: Health::default(),
            endpoint: None,
            single_attempt: false,
            user_attempts: None,
            permits: Arc::new(Semaphore::new(DEFAULT_IN_FLIGHT)),
        }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        let retries = RetryCounter::default();
        let health = Health::default();
        let iam = aws_sdk_iam::config::Builder::from(config)
            .interceptor(retries.clone())
            .interceptor(HealthWatch(health.clone()))
            .build();
        let sts = aws_sdk_sts::config::Builder::from(config)
            .interceptor(HealthWatch(health.clone()))
            .build();
        Self {
            iam: aws_sdk_iam::Client::from_conf(iam),
            sts: aws_sdk_sts::Client::from_conf(sts),
            retries,
            health,
            endpoint: config.endpoint_url().map(str::to_string),
            single_attempt: false,
            user_attempts: None,
            permits: Arc::new(Semaphore::new(DEFAULT_IN_FLIGHT)),
        }
    }

    /// A clone whose reads are sent once (no SDK retries): for a caller that
    /// retries reads itself.
    pub fn single_attempt(&self) -> Self {
        Self {
            single_attempt: true,
            ..self.clone()
        }
    }

    /// Records the attempts per request the user set, if any.
    pub fn set_user_attempts(&mut self, attempts: Option<u32>) {
        self.user_attempts = attempts;
    }

    /// The attempts per request the user set, if any.
    pub fn user_attempts(&self) -> Option<u32> {
        self.user_attempts
    }

    /// Whether IAM is answering (shared by every clone).
    pub fn health(&self) -> HealthReport {
        self.health.report()
    }

    /// Where requests go, for messages: "IAM at <url>" or "IAM".
    pub fn endpoint_label(&self) -> String {
        match &self.endpoint {
            Some(url) => format!("IAM at {url}"),
            None => "IAM".to_string(),
        }
    }

    /// Sets the bound on requests in flight (`--concurrency`) for this client and its clones.
    pub fn limit_requests(&mut self, in_flight: usize) {
        self.permits = Arc::new(Semaphore::new(in_flight.max(1)));
    }

    /// Waits for a place among the requests in flight; held until the request ends.
    async fn permit(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so this only fails if it were; then go on unbounded.
        self.permits.acquire().await.ok()
    }

    /// The same client (endpoint, region, retries, bound on requests) signing
    /// with another access key: a new key being proven, or the key that
    /// replaces the session's own.
    pub fn with_key(&self, key_id: &str, secret: &crate::core::model::Secret) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            key_id,
            secret.expose(),
            None,
            None,
            "iamkeys-rotation",
        );
        let iam = self
            .iam
            .config()
            .to_builder()
            .credentials_provider(credentials.clone())
            .build();
        let sts = self
            .sts
            .config()
            .to_builder()
            .credentials_provider(credentials)
            .build();
        Self {
            iam: aws_sdk_iam::Client::from_conf(iam),
            sts: aws_sdk_sts::Client::from_conf(sts),
            ..self.clone()
        }
    }

    /// GetCallerIdentity sent once (no SDK retries): for proving a new key,
    /// whose caller paces its own attempts.
    pub async fn caller_identity_once(&self) -> Result<Identity, IamError> {
        let op = "GetCallerIdentity";
        let _permit = self.permit().await;
        let out = self
            .sts
            .get_caller_identity()
            .customize()
            .config_override(
                aws_sdk_sts::config::Builder::default()
                    .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(identity_of(&out))
    }

    /// How many times the SDK has retried an IAM request so far.
    pub fn retries(&self) -> usize {
        self.retries.total()
    }

    pub async fn caller_identity(&self) -> Result<Identity, IamError> {
        let op = "GetCallerIdentity";
        let _permit = self.permit().await;
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(identity_of(&out))
    }

    /// One page of ListUsers, starting at `marker` (None for the first page).
    pub async fn list_users_page(&self, marker: Option<String>) -> Result<UsersPage, IamError> {
        let op = "ListUsers";
        let _permit = self.permit().await;
        let out = send_read!(
            self,
            self.iam.list_users().max_items(1000).set_marker(marker)
        )
        .map_err(|e| IamError::from_sdk(op, e))?;
        let users = out
            .users()
            .iter()
            .map(|u| {
                Ok(User {
                    name: text(u.user_name()),
                    path: text(u.path()),
                    arn: text(u.arn()),
                    created: timestamp(op, u.create_date())?,
                })
            })
            .collect::<Result<Vec<_>, IamError>>()?;
        let next_marker = next_marker(op, out.is_truncated(), out.marker())?;
        Ok(UsersPage {
            users,
            tags: None,
            next_marker,
        })
    }

    /// One page of users with their tags in one call (GetAccountAuthorizationDetails,
    /// users only): saves a ListUserTags call per user.
    pub async fn user_details_page(&self, marker: Option<String>) -> Result<UsersPage, IamError> {
        let op = "GetAccountAuthorizationDetails";
        let _permit = self.permit().await;
        let out = send_read!(
            self,
            self.iam
                .get_account_authorization_details()
                .filter(aws_sdk_iam::types::EntityType::User)
                .max_items(1000)
                .set_marker(marker)
        )
        .map_err(|e| IamError::from_sdk(op, e))?;
        let mut users = Vec::new();
        let mut tags = Vec::new();
        for detail in out.user_detail_list() {
            let missing =
                |what: &str| IamError::new(op, "BadResponse", format!("a user without {what}"));
            users.push(User {
                name: text(detail.user_name().ok_or_else(|| missing("a name"))?),
                path: text(detail.path().unwrap_or("/")),
                arn: text(detail.arn().ok_or_else(|| missing("an ARN"))?),
                created: timestamp(
                    op,
                    detail
                        .create_date()
                        .ok_or_else(|| missing("a create date"))?,
                )?,
            });
            tags.push(
                detail
                    .tags()
                    .iter()
                    .map(|t| (text(t.key()), text(t.value())))
                    .collect(),
            );
        }
        let next_marker = next_marker(op, out.is_truncated(), out.marker())?;
        Ok(UsersPage {
            users,
            tags: Some(tags),
            next_marker,
        })
    }

    /// Every access key of `user` (all pages of ListAccessKeys).
    pub async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, IamError> {
        let op = "ListAccessKeys";
        let mut pages = Pages::new(op, Pages::KEYS);
        let mut keys = Vec::new();
        let mut marker = None;
        loop {
            let _permit = self.permit().await;
            let out = send_read!(
                self,
                self.iam
                    .list_access_keys()
                    .user_name(user)
                    .set_marker(marker)
            )
            .map_err(|e| IamError::from_sdk(op, e))?;
            for meta in out.access_key_metadata() {
                let id = meta
                    .access_key_id()
                    .ok_or_else(|| IamError::new(op, "BadResponse", "a key without an id"))?;
                let created = meta.create_date().ok_or_else(|| {
                    IamError::new(op, "BadResponse", "a key without a create date")
                })?;
                keys.push(AccessKey {
                    id: text(id),
                    user: text(meta.user_name().unwrap_or(user)),
                    status: match meta.status() {
                        Some(StatusType::Active) => KeyStatus::Active,
                        Some(StatusType::Inactive) => KeyStatus::Inactive,
                        // Missing, or a value this SDK does not know: never guess.
                        _ => KeyStatus::Unknown,
                    },
                    created: timestamp(op, created)?,
                    description: None,
                });
            }
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => break,
            }
        }
        Ok(keys)
    }

    /// When, where and by which service `key_id` was last used.
    pub async fn key_last_used(&self, key_id: &str) -> Result<LastUsed, IamError> {
        let op = "GetAccessKeyLastUsed";
        let _permit = self.permit().await;
        let out = send_read!(
            self,
            self.iam.get_access_key_last_used().access_key_id(key_id)
        )
        .map_err(|e| IamError::from_sdk(op, e))?;
        let Some(used) = out.access_key_last_used() else {
            return Ok(LastUsed::Never);
        };
        let Some(date) = used.last_used_date() else {
            return Ok(LastUsed::Never);
        };
        Ok(LastUsed::Used {
            at: timestamp(op, date)?,
            service: known(used.service_name()),
            region: known(used.region()),
        })
    }
}

impl IamClient {
    /// GetAccountSummary's `AccountAccessKeysPresent`: whether the root user
    /// has an access key (the second source of the root-key finding, for
    /// when the credential report is denied or not ready).
    pub async fn root_has_access_key(&self) -> Result<bool, IamError> {
        let op = "GetAccountSummary";
        let _permit = self.permit().await;
        let out = send_read!(self, self.iam.get_account_summary())
            .map_err(|e| IamError::from_sdk(op, e))?;
        let present = out
            .summary_map()
            .and_then(|map| map.get(&aws_sdk_iam::types::SummaryKeyType::AccountAccessKeysPresent))
            .copied()
            .unwrap_or(0);
        Ok(present > 0)
    }
}

impl IamClient {
    /// The console's key descriptions of `user`: tag key = access key id, value = description.
    pub async fn key_descriptions(&self, user: &str) -> Result<Vec<(String, String)>, IamError> {
        let op = "ListUserTags";
        let mut pages = Pages::new(op, Pages::TAGS);
        let mut tags = Vec::new();
        let mut marker = None;
        loop {
            let _permit = self.permit().await;
            let out = send_read!(
                self,
                self.iam.list_user_tags().user_name(user).set_marker(marker)
            )
            .map_err(|e| IamError::from_sdk(op, e))?;
            tags.extend(out.tags().iter().map(|t| (text(t.key()), text(t.value()))));
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(pages.next(next)?),
                _ => break,
            }
        }
        Ok(tags)
    }

    /// Every key of `user` with its description (a failed tag read leaves descriptions empty).
    pub async fn list_keys_described(&self, user: &str) -> Result<Vec<AccessKey>, IamError> {
        let mut keys = self.list_access_keys(user).await?;
        if keys.is_empty() {
            return Ok(keys);
        }
        match self.key_descriptions(user).await {
            Ok(tags) => describe(&mut keys, &tags),
            Err(err) => tracing::warn!(user, error = %err, "key descriptions unreadable"),
        }
        Ok(keys)
    }

    /// Sets a key's status; returns IAM's request id (for the journal).
    pub async fn set_key_status(
        &self,
        user: &str,
        key_id: &str,
        status: KeyStatus,
    ) -> Result<Option<String>, IamError> {
        let op = "UpdateAccessKey";
        let _permit = self.permit().await;
        let out = self
            .iam
            .update_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .status(match status {
                KeyStatus::Active => StatusType::Active,
                KeyStatus::Inactive => StatusType::Inactive,
                KeyStatus::Unknown => {
                    return Err(IamError::precondition(
                        op,
                        "a key cannot be set to an unknown status",
                    ));
                }
            })
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(request_id(&out))
    }

    /// Creates a key for `user`. A reply whose key id or secret is not of
    /// IAM's shape is an error with the code [`BAD_NEW_KEY`]: a key may exist. Its description is a separate call ([`Self::describe_key`])
    /// so that a failed tag never hides the secret of a key that now exists.
    pub async fn create_key(&self, user: &str) -> Result<(NewKey, Option<String>), IamError> {
        let op = "CreateAccessKey";
        // Never retried: a retry after a reply was lost could make a second key.
        // A failure is reported instead, and the user's keys are re-read.
        let _permit = self.permit().await;
        let out = self
            .iam
            .create_access_key()
            .user_name(user)
            .customize()
            .config_override(no_retries())
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        let made = out
            .access_key()
            .ok_or_else(|| IamError::new(op, BAD_NEW_KEY, "the reply holds no access key"))?;
        let created = match made.create_date() {
            Some(date) => timestamp(op, date)?,
            None => Timestamp::now(),
        };
        let new_key = NewKey {
            key: AccessKey {
                id: text(made.access_key_id()),
                user: text(made.user_name()),
                status: match made.status() {
                    StatusType::Active => KeyStatus::Active,
                    StatusType::Inactive => KeyStatus::Inactive,
                    _ => KeyStatus::Unknown,
                },
                created,
                description: None,
            },
            secret: Secret::new(made.secret_access_key().to_string()),
        };
        // The secret is server input: refused before it reaches a terminal or a file.
        if let Some(why) =
            super::new_key::unusable_because(&new_key.key.id, new_key.secret.expose())
        {
            return Err(IamError::new(op, BAD_NEW_KEY, why));
        }
        Ok((new_key, request_id(&out)))
    }

    /// Generates (if needed) and fetches the credential report, polling with
    /// backoff while IAM builds it. Throttling and other passing failures do
    /// not end the polling (the report saves thousands of calls); only a
    /// refusal does, or the report not being ready within a minute.
    pub async fn credential_report(&self) -> Result<CredentialReport, IamError> {
        const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);
        let started = tokio::time::Instant::now();
        let mut delay = std::time::Duration::from_millis(200);
        loop {
            match self.try_credential_report().await {
                Ok(Some(report)) => return Ok(report),
                Ok(None) => {}
                Err(err) if err.kind().is_transient() && started.elapsed() < PATIENCE => {
                    tracing::warn!(
                        operation = %err.operation,
                        code = %err.code,
                        request_id = ?err.request_id,
                        "credential report: a passing failure; polling on"
                    );
                }
                Err(err) => return Err(err),
            }
            if started.elapsed() > PATIENCE {
                return Err(IamError::new(
                    "GenerateCredentialReport",
                    "Timeout",
                    format!(
                        "the credential report was not ready within {}s",
                        PATIENCE.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(std::time::Duration::from_secs(2));
        }
    }

    /// One round of the report: asks for it, and fetches it if complete.
    /// `None` while IAM is still building it.
    async fn try_credential_report(&self) -> Result<Option<CredentialReport>, IamError> {
        let permit = self.permit().await;
        let state = send_read!(self, self.iam.generate_credential_report())
            .map_err(|e| IamError::from_sdk("GenerateCredentialReport", e))?;
        drop(permit);
        if state.state() != Some(&aws_sdk_iam::types::ReportStateType::Complete) {
            return Ok(None);
        }
        let _permit = self.permit().await;
        let op = "GetCredentialReport";
        match send_read!(self, self.iam.get_credential_report()) {
            Ok(out) => {
                let content = out
                    .content()
                    .ok_or_else(|| IamError::new(op, "BadResponse", "the report has no content"))?;
                let generated = match out.generated_time() {
                    Some(date) => timestamp(op, date)?,
                    None => Timestamp::now(),
                };
                CredentialReport::parse(content.as_ref(), generated)
                    .map(Some)
                    .map_err(|why| IamError::new(op, "BadResponse", why))
            }
            Err(err) => {
                let err = IamError::from_sdk(op, err);
                // Not ready, gone or expired: ask for a new one and wait.
                match err.code.as_str() {
                    "ReportInProgress" | "ReportNotPresent" | "ReportExpired" => Ok(None),
                    _ => Err(err),
                }
            }
        }
    }

    /// Stores a key's description the console's way: a user tag keyed by the key id.
    pub async fn describe_key(
        &self,
        user: &str,
        key_id: &str,
        description: &str,
    ) -> Result<(), IamError> {
        let op = "TagUser";
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(key_id)
            .value(description)
            .build()
            .map_err(|e| IamError::new(op, "InvalidInput", e.to_string()))?;
        let _permit = self.permit().await;
        self.iam
            .tag_user()
            .user_name(user)
            .tags(tag)
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(())
    }

    /// Deletes a key (its description tag is [`Self::untag_key`]'s business);
    /// returns IAM's request id.
    pub async fn delete_key(&self, user: &str, key_id: &str) -> Result<Option<String>, IamError> {
        let op = "DeleteAccessKey";
        let _permit = self.permit().await;
        let out = self
            .iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(request_id(&out))
    }

    /// Removes the console's description tag of `key_id` from `user`.
    pub async fn untag_key(&self, user: &str, key_id: &str) -> Result<(), IamError> {
        let _permit = self.permit().await;
        self.iam
            .untag_user()
            .user_name(user)
            .tag_keys(key_id)
            .send()
            .await
            .map_err(|e| IamError::from_sdk("UntagUser", e))?;
        Ok(())
    }
}

/// Sets each key's description from its user's tags (tag key = access key id).
pub fn describe(keys: &mut [AccessKey], tags: &[(String, String)]) {
    for key in keys {
        key.description = tags
            .iter()
            .find(|(k, _)| *k == key.id)
            .map(|(_, v)| v.clone());
    }
}

/// Guards a paged read against a server that never stops paging: a marker seen
/// before, or more pages than the quota behind the listing allows, is an error.
#[derive(Debug)]
pub struct Pages {
    op: &'static str,
    seen: std::collections::HashSet<String>,
    max_pages: usize,
}

impl Pages {
    /// Users: IAM allows 5,000 per account (a quota that can be raised, within
    /// reason); even one user a page stays far below this.
    pub const USERS: usize = 20_000;
    /// Access keys: two per user. Tags: 50 per user. One item a page at worst.
    pub const KEYS: usize = 10;
    pub const TAGS: usize = 60;

    pub fn new(op: &'static str, max_pages: usize) -> Self {
        Self {
            op,
            seen: std::collections::HashSet::new(),
            max_pages,
        }
    }

    /// Accepts the marker of the next page, or says why the listing must stop.
    pub fn next(&mut self, marker: &str) -> Result<String, IamError> {
        if self.seen.len() + 1 >= self.max_pages {
            return Err(IamError::new(
                self.op,
                "BadResponse",
                format!(
                    "the server kept paging past {} pages, more than IAM's quotas allow",
                    self.max_pages
                ),
            ));
        }
        if !self.seen.insert(marker.to_string()) {
            return Err(IamError::new(
                self.op,
                "BadResponse",
                "the server sent the same page marker twice (it would page forever)",
            ));
        }
        Ok(marker.to_string())
    }
}

fn next_marker(
    op: &'static str,
    truncated: bool,
    marker: Option<&str>,
) -> Result<Option<String>, IamError> {
    match (truncated, marker) {
        (true, Some(marker)) => Ok(Some(marker.to_string())),
        (true, None) => Err(IamError::new(
            op,
            "BadResponse",
            "the reply says more users follow but gives no marker",
        )),
        (false, _) => Ok(None),
    }
}

/// Who a GetCallerIdentity reply says the caller is.
fn identity_of(
    out: &aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput,
) -> Identity {
    Identity {
        account: text(out.account().unwrap_or_default()),
        arn: text(out.arn().unwrap_or_default()),
    }
}

/// IAM's request id of a reply, made safe.
fn request_id(out: &impl aws_sdk_iam::operation::RequestId) -> Option<String> {
    out.request_id().map(text)
}

/// IAM says "N/A" (or nothing) where it does not know a service or region.
fn known(value: &str) -> Option<String> {
    match value.trim() {
        "" | "N/A" => None,
        v => Some(text(v)),
    }
}

/// Every string from the server passes here before it leaves this module.
fn text(value: &str) -> String {
    crate::core::sanitize::owned(value)
}

fn timestamp(op: &'static str, date: &DateTime) -> Result<Timestamp, IamError> {
    Timestamp::new(date.secs(), date.subsec_nanos() as i32)
        .map_err(|e| IamError::new(op, "BadResponse", format!("date out of range: {e}")))
}

mod user_details;
