//! The IAM credential report: every user's key status, age and last use in
//! one CSV. iamkeys uses it to answer "when, where and by what was this key
//! last used" without one GetAccessKeyLastUsed call per key.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::core::model::{AccessKey, LastUsed};

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
    /// When IAM made it: it can be up to four hours old when handed out.
    pub generated: Timestamp,
    /// User name → its key slots (zero, one or two).
    pub users: HashMap<String, Vec<ReportKey>>,
    /// The `<root_account>` row says the root user has an active access key.
    pub root_has_key: bool,
}

/// What the report says about one key's last use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportAnswer {
    /// A recent use, with service and region: nothing since can make it look older.
    Final(LastUsed),
    /// Never used, or not for long, or a date without service or region, as of
    /// the report: the key may have been used since, so it is confirmed live.
    Provisional(LastUsed),
    /// The report cannot tell (created after it, not in it, or two slots alike).
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
        let root_key_cols: Vec<usize> = ["access_key_1_active", "access_key_2_active"]
            .iter()
            .filter_map(|name| headers.iter().position(|h| h == *name))
            .collect();
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
        let mut root_has_key = false;
        for record in reader.records() {
            let record = record.map_err(|e| format!("unreadable report row: {e}"))?;
            let field = |i: usize| record.get(i).unwrap_or("");
            let name = field(user_col);
            if name == "<root_account>" {
                root_has_key = root_key_cols.iter().any(|&i| field(i) == "true");
                continue;
            }
            if name.is_empty() {
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
            users.insert(crate::core::sanitize::owned(name), keys);
        }
        Ok(Self {
            generated,
            users,
            root_has_key,
        })
    }

    /// The report's answer for `key`, matched to its slot by creation time.
    /// A use within `recent_days` of `now` is final; anything older (or never)
    /// is as of the report only.
    pub fn answer(&self, key: &AccessKey, now: Timestamp, recent_days: i64) -> ReportAnswer {
        if key.created > self.generated {
            return ReportAnswer::Unknown;
        }
        let Some(slots) = self.users.get(&key.user) else {
            return ReportAnswer::Unknown;
        };
        let second = key.created.as_second();
        let mut matching = slots.iter().filter(|s| s.created.as_second() == second);
        let (Some(slot), None) = (matching.next(), matching.next()) else {
            // No slot, or two keys made in the same second: which is which is unknowable.
            return ReportAnswer::Unknown;
        };
        match (slot.last_used, &slot.service, &slot.region) {
            (Some(at), Some(service), region)
                if crate::core::policy::days_since(at, now) <= recent_days =>
            {
                ReportAnswer::Final(LastUsed::Used {
                    at,
                    service: Some(service.clone()),
                    // IAM writes N/A for the region of global services (IAM, STS).
                    region: region.clone(),
                })
            }
            (Some(at), service, region) => ReportAnswer::Provisional(LastUsed::Used {
                at,
                service: service.clone(),
                region: region.clone(),
            }),
            (None, _, _) => ReportAnswer::Provisional(LastUsed::Never),
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
        value => Some(crate::core::sanitize::owned(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::KeyStatus;

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
        let now: Timestamp = "2026-11-30T02:00:00Z".parse().unwrap();
        let answer = |user: &str, created: &str| report.answer(&key(user, created), now, 45);
        assert!(!report.users.contains_key("<root_account>"));
        assert!(!report.root_has_key);
        assert_eq!(report.users["carol"], vec![]);
        assert_eq!(
            answer("alice", "2020-01-01T10:00:00Z"),
            ReportAnswer::Final(LastUsed::Used {
                at: "2026-11-01T08:00:00Z".parse().unwrap(),
                service: Some("s3".into()),
                region: Some("eu-west-1".into()),
            })
        );
        // Never used as of the report: it may have been used since.
        assert_eq!(
            answer("alice", "2021-05-05T00:00:00Z"),
            ReportAnswer::Provisional(LastUsed::Never)
        );
        // A date without service and region.
        assert_eq!(
            answer("bob", "2022-02-02T00:00:00Z"),
            ReportAnswer::Provisional(LastUsed::Used {
                at: "2026-10-01T00:00:00Z".parse().unwrap(),
                service: None,
                region: None,
            })
        );
        // A use older than the threshold is as of the report too.
        let later: Timestamp = "2027-06-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            report.answer(&key("alice", "2020-01-01T10:00:00Z"), later, 45),
            ReportAnswer::Provisional(LastUsed::Used { .. })
        ));
        // A key the report has not seen: created after it, or an unknown slot or user.
        assert_eq!(
            answer("alice", "2026-11-30T01:00:00Z"),
            ReportAnswer::Unknown
        );
        assert_eq!(
            answer("alice", "2019-01-01T00:00:00Z"),
            ReportAnswer::Unknown
        );
        assert_eq!(
            answer("dave", "2020-01-01T10:00:00Z"),
            ReportAnswer::Unknown
        );
    }

    #[test]
    fn same_second_slots_and_the_root_key() {
        let text = format!(
            "{HEADER}\n\
             <root_account>,arn:aws:iam::1:root,2014-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,true,2015-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
             twin,arn:aws:iam::1:user/twin,2014-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-01-01T00:00:00+00:00,2026-11-29T00:00:00+00:00,us-east-1,s3,true,2026-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
        );
        let report =
            CredentialReport::parse(text.as_bytes(), "2026-11-30T00:00:00Z".parse().unwrap())
                .unwrap();
        assert!(report.root_has_key);
        let now: Timestamp = "2026-11-30T01:00:00Z".parse().unwrap();
        let twin = key("twin", "2026-01-01T00:00:00.400Z");
        assert_eq!(report.answer(&twin, now, 45), ReportAnswer::Unknown);
    }

    #[test]
    fn a_report_without_key_columns_is_refused() {
        let err =
            CredentialReport::parse(b"user,arn\nalice,x\n", Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.contains("access_key_1_last_rotated"), "{err}");
    }
}
