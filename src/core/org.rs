//! The accounts of an organization as iamkeys sees them: what ListAccounts
//! says of each, which ones the administrator chose, and how far each load got.

/// An account as ListAccounts (or the config's account list) names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub state: AccountState,
}

/// The account's state in the organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountState {
    Active,
    /// Closed, or being closed: no role in it can be assumed; listed and skipped.
    Suspended,
    /// A state iamkeys does not know (sent as is).
    Other(String),
}

impl AccountState {
    /// From ListAccounts' `State` (or the older `Status`).
    pub fn parse(text: &str) -> Self {
        match text {
            "ACTIVE" | "" => AccountState::Active,
            "SUSPENDED" | "PENDING_CLOSURE" | "CLOSED" => AccountState::Suspended,
            other => AccountState::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AccountState::Active => "ACTIVE",
            AccountState::Suspended => "SUSPENDED",
            AccountState::Other(text) => text,
        }
    }
}

/// Whether `text` is an AWS account id: 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `--accounts` and `--exclude-accounts`: account ids and OU ids (`ou-…`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChoice {
    /// Only these (empty: every account).
    pub only: Vec<String>,
    pub exclude: Vec<String>,
}

impl AccountChoice {
    /// Parses a comma-separated list of 12-digit account ids and `ou-` ids.
    pub fn parse_list(text: &str) -> Result<Vec<String>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let account = is_account_id(t);
                let ou = t.starts_with("ou-")
                    && t.len() > 3
                    && t[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if account || ou {
                    Ok(t.to_string())
                } else {
                    Err(format!(
                        "{:?} is neither a 12-digit account id nor an organizational unit id (ou-…)",
                        crate::core::sanitize::server_text(t)
                    ))
                }
            })
            .collect()
    }

    /// The OU ids named (on either side), to be resolved to accounts.
    pub fn units(&self) -> impl Iterator<Item = &str> {
        self.only
            .iter()
            .chain(&self.exclude)
            .map(String::as_str)
            .filter(|t| t.starts_with("ou-"))
    }

    /// The accounts chosen, in `accounts`' order; `below(ou)` gives the ids
    /// under an organizational unit (already read).
    pub fn apply<'a>(
        &self,
        accounts: &'a [OrgAccount],
        below: impl Fn(&str) -> &'a [String],
    ) -> Vec<&'a OrgAccount> {
        let names = |list: &[String], id: &str| {
            list.iter().any(|t| {
                t == id || (t.starts_with("ou-") && below(t).iter().any(|member| member == id))
            })
        };
        accounts
            .iter()
            .filter(|a| self.only.is_empty() || names(&self.only, &a.id))
            .filter(|a| !names(&self.exclude, &a.id))
            .collect()
    }
}

/// What is known of the organization a key was traced against.
#[derive(Clone, Copy, Debug)]
pub enum Membership<'a> {
    /// Its accounts were read.
    Read(&'a [OrgAccount]),
    /// They could not be (why).
    Unknown(&'a str),
}

/// The sentence that answers "whose key is this?" for `key_id`, owned by `account`.
pub fn key_owner_sentence(key_id: &str, account: &str, org: Membership<'_>) -> String {
    match org {
        Membership::Read(accounts) => match accounts.iter().find(|a| a.id == account) {
            Some(member) if member.name.is_empty() => {
                format!("{key_id} belongs to account {account}, a member of this organization")
            }
            Some(member) => format!(
                "{key_id} belongs to account {account} ({}), a member of this organization",
                crate::core::sanitize::server_text(&member.name)
            ),
            None => {
                format!("{key_id} belongs to account {account}, which is not in this organization")
            }
        },
        Membership::Unknown(why) => format!(
            "{key_id} belongs to account {account} (whether it is in the organization is not known: {})",
            crate::core::sanitize::server_text(why)
        ),
    }
}

/// Whether `text` has the shape of an access key id (`AKIA…`, `ASIA…`: 16–128
/// upper-case letters and digits).
pub fn looks_like_key_id(text: &str) -> bool {
    (text.starts_with("AKIA") || text.starts_with("ASIA"))
        && (16..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> OrgAccount {
        OrgAccount {
            id: id.to_string(),
            name: format!("n{id}"),
            state: AccountState::Active,
        }
    }

    #[test]
    fn lists_take_account_and_unit_ids_and_refuse_anything_else() {
        assert_eq!(
            AccountChoice::parse_list("111111111111, ou-ab12-cdef34 ,").unwrap(),
            vec!["111111111111", "ou-ab12-cdef34"]
        );
        assert!(
            AccountChoice::parse_list("1111")
                .unwrap_err()
                .contains("12-digit")
        );
        assert!(AccountChoice::parse_list("ou-").is_err());
        assert!(AccountChoice::parse_list("prod").is_err());
    }

    #[test]
    fn only_and_exclude_apply_to_accounts_and_to_the_accounts_below_a_unit() {
        let accounts = vec![
            account("111111111111"),
            account("222222222222"),
            account("333333333333"),
        ];
        let unit = ["222222222222".to_string(), "333333333333".to_string()];
        let below = |ou: &str| if ou == "ou-x-1" { &unit[..] } else { &[][..] };
        let ids = |choice: &AccountChoice| -> Vec<String> {
            choice
                .apply(&accounts, below)
                .into_iter()
                .map(|a| a.id.clone())
                .collect()
        };
        assert_eq!(ids(&AccountChoice::default()).len(), 3);
        let only_unit = AccountChoice {
            only: vec!["ou-x-1".into()],
            exclude: vec![],
        };
        assert_eq!(ids(&only_unit), vec!["222222222222", "333333333333"]);
        let but = AccountChoice {
            only: vec!["ou-x-1".into()],
            exclude: vec!["333333333333".into()],
        };
        assert_eq!(ids(&but), vec!["222222222222"]);
        let minus_unit = AccountChoice {
            only: vec![],
            exclude: vec!["ou-x-1".into()],
        };
        assert_eq!(ids(&minus_unit), vec!["111111111111"]);
        assert_eq!(but.units().collect::<Vec<_>>(), vec!["ou-x-1"]);
    }

    #[test]
    fn a_key_owner_is_named_with_its_account_and_whether_it_is_a_member() {
        let accounts = [OrgAccount {
            id: "111111111111".into(),
            name: "prod".into(),
            state: AccountState::Active,
        }];
        let key = "AKIAEXAMPLE000000001";
        assert_eq!(
            key_owner_sentence(key, "111111111111", Membership::Read(&accounts)),
            "AKIAEXAMPLE000000001 belongs to account 111111111111 (prod), a member of this organization"
        );
        assert!(
            key_owner_sentence(key, "999999999999", Membership::Read(&accounts))
                .ends_with("account 999999999999, which is not in this organization")
        );
        assert!(
            key_owner_sentence(key, "999999999999", Membership::Unknown("AccessDenied"))
                .contains("not known: AccessDenied")
        );
        assert!(looks_like_key_id(key));
        assert!(!looks_like_key_id("akiaexample000000001"));
        assert!(!looks_like_key_id("AKIA123"));
    }

    #[test]
    fn states_suspended_and_closing_are_skipped_unknown_ones_kept_as_sent() {
        assert_eq!(AccountState::parse("ACTIVE"), AccountState::Active);
        assert_eq!(
            AccountState::parse("PENDING_CLOSURE"),
            AccountState::Suspended
        );
        assert_eq!(AccountState::parse("SUSPENDED").as_str(), "SUSPENDED");
        assert_eq!(AccountState::parse("NEW").as_str(), "NEW");
    }
}
