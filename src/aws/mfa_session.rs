//! A role session that needs MFA, renewed before it expires. Role credentials
//! obtained with an MFA code last at most an hour (minutes, from a reused AWS
//! CLI cache entry); aws-config cannot renew them (it has no MFA prompt), so
//! every call would fail with ExpiredToken, a job in progress among them.
//!
//! [`MfaRoleProvider`] is the session's credentials provider: it hands out
//! the role's credentials, and when they come near expiry (the credential
//! resolver above it, `ResolvedOnce`, asks again five minutes before) it
//! assumes the role again with a new code. Every request waits for it: a job
//! in progress pauses at its next request (never half-way through one) and
//! goes on with the new credentials.
//!
//! Where the code is asked is a property of the process, not of a session:
//! the terminal (headless commands) or, while the dashboard owns the
//! terminal, a dialog of its own ([`route_prompts_to`]).

use std::fmt;
use std::sync::{Arc, Mutex};

use super::mfa::{AskCode, TerminalPrompt, assume_role};
use super::mfa_prompt::{CodeAsker, current_route};
pub use super::mfa_prompt::{prompts_routed, route_prompts_to};
use super::profiles::RoleProfile;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};

/// A code is being asked on the terminal: progress lines stay off it.
static ASKING_ON_TERMINAL: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Whether a code is being asked on the terminal now (headless progress
/// lines must not overwrite the prompt).
pub fn asking_on_terminal() -> bool {
    ASKING_ON_TERMINAL.load(std::sync::atomic::Ordering::SeqCst)
}

/// Codes asked through the dashboard and not answered yet, by request id.
type Waiting = std::collections::HashMap<u64, tokio::sync::oneshot::Sender<Result<String, String>>>;
static WAITING: Mutex<Option<Waiting>> = Mutex::new(None);

/// An asker for the dashboard: each request gets an id, `post(id, prompt)`
/// tells the dashboard (which opens its dialog), and [`answer`] with that id
/// brings the code (or the refusal) back.
pub fn dashboard_asker(post: Arc<dyn Fn(u64, String) + Send + Sync>) -> CodeAsker {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    Arc::new(move |prompt: String| {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = tokio::sync::oneshot::channel();
        WAITING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(Default::default)
            .insert(id, tx);
        post(id, prompt);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err("the dashboard closed before a code was typed".into()))
        })
    })
}

/// The dashboard's answer to request `id`: the code typed, or why there is none.
pub fn answer(id: u64, code: Result<String, String>) {
    let waiting = WAITING
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_mut()
        .and_then(|w| w.remove(&id));
    if let Some(tx) = waiting {
        let _ = tx.send(code);
    }
}

/// The credentials of an MFA role profile, assumed again when they near expiry.
pub struct MfaRoleProvider {
    base: aws_config::SdkConfig,
    source: SharedCredentialsProvider,
    role: RoleProfile,
    serial: String,
    /// The credentials of the start (asked on the terminal before any driver
    /// ran), handed out once; after them, each call assumes the role again.
    first: Mutex<Option<Credentials>>,
}

impl fmt::Debug for MfaRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaRoleProvider")
            .field("role", &self.role.role_arn)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl MfaRoleProvider {
    pub fn new(
        base: aws_config::SdkConfig,
        source: SharedCredentialsProvider,
        role: RoleProfile,
        serial: String,
        first: Credentials,
    ) -> Self {
        Self {
            base,
            source,
            role,
            serial,
            first: Mutex::new(Some(first)),
        }
    }

    async fn renew(&self) -> Result<Credentials, String> {
        let first = self.first.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(first) = first {
            return Ok(first);
        }
        tracing::info!(role = %self.role.role_arn, "the MFA role session is about to expire; asking for a new code");
        match current_route() {
            Some(asker) => {
                let mut dialog = Routed(asker);
                assume_role(
                    &self.base,
                    self.source.clone(),
                    &self.role,
                    &self.serial,
                    &mut dialog,
                )
                .await
            }
            None => {
                ASKING_ON_TERMINAL.store(true, std::sync::atomic::Ordering::SeqCst);
                // Off the progress line, if one is shown.
                {
                    use std::io::Write;
                    // Dropped if stderr cannot take it: never a panic mid-job.
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "\niamkeys: the session of {} ends soon: a new MFA code renews it (the work in progress waits)",
                        crate::core::sanitize::server_text(&self.role.role_arn)
                    );
                }
                // The prompt blocks on the terminal: not on a runtime worker.
                let (base, source, role, serial) = (
                    self.base.clone(),
                    self.source.clone(),
                    self.role.clone(),
                    self.serial.clone(),
                );
                let handle = tokio::runtime::Handle::current();
                ASKING_ON_TERMINAL.store(true, std::sync::atomic::Ordering::SeqCst);
                let renewed = tokio::task::spawn_blocking(move || {
                    handle.block_on(assume_role(
                        &base,
                        source,
                        &role,
                        &serial,
                        &mut TerminalPrompt,
                    ))
                })
                .await
                .map_err(|e| format!("the MFA prompt stopped: {e}"));
                ASKING_ON_TERMINAL.store(false, std::sync::atomic::Ordering::SeqCst);
                renewed?
            }
        }
    }
}

impl ProvideCredentials for MfaRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.renew().await.map_err(|why| {
                CredentialsError::not_loaded(format!("cannot renew the MFA role session: {why}"))
            })
        })
    }
}

/// A code asked through the dashboard's route, for `assume_role`'s tries.
struct Routed(CodeAsker);

impl AskCode for Routed {
    fn ask(&mut self, prompt: &str) -> Result<String, String> {
        let asked = (self.0)(prompt.to_string());
        // `assume_role` asks synchronously; the dashboard answers on its own
        // loop, so waiting here on a blocking section is safe.
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(asked))
    }
}
