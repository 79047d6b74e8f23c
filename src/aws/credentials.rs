//! Credentials resolved once: the chain (an AssumeRole, a `credential_process`
//! that prompts, an SSO token read) runs a single time at start, and again only
//! when what it gave is about to expire.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, Result as CredentialsResult, SharedCredentialsProvider, future,
};

/// Credentials this close to expiry are resolved again (an MFA role session
/// asks for a new code then, while the old credentials still work).
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// [`REFRESH_BEFORE_EXPIRY`]; debug builds let the tests shorten a session's
/// life with `IAMKEYS_TEST_REFRESH_BEFORE_SECS` (role sessions last at least
/// 15 minutes).
fn refresh_before_expiry() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(secs) = std::env::var("IAMKEYS_TEST_REFRESH_BEFORE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return Duration::from_secs(secs);
    }
    REFRESH_BEFORE_EXPIRY
}

/// Wraps a provider so that every client of the session shares one resolution.
#[derive(Clone, Debug)]
pub struct ResolvedOnce {
    inner: SharedCredentialsProvider,
    /// A tokio mutex: concurrent first requests wait for one resolution.
    held: Arc<tokio::sync::Mutex<Option<Credentials>>>,
}

impl ResolvedOnce {
    pub fn new(inner: SharedCredentialsProvider) -> Self {
        Self {
            inner,
            held: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    async fn resolve(&self) -> CredentialsResult {
        let mut held = self.held.lock().await;
        if let Some(credentials) = held.as_ref()
            && still_good(credentials, SystemTime::now())
        {
            return Ok(due_early(credentials));
        }
        let credentials = self.inner.provide_credentials().await?;
        *held = Some(credentials.clone());
        Ok(due_early(&credentials))
    }
}

/// The credentials as handed to the SDK: due when they are to be resolved
/// again, so that the identity cache of the SDK comes back here in time (it
/// keeps an identity until seconds before its expiry).
fn due_early(credentials: &Credentials) -> Credentials {
    let now = SystemTime::now();
    let Some(expiry) = credentials.expiry() else {
        return credentials.clone();
    };
    match expiry.checked_sub(refresh_before_expiry()) {
        Some(due) if due > now => Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            credentials.session_token().map(str::to_string),
            Some(due),
            "iamkeys-resolved-once",
        ),
        _ => credentials.clone(),
    }
}

fn still_good(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_none_or(|expiry| expiry > now + refresh_before_expiry())
}

impl ProvideCredentials for ResolvedOnce {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.resolve())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Counting(Arc<AtomicUsize>, Option<Duration>);

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.0.fetch_add(1, Ordering::SeqCst);
            let expiry = self.1.map(|d| SystemTime::now() + d);
            future::ProvideCredentials::ready(Ok(Credentials::new("AKIA", "s", None, expiry, "t")))
        }
    }

    #[tokio::test]
    async fn resolves_once_until_near_expiry() {
        let calls = Arc::new(AtomicUsize::new(0));
        let long = ResolvedOnce::new(SharedCredentialsProvider::new(Counting(
            calls.clone(),
            Some(Duration::from_secs(3600)),
        )));
        let copies = [long.clone(), long.clone(), long];
        for copy in &copies {
            copy.provide_credentials().await.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let short_calls = Arc::new(AtomicUsize::new(0));
        let short = ResolvedOnce::new(SharedCredentialsProvider::new(Counting(
            short_calls.clone(),
            Some(Duration::from_secs(60)),
        )));
        short.provide_credentials().await.unwrap();
        short.provide_credentials().await.unwrap();
        assert_eq!(short_calls.load(Ordering::SeqCst), 2);
    }
}
