//! Credentials resolved once: the chain (an AssumeRole, a `credential_process`
//! that prompts, an SSO token read) runs a single time at start, and again only
//! when what it gave is about to expire.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, Result as CredentialsResult, SharedCredentialsProvider, future,
};

/// Credentials this close to expiry are resolved again.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

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
            return Ok(credentials.clone());
        }
        let credentials = self.inner.provide_credentials().await?;
        *held = Some(credentials.clone());
        Ok(credentials)
    }
}

fn still_good(credentials: &Credentials, now: SystemTime) -> bool {
    credentials
        .expiry()
        .is_none_or(|expiry| expiry > now + REFRESH_BEFORE_EXPIRY)
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
