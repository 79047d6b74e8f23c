//! Rotating a key with proof: the steps a rotation goes through, kept on disk
//! between runs (never the secret) so that an interrupted rotation resumes,
//! and the proof that a new key works (STS GetCallerIdentity signed with it
//! answers as the same user, once IAM has propagated it).

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::iam::model::Secret;
use crate::iam::{ErrorKind, IamClient};

/// How far a rotation got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// CreateAccessKey was about to be sent: a key made since may be ours.
    Creating,
    /// The new key exists and its secret is where `secret_out` says.
    Created,
    /// The new key signed as the user.
    Verified,
    /// The old key is inactive.
    OldDeactivated,
}

/// A rotation in progress, as kept under `$XDG_STATE_HOME/iamkeys/rotations/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub account: String,
    pub user: String,
    pub old_key: String,
    pub new_key: Option<String>,
    /// Where the new key's secret went: a CSV path, `-` (stdout), or the
    /// shared credentials file of `--self`.
    pub secret_out: Option<String>,
    pub step: Step,
    /// When it started (RFC 3339): a key made after this may be its new key.
    pub started: String,
}

fn path(account: &str, user: &str) -> Result<PathBuf, String> {
    let dir = crate::journal::state_dir()
        .ok_or("neither XDG_STATE_HOME nor HOME is set: rotations cannot be resumed")?;
    // User names are [\w+=,.@-]+: safe in a file name.
    let name: String = format!("{account}-{user}")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "+=,.@-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(dir.join("rotations").join(format!("{name}.json")))
}

impl Saved {
    /// The rotation of `user` in progress, if there is one.
    pub fn load(account: &str, user: &str) -> Result<Option<Self>, String> {
        let path = path(account, user)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes it (mode 0600, by rename: a crash leaves the old or the new).
    pub fn save(&self) -> Result<(), String> {
        let path = path(&self.account, &self.user)?;
        let fail = |e: std::io::Error| format!("{}: {e}", path.display());
        let dir = path.parent().ok_or("no directory for the rotation state")?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        crate::secret_file::replace_atomically(&path, text.as_bytes()).map_err(fail)
    }

    /// The rotation is over (or abandoned): nothing to resume.
    pub fn forget(&self) -> Result<(), String> {
        let path = path(&self.account, &self.user)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// The secret of `key_id` from the CSV it was saved to (for a resumed proof).
pub fn secret_from_csv(path: Option<&str>, key_id: &str) -> Result<Secret, String> {
    let path = path.ok_or_else(|| {
        format!("the secret of {key_id} was not saved to a file, so it cannot be proven now: delete {key_id} and rotate again")
    })?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .filter_map(|line| line.split_once(','))
        .find(|(id, _)| *id == key_id)
        .map(|(_, secret)| Secret::new(secret.trim().to_string()))
        .ok_or_else(|| format!("{path} does not hold the secret of {key_id}"))
}

/// Pauses between attempts to sign with a new key (IAM takes seconds to
/// propagate it; then the last pause repeats until the time is up).
const PROOF_PAUSES_SECS: [u64; 5] = [1, 2, 3, 5, 8];

/// Signs STS GetCallerIdentity with the new key until it answers as
/// `expected_arn`, for up to `within`. Returns the ARN it signed as, or why not.
pub async fn prove(
    client: &IamClient,
    key_id: &str,
    secret: &Secret,
    expected_arn: &str,
    within: Duration,
    mut attempt_failed: impl FnMut(&str),
) -> Result<String, String> {
    let signer = client.with_key(key_id, secret);
    let deadline = tokio::time::Instant::now() + within;
    let mut pauses = PROOF_PAUSES_SECS.iter().copied();
    let mut last = PROOF_PAUSES_SECS[PROOF_PAUSES_SECS.len() - 1];
    loop {
        let why = match signer.caller_identity_once().await {
            Ok(identity) if identity.arn == expected_arn => return Ok(identity.arn),
            Ok(identity) => {
                return Err(format!(
                    "the new key signs as {}, not as {expected_arn}",
                    identity.arn
                ));
            }
            // Not propagated yet (InvalidClientTokenId), or a passing failure.
            Err(err) if err.kind() == ErrorKind::Credentials || err.kind().is_transient() => {
                format!("{}: {}", err.code, err.message)
            }
            Err(err) => return Err(err.to_string()),
        };
        attempt_failed(&why);
        let pause = pauses.next().unwrap_or(last);
        last = pause;
        let next = tokio::time::Instant::now() + Duration::from_secs(pause);
        if next > deadline {
            return Err(format!(
                "it did not sign as {expected_arn} within {} s (last: {why})",
                within.as_secs()
            ));
        }
        tokio::time::sleep_until(next).await;
    }
}
