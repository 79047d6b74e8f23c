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
//! | `age>N`, `unused>N` | it is older than N days; it was last used more than N days ago (or never); also `>=`, `<`, `<=` |
//!
//! Operators: `-term` or `!term` holds when the term does not; a comma inside
//! a term is OR over its values (`is:unused,never-used`); ` | ` between groups
//! of terms is OR over the groups (`alice | bob`), each group being an AND.
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
    Age(Cmp, i64),
    Unused(Cmp, i64),
}

/// The comparison of an `age` or `unused` term with its number of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Over,
    AtLeast,
    Under,
    AtMost,
}

impl Cmp {
    /// The operators, longest first so that `>=` is not read as `>`.
    const ALL: [(&'static str, Cmp); 4] = [
        (">=", Cmp::AtLeast),
        ("<=", Cmp::AtMost),
        (">", Cmp::Over),
        ("<", Cmp::Under),
    ];

    fn holds(self, value: i64, days: i64) -> bool {
        match self {
            Cmp::Over => value > days,
            Cmp::AtLeast => value >= days,
            Cmp::Under => value < days,
            Cmp::AtMost => value <= days,
        }
    }
}

/// One word of a filter: alternatives (a comma list), any of which holds,
/// maybe negated (`-` or `!`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Clause {
    negated: bool,
    any_of: Vec<Term>,
}

/// A parsed filter: groups separated by `|`, any of which holds; a group
/// holds when all its clauses do. The empty filter matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    groups: Vec<Vec<Clause>>,
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
        let mut groups = Vec::new();
        for group in text.split('|') {
            let clauses = group
                .split_whitespace()
                .map(parse_clause)
                .collect::<Result<Vec<_>, _>>()?;
            groups.push(clauses);
        }
        let empty = groups.iter().filter(|g| g.is_empty()).count();
        if empty > 0 && groups.len() > 1 {
            return Err("'|' needs terms on both sides".into());
        }
        groups.retain(|g| !g.is_empty());
        Ok(Self { groups })
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Whether some group holds for `subject` (every one of its clauses).
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        self.groups.is_empty()
            || self
                .groups
                .iter()
                .any(|group| group.iter().all(|clause| clause.holds(subject)))
    }
}

impl Clause {
    fn holds(&self, subject: &Subject<'_>) -> bool {
        self.any_of.iter().any(|term| holds(term, subject)) != self.negated
    }
}

/// One word: an optional `-`/`!`, then a term whose value may be a comma
/// list (`is:unused,never-used`, `service:s3,ec2`, `alice,bob`).
fn parse_clause(word: &str) -> Result<Clause, String> {
    let (negated, rest) = match word.strip_prefix(['-', '!']) {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, word),
    };
    let (head, values) = match rest.split_once(':') {
        // An ARN has colons in its value: one value, not a list.
        Some((field, value)) if !value.contains(':') => (format!("{field}:"), value),
        Some(_) => (String::new(), rest),
        None => match Cmp::ALL
            .iter()
            .find_map(|(op, _)| rest.find(op).map(|at| at + op.len()))
        {
            Some(end) => (rest[..end].to_string(), &rest[end..]),
            None => (String::new(), rest),
        },
    };
    let any_of = values
        .split(',')
        .filter(|v| !v.is_empty() || !values.contains(','))
        .map(|value| parse_term(&format!("{head}{value}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Clause { negated, any_of })
}

fn parse_term(word: &str) -> Result<Term, String> {
    let lower = word.to_lowercase();
    let days = |value: &str, what: &str| {
        value
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("'{word}': {what}> (>=, <, <=) takes a number of days"))
    };
    for (name, make) in [
        ("age", Term::Age as fn(Cmp, i64) -> Term),
        ("unused", Term::Unused),
    ] {
        let Some(rest) = lower.strip_prefix(name) else {
            continue;
        };
        if let Some((op, cmp)) = Cmp::ALL.iter().find(|(op, _)| rest.starts_with(op)) {
            return days(&rest[op.len()..], name).map(|n| make(*cmp, n));
        }
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
        Term::Age(cmp, days) => key.is_some_and(|k| cmp.holds(k.age_days, *days)),
        Term::Unused(cmp, days) => key.is_some_and(|k| match k.unused_days {
            Some(Some(unused)) => cmp.holds(unused, *days),
            Some(None) => cmp.holds(k.age_days, *days),
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
    fn or_negation_and_comparisons() {
        let findings = [Finding::Unused];
        let alice = Subject {
            name: "alice",
            path: "/ops/",
            key: Some(key(&findings)),
        };
        let bob = Subject {
            name: "bob",
            key: Some(KeySubject {
                active: false,
                service: Some("ec2"),
                age_days: 10,
                unused_days: Some(Some(5)),
                ..key(&[Finding::NeverUsed])
            }),
            ..alice
        };
        let carol = Subject {
            name: "carol",
            key: Some(key(&[])),
            ..alice
        };
        let who = |filter: &str| -> Vec<&str> {
            let filter = Filter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
            [alice, bob, carol]
                .iter()
                .filter(|s| filter.matches(s))
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(who("alice | bob"), ["alice", "bob"]);
        assert_eq!(who("alice,bob"), ["alice", "bob"]);
        assert_eq!(who("is:unused,never-used"), ["alice", "bob"]);
        assert_eq!(who("-is:unused"), ["bob", "carol"]);
        assert_eq!(who("!service:s3"), ["bob"]);
        assert_eq!(who("-alice -bob"), ["carol"]);
        assert_eq!(who("is:active is:unused | is:inactive"), ["alice", "bob"]);
        assert_eq!(who("age>=400"), ["alice", "carol"]);
        assert_eq!(who("age<400"), ["bob"]);
        assert_eq!(who("age<=10"), ["bob"]);
        assert_eq!(who("unused<=5"), ["bob"]);
        assert_eq!(who("unused>=60"), ["alice", "carol"]);
        assert_eq!(who("unused>60"), Vec::<&str>::new());
        assert!(Filter::parse("alice |").is_err());
        assert!(Filter::parse("is:unused,bogus").is_err());
        assert!(Filter::parse("age>=soon").is_err());
        assert!(Filter::parse("-").is_ok(), "a lone dash is text");
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
