//! A thin wrapper over the IAM and STS SDK clients that speaks domain types.

use aws_sdk_iam::types::StatusType;
use aws_smithy_types::DateTime;
use jiff::Timestamp;

use super::error::IamError;
use super::model::{AccessKey, Identity, KeyStatus, LastUsed, NewKey, Secret, User};
use super::report::CredentialReport;
use super::retries::RetryCounter;

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
}

impl IamClient {
    pub fn new(iam: aws_sdk_iam::Client, sts: aws_sdk_sts::Client) -> Self {
        Self {
            iam,
            sts,
            retries: RetryCounter::default(),
        }
    }

    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        let retries = RetryCounter::default();
        let iam = aws_sdk_iam::config::Builder::from(config)
            .interceptor(retries.clone())
            .build();
        Self {
            iam: aws_sdk_iam::Client::from_conf(iam),
            sts: aws_sdk_sts::Client::new(config),
            retries,
        }
    }

    /// How many times the SDK has retried an IAM request so far.
    pub fn retries(&self) -> usize {
        self.retries.total()
    }

    pub async fn caller_identity(&self) -> Result<Identity, IamError> {
        let op = "GetCallerIdentity";
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(Identity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
        })
    }

    /// One page of ListUsers, starting at `marker` (None for the first page).
    pub async fn list_users_page(&self, marker: Option<String>) -> Result<UsersPage, IamError> {
        let op = "ListUsers";
        let out = self
            .iam
            .list_users()
            .max_items(1000)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        let users = out
            .users()
            .iter()
            .map(|u| {
                Ok(User {
                    name: u.user_name().to_string(),
                    path: u.path().to_string(),
                    arn: u.arn().to_string(),
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
        let out = self
            .iam
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::User)
            .max_items(1000)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        let mut users = Vec::new();
        let mut tags = Vec::new();
        for detail in out.user_detail_list() {
            let missing =
                |what: &str| IamError::new(op, "BadResponse", format!("a user without {what}"));
            users.push(User {
                name: detail
                    .user_name()
                    .ok_or_else(|| missing("a name"))?
                    .to_string(),
                path: detail.path().unwrap_or("/").to_string(),
                arn: detail.arn().ok_or_else(|| missing("an ARN"))?.to_string(),
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
                    .map(|t| (t.key().to_string(), t.value().to_string()))
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
        let mut keys = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .iam
                .list_access_keys()
                .user_name(user)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| IamError::from_sdk(op, e))?;
            for meta in out.access_key_metadata() {
                let id = meta
                    .access_key_id()
                    .ok_or_else(|| IamError::new(op, "BadResponse", "a key without an id"))?;
                let created = meta.create_date().ok_or_else(|| {
                    IamError::new(op, "BadResponse", "a key without a create date")
                })?;
                keys.push(AccessKey {
                    id: id.to_string(),
                    user: meta.user_name().unwrap_or(user).to_string(),
                    status: match meta.status() {
                        Some(StatusType::Active) => KeyStatus::Active,
                        _ => KeyStatus::Inactive,
                    },
                    created: timestamp(op, created)?,
                    description: None,
                });
            }
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(keys)
    }

    /// When, where and by which service `key_id` was last used.
    pub async fn key_last_used(&self, key_id: &str) -> Result<LastUsed, IamError> {
        let op = "GetAccessKeyLastUsed";
        let out = self
            .iam
            .get_access_key_last_used()
            .access_key_id(key_id)
            .send()
            .await
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
    /// The console's key descriptions of `user`: tag key = access key id, value = description.
    pub async fn key_descriptions(&self, user: &str) -> Result<Vec<(String, String)>, IamError> {
        let op = "ListUserTags";
        let mut tags = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .iam
                .list_user_tags()
                .user_name(user)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| IamError::from_sdk(op, e))?;
            tags.extend(
                out.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string())),
            );
            match (out.is_truncated(), out.marker()) {
                (true, Some(next)) => marker = Some(next.to_string()),
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
            Ok(tags) => {
                for key in &mut keys {
                    key.description = tags
                        .iter()
                        .find(|(k, _)| *k == key.id)
                        .map(|(_, v)| v.clone());
                }
            }
            Err(err) => tracing::warn!(user, error = %err, "key descriptions unreadable"),
        }
        Ok(keys)
    }

    pub async fn set_key_status(
        &self,
        user: &str,
        key_id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        let op = "UpdateAccessKey";
        self.iam
            .update_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .status(match status {
                KeyStatus::Active => StatusType::Active,
                KeyStatus::Inactive => StatusType::Inactive,
            })
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(())
    }

    /// Creates a key for `user`. Its description is a separate call ([`Self::describe_key`])
    /// so that a failed tag never hides the secret of a key that now exists.
    pub async fn create_key(&self, user: &str) -> Result<NewKey, IamError> {
        let op = "CreateAccessKey";
        // Never retried: a retry after a reply was lost could make a second key.
        // A failure is reported instead, and the user's keys are re-read.
        let out = self
            .iam
            .create_access_key()
            .user_name(user)
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default()
                    .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        let made = out
            .access_key()
            .ok_or_else(|| IamError::new(op, "BadResponse", "the reply holds no access key"))?;
        let created = match made.create_date() {
            Some(date) => timestamp(op, date)?,
            None => Timestamp::now(),
        };
        let new_key = NewKey {
            key: AccessKey {
                id: made.access_key_id().to_string(),
                user: made.user_name().to_string(),
                status: match made.status() {
                    StatusType::Inactive => KeyStatus::Inactive,
                    _ => KeyStatus::Active,
                },
                created,
                description: None,
            },
            secret: Secret::new(made.secret_access_key().to_string()),
        };
        Ok(new_key)
    }

    /// Generates (if needed) and fetches the credential report, polling with
    /// backoff while IAM builds it.
    pub async fn credential_report(&self) -> Result<CredentialReport, IamError> {
        const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);
        let started = tokio::time::Instant::now();
        let mut delay = std::time::Duration::from_millis(200);
        loop {
            let state = self
                .iam
                .generate_credential_report()
                .send()
                .await
                .map_err(|e| IamError::from_sdk("GenerateCredentialReport", e))?;
            if state.state() == Some(&aws_sdk_iam::types::ReportStateType::Complete) {
                match self.iam.get_credential_report().send().await {
                    Ok(out) => {
                        let op = "GetCredentialReport";
                        let content = out.content().ok_or_else(|| {
                            IamError::new(op, "BadResponse", "the report has no content")
                        })?;
                        let generated = match out.generated_time() {
                            Some(date) => timestamp(op, date)?,
                            None => Timestamp::now(),
                        };
                        return CredentialReport::parse(content.as_ref(), generated)
                            .map_err(|why| IamError::new(op, "BadResponse", why));
                    }
                    Err(err) => {
                        let err = IamError::from_sdk("GetCredentialReport", err);
                        // Not ready, gone or expired: ask for a new one and wait.
                        if !matches!(
                            err.code.as_str(),
                            "ReportInProgress" | "ReportNotPresent" | "ReportExpired"
                        ) {
                            return Err(err);
                        }
                    }
                }
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
        self.iam
            .tag_user()
            .user_name(user)
            .tags(tag)
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        Ok(())
    }

    /// Deletes a key and, if it had one, its description tag.
    pub async fn delete_key(
        &self,
        user: &str,
        key_id: &str,
        had_description: bool,
    ) -> Result<(), IamError> {
        let op = "DeleteAccessKey";
        self.iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .send()
            .await
            .map_err(|e| IamError::from_sdk(op, e))?;
        if had_description {
            self.iam
                .untag_user()
                .user_name(user)
                .tag_keys(key_id)
                .send()
                .await
                .map_err(|e| IamError::from_sdk("UntagUser", e))?;
        }
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

/// IAM says "N/A" (or nothing) where it does not know a service or region.
fn known(value: &str) -> Option<String> {
    match value.trim() {
        "" | "N/A" => None,
        v => Some(v.to_string()),
    }
}

fn timestamp(op: &'static str, date: &DateTime) -> Result<Timestamp, IamError> {
    Timestamp::new(date.secs(), date.subsec_nanos() as i32)
        .map_err(|e| IamError::new(op, "BadResponse", format!("date out of range: {e}")))
}
