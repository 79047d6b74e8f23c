//! The record `list` writes: one per key, per user without keys, per account
//! that could not be read. Shared by `list`, `--org`, `--fail-on` and the bulk plans.

use serde::Serialize;

/// One key, or one user without keys (or whose keys could not be read), or
/// the root user when it has an access key.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Record {
    /// The account's id.
    #[serde(rename = "account_id")]
    pub account: String,
    /// The account's name in the organization (`--org`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// Only on a record of an account itself (`--org`): `SUSPENDED` (skipped)
    /// or `ACTIVE` with the `error` that kept it from being read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_state: Option<String>,
    pub user: String,
    pub user_arn: Option<String>,
    pub user_created: Option<String>,
    pub path: String,
    pub access_key_id: Option<String>,
    pub status: Option<String>,
    pub created: Option<String>,
    pub age_days: Option<i64>,
    pub last_used: Option<String>,
    pub last_used_service: Option<String>,
    pub last_used_region: Option<String>,
    /// `true` only when IAM has recorded no use of a key made since it
    /// records use (2015-04-22); `null` when that cannot be said.
    pub never_used: Option<bool>,
    /// Where the last use (or, without keys, the key listing) was read:
    /// `report` (the credential report) or `live`.
    pub source: Option<String>,
    /// The time that value is true as of (ISO 8601): the report's time for `report`.
    pub as_of: Option<String>,
    pub description: Option<String>,
    /// The policy's findings (`rotation-due`, `unused`, …), most urgent first.
    pub findings: Vec<String>,
    /// The policy exempts this user: its findings are listed, never failed on.
    pub exempt: bool,
    /// What could not be read for this record (IAM's code and message).
    pub error: Option<String>,
}
