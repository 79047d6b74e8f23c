//! `iamkeys evidence --key AKIA… [--days N] [--regions R,…] [--output json]`:
//! what CloudTrail event history saw the key do, and what it cannot see.

use std::ops::ControlFlow;

use jiff::{SignedDuration, Timestamp};

use super::{EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Out, warn};
use crate::aws::client::IamClient;
use crate::aws::evidence::{TrailReader, region_order};
use crate::cli::list::Output;
use crate::core::evidence::{RegionOutcome, Summary, ranked};
use crate::core::model::LastUsed;
use crate::core::sanitize::server_text;

/// What `evidence` was asked.
#[derive(Debug)]
pub struct Request {
    pub key: String,
    pub days: u32,
    /// Regions to read after the key's last-used region (the session's region if empty).
    pub regions: Vec<String>,
    pub output: Output,
    /// The session's region.
    pub session_region: Option<String>,
}

/// Runs `evidence`; returns the exit code.
pub async fn run(client: IamClient, request: Request) -> u8 {
    let Some(config) = client.sdk_config() else {
        warn(format_args!("no AWS configuration to read CloudTrail with"));
        return EXIT_FAILED;
    };
    if request.days == 0 || request.days > 90 {
        warn(format_args!(
            "--days must be 1 to 90 (CloudTrail event history keeps 90 days)"
        ));
        return EXIT_REFUSED;
    }
    let last_region = match client.key_last_used(&request.key).await {
        Ok(LastUsed::Used { region, .. }) => region,
        Ok(LastUsed::Never) => None,
        Err(err) => {
            warn(format_args!(
                "the key's last-used region is unknown ({}): reading the regions given",
                server_text(&err.to_string())
            ));
            None
        }
    };
    let others = if request.regions.is_empty() {
        request.session_region.clone().into_iter().collect()
    } else {
        request.regions.clone()
    };
    let regions = region_order(last_region.as_deref(), &others);
    let since = Timestamp::now() - SignedDuration::from_hours(24 * i64::from(request.days));
    let reader = TrailReader::new(config);
    let read = reader
        .read_key(&request.key, &regions, since, |region| {
            if request.output != Output::Json {
                warn(format_args!(
                    "read {}: {}",
                    region.region,
                    outcome_word(&region.outcome)
                ));
            }
        })
        .await;
    let now = Timestamp::now();
    let summary = Summary::new(&request.key, request.days, now, read.regions, &read.events);
    let mut out = Out::default();
    let _ = match request.output {
        Output::Json => out.line(format_args!("{}", to_json(&summary, read.throttled))),
        Output::Table | Output::Csv => print_lines(&mut out, &summary, now),
    };
    if out.report_failure() {
        return EXIT_FAILED;
    }
    EXIT_OK
}

fn outcome_word(outcome: &RegionOutcome) -> String {
    match outcome {
        RegionOutcome::Read { events } => format!("{events} event(s)"),
        RegionOutcome::Denied(why) => format!("denied: {}", server_text(why)),
        RegionOutcome::Failed(why) => format!("failed: {}", server_text(why)),
    }
}

fn print_lines(out: &mut Out, summary: &Summary, now: Timestamp) -> ControlFlow<()> {
    for line in summary.lines(now) {
        out.line(format_args!("{}", server_text(&line)))?;
    }
    ControlFlow::Continue(())
}

/// The summary as one JSON object (strings sanitised).
pub fn to_json(summary: &Summary, throttled: u32) -> serde_json::Value {
    use serde_json::json;
    let counts = |m: &std::collections::BTreeMap<String, usize>| {
        ranked(m)
            .into_iter()
            .map(|(name, count)| json!({"name": server_text(&name), "count": count}))
            .collect::<Vec<_>>()
    };
    let event = |e: &Option<crate::core::evidence::Event>| {
        e.as_ref().map(|e| {
            json!({
                "time": e.time.to_string(),
                "service": server_text(&e.service),
                "action": server_text(&e.action),
                "source": e.source.as_deref().map(server_text),
                "user_agent": e.user_agent.as_deref().map(server_text),
                "region": server_text(&e.region),
            })
        })
    };
    let regions: Vec<_> = summary
        .regions
        .iter()
        .map(|r| match &r.outcome {
            RegionOutcome::Read { events } => {
                json!({"region": server_text(&r.region), "read": true, "events": events})
            }
            RegionOutcome::Denied(why) => json!({"region": server_text(&r.region), "read": false, "denied": true, "reason": server_text(why)}),
            RegionOutcome::Failed(why) => json!({"region": server_text(&r.region), "read": false, "denied": false, "reason": server_text(why)}),
        })
        .collect();
    json!({
        "key_id": server_text(&summary.key_id),
        "days": summary.days,
        "as_of": summary.as_of.to_string(),
        "regions": regions,
        "events": summary.events,
        "services": counts(&summary.services),
        "calls": counts(&summary.calls),
        "sources": counts(&summary.sources),
        "user_agents": counts(&summary.user_agents),
        "first": event(&summary.first),
        "last": event(&summary.last),
        "verdict": server_text(&summary.verdict(summary.as_of)),
        "throttled": throttled,
        "not_shown": crate::core::evidence::CANNOT_SEE,
    })
}
