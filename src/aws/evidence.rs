//! Reads CloudTrail event history for one access key id, region by region,
//! paced under CloudTrail's limit for LookupEvents (2 requests a second per
//! region, shared by every read of the process).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use jiff::Timestamp;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::core::evidence::{Event, RegionOutcome, RegionRead, service_of};

/// The time between two LookupEvents of one region: under 2 a second, with a margin.
pub const SPACING: Duration = Duration::from_millis(550);
/// Events a LookupEvents page holds at most.
const PAGE: i32 = 50;
/// Tries per page when CloudTrail throttles all the same (another tool of the account).
const THROTTLE_TRIES: u32 = 6;

/// When each region may be asked next. Cheap to clone; clones share it.
#[derive(Clone, Debug, Default)]
pub struct Pacer {
    next: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Pacer {
    /// Waits for `region`'s turn and books the one after.
    async fn turn(&self, region: &str) {
        let wait_until = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next
                .get(region)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            next.insert(region.to_string(), at + SPACING);
            at
        };
        tokio::time::sleep_until(wait_until).await;
    }
}

/// What the reads of one key found.
#[derive(Debug, Default)]
pub struct KeyEvents {
    pub regions: Vec<RegionRead>,
    pub events: Vec<Event>,
    /// ThrottlingException replies met (and waited out).
    pub throttled: u32,
}

/// Reads CloudTrail in any region with the session's configuration.
#[derive(Clone, Debug)]
pub struct TrailReader {
    config: aws_config::SdkConfig,
    pacer: Pacer,
}

impl TrailReader {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            config: config.clone(),
            pacer: Pacer::default(),
        }
    }

    fn client(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        let conf = aws_sdk_cloudtrail::config::Builder::from(&self.config)
            .region(aws_types::region::Region::new(region.to_string()))
            // Throttling is waited out here, paced; other failures are the region's outcome.
            .retry_config(aws_sdk_cloudtrail::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_cloudtrail::Client::from_conf(conf)
    }

    /// The key's events in `regions` (in that order) since `since`.
    /// `progress` is told each region's outcome as it ends.
    pub async fn read_key(
        &self,
        key_id: &str,
        regions: &[String],
        since: Timestamp,
        mut progress: impl FnMut(&RegionRead),
    ) -> KeyEvents {
        let mut out = KeyEvents::default();
        for region in regions {
            let (outcome, events) = self
                .read_region(key_id, region, since, &mut out.throttled)
                .await;
            let read = RegionRead {
                region: region.clone(),
                outcome,
            };
            progress(&read);
            out.regions.push(read);
            out.events.extend(events);
        }
        out
    }

    async fn read_region(
        &self,
        key_id: &str,
        region: &str,
        since: Timestamp,
        throttled: &mut u32,
    ) -> (RegionOutcome, Vec<Event>) {
        let client = self.client(region);
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = match self
                .page(&client, key_id, region, since, token.clone(), throttled)
                .await
            {
                Ok(page) => page,
                Err(outcome) => return (outcome, events),
            };
            for event in page.events() {
                if let Some(event) = parse(event, region) {
                    events.push(event);
                }
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                let count = events.len();
                return (RegionOutcome::Read { events: count }, events);
            }
        }
    }

    /// One page, paced, throttling waited out.
    async fn page(
        &self,
        client: &aws_sdk_cloudtrail::Client,
        key_id: &str,
        region: &str,
        since: Timestamp,
        token: Option<String>,
        throttled: &mut u32,
    ) -> Result<aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput, RegionOutcome>
    {
        let attribute = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::AccessKeyId)
            .attribute_value(key_id)
            .build()
            .map_err(|e| RegionOutcome::Failed(e.to_string()))?;
        let mut tries = 0;
        loop {
            self.pacer.turn(region).await;
            tries += 1;
            let sent = client
                .lookup_events()
                .lookup_attributes(attribute.clone())
                .start_time(aws_smithy_types::DateTime::from_secs(since.as_second()))
                .max_results(PAGE)
                .set_next_token(token.clone())
                .send()
                .await;
            match sent {
                Ok(page) => return Ok(page),
                Err(err) => {
                    let code = err.code().unwrap_or("").to_string();
                    if code == "ThrottlingException" && tries < THROTTLE_TRIES {
                        *throttled += 1;
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                    return Err(outcome_of(&code, &error_text(&err)));
                }
            }
        }
    }
}

/// Denied (a permission, an opt-in region) or failed, with words for the summary.
fn outcome_of(code: &str, text: &str) -> RegionOutcome {
    let text = crate::core::sanitize::owned(text);
    match code {
        "AccessDeniedException"
        | "AccessDenied"
        | "UnrecognizedClientException"
        | "OptInRequired" => {
            RegionOutcome::Denied(format!("{code}: {text} (needs cloudtrail:LookupEvents)"))
        }
        "" => RegionOutcome::Failed(text),
        _ => RegionOutcome::Failed(format!("{code}: {text}")),
    }
}

fn error_text<E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata>(
    err: &E,
) -> String {
    err.message()
        .map(str::to_string)
        .unwrap_or_else(|| aws_smithy_types::error::display::DisplayErrorContext(err).to_string())
}

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An event of the history, with the source and user agent from its record.
fn parse(event: &aws_sdk_cloudtrail::types::Event, region: &str) -> Option<Event> {
    let time = event.event_time()?;
    let time = Timestamp::from_second(time.secs()).ok()?;
    let record: serde_json::Value = event
        .cloud_trail_event()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(serde_json::Value::Null);
    let field = |name: &str| {
        record
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Some(Event {
        time,
        service: service_of(event.event_source().unwrap_or("unknown")),
        action: event.event_name().unwrap_or("unknown").to_string(),
        source: field("sourceIPAddress"),
        user_agent: field("userAgent"),
        region: field("awsRegion").unwrap_or_else(|| region.to_string()),
    })
}

/// The regions to read for a key: its last-used region first, then `others`
/// in order, each once.
pub fn region_order(last_used: Option<&str>, others: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for region in last_used
        .into_iter()
        .map(str::to_string)
        .chain(others.iter().cloned())
    {
        if !region.is_empty() && !out.contains(&region) {
            out.push(region);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_used_region_first_and_once() {
        let others = vec!["us-east-1".to_string(), "eu-west-1".to_string()];
        assert_eq!(
            region_order(Some("eu-west-1"), &others),
            vec!["eu-west-1".to_string(), "us-east-1".to_string()]
        );
        assert_eq!(region_order(None, &others), others);
    }

    #[test]
    fn denied_codes_name_the_permission() {
        match outcome_of("AccessDeniedException", "no") {
            RegionOutcome::Denied(why) => assert!(why.contains("cloudtrail:LookupEvents")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            outcome_of("InternalFailure", "x"),
            RegionOutcome::Failed(_)
        ));
    }

    #[tokio::test]
    async fn pacer_spaces_turns_of_one_region() {
        let pacer = Pacer::default();
        let start = Instant::now();
        for _ in 0..3 {
            pacer.turn("us-east-1").await;
        }
        assert!(start.elapsed() >= SPACING * 2);
        // Another region has its own turns: no wait.
        let other = Instant::now();
        pacer.turn("eu-west-1").await;
        assert!(other.elapsed() < SPACING);
    }
}
