//! `iamkeys key-owner AKIA…`: which account owns a key, and whether that
//! account is in this organization. Any key of any account can be traced
//! (STS GetAccessKeyInfo reads the account out of the key id), so a key found
//! in a log or a repository is placed in one step.

use std::io::Write;

use serde::Serialize;

use crate::cli::list::Output;
use crate::core::org::{Membership, OrgAccount, key_owner_sentence};

#[derive(Serialize)]
struct Answer<'a> {
    access_key_id: &'a str,
    account_id: &'a str,
    account_name: Option<&'a str>,
    /// `null` when the organization's accounts could not be read.
    in_organization: Option<bool>,
    /// Why the organization could not be read, if it could not.
    organization_error: Option<String>,
}

/// Answers on stdout; exit 1 when STS cannot say, 0 otherwise.
pub async fn run(config: &aws_config::SdkConfig, key_id: &str, output: Output) -> u8 {
    let account = match crate::aws::org::key_owner(config, key_id).await {
        Ok(account) => account,
        Err(err) => {
            crate::cli::warn(format_args!(
                "cannot trace {key_id}: {err}\n  hint: it needs sts:GetAccessKeyInfo"
            ));
            return crate::cli::EXIT_FAILED;
        }
    };
    let accounts: Result<Vec<OrgAccount>, String> = crate::aws::org::list_accounts(config)
        .await
        .map_err(|e| format!("{}: {}", e.code, e.message));
    let membership = match &accounts {
        Ok(accounts) => Membership::Read(accounts),
        Err(why) => Membership::Unknown(why),
    };
    let member = accounts
        .as_ref()
        .ok()
        .and_then(|all| all.iter().find(|a| a.id == account));
    let mut stdout = std::io::stdout().lock();
    let written = match output {
        Output::Json => serde_json::to_writer_pretty(
            &mut stdout,
            &Answer {
                access_key_id: key_id,
                account_id: &account,
                account_name: member.map(|m| m.name.as_str()),
                in_organization: accounts.as_ref().ok().map(|_| member.is_some()),
                organization_error: accounts.as_ref().err().cloned(),
            },
        )
        .map_err(std::io::Error::other)
        .and_then(|()| writeln!(stdout)),
        Output::Csv => writeln!(
            stdout,
            "access_key_id,account_id,account_name,in_organization\n{key_id},{account},{},{}",
            member
                .map_or("", |m| m.name.as_str())
                .replace([',', '"', '\n'], " "),
            accounts
                .as_ref()
                .ok()
                .map_or(String::new(), |_| member.is_some().to_string())
        ),
        Output::Table => writeln!(
            stdout,
            "{}",
            key_owner_sentence(key_id, &account, membership)
        ),
    };
    match written {
        Ok(()) => crate::cli::EXIT_OK,
        Err(err) => {
            crate::cli::warn(format_args!("cannot write the output: {err}"));
            crate::cli::EXIT_FAILED
        }
    }
}
