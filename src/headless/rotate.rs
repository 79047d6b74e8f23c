//! `iamkeys rotate --user NAME` and `iamkeys rotate --self`: create a new key,
//! put its secret where asked, prove that it signs as the user, then retire
//! the old key — never the other way round. Every change goes through the
//! runner (journaled); the steps are kept on disk so that a rerun resumes, or
//! says exactly what state IAM is in.

use std::time::Duration;

use serde::Serialize;

use crate::change::read_only_refusal;
use crate::change::{ChangeOutcome, KeyChange};
use crate::iam::model::{AccessKey, KeyStatus, LastUsed, Secret, user_of_arn};
use crate::rotation::{NoOldKey, Resume, Saved, SecretOut, Step, old_key, prove, resume};
use crate::runner::{Operation, Runner};
use crate::state::Context;

use super::credentials_file;
use super::{EXIT_FAILED, EXIT_OK, EXIT_REFUSED, ask};

/// The new key could not be proven: it exists, the old key is untouched, and
/// a rerun resumes.
pub const EXIT_NOT_VERIFIED: u8 = 5;

/// What `rotate` was asked to do.
#[derive(Clone, Debug)]
pub struct Request {
    pub user: Option<String>,
    pub key: Option<String>,
    /// `--secret-out`: a path, or `-` for stdout.
    pub secret_out: Option<String>,
    pub deactivate_old: bool,
    pub delete_old: bool,
    /// Make room by deleting the user's inactive key.
    pub delete_inactive: bool,
    /// `--self`: the profile's key in the shared credentials file.
    pub own_key: bool,
    /// The profile `--self` rotates.
    pub profile: Option<String>,
    pub verify_timeout: Duration,
    pub yes: bool,
}

/// The JSON summary printed on stdout at the end.
#[derive(Debug, Serialize)]
struct Summary {
    user: String,
    old_key: String,
    new_key: String,
    verified: bool,
    signs_as: String,
    /// `active`, `inactive` or `deleted`.
    old_key_now: &'static str,
    old_key_last_used: Option<String>,
    old_key_last_used_service: Option<String>,
    secret_out: String,
    resumed: bool,
}

/// A stop with an exit code and what to tell the administrator.
struct Stop(u8, String);

fn stop(code: u8, text: impl Into<String>) -> Stop {
    Stop(code, text.into())
}

pub async fn run(runner: Runner, context: &Context, request: Request) -> u8 {
    match rotate(runner, context, request).await {
        Ok(summary) => {
            match serde_json::to_string(&summary) {
                Ok(line) => println!("{line}"),
                Err(err) => eprintln!("iamkeys: {err}"),
            }
            EXIT_OK
        }
        Err(Stop(code, text)) => {
            eprintln!("iamkeys: {text}");
            code
        }
    }
}

async fn rotate(runner: Runner, context: &Context, request: Request) -> Result<Summary, Stop> {
    if runner.read_only {
        return Err(stop(EXIT_REFUSED, read_only_refusal("rotating keys")));
    }
    let (user, destination, file_key) = target(context, &request)?;
    let account = context.identity.account.clone();
    let keys = runner
        .client
        .list_keys_described(&user)
        .await
        .map_err(|e| stop(EXIT_FAILED, format!("cannot list the keys of {user}: {e}")))?;
    let saved = Saved::load(&account, &user).map_err(|e| stop(EXIT_FAILED, e))?;
    let resumable = match saved {
        Some(saved) => resume_point(saved, &keys)?,
        None => None,
    };
    let resumed = resumable.is_some();
    let (mut saved, new_secret) = match resumable {
        Some(saved) => {
            eprintln!(
                "iamkeys: resuming the rotation of {} of {user} begun {} (new key {}, {:?})",
                saved.old_key,
                saved.started,
                saved.new_key.as_deref().unwrap_or("-"),
                saved.step
            );
            (saved, None)
        }
        None => {
            let (saved, secret) = start(
                &runner,
                context,
                &request,
                &user,
                &keys,
                &destination,
                file_key,
            )
            .await?;
            (saved, Some(secret))
        }
    };
    let new_key = saved.new_key.clone().unwrap_or_default();
    let old = saved.old_key.clone();
    let old_entry = keys.iter().find(|k| k.id == old).cloned();
    let is_self = request.own_key;

    // Prove it.
    let user_arn = runner
        .client
        .user_arn(&user)
        .await
        .map_err(|e| stop(EXIT_FAILED, format!("cannot read {user}: {e}")))?;
    let secret = match new_secret {
        Some(secret) => secret,
        None => secret_from(&destination, &new_key)?,
    };
    let signs_as = prove(
        &runner.client,
        &new_key,
        &secret,
        &user_arn,
        request.verify_timeout,
        |why| eprintln!("iamkeys: the new key does not sign yet (IAM propagates it): {why}"),
    )
    .await
    .map_err(|why| {
        stop(
            EXIT_NOT_VERIFIED,
            format!(
                "not verified: {why}. The new key {new_key} exists (its secret is in {}); the old key {old} is untouched. Run the same command again to resume.",
                destination.describe()
            ),
        )
    })?;
    eprintln!("iamkeys: verified: {new_key} signs as {signs_as}");
    if saved.step < Step::Verified {
        saved.step = Step::Verified;
        saved.save().map_err(|e| stop(EXIT_FAILED, e))?;
    }

    // What still uses the old key: its last use, read live.
    let last_use = runner.client.key_last_used(&old).await.ok();
    if let Some(LastUsed::Used { at, service, .. }) = &last_use {
        eprintln!(
            "iamkeys: the old key {old} was last used {at}{}",
            service
                .as_deref()
                .map(|s| format!(" by {s}"))
                .unwrap_or_default()
        );
    }

    // Retire the old key, signing with the new one when it was our own.
    let retirer = if is_self {
        Runner {
            client: runner.client.with_key(&new_key, &secret),
            ..runner.clone()
        }
    } else {
        runner.clone()
    };
    let operation = Operation::new("rotate");
    let deactivate = is_self || request.deactivate_old || request.delete_old;
    let mut old_now = if old_entry.is_some() {
        "active"
    } else {
        "deleted"
    };
    if old_entry
        .as_ref()
        .is_some_and(|k| k.status == KeyStatus::Inactive)
    {
        old_now = "inactive";
    }
    if deactivate && old_entry.is_some() && saved.step < Step::OldDeactivated {
        let change = KeyChange::SetStatus {
            user: user.clone(),
            key_id: old.clone(),
            to: KeyStatus::Inactive,
            signing_confirmed: is_self,
        };
        run_change(&retirer, &change, &operation, "deactivate the old key").await?;
        saved.step = Step::OldDeactivated;
        saved.save().map_err(|e| stop(EXIT_FAILED, e))?;
        old_now = "inactive";
    }
    if request.delete_old && old_entry.is_some() {
        let change = KeyChange::Delete {
            user: user.clone(),
            key_id: old.clone(),
            had_description: old_entry.as_ref().is_some_and(|k| k.description.is_some()),
            allow_active: false,
            signing_confirmed: is_self,
        };
        run_change(&retirer, &change, &operation, "delete the old key").await?;
        old_now = "deleted";
    }
    saved.forget().map_err(|e| stop(EXIT_FAILED, e))?;
    let (used_at, used_by) = match last_use {
        Some(LastUsed::Used { at, service, .. }) => (Some(at.to_string()), service),
        Some(LastUsed::Never) => (Some("never".to_string()), None),
        None => (None, None),
    };
    Ok(Summary {
        user,
        old_key: old,
        new_key,
        verified: true,
        signs_as,
        old_key_now: old_now,
        old_key_last_used: used_at,
        old_key_last_used_service: used_by,
        secret_out: destination.describe(),
        resumed,
    })
}

/// Which user, where the secret goes, and (for `--self`) the profile's key.
fn target(
    context: &Context,
    request: &Request,
) -> Result<(String, SecretOut, Option<String>), Stop> {
    if !request.own_key {
        let user = request.user.clone().ok_or_else(|| {
            stop(
                EXIT_REFUSED,
                "name the user (--user NAME), or rotate your own key with --self",
            )
        })?;
        let destination = match request.secret_out.as_deref() {
            Some("-") => SecretOut::Stdout,
            Some(path) => {
                let path = crate::secret_file::resolve(path)
                    .map_err(|e| stop(EXIT_REFUSED, format!("--secret-out: {e:?}")))?;
                SecretOut::Csv(path)
            }
            None => {
                return Err(stop(
                    EXIT_REFUSED,
                    "say where the new key's secret goes: --secret-out PATH (a new file, mode 0600) or - (stdout)",
                ));
            }
        };
        return Ok((user, destination, None));
    }
    if request.user.is_some() || request.secret_out.is_some() || request.key.is_some() {
        return Err(stop(
            EXIT_REFUSED,
            "--self rotates the profile's own key into the credentials file: it takes no --user, --key or --secret-out",
        ));
    }
    let user = user_of_arn(&context.identity.arn).ok_or_else(|| {
        stop(
            EXIT_REFUSED,
            format!(
                "this session is {}, not an IAM user: --self rotates an IAM user's long-term key",
                context.identity.arn
            ),
        )
    })?;
    let profile = request
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string());
    let path = credentials_file::path().map_err(|e| stop(EXIT_REFUSED, e))?;
    let (key_id, _) =
        credentials_file::read_key(&path, &profile).map_err(|e| stop(EXIT_REFUSED, e))?;
    if context.session.signing.as_deref() != Some(key_id.as_str()) {
        return Err(stop(
            EXIT_REFUSED,
            format!(
                "this session signs with {}, not with profile {profile}'s key {key_id} (are AWS_ACCESS_KEY_ID or another profile in force?)",
                context
                    .session
                    .signing
                    .as_deref()
                    .unwrap_or("temporary credentials")
            ),
        ));
    }
    Ok((
        user.to_string(),
        SecretOut::CredentialsFile { path, profile },
        Some(key_id),
    ))
}

/// Where a saved rotation can go on from, or why it cannot (IAM's state, said exactly).
fn resume_point(saved: Saved, keys: &[AccessKey]) -> Result<Option<Saved>, Stop> {
    match resume(saved, keys) {
        Resume::GoOn(saved) => Ok(Some(saved)),
        Resume::Afresh { stale, why } => {
            if let Some(why) = why {
                eprintln!("iamkeys: {why}");
            }
            stale.forget().map_err(|e| stop(EXIT_FAILED, e))?;
            Ok(None)
        }
        Resume::Orphan { saved, key } => Err(stop(
            EXIT_FAILED,
            format!(
                "an interrupted rotation made {} at {} and its secret was never saved; the old key {} is untouched. Delete {} (iamkeys deactivate, then delete --filter {}) and run rotate again.",
                key.id, key.created, saved.old_key, key.id, key.id
            ),
        )),
    }
}

/// A fresh rotation: pick the old key, make room, confirm, create, and put
/// the secret where asked. Returns the saved state and the new secret.
async fn start(
    runner: &Runner,
    context: &Context,
    request: &Request,
    user: &str,
    keys: &[AccessKey],
    destination: &SecretOut,
    file_key: Option<String>,
) -> Result<(Saved, Secret), Stop> {
    let wanted = request.key.clone().or(file_key);
    let (old, other) = old_key(keys, wanted.as_deref()).map_err(|why| {
        stop(
            EXIT_FAILED,
            match why {
                NoOldKey::NoActive => format!("{user} has no active key to rotate"),
                NoOldKey::TwoActive => format!(
                    "{user} has two active keys and IAM allows two: deactivate the one no longer used (and delete it), then rotate the other"
                ),
                NoOldKey::NotListed(id) => format!("{user} has no key {id}"),
                NoOldKey::NotActive(id) => format!("{id} is inactive: only an active key is rotated"),
            },
        )
    })?;
    if let SecretOut::Csv(path) = destination
        && std::fs::symlink_metadata(path).is_ok()
    {
        return Err(stop(
            EXIT_REFUSED,
            format!(
                "--secret-out {} exists: iamkeys never writes a secret over a file; choose a new name",
                path.display()
            ),
        ));
    }
    if !request.own_key && context.session.link(user, &old.id).is_some() {
        return Err(stop(
            EXIT_REFUSED,
            format!(
                "{} is a key this session depends on: rotate it with --self, which keeps the session signing",
                old.id
            ),
        ));
    }
    if let Some(other) = other
        && !request.delete_inactive
    {
        return Err(stop(
            EXIT_REFUSED,
            format!(
                "{user} has two keys and IAM allows two: to make room, delete the inactive key {} (add --delete-inactive)",
                other.id
            ),
        ));
    }
    if !request.yes {
        let retire = if request.own_key || request.delete_old {
            if request.delete_old {
                "deactivate and delete"
            } else {
                "deactivate"
            }
        } else if request.deactivate_old {
            "deactivate"
        } else {
            "keep"
        };
        let room = other
            .map(|o| format!(", deleting the inactive key {} first", o.id))
            .unwrap_or_default();
        let question = format!(
            "Rotate {} of {user}: create a new key, prove it, then {retire} the old one{room}? Type yes to go on:",
            old.id
        );
        ask::confirm(&question, "yes").map_err(|not| stop(EXIT_REFUSED, not.message()))?;
    }
    let operation = Operation::new("rotate");
    if let Some(other) = other {
        let change = KeyChange::Delete {
            user: user.to_string(),
            key_id: other.id.clone(),
            had_description: other.description.is_some(),
            allow_active: false,
            // Every key of one's own user is a key of this session.
            signing_confirmed: request.own_key,
        };
        run_change(runner, &change, &operation, "make room").await?;
    }
    let mut saved = Saved {
        account: context.identity.account.clone(),
        user: user.to_string(),
        old_key: old.id.clone(),
        new_key: None,
        secret_out: Some(destination.clone()),
        step: Step::Creating,
        started: jiff::Timestamp::now().to_string(),
        // After making room: the inactive key deleted is not among them.
        keys_before: keys
            .iter()
            .filter(|k| other.is_none_or(|o| o.id != k.id))
            .map(|k| k.id.clone())
            .collect(),
    };
    saved.save().map_err(|e| stop(EXIT_FAILED, e))?;
    let change = KeyChange::Create {
        user: user.to_string(),
        description: old.description.clone(),
    };
    let created = runner.run(&change, &operation).await;
    let key = match created.result {
        Ok(ChangeOutcome::Created { key, .. }) => key,
        Ok(ChangeOutcome::CreatedSecretLost { key }) => {
            // Nobody saw its secret: it is of no use, and takes a slot.
            let change = KeyChange::Delete {
                user: user.to_string(),
                key_id: key.id.clone(),
                had_description: false,
                allow_active: true,
                signing_confirmed: false,
            };
            let deleted = runner.run(&change, &operation).await.result.is_ok();
            let _ = saved.forget();
            return Err(stop(
                EXIT_FAILED,
                format!(
                    "CreateAccessKey's reply was lost; IAM made {} whose secret nobody saw ({}). The old key is untouched: run rotate again.",
                    key.id,
                    if deleted {
                        "deleted again"
                    } else {
                        "delete it"
                    }
                ),
            ));
        }
        Ok(other) => return Err(stop(EXIT_FAILED, format!("unexpected answer: {other:?}"))),
        Err(err) => {
            let _ = saved.forget();
            return Err(stop(
                EXIT_FAILED,
                format!("cannot create the new key: {err}"),
            ));
        }
    };
    if let Err(why) = deliver(destination, &key.key.id, &key.secret) {
        // The secret is nowhere: the key would be a key nobody can use.
        let change = KeyChange::Delete {
            user: user.to_string(),
            key_id: key.key.id.clone(),
            had_description: old.description.is_some(),
            allow_active: true,
            signing_confirmed: false,
        };
        let undone = runner.run(&change, &operation).await.result.is_ok();
        let _ = saved.forget();
        return Err(stop(
            EXIT_FAILED,
            format!(
                "cannot put the new secret in {}: {why}. The new key {} was {}; the old key is untouched.",
                destination.describe(),
                key.key.id,
                if undone {
                    "deleted again"
                } else {
                    "NOT deleted: delete it"
                }
            ),
        ));
    }
    saved.new_key = Some(key.key.id.clone());
    saved.step = Step::Created;
    saved.save().map_err(|e| stop(EXIT_FAILED, e))?;
    Ok((saved, key.secret))
}

/// Puts the new key's secret where it was asked to go.
fn deliver(destination: &SecretOut, key_id: &str, secret: &Secret) -> Result<(), String> {
    match destination {
        SecretOut::Csv(path) => {
            crate::secret_file::write_secret_csv(&path.to_string_lossy(), key_id, secret, false)
                .map(|_| ())
                .map_err(|e| match e {
                    crate::action::SaveError::Exists => "the file exists".to_string(),
                    crate::action::SaveError::Failed(why) => why,
                })
        }
        SecretOut::Stdout => {
            println!("Access key ID,Secret access key");
            println!("{key_id},{}", secret.expose());
            Ok(())
        }
        SecretOut::CredentialsFile { path, profile } => {
            credentials_file::replace_key(path, profile, key_id, secret)
        }
    }
}

/// The new key's secret where an earlier run put it, for a resumed proof.
fn secret_from(destination: &SecretOut, new_key: &str) -> Result<Secret, Stop> {
    let unreadable = |why: String| {
        stop(
            EXIT_NOT_VERIFIED,
            format!(
                "cannot prove {new_key}: {why}. Prove it by hand, or delete {new_key} and run rotate again."
            ),
        )
    };
    match destination {
        SecretOut::Stdout => Err(unreadable(
            "its secret went to stdout and is kept nowhere else".into(),
        )),
        SecretOut::Csv(path) => {
            crate::rotation::secret_from_csv(Some(path), new_key).map_err(unreadable)
        }
        SecretOut::CredentialsFile { path, profile } => {
            let (id, secret) = credentials_file::read_key(path, profile).map_err(unreadable)?;
            if id == new_key {
                Ok(secret)
            } else {
                Err(unreadable(format!(
                    "profile {profile} holds {id}, not the new key"
                )))
            }
        }
    }
}

/// Runs one step's change; a failure stops the rotation with what happened.
async fn run_change(
    runner: &Runner,
    change: &KeyChange,
    operation: &Operation,
    step: &str,
) -> Result<(), Stop> {
    let recorded = runner.run(change, operation).await;
    if let Some(why) = &recorded.journal_error {
        eprintln!("iamkeys: not journaled: {why}");
    }
    recorded.result.map(|_| ()).map_err(|err| {
        stop(
            EXIT_FAILED,
            format!("could not {step} ({}): {err}", change.subject()),
        )
    })
}
