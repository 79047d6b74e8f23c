//! Optional diagnostic logs (`--log-file`). Without the flag nothing is logged,
//! so nothing can be printed over the dashboard.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// The SDK's wire-level targets are capped at `info`: at debug and trace they
/// log request and response bodies, and a CreateAccessKey reply holds a secret.
const FIXED_DIRECTIVES: [&str; 4] = [
    "aws_smithy_runtime=info",
    "aws_smithy_http=info",
    "aws_smithy_runtime_api=info",
    "hyper=info",
];

/// Sends tracing output to `path` (appending). `IAMKEYS_LOG` sets the level
/// (default `info,iamkeys=debug`).
pub fn init(path: &Path) -> std::io::Result<()> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let mut filter = EnvFilter::try_from_env("IAMKEYS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,iamkeys=debug"));
    for directive in FIXED_DIRECTIVES {
        // These literals are valid directives; a parse failure would only skip one.
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    Ok(())
}
