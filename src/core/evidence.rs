//! Evidence before retiring a key: what CloudTrail's event history saw the key
//! do (services, calls, sources, user agents, first and last time) and what
//! it could not see. Pure logic: no AWS, no runtime, no terminal.
//!
//! Honest wording is the point: "no events in N days" is never "unused".
//! Event history holds management events only (S3 object reads and other
//! data events are not in it), and a region that was not read says nothing.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// One CloudTrail event made with the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub time: Timestamp,
    /// The service's short name (`s3`, from `s3.amazonaws.com`).
    pub service: String,
    /// The API call (`ListBuckets`).
    pub action: String,
    /// The source IP address, if the event has one.
    pub source: Option<String>,
    pub user_agent: Option<String>,
    pub region: String,
}

/// How the read of one region ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionOutcome {
    /// Read to the end of its history for the window.
    Read { events: usize },
    /// Refused (AccessDenied, an opt-in region not enabled, …): the reason.
    Denied(String),
    /// Failed for another reason (network, throttling beyond the retries).
    Failed(String),
}

/// One region's read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionRead {
    pub region: String,
    pub outcome: RegionOutcome,
}

/// A count per name, most first (ties by name).
pub fn ranked(counts: &BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The evidence for one key over a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub key_id: String,
    pub days: u32,
    /// When the reads ended.
    pub as_of: Timestamp,
    pub regions: Vec<RegionRead>,
    /// `service` → count.
    pub services: BTreeMap<String, usize>,
    /// `service:Action` → count.
    pub calls: BTreeMap<String, usize>,
    pub sources: BTreeMap<String, usize>,
    pub user_agents: BTreeMap<String, usize>,
    pub first: Option<Event>,
    pub last: Option<Event>,
    pub events: usize,
}

impl Summary {
    /// Counts `events` (any order, any regions) read from `regions`.
    pub fn new(
        key_id: &str,
        days: u32,
        as_of: Timestamp,
        regions: Vec<RegionRead>,
        events: &[Event],
    ) -> Self {
        let mut summary = Summary {
            key_id: key_id.to_string(),
            days,
            as_of,
            regions,
            services: BTreeMap::new(),
            calls: BTreeMap::new(),
            sources: BTreeMap::new(),
            user_agents: BTreeMap::new(),
            first: None,
            last: None,
            events: events.len(),
        };
        for event in events {
            *summary.services.entry(event.service.clone()).or_default() += 1;
            let call = format!("{}:{}", event.service, event.action);
            *summary.calls.entry(call).or_default() += 1;
            if let Some(source) = &event.source {
                *summary.sources.entry(source.clone()).or_default() += 1;
            }
            if let Some(agent) = &event.user_agent {
                *summary.user_agents.entry(agent.clone()).or_default() += 1;
            }
            if summary.first.as_ref().is_none_or(|f| event.time < f.time) {
                summary.first = Some(event.clone());
            }
            if summary.last.as_ref().is_none_or(|l| event.time > l.time) {
                summary.last = Some(event.clone());
            }
        }
        summary
    }

    /// The regions that were read to the end.
    pub fn read_regions(&self) -> Vec<&str> {
        self.regions
            .iter()
            .filter(|r| matches!(r.outcome, RegionOutcome::Read { .. }))
            .map(|r| r.region.as_str())
            .collect()
    }

    /// The regions that could not be read, with the reason.
    pub fn unread_regions(&self) -> Vec<(&str, &str)> {
        self.regions
            .iter()
            .filter_map(|r| match &r.outcome {
                RegionOutcome::Read { .. } => None,
                RegionOutcome::Denied(why) | RegionOutcome::Failed(why) => {
                    Some((r.region.as_str(), why.as_str()))
                }
            })
            .collect()
    }

    /// One line for a plan or a list: the verdict of the evidence.
    pub fn verdict(&self, now: Timestamp) -> String {
        let unread = self.unread_regions();
        let gap = if unread.is_empty() {
            String::new()
        } else {
            format!(
                "; {} region(s) not read: {}",
                unread.len(),
                unread.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(",")
            )
        };
        match &self.last {
            None => format!(
                "no management events in {} days in {} (not proof of no use: data events are not recorded){gap}",
                self.days,
                region_list(&self.read_regions())
            ),
            Some(last) => format!(
                "in use: {} events, last {}{gap}",
                self.events,
                last_event_line(last, now)
            ),
        }
    }

    /// The summary as text lines, for `evidence` and the details panel.
    pub fn lines(&self, now: Timestamp) -> Vec<String> {
        let mut out = vec![format!(
            "Evidence for {} from CloudTrail event history, last {} days, as of {}",
            self.key_id,
            self.days,
            self.as_of.strftime("%Y-%m-%d %H:%M:%SZ")
        )];
        out.push(format!(
            "Regions read: {}",
            region_list(&self.read_regions())
        ));
        for (region, why) in self.unread_regions() {
            out.push(format!("Region not read: {region}: {why}"));
        }
        match (&self.first, &self.last) {
            (Some(first), Some(last)) => {
                out.push(format!("Events: {}", self.events));
                out.push(format!(
                    "First seen: {}",
                    first.time.strftime("%Y-%m-%d %H:%M:%SZ")
                ));
                out.push(format!("Last seen: {}", last_event_line(last, now)));
                push_counts(&mut out, "Services", &self.services);
                push_counts(&mut out, "API calls", &self.calls);
                push_counts(&mut out, "Source addresses", &self.sources);
                push_counts(&mut out, "User agents", &self.user_agents);
            }
            _ => out.push(format!(
                "No events in {} days in the regions read. This is not proof the key is unused.",
                self.days
            )),
        }
        out.push(CANNOT_SEE.to_string());
        out
    }
}

/// What event history never shows, said with every summary.
pub const CANNOT_SEE: &str = "Not shown: data events (such as S3 object reads and Lambda invokes) are not in event history, nor are regions not read.";

fn region_list(regions: &[&str]) -> String {
    if regions.is_empty() {
        "none".to_string()
    } else {
        regions.join(", ")
    }
}

fn push_counts(out: &mut Vec<String>, title: &str, counts: &BTreeMap<String, usize>) {
    out.push(format!("{title}:"));
    for (name, count) in ranked(counts) {
        out.push(format!("  {count:>5}  {name}"));
    }
}

/// "ListBuckets from 10.1.2.3, python-requests, 12 minutes ago".
pub fn last_event_line(event: &Event, now: Timestamp) -> String {
    let mut parts = vec![format!(
        "{} from {}",
        event.action,
        event.source.as_deref().unwrap_or("an unknown address")
    )];
    if let Some(agent) = &event.user_agent {
        parts.push(agent.clone());
    }
    parts.push(ago(event.time, now));
    parts.join(", ")
}

/// "12 minutes ago", "3 hours ago", "5 days ago" (floor; "just now" under a minute).
pub fn ago(then: Timestamp, now: Timestamp) -> String {
    let secs = now.as_second().saturating_sub(then.as_second()).max(0);
    let (n, unit) = match secs {
        0..60 => return "just now".to_string(),
        60..3600 => (secs / 60, "minute"),
        3600..86400 => (secs / 3600, "hour"),
        _ => (secs / 86400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A service's short name from an event source: `s3.amazonaws.com` → `s3`.
pub fn service_of(event_source: &str) -> String {
    event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn event(time: &str, service: &str, action: &str, source: &str, agent: &str) -> Event {
        Event {
            time: at(time),
            service: service.into(),
            action: action.into(),
            source: Some(source.into()),
            user_agent: Some(agent.into()),
            region: "us-east-1".into(),
        }
    }

    fn read(region: &str, events: usize) -> RegionRead {
        RegionRead {
            region: region.into(),
            outcome: RegionOutcome::Read { events },
        }
    }

    #[test]
    fn counts_services_calls_sources_and_agents() {
        let events = [
            event(
                "2026-01-02T00:00:00Z",
                "s3",
                "ListBuckets",
                "10.0.0.1",
                "boto3",
            ),
            event(
                "2026-01-01T00:00:00Z",
                "s3",
                "ListBuckets",
                "10.0.0.1",
                "boto3",
            ),
            event(
                "2026-01-03T00:00:00Z",
                "sqs",
                "SendMessage",
                "10.0.0.2",
                "curl",
            ),
        ];
        let s = Summary::new(
            "AKIA1",
            90,
            at("2026-01-04T00:00:00Z"),
            vec![read("us-east-1", 3)],
            &events,
        );
        assert_eq!(s.services.get("s3"), Some(&2));
        assert_eq!(s.calls.get("sqs:SendMessage"), Some(&1));
        assert_eq!(
            ranked(&s.sources),
            vec![("10.0.0.1".into(), 2), ("10.0.0.2".into(), 1)]
        );
        assert_eq!(
            s.first.as_ref().map(|e| e.time),
            Some(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            s.last.as_ref().map(|e| e.action.as_str()),
            Some("SendMessage")
        );
        assert!(
            s.verdict(at("2026-01-04T00:00:00Z"))
                .starts_with("in use: 3 events, last SendMessage from 10.0.0.2, curl, 1 day ago")
        );
    }

    #[test]
    fn no_events_is_not_called_unused() {
        let s = Summary::new(
            "AKIA1",
            30,
            at("2026-01-04T00:00:00Z"),
            vec![read("eu-west-1", 0)],
            &[],
        );
        let lines = s.lines(at("2026-01-04T00:00:00Z")).join("\n");
        assert!(lines.contains("No events in 30 days"));
        assert!(lines.contains("not proof the key is unused"));
        assert!(lines.contains(CANNOT_SEE));
        assert!(!s.verdict(at("2026-01-04T00:00:00Z")).contains("unused"));
    }

    #[test]
    fn unread_regions_are_named_with_their_reason() {
        let regions = vec![
            read("us-east-1", 0),
            RegionRead {
                region: "eu-west-1".into(),
                outcome: RegionOutcome::Denied("AccessDenied: no".into()),
            },
        ];
        let s = Summary::new("AKIA1", 90, at("2026-01-04T00:00:00Z"), regions, &[]);
        assert_eq!(s.unread_regions(), vec![("eu-west-1", "AccessDenied: no")]);
        assert!(
            s.verdict(at("2026-01-04T00:00:00Z"))
                .ends_with("1 region(s) not read: eu-west-1")
        );
        assert!(
            s.lines(at("2026-01-04T00:00:00Z"))
                .contains(&"Region not read: eu-west-1: AccessDenied: no".to_string())
        );
    }

    #[test]
    fn ago_words() {
        let now = at("2026-01-04T00:00:00Z");
        assert_eq!(ago(at("2026-01-03T23:59:30Z"), now), "just now");
        assert_eq!(ago(at("2026-01-03T23:48:00Z"), now), "12 minutes ago");
        assert_eq!(ago(at("2026-01-03T23:00:00Z"), now), "1 hour ago");
        assert_eq!(ago(at("2025-12-30T00:00:00Z"), now), "5 days ago");
        assert_eq!(service_of("s3.amazonaws.com"), "s3");
    }
}
