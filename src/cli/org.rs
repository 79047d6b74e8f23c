//! `--org`: a headless command over every account of the organization.
//!
//! The accounts come from `organizations:ListAccounts` (or the config's
//! `[[org.account]]` list); iamkeys assumes a role in each (the first of the
//! names given that the account lets it assume) and loads each account with
//! the single-account loader. Accounts load in parallel, all under the one
//! `--concurrency` bound on requests in flight (shared in order, so fairly),
//! each with its own pacing (IAM throttles per account). One account's
//! failure is a record of its own, never a reason to drop the others.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::Semaphore;

use crate::aws::IamClient;
use crate::aws::inventory::LoadOptions;
use crate::aws::org::{AccountFailure, RoleChoice, assume_into, partition_of};
use crate::cli::list::{self, Output, Progress, Record};
use crate::core::filter::Filter;
use crate::core::org::{AccountChoice, AccountState, OrgAccount};
use crate::core::policy::Finding;
use crate::io::config::OrgConfig;
use crate::tui::state::Context;

/// Where an organization's accounts come from and how to get into each.
pub struct Org {
    /// The source session's configuration: its credentials sign AssumeRole.
    pub base: aws_config::SdkConfig,
    /// The session iamkeys signed in with (the management account's, or a
    /// delegated administrator's): used as is for its own account. Always
    /// set by the time a command runs.
    pub home: Option<(IamClient, Context)>,
    pub choice: AccountChoice,
    pub roles: RoleChoice,
    pub config: OrgConfig,
    /// `--concurrency`: requests in flight across every account.
    pub concurrency: usize,
}

/// One account's part of the result.
struct AccountResult {
    account: OrgAccount,
    records: Vec<Record>,
    /// Why the account could not be read (whole or in part).
    failed: bool,
    root_unchecked: Option<String>,
}

/// `list --org`: the records of every chosen account, then one exit code:
/// 4 when `--fail-on` matched, 3 when any account (or part of one) could not
/// be read, 1 when the accounts could not be listed.
pub async fn list(
    org: Org,
    options: LoadOptions,
    filter: &Filter,
    output: Output,
    fail_on: &[Finding],
) -> u8 {
    let accounts = match accounts(&org).await {
        Ok(accounts) => accounts,
        Err(why) => {
            crate::cli::warn(format_args!("{why}"));
            return list::EXIT_FAILED;
        }
    };
    let results = load_all(&org, &accounts, options, filter).await;
    let failed: Vec<&AccountResult> = results.iter().filter(|r| r.failed).collect();
    let records: Vec<Record> = results.iter().flat_map(|r| r.records.clone()).collect();
    if let Err(err) = list::write(&records, output, &mut std::io::stdout().lock()) {
        crate::cli::warn(format_args!("cannot write the output: {err}"));
        return list::EXIT_FAILED;
    }
    let skipped = results
        .iter()
        .filter(|r| r.account.state != AccountState::Active)
        .count();
    crate::cli::warn(format_args!(
        "{} accounts: {} read, {} not read, {skipped} suspended (skipped)",
        results.len(),
        results.len() - failed.len() - skipped,
        failed.len()
    ));
    for result in &failed {
        let why = result
            .records
            .iter()
            .find_map(|r| r.error.as_deref())
            .unwrap_or("see its records");
        crate::cli::warn(format_args!(
            "account {} ({}): {why}",
            result.account.id,
            crate::core::sanitize::server_text(&result.account.name)
        ));
    }
    let failing = crate::cli::fail_on_report::failing(&records, fail_on);
    let hits = failing.len();
    if hits > 0 {
        if !list::write_failing(&failing, fail_on, output) {
            return list::EXIT_FAILED;
        }
        let names: Vec<&str> = fail_on.iter().map(|f| f.name()).collect();
        crate::cli::warn(format_args!(
            "{hits} records have findings of --fail-on {}",
            names.join(",")
        ));
        return list::EXIT_FINDINGS;
    }
    if fail_on.contains(&Finding::RootKey)
        && let Some(why) = results.iter().find_map(|r| r.root_unchecked.as_ref())
    {
        crate::cli::warn(format_args!("--fail-on root-key was not evaluated: {why}"));
        return list::EXIT_PARTIAL;
    }
    if !failed.is_empty() {
        return list::EXIT_PARTIAL;
    }
    list::EXIT_OK
}

/// The accounts chosen: ListAccounts (or the config's list), less those left out.
async fn accounts(org: &Org) -> Result<Vec<OrgAccount>, String> {
    let all = if org.config.accounts.is_empty() {
        crate::aws::org::list_accounts(&org.base).await.map_err(|e| {
            format!(
                "cannot list the organization's accounts: {e}\n  hint: run from the management account or a \
                 delegated administrator (organizations:ListAccounts), or list the accounts in the config \
                 ([[org.account]] id = \"…\", role_arn = \"…\")"
            )
        })?
    } else {
        org.config
            .accounts
            .iter()
            .map(|a| OrgAccount {
                id: a.id.clone(),
                name: a.name.clone().unwrap_or_default(),
                state: AccountState::Active,
            })
            .collect()
    };
    let mut below: std::collections::HashMap<String, Vec<String>> = Default::default();
    for unit in org.choice.units() {
        let ids = crate::aws::org::accounts_under(&org.base, unit)
            .await
            .map_err(|e| format!("cannot read organizational unit {unit}: {e}"))?;
        below.insert(unit.to_string(), ids);
    }
    let chosen = org
        .choice
        .apply(&all, |ou| below.get(ou).map_or(&[][..], Vec::as_slice));
    if chosen.is_empty() {
        return Err("no account is left to read (--accounts, --exclude-accounts)".into());
    }
    Ok(chosen.into_iter().cloned().collect())
}

/// Loads every account, at most `concurrency` at once, in the accounts' order.
async fn load_all(
    org: &Org,
    accounts: &[OrgAccount],
    options: LoadOptions,
    filter: &Filter,
) -> Vec<AccountResult> {
    let permits = Arc::new(Semaphore::new(org.concurrency.max(1)));
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = accounts.len();
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut results: Vec<(usize, AccountResult)> =
        futures_util::stream::iter(accounts.iter().enumerate())
            .map(|(at, account)| {
                let permits = permits.clone();
                let done = &done;
                async move {
                    let result = load_account(org, account, options, filter, permits).await;
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if show && !crate::aws::mfa_session::asking_on_terminal() {
                        use std::io::Write;
                        let mut stderr = std::io::stderr().lock();
                        let _ = write!(stderr, "\r\x1b[2Kiamkeys: accounts read {n} of {total}")
                            .and_then(|()| stderr.flush());
                    }
                    (at, result)
                }
            })
            .buffer_unordered(org.concurrency.max(1))
            .collect()
            .await;
    if show {
        use std::io::Write;
        let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
    }
    results.sort_by_key(|(at, _)| *at);
    results.into_iter().map(|(_, r)| r).collect()
}

/// One account: skipped when suspended, else a session in it and its load.
async fn load_account(
    org: &Org,
    account: &OrgAccount,
    options: LoadOptions,
    filter: &Filter,
    permits: Arc<Semaphore>,
) -> AccountResult {
    let account_record = |state: &str, error: Option<String>| Record {
        account: account.id.clone(),
        account_name: Some(account.name.clone()),
        account_state: Some(state.to_string()),
        error,
        ..Record::default()
    };
    if !crate::core::org::is_account_id(&account.id) {
        return AccountResult {
            account: account.clone(),
            records: vec![account_record(
                account.state.as_str(),
                Some("not an account id (12 digits): not read".into()),
            )],
            failed: true,
            root_unchecked: None,
        };
    }
    if account.state != AccountState::Active {
        return AccountResult {
            account: account.clone(),
            records: vec![account_record(account.state.as_str(), None)],
            failed: false,
            root_unchecked: None,
        };
    }
    let (mut client, context) = match session_in(org, account).await {
        Ok(session) => session,
        Err(failure) => {
            return AccountResult {
                account: account.clone(),
                records: vec![account_record("ACTIVE", Some(failure.to_string()))],
                failed: true,
                root_unchecked: None,
            };
        }
    };
    client.share_requests(permits);
    match list::load_with(client, options, &context, filter, Progress::Quiet).await {
        Ok(loaded) => {
            let mut records = loaded.records;
            let mut failed = records.iter().any(|r| r.error.is_some());
            if let Some(err) = &loaded.users_error {
                records.insert(
                    0,
                    account_record("ACTIVE", Some(format!("cannot list users: {err}"))),
                );
                failed = true;
            }
            for record in &mut records {
                record.account_name = Some(account.name.clone());
            }
            AccountResult {
                account: account.clone(),
                records,
                failed,
                root_unchecked: loaded.root_key.err(),
            }
        }
        Err(_) => AccountResult {
            account: account.clone(),
            records: vec![account_record(
                "ACTIVE",
                Some("the load did not finish (IAM stopped answering)".into()),
            )],
            failed: true,
            root_unchecked: None,
        },
    }
}

/// A session in `account`: the home session for its own account, else the
/// listed account's way in, else the first role of the choice it lets us assume.
async fn session_in(
    org: &Org,
    account: &OrgAccount,
) -> Result<(IamClient, Context), AccountFailure> {
    let Some((home_client, home)) = &org.home else {
        return Err(AccountFailure::Failed(crate::core::IamError::new(
            "Connect",
            "NoSession",
            "no source session to assume roles with",
        )));
    };
    if account.id == home.identity.account {
        return Ok((home_client.clone(), home.clone()));
    }
    let listed = org.config.accounts.iter().find(|a| a.id == account.id);
    let roles = match listed.and_then(|a| a.role_arn.as_deref()) {
        Some(arn) => RoleChoice {
            roles: vec![arn.to_string()],
            ..org.roles.clone()
        },
        None => org.roles.clone(),
    };
    if let Some(profile) = listed.and_then(|a| a.profile.clone()) {
        let target = crate::aws::session::Target {
            profile: Some(profile),
            region: home.region.clone(),
            endpoint: home.endpoint.clone(),
            static_credentials: None,
        };
        return crate::aws::session::connect(&target)
            .await
            .map(|(client, mut context)| {
                context.policy = home.policy.clone();
                context.read_only = home.read_only;
                (client, context)
            })
            .map_err(|e| {
                AccountFailure::Failed(crate::core::IamError::new(
                    "Connect",
                    "ProfileFailed",
                    e.what,
                ))
            });
    }
    let partition = partition_of(&home.identity.arn);
    let session = assume_into(&org.base, partition, &account.id, &roles).await?;
    let context = Context {
        identity: session.identity,
        profile: home.profile.clone(),
        region: home.region.clone(),
        endpoint: home.endpoint.clone(),
        session: session.session,
        read_only: home.read_only,
        policy: home.policy.clone(),
        keymap: home.keymap.clone(),
    };
    Ok((session.client, context))
}
