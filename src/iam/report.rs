//! The IAM credential report: every user's key status, age and last use in
//! one CSV. iamkeys uses it to answer "when, where and by what was this key
//! last used" without one GetAccessKeyLastUsed call per key.

use std::collections::HashMap;

use jiff::Timestamp;

use super::model::{AccessKey, LastUsed};

/// One access-key slot of a report row (`access_key_1_*` or `access_key_2_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportKey {
    /// `access_key_N_last_rotated`: the key's creation time.
    pub created: Timestamp,
    pub last_used: Option<Timestamp>,
    pub region: Option<String>,
    pub service: Option<String>,
}

/// A parsed credential report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialReport {
    pub generated: Timestamp,
    /// User name → its key slots (zero, one or two).
    pub users: HashMap<String, Vec<ReportKey>>,
}

/// What the report says about one key's last use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportAnswer {
    /// Everything: date (or never), service and region.
    Complete(LastUsed),
    /// A date without service or region: ask GetAccessKeyLastUsed for the rest.
    DateOnly(Timestamp),
    /// The report does not know this key (created after it, or not in it).
    Unknown,
}

impl CredentialReport {
    /// Parses the CSV IAM returns (a header row names the columns).
    pub fn parse(csv_text: &[u8], generated: Timestamp) -> Result<Self, String> {
        let mut reader = csv::Reader::from_reader(csv_text);
        let headers = reader
            .headers()
            .map_err(|e| format!("unreadable report header: {e}"))?
            .clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| format!("the report has no '{name}' column"))
        };
        let user_col = column("user")?;
        let slots = [1, 2].map(|n| -> Result<[usize; 4], String> {
            Ok([
                column(&format!("access_key_{n}_last_rotated"))?,
                column(&format!("access_key_{n}_last_used_date"))?,
                column(&format!("access_key_{n}_last_used_region"))?,
                column(&format!("access_key_{n}_last_used_service"))?,
            ])
        });
        let slots = [slots[0].clone()?, slots[1].clone()?];
        let mut users = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| format!("unreadable report row: {e}"))?;
            let field = |i: usize| record.get(i).unwrap_or("");
            let name = field(user_col);
            if name.is_empty() || name == "<root_account>" {
                continue;
            }
            let mut keys = Vec::new();
            for [rotated, used, region, service] in slots {
                let Some(created) = date(field(rotated)) else {
                    continue;
                };
                keys.push(ReportKey {
                    created,
                    last_used: date(field(used)),
                    region: known(field(region)),
                    service: known(field(service)),
                });
            }
            users.insert(crate::sanitize::owned(name), keys);
        }
        Ok(Self { generated, users })
    }

    /// The report's answer for `key`, matched to its slot by creation time.
    pub fn answer(&self, key: &AccessKey) -> ReportAnswer {
        if key.created > self.generated {
            return ReportAnswer::Unknown;
        }
        let Some(slots) = self.users.get(&key.user) else {
            return ReportAnswer::Unknown;
        };
        let Some(slot) = slots
            .iter()
            .find(|s| s.created.as_second() == key.created.as_second())
        else {
            return ReportAnswer::Unknown;
        };
        match (slot.last_used, &slot.service, &slot.region) {
            (None, _, _) => ReportAnswer::Complete(LastUsed::Never),
            (Some(at), Some(service), Some(region)) => ReportAnswer::Complete(LastUsed::Used {
                at,
                service: Some(service.clone()),
                region: Some(region.clone()),
            }),
            (Some(at), _, _) => ReportAnswer::DateOnly(at),
        }
    }
}

/// Report dates are RFC 3339 (`2014-09-01T22:28:48+00:00`); `N/A`, `no_information`
/// and `not_supported` mean there is none.
fn date(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok()
}

fn known(text: &str) -> Option<String> {
    match text.trim() {
        "" | "N/A" | "not_supported" | "no_information" => None,
        value => Some(crate::sanitize::owned(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::model::KeyStatus;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    fn key(user: &str, created: &str) -> AccessKey {
        AccessKey {
            id: "AKIA".into(),
            user: user.into(),
            status: KeyStatus::Active,
            created: created.parse().unwrap(),
            description: None,
        }
    }

    fn report() -> CredentialReport {
        let text = format!(
            "{HEADER}\n\
             <root_account>,arn:aws:iam::1:root,2014-01-01T00:00:00+00:00,not_supported,2014-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
             alice,arn:aws:iam::1:user/alice,2014-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2020-01-01T10:00:00+00:00,2026-11-01T08:00:00+00:00,eu-west-1,s3,false,2021-05-05T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n\
             bob,arn:aws:iam::1:user/x/bob,2014-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2022-02-02T00:00:00+00:00,2026-10-01T00:00:00+00:00,not_supported,not_supported,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
             carol,arn:aws:iam::1:user/carol,2014-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        );
        CredentialReport::parse(text.as_bytes(), "2026-11-30T00:00:00Z".parse().unwrap()).unwrap()
    }

    #[test]
    fn answers_by_matching_slots_on_creation_time() {
        let report = report();
        assert!(!report.users.contains_key("<root_account>"));
        assert_eq!(report.users["carol"], vec![]);
        assert_eq!(
            report.answer(&key("alice", "2020-01-01T10:00:00Z")),
            ReportAnswer::Complete(LastUsed::Used {
                at: "2026-11-01T08:00:00Z".parse().unwrap(),
                service: Some("s3".into()),
                region: Some("eu-west-1".into()),
            })
        );
        assert_eq!(
            report.answer(&key("alice", "2021-05-05T00:00:00Z")),
            ReportAnswer::Complete(LastUsed::Never)
        );
        assert_eq!(
            report.answer(&key("bob", "2022-02-02T00:00:00Z")),
            ReportAnswer::DateOnly("2026-10-01T00:00:00Z".parse().unwrap())
        );
        // A key the report has not seen: created after it, or an unknown slot or user.
        assert_eq!(
            report.answer(&key("alice", "2026-11-30T01:00:00Z")),
            ReportAnswer::Unknown
        );
        assert_eq!(
            report.answer(&key("alice", "2019-01-01T00:00:00Z")),
            ReportAnswer::Unknown
        );
        assert_eq!(
            report.answer(&key("dave", "2020-01-01T10:00:00Z")),
            ReportAnswer::Unknown
        );
    }

    #[test]
    fn a_report_without_key_columns_is_refused() {
        let err =
            CredentialReport::parse(b"user,arn\nalice,x\n", Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.contains("access_key_1_last_rotated"), "{err}");
    }
}
