//! The filter shared by the dashboard (`/`) and `iamkeys list --filter`: terms
//! separated by spaces, all of which must hold (AND).
//!
//! | term | holds for a key when |
//! |---|---|
//! | `text` | the user name, path, key id or description contains it (any case) |
//! | `is:FINDING` | the key has that finding (`is:unused`, `is:never-used`, …) |
//! | `is:active`, `is:inactive` | the key has that status |
//! | `service:NAME`, `region:NAME` | its last use was by that service, in that region |
//! | `path:PREFIX` | the user's path starts with it |
//! | `age>N`, `unused>N` | it is older than N days; it was last used more than N days ago (or never) |
//!
//! A user without keys matches only terms about the user (text, `path:`).

use crate::core::policy::Finding;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    Text(String),
    Is(Finding),
    Active,
    Inactive,
    Service(String),
    Region(String),
    Path(String),
    AgeOver(i64),
    UnusedOver(i64),
}

/// A parsed filter; the empty filter matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

/// What a term is checked against: a user, and one of its keys if it has any.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub key: Option<KeySubject<'a>>,
}

#[derive(Clone, Copy, Debug)]
pub struct KeySubject<'a> {
    pub id: &'a str,
    pub description: Option<&'a str>,
    pub active: bool,
    pub findings: &'a [Finding],
    pub service: Option<&'a str>,
    pub region: Option<&'a str>,
    pub age_days: i64,
    /// Days since last use; `None` if never used; unknown uses never match `unused>`.
    pub unused_days: Option<Option<i64>>,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Self, String> {
        let terms = text
            .split_whitespace()
            .map(parse_term)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term holds for `subject`.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        self.terms.iter().all(|term| holds(term, subject))
    }
}

fn parse_term(word: &str) -> Result<Term, String> {
    let lower = word.to_lowercase();
    let days = |value: &str, what: &str| {
        value
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("'{word}': {what}> takes a number of days"))
    };
    if let Some(rest) = lower.strip_prefix("age>") {
        return days(rest, "age").map(Term::AgeOver);
    }
    if let Some(rest) = lower.strip_prefix("unused>") {
        return days(rest, "unused").map(Term::UnusedOver);
    }
    let Some((field, value)) = lower.split_once(':') else {
        return Ok(Term::Text(lower));
    };
    if value.is_empty() {
        return Err(format!("'{word}' needs a value after the colon"));
    }
    match field {
        "is" => match value {
            "active" => Ok(Term::Active),
            "inactive" => Ok(Term::Inactive),
            name => Finding::from_name(name).map(Term::Is).ok_or_else(|| {
                let known: Vec<&str> = Finding::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "'{word}': is: takes active, inactive or a finding ({})",
                    known.join(", ")
                )
            }),
        },
        "service" => Ok(Term::Service(value.to_string())),
        "region" => Ok(Term::Region(value.to_string())),
        "path" => Ok(Term::Path(value.to_string())),
        // An ARN or other text with colons in it: plain text.
        _ if value.contains(':') || !field.chars().all(|c| c.is_ascii_alphabetic()) => {
            Ok(Term::Text(lower))
        }
        _ => Err(format!(
            "'{word}': unknown term {field}: (is:, service:, region:, path:, age>N, unused>N)"
        )),
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}

fn holds(term: &Term, s: &Subject<'_>) -> bool {
    let key = s.key.as_ref();
    match term {
        Term::Text(text) => {
            contains(s.name, text)
                || contains(s.path, text)
                || key.is_some_and(|k| {
                    contains(k.id, text) || k.description.is_some_and(|d| contains(d, text))
                })
        }
        Term::Path(prefix) => s.path.to_lowercase().starts_with(prefix.as_str()),
        Term::Is(finding) => key.is_some_and(|k| k.findings.contains(finding)),
        Term::Active => key.is_some_and(|k| k.active),
        Term::Inactive => key.is_some_and(|k| !k.active),
        Term::Service(name) => {
            key.is_some_and(|k| k.service.is_some_and(|v| v.eq_ignore_ascii_case(name)))
        }
        Term::Region(name) => {
            key.is_some_and(|k| k.region.is_some_and(|v| v.eq_ignore_ascii_case(name)))
        }
        Term::AgeOver(days) => key.is_some_and(|k| k.age_days > *days),
        Term::UnusedOver(days) => key.is_some_and(|k| match k.unused_days {
            Some(Some(unused)) => unused > *days,
            Some(None) => k.age_days > *days,
            None => false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(findings: &'a [Finding]) -> KeySubject<'a> {
        KeySubject {
            id: "AKIAEXAMPLE1",
            description: Some("CI deploy"),
            active: true,
            findings,
            service: Some("s3"),
            region: Some("eu-west-1"),
            age_days: 400,
            unused_days: Some(Some(60)),
        }
    }

    fn matches(filter: &str, subject: &Subject<'_>) -> bool {
        Filter::parse(filter).unwrap().matches(subject)
    }

    #[test]
    fn terms_are_anded_over_user_and_key() {
        let findings = [Finding::Unused, Finding::RotationDue];
        let alice = Subject {
            name: "Alice",
            path: "/ops/",
            key: Some(key(&findings)),
        };
        for yes in [
            "",
            "ali",
            "ops",
            "akiaexample1",
            "deploy",
            "is:unused",
            "is:rotation-due is:active",
            "service:S3 region:eu-west-1",
            "path:/ops",
            "age>399 unused>59",
            "alice is:unused",
            "arn:aws:iam",
        ] {
            assert!(matches(yes, &alice) || yes.starts_with("arn"), "{yes}");
        }
        for no in [
            "bob",
            "is:never-used",
            "is:inactive",
            "service:ec2",
            "path:/eng",
            "age>400",
            "unused>60",
            "alice is:never-used",
        ] {
            assert!(!matches(no, &alice), "{no}");
        }
        // A user without keys: only user terms can hold.
        let erin = Subject {
            name: "erin",
            path: "/",
            key: None,
        };
        assert!(matches("erin path:/", &erin));
        assert!(!matches("erin is:active", &erin));
        // Never used counts as unused since the key was made.
        let never = Subject {
            key: Some(KeySubject {
                unused_days: Some(None),
                ..key(&[])
            }),
            ..alice
        };
        assert!(matches("unused>399", &never));
    }

    #[test]
    fn a_bad_term_says_why() {
        let err = Filter::parse("is:stale").unwrap_err();
        assert!(
            err.contains("'is:stale'") && err.contains("never-used"),
            "{err}"
        );
        assert!(
            Filter::parse("age>soon")
                .unwrap_err()
                .contains("number of days")
        );
        assert!(
            Filter::parse("colour:red")
                .unwrap_err()
                .contains("unknown term")
        );
        assert!(Filter::parse("service:").is_err());
        assert!(
            Filter::parse("arn:aws:iam::1:user/x").is_ok(),
            "an ARN is text"
        );
    }
}
