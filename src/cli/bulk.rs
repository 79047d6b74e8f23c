//! `iamkeys deactivate|delete --filter EXPR [--dry-run] [--yes]`: a plan of the
//! keys the filter matches, printed; then, once confirmed, each key changed
//! through the runner with per-key results.

use crate::aws::inventory::LoadOptions;
use crate::cli::list::{self, Record};
use crate::core::change::{NotEligible, bulk_eligibility, read_only_refusal};
use crate::core::filter::Filter;
use crate::core::model::KeyStatus;
use crate::io::bulk::{BulkItem, BulkKind, Planned};
use crate::io::runner::{Operation, Runner};
use crate::tui::state::Context;

use super::{EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Out, ask, warn};
use crate::core::sanitize::server_text;

/// One key of the plan, as printed.
struct PlanLine {
    item: BulkItem,
    record: Record,
    /// Used within the policy's recent_use_days: called out.
    recent: Option<i64>,
}

/// Runs the command; returns the exit code.
pub async fn run(
    runner: Runner,
    options: LoadOptions,
    context: &Context,
    kind: BulkKind,
    filter: &Filter,
    dry_run: bool,
    yes: bool,
) -> u8 {
    if context.read_only && !dry_run {
        warn(format_args!("{}", read_only_refusal(kind.what())));
        return EXIT_REFUSED;
    }
    // Without a journal, nothing is changed (a dry run changes nothing).
    if !dry_run && let Err(why) = super::journal_usable(&runner).await {
        warn(format_args!("{why}"));
        return EXIT_REFUSED;
    }
    let loaded = match list::load(runner.client.clone(), options, context, filter).await {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if let Some(err) = &loaded.users_error {
        warn(format_args!(
            "cannot list users: {}",
            server_text(&err.to_string())
        ));
        return EXIT_FAILED;
    }
    let now = jiff::Timestamp::now();
    let mut plan = Vec::new();
    let mut skipped = Vec::new();
    for record in loaded.records {
        let Some(key_id) = record.access_key_id.clone() else {
            if let Some(error) = &record.error {
                warn(format_args!(
                    "the keys of {} could not be read ({}): none of them is in the plan",
                    server_text(&record.user),
                    server_text(error)
                ));
            }
            continue;
        };
        let status = KeyStatus::from_name(record.status.as_deref().unwrap_or_default());
        let why_not = match bulk_eligibility(kind == BulkKind::Deactivate, status) {
            Ok(()) => None,
            // Nothing to do: not worth a line of the plan.
            Err(NotEligible::InactiveAlready) => continue,
            Err(NotEligible::ActiveKey) => Some("active: deactivate it first"),
            Err(NotEligible::UnknownStatus) => Some("its status is unknown"),
        };
        let why_not = why_not.or_else(|| {
            context
                .session
                .link(&record.user, &key_id)
                .map(|_| "this session depends on it (rotate it with `iamkeys rotate --self`)")
        });
        if let Some(why) = why_not {
            skipped.push((record, why.to_string()));
            continue;
        }
        let recent = record
            .last_used
            .as_deref()
            .and_then(|at| at.parse::<jiff::Timestamp>().ok())
            .and_then(|at| context.policy.used_recently(at, now));
        plan.push(PlanLine {
            item: BulkItem {
                user: record.user.clone(),
                key_id,
                had_description: record.description.is_some(),
            },
            record,
            recent,
        });
    }
    // The plan decides on last uses: those an old report gave are read live now.
    let plan = confirm_live(&runner, plan, &mut skipped, &options, context, now).await;
    let plan_text = plan_text(kind, &plan, &skipped);
    let mut out = Out::default();
    if out
        .line(format_args!("{}", plan_text.trim_end_matches('\n')))
        .is_break()
    {
        out.report_failure();
        warn(format_args!("nothing was changed"));
        return EXIT_FAILED;
    }
    if plan.is_empty() {
        warn(format_args!(
            "no key to {}: nothing was changed",
            kind.verb()
        ));
        return EXIT_OK;
    }
    let count = plan.len();
    if dry_run {
        warn(format_args!(
            "dry run: {count} keys would be {}; nothing was changed",
            kind.done()
        ));
        return EXIT_OK;
    }
    if !yes {
        let question = format!("{} {count} keys? Type {count} to go on:", kind.title());
        if let Err(not) = ask::confirm_plan(&plan_text, &question, &count.to_string()) {
            warn(format_args!("{}", not.message()));
            return EXIT_REFUSED;
        }
    }
    let operation = Operation::new(kind.verb());
    let started = std::time::Instant::now();
    let changes = plan
        .into_iter()
        .map(|p| Planned {
            change: p.item.change(kind),
            operation: operation.clone(),
        })
        .collect();
    let (done, failed) =
        super::execute_printing(&runner, changes, options.concurrency, &mut out).await;
    let stdout_failed = out.report_failure();
    let not_started = count - done - failed;
    if not_started > 0 {
        warn(format_args!(
            "stopped: {not_started} keys were not attempted (stdout is gone); `iamkeys undo` changes back the rest"
        ));
    }
    warn(format_args!(
        "{done} keys {}, {failed} failed, in {:.1} s (operation {}; journal {})",
        kind.done(),
        started.elapsed().as_secs_f64(),
        operation.id,
        journal_name(&runner)
    ));
    if failed > 0 || stdout_failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// At the moment of decision, the plan's last uses that only a credential
/// report older than `confirm_after` vouches for are read live (at most
/// `--concurrency` at once). A key used since the report said otherwise, or
/// whose last use cannot be read, leaves the plan, with the reason; the
/// others keep the live value (and the "used recently" call-out follows it).
async fn confirm_live(
    runner: &Runner,
    plan: Vec<PlanLine>,
    skipped: &mut Vec<(Record, String)>,
    options: &LoadOptions,
    context: &Context,
    now: jiff::Timestamp,
) -> Vec<PlanLine> {
    use futures_util::StreamExt;
    let stale = |line: &PlanLine| {
        line.record.source.as_deref() == Some("report")
            && line
                .record
                .as_of
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_none_or(|as_of| {
                    now.duration_since(as_of).unsigned_abs() > options.confirm_after
                })
    };
    let reads = futures_util::stream::iter(plan.into_iter().map(|line| async {
        if !stale(&line) {
            return (line, None);
        }
        let live = runner.client.key_last_used(&line.item.key_id).await;
        (line, Some(live))
    }))
    .buffered(options.concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    let mut kept = Vec::new();
    for (mut line, live) in reads {
        let Some(live) = live else {
            kept.push(line);
            continue;
        };
        let said = line
            .record
            .last_used
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        match live {
            Err(err) => skipped.push((
                line.record,
                format!(
                    "its last use could not be read live ({}): left out",
                    server_text(&err.code)
                ),
            )),
            Ok(crate::core::model::LastUsed::Used { at, service, .. })
                if said.is_none_or(|said| at > said) =>
            {
                skipped.push((
                    line.record,
                    format!(
                        "used {at}{} since the report said {}: read live, left out",
                        service.map(|s| format!(" by {s}")).unwrap_or_default(),
                        said.map_or("never".to_string(), |s| s.to_string())
                    ),
                ));
            }
            Ok(_) => {
                line.record.source = Some("live".into());
                line.record.as_of = Some(now.to_string());
                line.recent = said.and_then(|at| context.policy.used_recently(at, now));
                kept.push(line);
            }
        }
    }
    kept
}

/// The journal's path as shown, or that there is none.
fn journal_name(runner: &Runner) -> String {
    if runner.journal.enabled() {
        server_text(&runner.journal.path().display().to_string()).into_owned()
    } else {
        "none: --no-journal".to_string()
    }
}

/// The plan on stdout: one line per key (user, key id, status, last use,
/// findings, call-outs), then the keys left out and why, as text: printed
/// on stdout, and shown on the terminal with the question when stdout is not one.
fn plan_text(kind: BulkKind, plan: &[PlanLine], skipped: &[(Record, String)]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "plan: {} {} keys (user, key id, last used, findings)",
        kind.verb(),
        plan.len()
    );
    for p in plan {
        let r = &p.record;
        let mut notes = Vec::new();
        if let Some(days) = p.recent {
            notes.push(format!("USED {days} DAYS AGO"));
        }
        if r.exempt {
            notes.push("exempt".to_string());
        }
        let _ = writeln!(
            out,
            "  {}\t{}\t{}\t{}\t{}",
            server_text(&r.user),
            server_text(&p.item.key_id),
            server_text(&last_use(r)),
            if r.findings.is_empty() {
                "-".to_string()
            } else {
                r.findings.join(",")
            },
            notes.join(", ")
        );
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "left out: {} keys", skipped.len());
        for (r, why) in skipped {
            let _ = writeln!(
                out,
                "  {}\t{}\t{why}",
                server_text(&r.user),
                server_text(r.access_key_id.as_deref().unwrap_or("-"))
            );
        }
    }
    out
}

fn last_use(r: &Record) -> String {
    match (&r.last_used, r.never_used) {
        (Some(at), _) => {
            let by = [
                r.last_used_service.as_deref(),
                r.last_used_region.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            if by.is_empty() {
                at.clone()
            } else {
                format!("{at} ({by})")
            }
        }
        (None, Some(true)) => "never".to_string(),
        _ => "no use recorded".to_string(),
    }
}
