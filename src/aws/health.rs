//! Whether IAM is answering: every attempt of every IAM request is watched, so
//! the screen can say "IAM has not answered for N s" and name a refused
//! connection at once, instead of showing a load that silently stands still.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Default)]
struct Watched {
    /// Attempts sent and not finished.
    in_flight: usize,
    /// Since when a request has been waiting with no answer from IAM (any
    /// HTTP reply counts, an error reply too); `None` while IAM answers.
    unanswered_since: Option<Instant>,
    /// The last attempt that got no reply at all, and why (since the last answer).
    failure: Option<String>,
}

/// Shared by every clone of the client that watches it.
#[derive(Clone, Debug, Default)]
pub struct Health(Arc<Mutex<Watched>>);

/// What [`Health`] says now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthReport {
    /// How long a request has waited for IAM to answer anything.
    pub silent_for: Option<Duration>,
    /// Why the last attempt got no reply (a refused connection, a timeout),
    /// if IAM has not answered since.
    pub failure: Option<String>,
}

impl Health {
    fn watched(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn report(&self) -> HealthReport {
        let watched = self.watched();
        HealthReport {
            silent_for: watched.unanswered_since.map(|since| since.elapsed()),
            failure: watched.failure.clone(),
        }
    }

    fn attempt_started(&self) {
        let mut watched = self.watched();
        watched.in_flight += 1;
        watched.unanswered_since.get_or_insert_with(Instant::now);
    }

    fn attempt_ended(&self, answered: bool, failure: Option<String>) {
        let mut watched = self.watched();
        watched.in_flight = watched.in_flight.saturating_sub(1);
        if answered {
            watched.failure = None;
            // Others still waiting are waiting since now.
            watched.unanswered_since = (watched.in_flight > 0).then(Instant::now);
        } else if let Some(failure) = failure {
            watched.failure = Some(failure);
        }
    }
}

/// The interceptor that feeds [`Health`].
#[derive(Clone, Debug)]
pub struct HealthWatch(pub Health);

impl Intercept for HealthWatch {
    fn name(&self) -> &'static str {
        "iamkeys-health-watch"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.attempt_started();
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let answered = context.response().is_some();
        let failure = match context.output_or_error() {
            Some(Err(err)) if !answered => {
                Some(plain_failure(&crate::core::error::error_chain(err)))
            }
            _ => None,
        };
        self.0.attempt_ended(answered, failure);
        Ok(())
    }
}

/// The transport's error chain, said the way an administrator reads it.
fn plain_failure(chain: &str) -> String {
    let lower = chain.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused".into()
    } else if lower.contains("timeout") || lower.contains("timed out") {
        "no answer before the timeout".into()
    } else if lower.contains("dns") || lower.contains("failed to lookup") {
        "the name does not resolve".into()
    } else if lower.contains("connection reset")
        || lower.contains("closed")
        || lower.contains("incomplete")
    {
        "the connection was closed without an answer".into()
    } else {
        crate::core::sanitize::owned(chain.lines().next().unwrap_or(chain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_runs_from_the_oldest_unanswered_attempt_and_an_answer_ends_it() {
        let health = Health::default();
        assert_eq!(health.report(), HealthReport::default());
        health.attempt_started();
        health.attempt_ended(false, Some("connection refused".into()));
        // Between retries nothing is in flight, but IAM has still not answered.
        let report = health.report();
        assert!(report.silent_for.is_some());
        assert_eq!(report.failure.as_deref(), Some("connection refused"));
        health.attempt_started();
        health.attempt_ended(true, None);
        assert_eq!(health.report(), HealthReport::default());
    }

    #[test]
    fn transport_errors_read_plainly() {
        assert_eq!(
            plain_failure("dispatch failure: io error: Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(
            plain_failure("timeout: HTTP read timeout occurred after 20s"),
            "no answer before the timeout"
        );
    }
}
