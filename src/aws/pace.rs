//! How fast the loader sends reads while IAM throttles. IAM's limit is
//! account-wide and unpublished, so it is found by watching the last second:
//!
//! - When a quarter or more are throttled, the loader is over the limit, and
//!   what gets through is the limit: it paces itself just above that (using
//!   all of the limit at the cost of a few throttled reads).
//! - A throttle now and then says only that the limit is near: the pace drops
//!   by at most 30%, at most once a second.
//! - Without throttles it speeds up again (slowly at first, fast after two
//!   quiet seconds) and after ten quiet seconds stops pacing altogether.
//!
//! A throttle of a read sent before the last slow-down is the same burst and
//! counts once; a lone throttle before anything is known starts no pacing.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The window over which sends and their outcomes are measured.
const WINDOW: Duration = Duration::from_secs(1);
/// After a throttle: this multiple of what got through.
const AIM: f64 = 1.1;
/// Speeding up: every step, by `GENTLE` while throttles are recent, by `BRISK` after.
const STEP: Duration = Duration::from_millis(250);
const GENTLE: f64 = 1.03;
const BRISK: f64 = 1.5;
const BRISK_AFTER: Duration = Duration::from_secs(2);
/// No throttle for this long: no pacing at all.
const UNPACED_AFTER: Duration = Duration::from_secs(10);
const MIN_RATE: f64 = 1.0;
/// Speeding up stops at this multiple of what was sent in the last window…
const GROWTH_ROOM: f64 = 4.0;
/// …or at this, if more.
const MIN_CEILING: f64 = 8.0;
/// A pace above this is no pace: IAM's limits are far below it.
const MAX_RATE: f64 = 1000.0;

#[derive(Debug)]
pub struct Pace {
    /// Requests per second, or `None` while IAM has not throttled lately.
    rate: Option<f64>,
    next_slot: Instant,
    started: Instant,
    last_cut: Option<Instant>,
    /// The last throttle of a read sent after the last slow-down: quiet is measured from it.
    last_throttle: Option<Instant>,
    last_step: Instant,
    /// Answers in the window: whether each got through.
    answers: VecDeque<(Instant, bool)>,
}

/// Answers needed in the window before a throttled majority is believed.
const ENOUGH_ANSWERS: usize = 10;
/// A throttle now and then lowers the pace by at most this factor.
const MILD_CUT: f64 = 0.7;

impl Pace {
    pub fn new(now: Instant) -> Self {
        Self {
            rate: None,
            next_slot: now,
            started: now,
            last_cut: None,
            last_throttle: None,
            last_step: now,
            answers: VecDeque::new(),
        }
    }

    /// The pace now, in requests per second (`None`: unpaced).
    pub fn per_second(&self) -> Option<f64> {
        self.rate
    }

    /// Asks to send a request now: `Ok` to go, or `Err(t)` to ask again at
    /// `t`. Nothing is reserved ahead, so a pace that changes applies at once.
    pub fn request(&mut self, now: Instant) -> Result<(), Instant> {
        self.speed_up(now);
        let Some(rate) = self.rate else {
            return Ok(());
        };
        if now < self.next_slot {
            return Err(self.next_slot);
        }
        let interval = Duration::from_secs_f64(1.0 / rate);
        // On time (or nearly): keep the cadence; long idle: start from now.
        let base = if now.duration_since(self.next_slot) > interval {
            now
        } else {
            self.next_slot
        };
        self.next_slot = base + interval;
        Ok(())
    }

    pub fn succeeded(&mut self, now: Instant) {
        self.answers.push_back((now, true));
        self.forget_before(now);
    }

    /// IAM throttled a request sent at `sent`. Returns true if the pace changed
    /// (a request sent before the last slow-down, or within a second of it,
    /// says nothing new).
    pub fn throttled(&mut self, sent: Instant, now: Instant) -> bool {
        self.answers.push_back((now, false));
        self.forget_before(now);
        if self.last_cut.is_some_and(|cut| sent < cut) {
            return false;
        }
        if self.rate.is_some() {
            // Not quiet: speeding up starts over, gently.
            self.last_throttle = Some(now);
            self.last_step = now;
        }
        let window = now
            .duration_since(self.started)
            .clamp(STEP / 5, WINDOW)
            .as_secs_f64();
        let answered = self.answers.len();
        let through = self.answers.iter().filter(|(_, ok)| *ok).count();
        let through_rate = through as f64 / window;
        // A quarter or more throttled: over the limit, and what got through is it.
        let mostly_throttled = answered >= ENOUGH_ANSWERS && through * 4 <= answered * 3;
        let recent = self
            .last_cut
            .is_some_and(|cut| now.duration_since(cut) < WINDOW);
        let candidate = match self.rate {
            _ if mostly_throttled => through_rate * AIM,
            None if answered < ENOUGH_ANSWERS => return false,
            _ if recent => return false,
            pace => {
                // What was sent, not the pace: a pace far above what the
                // loader manages to send says nothing about the limit.
                let sending = answered as f64 / window;
                let current = pace.map_or(sending, |p| p.min(sending));
                (through_rate * AIM).max(current * MILD_CUT)
            }
        };
        let rate = candidate.max(MIN_RATE);
        if self.rate.is_some_and(|r| rate >= r) {
            return false;
        }
        self.rate = Some(rate);
        self.last_cut = Some(now);
        self.last_throttle = Some(now);
        self.last_step = now;
        self.next_slot = self.next_slot.max(now);
        true
    }

    fn speed_up(&mut self, now: Instant) {
        let (Some(mut rate), Some(cut)) = (self.rate, self.last_throttle) else {
            return;
        };
        if now.duration_since(cut) >= UNPACED_AFTER {
            self.rate = None;
            return;
        }
        self.forget_before(now);
        // Never far above what is actually sent: a pace the loader does not
        // use would only let a burst through when work piles up.
        let ceiling =
            (GROWTH_ROOM * self.answers.len() as f64 / WINDOW.as_secs_f64()).max(MIN_CEILING);
        while now.duration_since(self.last_step) >= STEP {
            self.last_step += STEP;
            rate *= if self.last_step.duration_since(cut) >= BRISK_AFTER {
                BRISK
            } else {
                GENTLE
            };
            rate = rate.min(ceiling.max(self.rate.unwrap_or(rate)));
        }
        self.rate = (rate <= MAX_RATE).then_some(rate);
    }

    fn forget_before(&mut self, now: Instant) {
        while self
            .answers
            .front()
            .is_some_and(|&(t, _)| now.duration_since(t) > WINDOW)
        {
            self.answers.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends at `now` or as soon after as the pace allows; returns when.
    fn go(pace: &mut Pace, now: Instant) -> Instant {
        let mut at = now;
        while let Err(later) = pace.request(at) {
            at = later;
        }
        at
    }

    #[test]
    fn under_a_rate_limit_the_pace_settles_just_above_it_within_a_second() {
        // A token bucket of 50/s (50 at once), sent to as fast as possible.
        let start = Instant::now();
        let mut pace = Pace::new(start);
        assert_eq!(go(&mut pace, start), start, "unpaced at first");
        let mut tokens = 50.0_f64;
        let mut now = start;
        let mut sent = 0;
        while now < start + Duration::from_secs(3) {
            let slot = go(&mut pace, now);
            let next = slot.max(now) + Duration::from_millis(1);
            tokens = (tokens + 50.0 * next.duration_since(now).as_secs_f64()).min(50.0);
            now = next;
            sent += 1;
            if tokens >= 1.0 {
                tokens -= 1.0;
                pace.succeeded(now);
            } else {
                pace.throttled(slot, now);
            }
        }
        let paced = pace.per_second().unwrap();
        assert!((50.0..70.0).contains(&paced), "{paced}");
        assert!(sent < 600, "{sent} sent in three seconds");
    }

    #[test]
    fn a_burst_of_throttles_answered_together_cuts_once() {
        let start = Instant::now();
        let mut pace = Pace::new(start);
        for i in 0..100 {
            let at = start + Duration::from_millis(i * 10);
            go(&mut pace, at);
            pace.succeeded(at);
        }
        let now = start + Duration::from_secs(1);
        assert!(pace.throttled(now, now));
        let paced = pace.per_second().unwrap();
        assert!((70.0..111.0).contains(&paced), "{paced}");
        // Sent before the slow-down: the same burst.
        assert!(!pace.throttled(now - Duration::from_millis(5), now));
        assert_eq!(pace.per_second(), Some(paced));
        let first = go(&mut pace, now);
        let second = go(&mut pace, now);
        assert_eq!(
            second.duration_since(first),
            Duration::from_secs_f64(1.0 / paced)
        );
    }

    #[test]
    fn once_throttling_stops_the_pace_recovers_within_seconds() {
        let start = Instant::now();
        let mut pace = Pace::new(start);
        // Everything throttled: the pace falls to its floor.
        go(&mut pace, start);
        for i in 0..20 {
            let at = start + Duration::from_millis(i);
            pace.throttled(at, at);
        }
        assert_eq!(pace.per_second(), Some(MIN_RATE));
        // Then every read gets through, sent as fast as the pace allows.
        let mut now = start + Duration::from_millis(20);
        let mut rate_at = |until: Duration, pace: &mut Pace| {
            while now < start + until {
                let slot = go(pace, now);
                now = slot.max(now) + Duration::from_millis(1);
                pace.succeeded(now);
            }
            pace.per_second()
        };
        let after_six = rate_at(Duration::from_secs(6), &mut pace);
        assert!(after_six.is_none_or(|r| r > 50.0), "{after_six:?}");
        assert_eq!(
            rate_at(Duration::from_secs(11), &mut pace),
            None,
            "no pacing after ten quiet seconds"
        );
    }
}
