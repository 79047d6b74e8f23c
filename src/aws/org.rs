//! The accounts of an AWS Organization, and a session in each.
//!
//! [`list_accounts`] reads `organizations:ListAccounts` (paged) from the
//! management account or a delegated administrator; [`accounts_under`] the
//! accounts below an organizational unit. [`assume_into`] opens a session in
//! a member account by assuming the first role of a list that the account
//! lets us assume: AssumeRole is signed with the source session's
//! credentials, so a source that needed an MFA code was asked once, and its
//! renewal (see `mfa_session`) serves every account. Each account's
//! credentials are assumed again shortly before they expire.

use std::sync::{Arc, Mutex};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};

use super::client::IamClient;
use crate::aws::sdk_error::FromSdk;
use crate::core::IamError;
use crate::core::model::{Identity, SessionKeys};
use crate::core::org::{AccountState, OrgAccount};

/// `ListAccounts` allows at most this many per page.
const PAGE: i32 = 20;
/// Pages read at most (200 accounts a page would be 4,000 accounts).
const MAX_PAGES: usize = 10_000;

/// Organizations' page tokens, checked: a token that comes back, or more
/// pages than an organization can have, is a server paging in a loop.
#[derive(Default)]
struct PageTokens {
    seen: std::collections::HashSet<String>,
    pages: usize,
}

impl PageTokens {
    /// The token for the next page (`None`: that was the last page).
    fn next(
        &mut self,
        operation: &'static str,
        token: Option<&str>,
    ) -> Result<Option<String>, IamError> {
        self.pages += 1;
        let token = token.filter(|t| !t.is_empty());
        if self.pages > MAX_PAGES || token.is_some_and(|t| !self.seen.insert(t.to_string())) {
            return Err(IamError::new(
                operation,
                "BadResponse",
                "the same page token came back twice: the server pages in a loop",
            ));
        }
        Ok(token.map(str::to_string))
    }
}

fn organizations(config: &aws_config::SdkConfig) -> aws_sdk_organizations::Client {
    aws_sdk_organizations::Client::new(config)
}

/// Every account of the organization, in ListAccounts' order.
pub async fn list_accounts(config: &aws_config::SdkConfig) -> Result<Vec<OrgAccount>, IamError> {
    let client = organizations(config);
    let mut accounts: Vec<OrgAccount> = Vec::new();
    let mut tokens = PageTokens::default();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_accounts()
            .max_results(PAGE)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| IamError::from_sdk("ListAccounts", e))?;
        for account in page.accounts().iter().map(account_of) {
            // An account listed twice (a server that lies) is read once.
            if !accounts.iter().any(|a| a.id == account.id) {
                accounts.push(account);
            }
        }
        match tokens.next("ListAccounts", page.next_token())? {
            Some(next) => token = Some(next),
            None => return Ok(accounts),
        }
    }
}

fn account_of(account: &aws_sdk_organizations::types::Account) -> OrgAccount {
    let text = |s: Option<&str>| crate::core::sanitize::owned(s.unwrap_or_default());
    // `State` replaced `Status` (2025); either may be the one sent.
    let state = account
        .state()
        .map(|s| s.as_str().to_string())
        .or_else(|| account.status().map(|s| s.as_str().to_string()))
        .unwrap_or_default();
    OrgAccount {
        id: text(account.id()),
        name: text(account.name()),
        state: AccountState::parse(&crate::core::sanitize::owned(&state)),
    }
}

/// The ids of the accounts below organizational unit `ou` (at any depth).
pub async fn accounts_under(
    config: &aws_config::SdkConfig,
    ou: &str,
) -> Result<Vec<String>, IamError> {
    let client = organizations(config);
    let mut ids = Vec::new();
    let mut parents = vec![ou.to_string()];
    let mut tokens = PageTokens::default();
    while let Some(parent) = parents.pop() {
        let mut token: Option<String> = None;
        loop {
            let page = client
                .list_accounts_for_parent()
                .parent_id(&parent)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| IamError::from_sdk("ListAccountsForParent", e))?;
            ids.extend(
                page.accounts()
                    .iter()
                    .filter_map(|a| a.id().map(str::to_string)),
            );
            match tokens.next("ListAccountsForParent", page.next_token())? {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        let mut token: Option<String> = None;
        loop {
            let page = client
                .list_organizational_units_for_parent()
                .parent_id(&parent)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| IamError::from_sdk("ListOrganizationalUnitsForParent", e))?;
            parents.extend(
                page.organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_string)),
            );
            match tokens.next("ListOrganizationalUnitsForParent", page.next_token())? {
                Some(next) => token = Some(next),
                None => break,
            }
        }
    }
    Ok(ids)
}

/// How iamkeys assumes a role in each account (`[org]` of the config, `--role`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleChoice {
    /// Role names tried in order in each account.
    pub roles: Vec<String>,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
}

impl RoleChoice {
    /// The roles AWS makes in member accounts, for an organization made with
    /// Organizations or with Control Tower.
    pub fn default_roles() -> Vec<String> {
        vec![
            "OrganizationAccountAccessRole".to_string(),
            "AWSControlTowerExecution".to_string(),
        ]
    }
}

/// Why no session could be opened in an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountFailure {
    /// Every role was refused: the roles tried, and IAM's word on the last.
    Denied { roles: Vec<String>, error: IamError },
    /// Something else went wrong (the network, STS itself).
    Failed(IamError),
}

impl std::fmt::Display for AccountFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountFailure::Denied { roles, error } => write!(
                f,
                "cannot assume {}: {}: {}",
                roles.join(" or "),
                error.code,
                error.message
            ),
            AccountFailure::Failed(error) => write!(f, "{error}"),
        }
    }
}

/// A session in a member account.
#[derive(Clone, Debug)]
pub struct AccountSession {
    pub client: IamClient,
    pub identity: Identity,
    /// The temporary key of the role session (no IAM user's key stands behind it).
    pub session: SessionKeys,
    pub role_arn: String,
}

/// Opens a session in `account_id` with the first role of `choice` that it
/// lets the source session assume. `base` is the source session's
/// configuration (its credentials sign AssumeRole).
pub async fn assume_into(
    base: &aws_config::SdkConfig,
    partition: &str,
    account_id: &str,
    choice: &RoleChoice,
) -> Result<AccountSession, AccountFailure> {
    let sts = aws_sdk_sts::Client::new(base);
    let session_name = choice
        .session_name
        .clone()
        .unwrap_or_else(|| "iamkeys".to_string());
    let mut refused: Option<IamError> = None;
    for role in &choice.roles {
        // A full ARN (the config's role_arn) is used as it is.
        let role_arn = if role.starts_with("arn:") {
            role.clone()
        } else {
            format!("arn:{partition}:iam::{account_id}:role/{role}")
        };
        let request = RoleRequest {
            sts: sts.clone(),
            role_arn: role_arn.clone(),
            session_name: session_name.clone(),
            external_id: choice.external_id.clone(),
        };
        match request.assume().await {
            Ok((credentials, arn)) => {
                let key = credentials.access_key_id().to_string();
                let provider = RoleSessionProvider {
                    request,
                    first: Arc::new(Mutex::new(Some(credentials))),
                };
                let config = base
                    .to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build();
                return Ok(AccountSession {
                    client: IamClient::from_config(&config),
                    identity: Identity {
                        account: account_id.to_string(),
                        arn,
                    },
                    session: SessionKeys {
                        signing: Some(key),
                        source: None,
                        user: None,
                    },
                    role_arn,
                });
            }
            Err(error) if is_refusal(&error) => refused = Some(error),
            Err(error) => return Err(AccountFailure::Failed(error)),
        }
    }
    Err(match refused {
        Some(error) => AccountFailure::Denied {
            roles: choice.roles.clone(),
            error,
        },
        None => AccountFailure::Failed(IamError::new(
            "AssumeRole",
            "NoRole",
            "no role name to assume was given ([org] roles, --role)",
        )),
    })
}

/// AssumeRole's answers that mean "not this role": try the next one.
fn is_refusal(error: &IamError) -> bool {
    matches!(
        error.code.as_str(),
        "AccessDenied" | "AccessDeniedException" | "NoSuchEntity" | "InvalidIdentityToken"
    ) || error.kind() == crate::core::ErrorKind::AccessDenied
}

/// One role to assume, again and again.
#[derive(Clone, Debug)]
struct RoleRequest {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
}

impl RoleRequest {
    /// The role's credentials and the assumed-role ARN.
    async fn assume(&self) -> Result<(Credentials, String), IamError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| IamError::from_sdk("AssumeRole", e))?;
        let bad = |what: &str| IamError::new("AssumeRole", "BadResponse", what.to_string());
        let c = out
            .credentials()
            .ok_or_else(|| bad("no credentials in the reply"))?;
        let expires = std::time::SystemTime::try_from(*c.expiration())
            .map_err(|_| bad("an expiry out of range"))?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            Some(expires),
            "iamkeys-org-role",
        );
        let arn = out
            .assumed_role_user()
            .map(|u| crate::core::sanitize::owned(u.arn()))
            .unwrap_or_else(|| self.role_arn.clone());
        Ok((credentials, arn))
    }
}

/// A member account's credentials: the ones of the probe first, then the role
/// assumed again each time the SDK's cache finds them near expiry.
#[derive(Debug)]
struct RoleSessionProvider {
    request: RoleRequest,
    first: Arc<Mutex<Option<Credentials>>>,
}

impl ProvideCredentials for RoleSessionProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let first = self.first.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(first) = first {
                return Ok(first);
            }
            self.request
                .assume()
                .await
                .map(|(credentials, _)| credentials)
                .map_err(|e| {
                    CredentialsError::provider_error(format!(
                        "cannot assume {} again: {e}",
                        self.request.role_arn
                    ))
                })
        })
    }
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), `aws` if unreadable.
pub fn partition_of(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The account that owns access key `key_id`, any key of any account
/// (STS `GetAccessKeyInfo`; needs `sts:GetAccessKeyInfo`).
pub async fn key_owner(config: &aws_config::SdkConfig, key_id: &str) -> Result<String, IamError> {
    let out = aws_sdk_sts::Client::new(config)
        .get_access_key_info()
        .access_key_id(key_id)
        .send()
        .await
        .map_err(|e| IamError::from_sdk("GetAccessKeyInfo", e))?;
    let account = crate::core::sanitize::owned(out.account().unwrap_or_default());
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(account)
    } else {
        Err(IamError::new(
            "GetAccessKeyInfo",
            "BadResponse",
            format!("the account {account:?} is not an account id"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::PageTokens;

    #[test]
    fn a_page_token_that_comes_back_is_an_error_and_the_last_page_ends() {
        let mut tokens = PageTokens::default();
        assert_eq!(
            tokens.next("ListAccounts", Some("a")).unwrap().as_deref(),
            Some("a")
        );
        assert_eq!(
            tokens.next("ListAccounts", Some("b")).unwrap().as_deref(),
            Some("b")
        );
        assert!(
            tokens
                .next("ListAccounts", Some("a"))
                .unwrap_err()
                .message
                .contains("pages in a loop")
        );
        assert_eq!(
            PageTokens::default()
                .next("ListAccounts", Some(""))
                .unwrap(),
            None
        );
        assert_eq!(
            PageTokens::default().next("ListAccounts", None).unwrap(),
            None
        );
    }
}
