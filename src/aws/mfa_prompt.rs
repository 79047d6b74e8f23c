//! Where MFA codes are asked: the terminal, or (while the dashboard holds the
//! terminal) a dialog of the dashboard's. A property of the process, not of a
//! session: one terminal per process.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

/// Asks for an MFA code somewhere other than the terminal (the dashboard's
/// dialog): the prompt in, the code (or why there is none) out.
pub type CodeAsker =
    Arc<dyn Fn(String) -> BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// Where codes are asked now: `None` is the terminal.
static ROUTE: Mutex<Option<CodeAsker>> = Mutex::new(None);

/// From now on, codes are asked through `asker` (the dashboard, while it
/// holds the terminal). `None` sends them back to the terminal.
pub fn route_prompts_to(asker: Option<CodeAsker>) {
    *ROUTE.lock().unwrap_or_else(|p| p.into_inner()) = asker;
}

/// Whether codes go to the dashboard now (then nothing is written to stderr).
pub fn prompts_routed() -> bool {
    ROUTE.lock().unwrap_or_else(|p| p.into_inner()).is_some()
}

pub(super) fn current_route() -> Option<CodeAsker> {
    ROUTE.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
