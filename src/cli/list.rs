//! `iamkeys list`: the dashboard's inventory without a TUI, from the same
//! loader, as a table, JSON or CSV on stdout. Progress goes to stderr when it
//! is a terminal; partial failures are reported per user and in the exit code.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use crate::aws::IamClient;
use crate::aws::inventory::{self, DataSource, LoadEvent, LoadOptions};
use crate::core::IamError;
use crate::core::entries::{Fetch, KeyEntry};
use crate::core::filter::{Filter, KeySubject, Subject};
use crate::core::inventory::{Inventory, UserEntry, key_findings};
use crate::core::model::{KeyStatus, LastUsed, never_means_never};
use crate::core::policy::Finding;
use crate::core::policy::days_since;
use crate::tui::state::Context;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
    Csv,
}

/// `list` gives up when IAM has answered nothing for this long.
const GIVE_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

pub use crate::cli::{EXIT_FAILED, EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL};

pub use crate::cli::record::Record;

/// The progress line of a headless load.
fn progress_line(inventory: &Inventory) -> String {
    let listed = inventory
        .users
        .iter()
        .filter(|u| !matches!(u.keys, Fetch::Loading))
        .count();
    format!(
        "iamkeys: {} users, keys of {listed}, last use of {}/{} keys",
        inventory.users.len(),
        inventory.load.answered_keys.len(),
        inventory.load.keys_known
    )
}

/// Every answer counts for a headless load (nothing was changed meanwhile).
fn take_all(inventory: &mut Inventory, event: LoadEvent) {
    inventory.apply(0, event, Timestamp::now(), |_, _| true);
}

/// Loads the inventory and writes it to stdout. Returns the exit code.
pub async fn run(
    client: IamClient,
    options: LoadOptions,
    context: &Context,
    filter: &Filter,
    output: Output,
    fail_on: &[Finding],
) -> u8 {
    let loaded = match load(client, options, context, filter).await {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let records = loaded.records;
    if let Err(err) = write(&records, output, &mut std::io::stdout().lock()) {
        crate::cli::warn(format_args!("cannot write the output: {err}"));
        return EXIT_FAILED;
    }
    if let Some(err) = &loaded.users_error {
        crate::cli::warn(format_args!("cannot list users: {err}"));
        return EXIT_FAILED;
    }
    let failed = records.iter().filter(|r| r.error.is_some()).count();
    if failed > 0 {
        crate::cli::warn(format_args!(
            "{failed} records could not be read completely (see their error field)"
        ));
    }
    let root_unchecked = match &loaded.root_key {
        Err(why) if fail_on.contains(&Finding::RootKey) => Some(why.clone()),
        _ => None,
    };
    let hits = crate::cli::fail_on_report::failing(&records, fail_on);
    if !hits.is_empty() && !write_failing(&hits, fail_on, output) {
        return EXIT_FAILED;
    }
    let hits = hits.len();
    if !fail_on.is_empty() {
        let (exempt, users) = exempt_users(&records);
        // On stderr, so a green gate says how much of the account it did not look at.
        let _ = writeln!(
            std::io::stderr().lock(),
            "iamkeys: --fail-on: {exempt} of {users} users are exempt by the policy; their findings are not failed on"
        );
    }
    if hits > 0 {
        let names: Vec<&str> = fail_on.iter().map(|f| f.name()).collect();
        crate::cli::warn(format_args!(
            "{hits} records have findings of --fail-on {}",
            names.join(",")
        ));
        return EXIT_FINDINGS;
    }
    if let Some(why) = root_unchecked {
        crate::cli::warn(format_args!("--fail-on root-key was not evaluated: {why}"));
        return EXIT_PARTIAL;
    }
    if failed > 0 {
        return EXIT_PARTIAL;
    }
    EXIT_OK
}

/// What a headless load produced: the records that `filter` matches, and
/// the failure to list users, if there was one.
pub struct Loaded {
    pub records: Vec<Record>,
    pub users_error: Option<IamError>,
    /// Whether the root user has an access key, or why that is not known.
    pub root_key: Result<bool, String>,
}

/// Loads the inventory with the dashboard's loader (progress on stderr when
/// it is a terminal) into records. `Err` is the exit code when the load
/// could not finish (IAM silent for too long, the loader stopped).
pub async fn load(
    client: IamClient,
    options: LoadOptions,
    context: &Context,
    filter: &Filter,
) -> Result<Loaded, u8> {
    load_with(client, options, context, filter, Progress::Terminal).await
}

/// Whether a load writes its own progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// On stderr, when it is a terminal.
    Terminal,
    /// Not at all: one of several loads (an organization's accounts).
    Quiet,
}

/// [`load`], with or without its progress line.
pub async fn load_with(
    client: IamClient,
    options: LoadOptions,
    context: &Context,
    filter: &Filter,
    progress: Progress,
) -> Result<Loaded, u8> {
    let inventory = Arc::new(Mutex::new(Inventory::default()));
    let sink = inventory.clone();
    let watched = client.clone();
    let loader = tokio::spawn(inventory::load(
        client,
        options,
        inventory::no_priority(),
        move |event| take_all(&mut sink.lock().unwrap_or_else(|p| p.into_inner()), event),
    ));
    let show_progress = progress == Progress::Terminal && std::io::stderr().is_terminal();
    let mut ticker = tokio::time::interval(std::time::Duration::from_millis(200));
    tokio::pin!(loader);
    let joined = loop {
        tokio::select! {
            joined = &mut loader => break joined,
            _ = ticker.tick() => {
                let health = watched.health();
                if let Some(silent) = health.silent_for.filter(|s| *s >= GIVE_UP_AFTER) {
                    loader.abort();
                    if show_progress {
                        to_stderr_raw(format_args!("\r\x1b[2K"));
                    }
                    let why = health.failure.map_or(String::new(), |f| format!(" (last: {f})"));
                    crate::cli::warn(format_args!(
                        "{} has not answered for {} s{why}; giving up",
                        watched.endpoint_label(),
                        silent.as_secs()
                    ));
                    return Err(EXIT_FAILED);
                }
                if show_progress && !crate::aws::mfa_session::asking_on_terminal() {
                    let line = progress_line(&inventory.lock().unwrap_or_else(|p| p.into_inner()));
                    to_stderr_raw(format_args!("\r\x1b[2K{line}"));
                }
            }
        }
    };
    if show_progress {
        to_stderr_raw(format_args!("\r\x1b[2K"));
    }
    if let Err(err) = joined {
        crate::cli::warn(format_args!("the load stopped: {err}"));
        return Err(EXIT_FAILED);
    }
    let inventory = std::mem::take(&mut *inventory.lock().unwrap_or_else(|p| p.into_inner()));
    if progress == Progress::Terminal {
        report_source(&inventory);
    }
    Ok(Loaded {
        records: records(&inventory, filter, Timestamp::now(), context),
        root_key: inventory.root_key().map(|(present, _, _)| present),
        users_error: inventory.load.error,
    })
}

/// How many records that are not exempt have one of `fail_on`.
#[cfg(test)]
fn failing(records: &[Record], fail_on: &[Finding]) -> usize {
    crate::cli::fail_on_report::failing(records, fail_on).len()
}

/// Writes the records `--fail-on` fails on: after the table on stdout, on
/// stderr when stdout holds JSON or CSV (which must stay parseable).
/// `false` when stdout could not take them (a full stderr is ignored, as
/// every warning's).
pub(crate) fn write_failing(hits: &[&Record], fail_on: &[Finding], output: Output) -> bool {
    if output != Output::Table {
        let _ = crate::cli::fail_on_report::write(hits, fail_on, &mut std::io::stderr().lock());
        return true;
    }
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout)
        .and_then(|()| crate::cli::fail_on_report::write(hits, fail_on, &mut stdout));
    if let Err(err) = written {
        crate::cli::warn(format_args!("cannot write the output: {err}"));
        return false;
    }
    true
}

/// How many users the records' policy exempts, and how many users they hold
/// (the root user is not an IAM user).
pub(crate) fn exempt_users(records: &[Record]) -> (usize, usize) {
    let mut users = std::collections::BTreeMap::new();
    for r in records.iter().filter(|r| r.user != ROOT) {
        users.entry(r.user.as_str()).or_insert(r.exempt);
    }
    let exempt = users.values().filter(|e| **e).count();
    (exempt, users.len())
}

/// The findings `--fail-on` names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailOn(pub Vec<Finding>);

/// `--fail-on`: finding names separated by commas, or `any` (every finding
/// that asks for action).
pub fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    let mut findings = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "any" {
            findings.extend(Finding::ALL.into_iter().filter(|f| f.needs_action()));
            continue;
        }
        let finding = Finding::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Finding::ALL.iter().map(|f| f.name()).collect();
            format!(
                "'{name}' is not a finding (one of: {}, or any)",
                known.join(", ")
            )
        })?;
        findings.push(finding);
    }
    if findings.is_empty() {
        return Err("name at least one finding, or any".into());
    }
    Ok(FailOn(findings))
}

fn report_source(inventory: &Inventory) {
    match &inventory.load.source {
        Some(DataSource::Report { generated, .. }) => {
            tracing::info!(%generated, "last uses from the credential report")
        }
        Some(DataSource::Live {
            reason: Some(reason),
        }) => crate::cli::warn(format_args!("{reason}; last uses were read key by key")),
        _ => {}
    }
}

/// The last-use fields of a key's record: the value, where it was read and
/// as of when, and what could not be read.
fn describe_last_use(record: &mut Record, entry: &KeyEntry, unconfirmed: Option<&IamError>) {
    if let Some(source) = entry.use_source {
        record.source = Some(source.name().into());
        record.as_of = Some(source.as_of().to_string());
    }
    match &entry.last_used {
        Fetch::Loading => record.error = Some("last use not read".into()),
        Fetch::Failed(err) => {
            record.source = Some("live".into());
            record.error = Some(format!("last use: {}: {}", err.code, err.message));
        }
        Fetch::Ready(LastUsed::Never) => {
            record.never_used = never_means_never(entry.key.created).then_some(true);
        }
        Fetch::Ready(LastUsed::Used {
            at,
            service,
            region,
        }) => {
            record.never_used = Some(false);
            record.last_used = Some(at.to_string());
            record.last_used_service = service.clone();
            record.last_used_region = region.clone();
        }
    }
    if let Some(err) = unconfirmed {
        record.error = Some(format!(
            "last use as of the credential report, not confirmed live: {}: {}",
            err.code, err.message
        ));
    }
}

/// The user name of the record of the root user.
const ROOT: &str = "<root_account>";

/// The records of every user matching `needle`, by user name then key age.
fn records(
    inventory: &Inventory,
    filter: &Filter,
    now: Timestamp,
    context: &Context,
) -> Vec<Record> {
    let user_only = |name: &str, path: &str| {
        filter.matches(&Subject {
            name,
            path,
            key: None,
        })
    };
    let account = context.identity.account.clone();
    let policy = &context.policy;
    let mut users: Vec<&UserEntry> = inventory.users.iter().collect();
    users.sort_by(|a, b| a.user.name.cmp(&b.user.name));
    let mut out = Vec::new();
    if let Ok((true, source, generated)) = inventory.root_key()
        && filter.matches(&Subject {
            name: ROOT,
            path: "",
            key: Some(KeySubject {
                id: "",
                description: None,
                active: true,
                findings: &[Finding::RootKey],
                service: None,
                region: None,
                age_days: 0,
                unused_days: None,
            }),
        })
    {
        out.push(Record {
            account: account.clone(),
            user: ROOT.into(),
            findings: vec![Finding::RootKey.name().into()],
            source: Some(source.into()),
            as_of: Some(generated.unwrap_or(now).to_string()),
            ..Record::default()
        });
    }
    for entry in users {
        let user = &entry.user;
        let base = Record {
            account: account.clone(),
            user: user.name.clone(),
            user_arn: Some(user.arn.clone()),
            user_created: Some(user.created.to_string()),
            path: user.path.clone(),
            exempt: policy.exempt.covers(&user.name, &user.path, &entry.tags),
            ..Record::default()
        };
        let keys = match &entry.keys {
            Fetch::Ready(keys) => keys,
            unread => {
                // The filter applies to what is known of the user: name and path.
                if user_only(&user.name, &user.path) {
                    let error = match unread {
                        Fetch::Failed(err) => format!("{}: {}", err.code, err.message),
                        _ => "keys not read".to_string(),
                    };
                    out.push(Record {
                        error: Some(error),
                        ..base
                    });
                }
                continue;
            }
        };
        let listed_at = inventory
            .keys_listed
            .get(&user.name)
            .copied()
            .unwrap_or(now);
        if keys.is_empty() {
            if !user_only(&user.name, &user.path) {
                continue;
            }
            out.push(Record {
                source: Some("live".into()),
                as_of: Some(listed_at.to_string()),
                ..base
            });
            continue;
        }
        let mut keys: Vec<&KeyEntry> = keys.iter().collect();
        keys.sort_by_key(|k| k.key.created);
        for key_entry in keys {
            let key = &key_entry.key;
            let (found, _) = key_findings(policy, &context.session, entry, key_entry, now);
            // Only a settled value makes findings and answers the filter.
            let settled = key_entry.settled_use();
            let subject = Subject {
                name: &user.name,
                path: &user.path,
                key: Some(KeySubject {
                    id: &key.id,
                    description: key.description.as_deref(),
                    active: key.status == KeyStatus::Active,
                    findings: &found,
                    service: match settled {
                        Some(LastUsed::Used { service, .. }) => service.as_deref(),
                        _ => None,
                    },
                    region: match settled {
                        Some(LastUsed::Used { region, .. }) => region.as_deref(),
                        _ => None,
                    },
                    age_days: days_since(key.created, now),
                    unused_days: settled.map(|u| u.at().map(|at| days_since(at, now))),
                }),
            };
            if !filter.matches(&subject) {
                continue;
            }
            let mut record = Record {
                access_key_id: Some(key.id.clone()),
                status: Some(key.status.as_str().to_string()),
                created: Some(key.created.to_string()),
                age_days: Some(days_since(key.created, now)),
                description: key.description.clone(),
                findings: found.iter().map(|f| f.name().to_string()).collect(),
                ..base.clone()
            };
            describe_last_use(&mut record, key_entry, inventory.unconfirmed.get(&key.id));
            out.push(record);
        }
    }
    out
}

pub(crate) fn write(
    records: &[Record],
    output: Output,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match output {
        Output::Json => {
            serde_json::to_writer_pretty(&mut *out, records)?;
            writeln!(out)
        }
        Output::Csv => write_csv(records, out),
        Output::Table => write_table(records, out),
    }
}

/// CSV with the JSON fields as columns, in the same order; findings joined by
/// `;`. The header is written even when there are no records.
fn write_csv(records: &[Record], out: &mut impl Write) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(&mut *out);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    writer.write_record([
        "account_id",
        "user",
        "user_arn",
        "user_created",
        "path",
        "access_key_id",
        "status",
        "created",
        "age_days",
        "last_used",
        "last_used_service",
        "last_used_region",
        "never_used",
        "source",
        "as_of",
        "description",
        "findings",
        "exempt",
        "error",
        "account_name",
        "account_state",
    ])?;
    for r in records {
        writer.write_record([
            r.account.clone(),
            r.user.clone(),
            text(&r.user_arn),
            text(&r.user_created),
            r.path.clone(),
            text(&r.access_key_id),
            text(&r.status),
            text(&r.created),
            r.age_days.map_or(String::new(), |d| d.to_string()),
            text(&r.last_used),
            text(&r.last_used_service),
            text(&r.last_used_region),
            r.never_used.map_or(String::new(), |n| n.to_string()),
            text(&r.source),
            text(&r.as_of),
            text(&r.description),
            r.findings.join(";"),
            r.exempt.to_string(),
            text(&r.error),
            text(&r.account_name),
            text(&r.account_state),
        ])?;
    }
    writer.flush()
}

fn write_table(records: &[Record], out: &mut impl Write) -> std::io::Result<()> {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    // With several accounts (`--org`), each row says whose it is.
    let accounts = records.iter().any(|r| r.account_name.is_some());
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let note = match (&r.account_state, &r.error) {
                (Some(state), None) if state != "ACTIVE" => format!("{state}: skipped"),
                _ => r
                    .error
                    .clone()
                    .or_else(|| r.description.clone())
                    .unwrap_or_default(),
            };
            let account = r.account_name.clone().unwrap_or_else(|| r.account.clone());
            let row = vec![
                if r.user.is_empty() {
                    "-".into()
                } else {
                    r.user.clone()
                },
                r.path.clone(),
                text(&r.access_key_id),
                text(&r.status),
                r.age_days.map_or("-".into(), |d| format!("{d}d")),
                match (&r.last_used, r.never_used, &r.source) {
                    (Some(d), _, _) => d.get(..10).unwrap_or(d).to_string(),
                    (None, Some(true), _) => "never".into(),
                    (None, None, Some(_)) if r.error.is_none() && r.access_key_id.is_none() => {
                        "no keys".into()
                    }
                    (None, None, Some(_)) if r.error.is_none() => "no use recorded".into(),
                    _ => "-".into(),
                },
                text(&r.last_used_service),
                text(&r.last_used_region),
                match (r.source.as_deref(), &r.as_of) {
                    (Some("report"), Some(at)) => {
                        format!("report {}", at.get(..16).unwrap_or(at).replace('T', " "))
                    }
                    (Some(source), _) if r.access_key_id.is_some() => source.to_string(),
                    _ => "-".into(),
                },
                findings_cell(r),
                note,
            ];
            if accounts {
                [vec![account], row].concat()
            } else {
                row
            }
        })
        .collect();
    let header = [
        "USER",
        "PATH",
        "ACCESS KEY ID",
        "STATUS",
        "AGE",
        "LAST USED",
        "SERVICE",
        "REGION",
        "AS OF",
        "FINDINGS",
        "NOTE",
    ];
    let header: Vec<&str> = if accounts {
        [&["ACCOUNT"][..], &header[..]].concat()
    } else {
        header.to_vec()
    };
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(header.clone()))?;
    for row in &rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// The table's findings cell: the findings, most urgent first, `-` for
/// none; ` (exempt)` when the policy exempts the user, so a reader sees why
/// `--fail-on` passes it.
fn findings_cell(r: &Record) -> String {
    let findings = if r.findings.is_empty() {
        "-".to_string()
    } else {
        r.findings.join(",")
    };
    if r.exempt {
        format!("{findings} (exempt)")
    } else {
        findings
    }
}

/// Text on stderr without a line break (the progress line); dropped if
/// stderr cannot take it (a full stderr is no reason to panic).
fn to_stderr_raw(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(text).and_then(|()| stderr.flush());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccessKey, KeyStatus, UseSource, User};

    fn inventory() -> Inventory {
        let ts = |s: &str| s.parse::<Timestamp>().unwrap();
        let user = |name: &str| User {
            name: name.into(),
            path: "/".into(),
            arn: format!("arn:aws:iam::1:user/{name}"),
            created: ts("2020-01-01T00:00:00Z"),
        };
        let key = |user: &str, id: &str| AccessKey {
            id: id.into(),
            user: user.into(),
            status: KeyStatus::Active,
            created: ts("2026-01-01T00:00:00Z"),
            description: None,
        };
        let mut inv = Inventory::default();
        let listed = ts("2026-11-30T00:00:00Z");
        let feed = |inv: &mut Inventory, event| {
            inv.apply(1, event, listed, |_, _| true);
        };
        feed(
            &mut inv,
            LoadEvent::UsersPage {
                users: vec![user("bob"), user("alice"), user("carol")],
                last_page: true,
            },
        );
        for (name, keys) in [
            ("alice", Ok(vec![key("alice", "AKIAALICE")])),
            ("bob", Ok(vec![])),
            (
                "carol",
                Err(IamError::new("ListAccessKeys", "AccessDenied", "no")),
            ),
        ] {
            feed(
                &mut inv,
                LoadEvent::Keys {
                    user: name.into(),
                    result: keys,
                },
            );
        }
        feed(
            &mut inv,
            LoadEvent::LastUsed {
                user: "alice".into(),
                key_id: "AKIAALICE".into(),
                result: Ok(LastUsed::Used {
                    at: ts("2026-11-01T00:00:00Z"),
                    service: Some("s3".into()),
                    region: Some("eu-west-1".into()),
                }),
                source: UseSource::Live { at: listed },
            },
        );
        inv
    }

    #[test]
    fn one_record_per_key_and_per_user_without_keys_with_errors_inline() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let records = records(
            &inventory(),
            &Filter::parse("").unwrap(),
            now,
            &Context::default(),
        );
        let users: Vec<_> = records.iter().map(|r| r.user.as_str()).collect();
        assert_eq!(users, ["alice", "bob", "carol"]);
        assert_eq!(records[0].access_key_id.as_deref(), Some("AKIAALICE"));
        assert_eq!(records[0].age_days, Some(333));
        assert_eq!(records[0].last_used_service.as_deref(), Some("s3"));
        assert_eq!(records[1].access_key_id, None);
        assert_eq!(records[2].error.as_deref(), Some("AccessDenied: no"));
        // The dashboard's filter: a key id finds its owner.
        let only = records_for("akiaali");
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].user, "alice");
    }

    #[test]
    fn a_report_value_not_confirmed_live_says_so_and_as_of_when() {
        let generated: Timestamp = "2026-11-30T08:00:00Z".parse().unwrap();
        let mut inv = inventory();
        let provisional = UseSource::Report {
            generated,
            provisional: true,
        };
        take_all(
            &mut inv,
            LoadEvent::LastUsed {
                user: "alice".into(),
                key_id: "AKIAALICE".into(),
                result: Ok(LastUsed::Never),
                source: provisional,
            },
        );
        take_all(
            &mut inv,
            LoadEvent::LastUsed {
                user: "alice".into(),
                key_id: "AKIAALICE".into(),
                result: Err(IamError::new(
                    "GetAccessKeyLastUsed",
                    "Throttling",
                    "slow down",
                )),
                source: UseSource::Live { at: generated },
            },
        );
        let records = records(
            &inv,
            &Filter::parse("alice").unwrap(),
            Timestamp::now(),
            &Context::default(),
        );
        assert_eq!(records[0].source.as_deref(), Some("report"));
        assert_eq!(records[0].as_of.as_deref(), Some("2026-11-30T08:00:00Z"));
        assert_eq!(records[0].never_used, Some(true));
        let error = records[0].error.as_deref().unwrap();
        assert!(error.contains("not confirmed live"), "{error}");
        // A user whose keys were not read is filtered by name and path too.
        inv.user_mut("bob").unwrap().keys = Fetch::Loading;
        assert!(records_of(&inv, "zed").is_empty());
        assert_eq!(
            records_of(&inv, "bob")[0].error.as_deref(),
            Some("keys not read")
        );
    }

    #[test]
    fn records_carry_findings_exemptions_and_the_root_key_and_fail_on_gates() {
        let mut inv = inventory();
        inv.load.source = Some(DataSource::Report {
            generated: "2026-11-30T08:00:00Z".parse().unwrap(),
            root_has_key: true,
        });
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let mut context = Context::default();
        context.identity.account = "123456789012".into();
        // alice's key (2026-01-01) is 333 days old, used 29 days ago.
        let all = records(&inv, &Filter::parse("").unwrap(), now, &context);
        assert_eq!(all[0].user, "<root_account>");
        assert_eq!(all[0].findings, ["root-key"]);
        let alice = &all[1];
        assert_eq!(alice.account, "123456789012");
        assert_eq!(alice.user_arn.as_deref(), Some("arn:aws:iam::1:user/alice"));
        assert_eq!(alice.findings, ["rotation-due"]);
        assert!(!alice.exempt);
        let gate = |fail_on: &str, records: &[Record]| {
            failing(records, &parse_fail_on(fail_on).unwrap().0)
        };
        assert_eq!(gate("unused,never-used", &all), 0);
        assert_eq!(gate("rotation-due", &all), 1);
        assert_eq!(gate("any", &all), 2, "the root key too");
        // A stricter unused threshold, and alice exempt by a glob: listed, not failed on.
        context.policy.unused_after_days = 20;
        context.policy.exempt.users = vec!["ali*".into()];
        let alice = records(&inv, &Filter::parse("alice").unwrap(), now, &context);
        assert_eq!(alice[0].findings, ["unused", "rotation-due"]);
        assert!(alice[0].exempt);
        assert_eq!(gate("unused", &alice), 0);
        assert!(parse_fail_on("unused,bogus").is_err());
        assert!(parse_fail_on("").is_err());
    }

    #[test]
    fn csv_has_its_header_even_without_records() {
        let mut out = Vec::new();
        write(&[], Output::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with("account_id,user,"), "{text}");
    }

    fn records_of(inv: &Inventory, needle: &str) -> Vec<Record> {
        records(
            inv,
            &Filter::parse(needle).unwrap(),
            Timestamp::now(),
            &Context::default(),
        )
    }

    fn records_for(needle: &str) -> Vec<Record> {
        records(
            &inventory(),
            &Filter::parse(needle).unwrap(),
            Timestamp::now(),
            &Context::default(),
        )
    }

    #[test]
    fn json_csv_and_table_are_parseable() {
        let records = records_for("");
        let mut json = Vec::new();
        write(&records, Output::Json, &mut json).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 3);
        let mut csv_out = Vec::new();
        write(&records, Output::Csv, &mut csv_out).unwrap();
        let csv_text = String::from_utf8(csv_out).unwrap();
        assert!(
            csv_text
                .starts_with("account_id,user,user_arn,user_created,path,access_key_id,status,")
        );
        assert_eq!(csv_text.lines().count(), 4);
        let mut table = Vec::new();
        write(&records, Output::Table, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        assert!(table.lines().next().unwrap().starts_with("USER"));
        assert!(table.contains("AccessDenied: no"));
    }

    #[test]
    fn the_table_says_a_keyless_user_has_no_keys_and_shows_findings() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let records = records(
            &inventory(),
            &Filter::parse("").unwrap(),
            now,
            &Context::default(),
        );
        let mut table = Vec::new();
        write(&records, Output::Table, &mut table).unwrap();
        let table = String::from_utf8(table).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("FINDINGS"), "{table}");
        let bob = lines.iter().find(|l| l.starts_with("bob")).unwrap();
        assert!(bob.contains("no keys"), "{table}");
        assert!(!table.contains("no use recorded"), "{table}");
        let alice = lines.iter().find(|l| l.starts_with("alice")).unwrap();
        assert!(alice.contains("rotation-due"), "{table}");
    }
}
