//! Counts the SDK's own retries (throttling, 5xx, dropped connections), which
//! it otherwise does silently, so the screen can say that retries are going on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// An interceptor that counts every attempt after a request's first.
#[derive(Clone, Debug, Default)]
pub struct RetryCounter(Arc<AtomicUsize>);

impl RetryCounter {
    pub fn total(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for RetryCounter {
    fn name(&self) -> &'static str {
        "iamkeys-retry-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(attempt) = cfg.load::<RequestAttempts>().map(|a| a.attempts())
            && attempt > 1
        {
            self.0.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(attempt, "retrying an IAM request");
        }
        Ok(())
    }
}
