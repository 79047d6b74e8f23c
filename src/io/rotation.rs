//! Rotating a key with proof: the steps a rotation goes through, kept on disk
//! between runs (never the secret) so that an interrupted rotation resumes,
//! and the proof that a new key works (STS GetCallerIdentity signed with it
//! answers as the same user, once IAM has propagated it).

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::aws::{ErrorKind, IamClient};
use crate::core::model::{AccessKey, KeyStatus, Secret};

/// Where a new key's secret went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretOut {
    /// A CSV file (`Access key ID,Secret access key`), mode 0600.
    Csv(PathBuf),
    /// Standard output: kept nowhere else.
    Stdout,
    /// A profile of the shared credentials file (`rotate --self`).
    CredentialsFile { path: PathBuf, profile: String },
}

impl SecretOut {
    pub fn describe(&self) -> String {
        match self {
            SecretOut::Csv(path) => path.display().to_string(),
            SecretOut::Stdout => "-".to_string(),
            SecretOut::CredentialsFile { path, profile } => {
                format!("{} [{profile}]", path.display())
            }
        }
    }
}

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
    /// Where the new key's secret went (none before it was put anywhere).
    pub secret_out: Option<SecretOut>,
    pub step: Step,
    /// When it started (RFC 3339).
    pub started: String,
    /// The user's key ids just before CreateAccessKey was sent: after a crash
    /// around the create, a key not among them (nor the old key) is the one
    /// it made. (By time it cannot be told: IAM's CreateDate is in whole
    /// seconds, the start time is not.) Empty in states saved by 0.1 builds.
    #[serde(default)]
    pub keys_before: Vec<String>,
}

/// What a saved rotation is called in refusals.
const ROLE: &str = "rotation state";

/// A path as it may be shown on a terminal.
fn shown(path: &Path) -> String {
    crate::core::sanitize::server_text(&path.display().to_string()).into_owned()
}

/// The text of `path` if it is a file iamkeys may trust (`Ok(None)` when it
/// does not exist).
fn read_trusted(role: &str, path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let Some(mut file) = crate::io::private_file::open_for_reading(role, path)? else {
        return Ok(None);
    };
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| format!("{role} {}: {e}", shown(path)))?;
    Ok(Some(text))
}

fn path(account: &str, user: &str) -> Result<PathBuf, String> {
    let dir = crate::io::journal::state_dir()
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
        Self::load_from(&path(account, user)?)
    }

    /// The rotation kept at `path`, read by the rules of trusted files
    /// (`private_file`): a symbolic link, a FIFO (never waited on), a
    /// directory, a file of another user or one others may write is refused,
    /// naming the file and why.
    pub fn load_from(path: &Path) -> Result<Option<Self>, String> {
        let Some(text) = read_trusted(ROLE, path)? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{ROLE} {}: {e}", shown(path)))
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
        crate::io::secret_file::replace_atomically(&path, text.as_bytes()).map_err(fail)
    }

    /// The users of `account` with a rotation in progress (the dashboard
    /// marks their rows). A file that cannot be read or parsed is skipped:
    /// `R` on its user says what is wrong with it.
    pub fn users_of(account: &str) -> Result<Vec<String>, String> {
        let dir = path(account, "-")?
            .parent()
            .map(std::path::Path::to_path_buf)
            .ok_or("no directory for the rotation state")?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        };
        let mut users: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            // Read by the rules of trusted files: a FIFO is refused, never
            // waited on (a blocked read would hold the dashboard's exit).
            .filter_map(|e| read_trusted(ROLE, &e.path()).ok().flatten())
            .filter_map(|text| serde_json::from_str::<Saved>(&text).ok())
            .filter(|saved| saved.account == account)
            .map(|saved| saved.user)
            .collect();
        users.sort();
        Ok(users)
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
pub fn secret_from_csv(path: Option<&Path>, key_id: &str) -> Result<Secret, String> {
    let path = path.ok_or_else(|| {
        format!("the secret of {key_id} was not saved to a file, so it cannot be proven now: delete {key_id} and rotate again")
    })?;
    let text = zeroize::Zeroizing::new(read_trusted("secret file", path)?.ok_or_else(|| {
        format!(
            "{} is gone: the secret of {key_id} is not there",
            shown(path)
        )
    })?);
    let shown = shown(path);
    text.lines()
        .filter_map(|line| line.split_once(','))
        .find(|(id, _)| *id == key_id)
        .map(|(_, secret)| Secret::new(secret.trim().to_string()))
        .ok_or_else(|| format!("{shown} does not hold the secret of {key_id}"))
}

/// What a saved rotation means, held against the keys IAM lists now.
#[derive(Debug)]
pub enum Resume {
    /// Its new key is listed: go on from the saved step.
    GoOn(Saved),
    /// Nothing to go on from (its new key is gone, or the create never made
    /// one): forget it and start afresh; `why` says what happened, if anything.
    Afresh { stale: Saved, why: Option<String> },
    /// Interrupted around CreateAccessKey, and a key made since is there: its
    /// secret was never saved. Kept, so that a rerun says it again until the
    /// key is deleted.
    Orphan { saved: Saved, key: AccessKey },
}

pub fn resume(saved: Saved, keys: &[AccessKey]) -> Resume {
    match &saved.new_key {
        Some(new_key) if keys.iter().any(|k| &k.id == new_key) => Resume::GoOn(saved),
        Some(new_key) => {
            let why = format!(
                "the rotation begun {} made {new_key}, which IAM no longer lists: starting over",
                saved.started
            );
            Resume::Afresh {
                stale: saved,
                why: Some(why),
            }
        }
        None => match made_by(&saved, keys) {
            Some(key) => Resume::Orphan {
                key: key.clone(),
                saved,
            },
            None => Resume::Afresh {
                stale: saved,
                why: None,
            },
        },
    }
}

/// The key an interrupted create made, if IAM lists one: a key that was not
/// there before the create. A state saved without `keys_before` falls back to
/// time, rounded down to IAM's whole seconds.
fn made_by<'a>(saved: &Saved, keys: &'a [AccessKey]) -> Option<&'a AccessKey> {
    let fresh = |k: &&AccessKey| k.id != saved.old_key;
    if !saved.keys_before.is_empty() {
        return keys
            .iter()
            .filter(fresh)
            .find(|k| !saved.keys_before.contains(&k.id));
    }
    let started = saved.started.parse::<jiff::Timestamp>().ok()?;
    let whole_second = jiff::Timestamp::from_second(started.as_second()).ok()?;
    keys.iter()
        .filter(fresh)
        .find(|k| k.created >= whole_second)
}

/// Why a user's keys leave no key to rotate.
#[derive(Debug, PartialEq, Eq)]
pub enum NoOldKey {
    NoActive,
    /// Two active keys: IAM allows two, so nothing can be made.
    TwoActive,
    NotListed(String),
    NotActive(String),
}

/// The key to rotate — `wanted` if given, else the one active key — and the
/// user's other key, which must go to make room.
pub fn old_key<'a>(
    keys: &'a [AccessKey],
    wanted: Option<&str>,
) -> Result<(&'a AccessKey, Option<&'a AccessKey>), NoOldKey> {
    let active: Vec<&AccessKey> = keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active)
        .collect();
    if active.len() >= 2 {
        return Err(NoOldKey::TwoActive);
    }
    let old = match wanted {
        Some(id) => {
            let key = keys
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| NoOldKey::NotListed(id.to_string()))?;
            if key.status != KeyStatus::Active {
                return Err(NoOldKey::NotActive(id.to_string()));
            }
            key
        }
        None => *active.first().ok_or(NoOldKey::NoActive)?,
    };
    Ok((old, keys.iter().find(|k| k.id != old.id)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, status: KeyStatus, created: &str) -> AccessKey {
        AccessKey {
            id: id.into(),
            user: "u".into(),
            status,
            created: created.parse().unwrap(),
            description: None,
        }
    }

    fn saved(new_key: Option<&str>) -> Saved {
        Saved {
            account: "1".into(),
            user: "u".into(),
            old_key: "OLD".into(),
            new_key: new_key.map(str::to_string),
            secret_out: Some(SecretOut::Stdout),
            step: Step::Created,
            started: "2026-12-01T10:00:00.734512Z".into(),
            keys_before: vec!["OLD".into()],
        }
    }

    #[test]
    fn a_saved_rotation_goes_on_starts_afresh_or_names_the_orphan() {
        let old = key("OLD", KeyStatus::Active, "2025-01-01T00:00:00Z");
        let new = key("NEW", KeyStatus::Active, "2026-12-01T10:00:01Z");
        let keys = [old.clone(), new.clone()];
        assert!(matches!(resume(saved(Some("NEW")), &keys), Resume::GoOn(_)));
        assert!(matches!(
            resume(saved(Some("NEW")), std::slice::from_ref(&old)),
            Resume::Afresh { why: Some(_), .. }
        ));
        assert!(matches!(
            resume(saved(None), &keys),
            Resume::Orphan { key, .. } if key.id == "NEW"
        ));
        assert!(matches!(
            resume(saved(None), std::slice::from_ref(&old)),
            Resume::Afresh { why: None, .. }
        ));
        // IAM's CreateDate is in whole seconds: a key made in the second the
        // rotation started is still recognised, by id, and by time for a
        // state saved without the ids.
        let same_second = key("NEW", KeyStatus::Active, "2026-12-01T10:00:00Z");
        let keys = [old.clone(), same_second];
        assert!(matches!(
            resume(saved(None), &keys),
            Resume::Orphan { key, .. } if key.id == "NEW"
        ));
        let mut legacy = saved(None);
        legacy.keys_before.clear();
        assert!(matches!(
            resume(legacy, &keys),
            Resume::Orphan { key, .. } if key.id == "NEW"
        ));
        // A key that was there before the create is not an orphan.
        let mut before = saved(None);
        before.keys_before.push("NEW".into());
        assert!(matches!(resume(before, &keys), Resume::Afresh { .. }));
    }

    #[test]
    fn a_saved_rotation_is_read_only_from_a_trusted_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.json");
        std::fs::write(&good, serde_json::to_string(&saved(Some("NEW"))).unwrap()).unwrap();
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(Saved::load_from(&good).unwrap(), Some(saved(Some("NEW"))));
        assert_eq!(
            Saved::load_from(&dir.path().join("none.json")).unwrap(),
            None
        );

        let fifo = dir.path().join("fifo.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        let sub = dir.path().join("dir.json");
        std::fs::create_dir(&sub).unwrap();
        let open = dir.path().join("open.json");
        std::fs::copy(&good, &open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o620)).unwrap();
        for (path, why) in [
            (&fifo, "FIFO"),
            (&link, "symbolic link"),
            (&sub, "directory"),
            (&open, "writable by its group"),
        ] {
            let err = Saved::load_from(path).unwrap_err();
            assert!(
                err.contains("rotation state")
                    && err.contains(&path.display().to_string())
                    && err.contains(why),
                "{err}"
            );
        }
        let err = secret_from_csv(Some(&fifo), "NEW").unwrap_err();
        assert!(err.contains("FIFO"), "{err}");
    }

    #[test]
    fn the_old_key_is_the_one_active_key_or_the_one_named() {
        let a = key("A", KeyStatus::Active, "2025-01-01T00:00:00Z");
        let i = key("I", KeyStatus::Inactive, "2025-01-01T00:00:00Z");
        let b = key("B", KeyStatus::Active, "2025-01-01T00:00:00Z");
        let pair = [a.clone(), i.clone()];
        let (old, other) = old_key(&pair, None).unwrap();
        assert_eq!(
            (old.id.as_str(), other.map(|o| o.id.as_str())),
            ("A", Some("I"))
        );
        assert_eq!(old_key(&[a.clone(), b], None), Err(NoOldKey::TwoActive));
        assert_eq!(
            old_key(std::slice::from_ref(&i), None),
            Err(NoOldKey::NoActive)
        );
        assert_eq!(
            old_key(&[a.clone(), i.clone()], Some("I")),
            Err(NoOldKey::NotActive("I".into()))
        );
        assert_eq!(
            old_key(&[a], Some("X")),
            Err(NoOldKey::NotListed("X".into()))
        );
    }
}
