//! `iamkeys rotate --user NAME` and `iamkeys rotate --self`: create a new key,
//! put its secret where asked, prove that it signs as the user, then retire
//! the old key — never the other way round. Every change goes through the
//! runner (journaled); the steps are kept on disk so that a rerun resumes, or
//! says exactly what state IAM is in.

mod stdout;

use std::time::Duration;

use serde::Serialize;

use crate::core::change::read_only_refusal;
use crate::core::change::{ChangeOutcome, KeyChange};
use crate::core::model::{AccessKey, KeyStatus, LastUsed, Secret, user_of_arn};
use crate::core::sanitize::server_text;
use crate::io::rotation::{NoOldKey, Resume, Saved, SecretOut, Step, old_key, prove, resume};
use crate::io::runner::{Operation, Runner};
use crate::tui::state::Context;

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
    /// `--keep-old`: leave the old key active after the proof (the rotation
    /// is kept, so that a rerun retires it).
    pub keep_old: bool,
    /// `--delete-orphan`: delete a key an interrupted run made but whose
    /// secret was never saved, then rotate afresh.
    pub delete_orphan: bool,
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

/// What becomes of the old key once the new one is proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retire {
    /// `--keep-old`: it stays active.
    Keep,
    /// The default (and `--deactivate-old`).
    Deactivate,
    /// `--delete-old`: deactivated, then deleted.
    Delete,
}

impl Retire {
    fn of(request: &Request) -> Result<Self, Stop> {
        match (request.keep_old, request.delete_old) {
            (true, _) if request.delete_old || request.deactivate_old => Err(stop(
                EXIT_REFUSED,
                "--keep-old keeps the old key active: it goes with neither --deactivate-old nor --delete-old",
            )),
            (true, _) => Ok(Retire::Keep),
            (false, true) => Ok(Retire::Delete),
            (false, false) => Ok(Retire::Deactivate),
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Retire::Keep => "keep",
            Retire::Deactivate => "deactivate",
            Retire::Delete => "deactivate and delete",
        }
    }
}

/// How long a pipe's reader has, after the proof, to read the secret.
const PIPE_PATIENCE: Duration = Duration::from_secs(5);

/// A stop with an exit code and what to tell the administrator.
struct Stop(u8, String);

fn stop(code: u8, text: impl Into<String>) -> Stop {
    Stop(code, text.into())
}

pub async fn run(runner: Runner, context: &Context, request: Request) -> u8 {
    match rotate(runner, context, request).await {
        Ok(summary) => {
            let written = serde_json::to_string(&summary)
                .map_err(|e| e.to_string())
                .and_then(|line| stdout::write_lines(&[&line]));
            match written {
                Ok(()) => EXIT_OK,
                Err(why) => {
                    super::warn(format_args!(
                        "the rotation is done, but its summary was not written: {why}"
                    ));
                    EXIT_FAILED
                }
            }
        }
        Err(Stop(code, text)) => {
            // Its words may carry a saved rotation's or the server's text.
            super::warn(format_args!("{}", server_text(&text)));
            code
        }
    }
}

async fn rotate(runner: Runner, context: &Context, request: Request) -> Result<Summary, Stop> {
    if runner.read_only {
        return Err(stop(EXIT_REFUSED, read_only_refusal("rotating keys")));
    }
    let retire = Retire::of(&request)?;
    let (user, destination, file_key) = target(context, &request)?;
    let account = context.identity.account.clone();
    let mut keys = list_keys(&runner, &user).await?;
    let saved = Saved::load(&account, &user).map_err(|e| stop(EXIT_FAILED, e))?;
    let resumable = match saved {
        Some(saved) => match resume_point(&runner, &request, saved, &keys).await? {
            Some(saved) => Some(saved),
            None => {
                // An orphan was deleted, or the state was stale: IAM's keys now.
                keys = list_keys(&runner, &user).await?;
                None
            }
        },
        None => None,
    };
    let resumed = resumable.is_some();
    let (mut saved, new_secret) = match resumable {
        Some(saved) => {
            super::warn(format_args!(
                "resuming the rotation of {} of {user} begun {} (new key {}, {:?})",
                server_text(&saved.old_key),
                server_text(&saved.started),
                server_text(saved.new_key.as_deref().unwrap_or("-")),
                saved.step
            ));
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
    if resumed {
        // Somebody may have acted since: what IAM holds now decides.
        still_usable(&keys, &saved)?;
    }

    let secret = match new_secret {
        Some(secret) => Some(secret),
        None => secret_from(&destination, &new_key, saved.step)?,
    };
    let signs_as = match &secret {
        Some(secret) => {
            prove_new(
                &runner,
                &user,
                &new_key,
                secret,
                &destination,
                &old,
                &request,
            )
            .await?
        }
        None => {
            // The secret went to stdout and is kept nowhere; an earlier run
            // proved it and saw it taken, and IAM lists it Active now.
            super::warn(format_args!(
                "{} was proven by the run that made it (its secret went to stdout and is kept nowhere): not proven again",
                server_text(&new_key)
            ));
            String::new()
        }
    };
    if matches!(destination, SecretOut::Stdout) && saved.step < Step::Verified {
        // Written is not yet taken: a pipe's reader must have read it.
        stdout::taken(PIPE_PATIENCE).map_err(|why| {
            stop(
                EXIT_FAILED,
                format!(
                    "{why}. Nothing was retired: the new key {} exists and the old key {} is untouched. If the secret was kept, prove and retire by hand; else delete {} and run rotate again.",
                    server_text(&new_key),
                    server_text(&old),
                    server_text(&new_key)
                ),
            )
        })?;
    }
    if saved.step < Step::Verified {
        saved.step = Step::Verified;
        saved.save().map_err(|e| stop(EXIT_FAILED, e))?;
    }
    if let (SecretOut::CredentialsFile { path, profile }, Some(secret)) = (&destination, &secret) {
        install_in_credentials_file(path, profile, &new_key, secret, &old)?;
    }

    // What still uses the old key: its last use, read live.
    let last_use = runner.client.key_last_used(&old).await.ok();
    if let Some(LastUsed::Used { at, service, .. }) = &last_use {
        super::warn(format_args!(
            "the old key {} was last used {at}{}",
            server_text(&old),
            service
                .as_deref()
                .map(|s| format!(" by {}", server_text(s)))
                .unwrap_or_default()
        ));
    }

    // Retire the old key, signing with the new one when it was our own.
    let keys = keys_listing(&runner, &user, &new_key).await?;
    still_usable(&keys, &saved)?;
    let old_entry = keys.iter().find(|k| k.id == old).cloned();
    let retirer = match (&secret, request.own_key) {
        (Some(secret), true) => Runner {
            client: runner.client.with_key(&new_key, secret),
            ..runner.clone()
        },
        _ => runner.clone(),
    };
    let operation = Operation::new("rotate");
    let mut old_now = match &old_entry {
        None => "deleted",
        Some(k) if k.status == KeyStatus::Inactive => "inactive",
        Some(_) => "active",
    };
    if retire != Retire::Keep && old_now == "active" {
        let change = KeyChange::SetStatus {
            user: user.clone(),
            key_id: old.clone(),
            to: KeyStatus::Inactive,
            signing_confirmed: request.own_key,
        };
        run_change(&retirer, &change, &operation, "deactivate the old key").await?;
        saved.step = Step::OldDeactivated;
        saved.save().map_err(|e| stop(EXIT_FAILED, e))?;
        old_now = "inactive";
    }
    if retire == Retire::Delete && old_now != "deleted" {
        let change = KeyChange::Delete {
            user: user.clone(),
            key_id: old.clone(),
            had_description: old_entry.as_ref().is_some_and(|k| k.description.is_some()),
            allow_active: false,
            signing_confirmed: request.own_key,
        };
        run_change(&retirer, &change, &operation, "delete the old key").await?;
        old_now = "deleted";
    }
    if retire == Retire::Keep && old_now == "active" {
        // Kept, so that a rerun (without --keep-old) finishes it.
        super::warn(format_args!(
            "the old key {} stays active (--keep-old); run rotate again without --keep-old to retire it",
            server_text(&old)
        ));
    } else {
        saved.forget().map_err(|e| stop(EXIT_FAILED, e))?;
    }
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

/// The user's keys as IAM lists them now.
async fn list_keys(runner: &Runner, user: &str) -> Result<Vec<AccessKey>, Stop> {
    runner
        .client
        .list_keys_described(user)
        .await
        .map_err(|e| stop(EXIT_FAILED, format!("cannot list the keys of {user}: {e}")))
}

/// Pauses between listings that do not show a key made moments ago yet (IAM
/// is eventually consistent: a listing may lag a create by seconds).
const LISTING_LAG_PAUSES: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(3),
    Duration::from_secs(5),
];

/// The user's keys, listed again while they do not show `new_key` yet.
async fn keys_listing(runner: &Runner, user: &str, new_key: &str) -> Result<Vec<AccessKey>, Stop> {
    let mut keys = list_keys(runner, user).await?;
    for pause in LISTING_LAG_PAUSES {
        if keys.iter().any(|k| k.id == new_key) {
            break;
        }
        tokio::time::sleep(pause).await;
        keys = list_keys(runner, user).await?;
    }
    Ok(keys)
}

/// A resumed rotation goes on only while IAM lists its new key Active: a new
/// key deactivated elsewhere is not "verified", and retiring the old key then
/// would leave the user with no working key.
fn still_usable(keys: &[AccessKey], saved: &Saved) -> Result<(), Stop> {
    let new_key = saved.new_key.as_deref().unwrap_or_default();
    let status_of = |id: &str| {
        keys.iter()
            .find(|k| k.id == id)
            .map_or("not listed (deleted)", |k| k.status.as_str())
    };
    let new_status = status_of(new_key);
    if keys
        .iter()
        .any(|k| k.id == new_key && k.status == KeyStatus::Active)
    {
        return Ok(());
    }
    Err(stop(
        EXIT_FAILED,
        format!(
            "IAM now lists the new key {} as {new_status} and the old key {} as {} (changed elsewhere?): nothing was retired. Find out why, then activate {} and run rotate again, or delete it and rotate afresh.",
            server_text(new_key),
            server_text(&saved.old_key),
            status_of(&saved.old_key),
            server_text(new_key)
        ),
    ))
}

/// Proves the new key with STS, or stops with exit 5 saying where things are.
async fn prove_new(
    runner: &Runner,
    user: &str,
    new_key: &str,
    secret: &Secret,
    destination: &SecretOut,
    old: &str,
    request: &Request,
) -> Result<String, Stop> {
    let user_arn = runner
        .client
        .user_arn(user)
        .await
        .map_err(|e| stop(EXIT_FAILED, format!("cannot read {user}: {e}")))?;
    let signs_as = prove(
        &runner.client,
        new_key,
        secret,
        &user_arn,
        request.verify_timeout,
        |why| {
            super::warn(format_args!(
                "the new key does not sign yet (IAM propagates it): {}",
                server_text(why)
            ))
        },
    )
    .await
    .map_err(|why| {
        let old_kept = match destination {
            SecretOut::CredentialsFile { path, .. } => format!(
                "; {} still holds the old key",
                path.display()
            ),
            _ => String::new(),
        };
        stop(
            EXIT_NOT_VERIFIED,
            format!(
                "not verified: {}. The new key {} exists (its secret is in {}); the old key {} is untouched{old_kept}. Run the same command again to resume.",
                server_text(&why),
                server_text(new_key),
                secret_home(destination, new_key),
                server_text(old)
            ),
        )
    })?;
    super::warn(format_args!(
        "verified: {} signs as {}",
        server_text(new_key),
        server_text(&signs_as)
    ));
    Ok(signs_as)
}

/// Where the new key's secret is kept until the rotation is over.
fn secret_home(destination: &SecretOut, new_key: &str) -> String {
    match destination {
        SecretOut::CredentialsFile { path, .. } => credentials_file::pending_path(path, new_key)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|e| e),
        SecretOut::Stdout => "stdout only".into(),
        other => other.describe(),
    }
}

/// `--self`, once the new key is proven: the profile gets it, and the
/// pending file that kept its secret since the create goes.
fn install_in_credentials_file(
    path: &std::path::Path,
    profile: &str,
    new_key: &str,
    secret: &Secret,
    old: &str,
) -> Result<(), Stop> {
    let pending =
        credentials_file::pending_path(path, new_key).map_err(|e| stop(EXIT_FAILED, e))?;
    let holds_new = credentials_file::read_key(path, profile).is_ok_and(|(id, _)| id == new_key);
    if !holds_new {
        let profiles = credentials_file::replace_key(path, profile, new_key, secret).map_err(|why| {
            stop(
                EXIT_FAILED,
                format!(
                    "the new key {} is proven, but {} could not be written: {why}. It still holds the old key {}, which is untouched; the new secret is in {}.",
                    server_text(new_key),
                    path.display(),
                    server_text(old),
                    pending.display()
                ),
            )
        })?;
        super::warn(format_args!(
            "{} now holds {} in [{}]",
            path.display(),
            server_text(new_key),
            profiles
                .iter()
                .map(|p| server_text(p).into_owned())
                .collect::<Vec<_>>()
                .join("], [")
        ));
    }
    match std::fs::remove_file(&pending) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => super::warn(format_args!(
            "{} (a copy of the new secret) could not be removed: {e}; remove it",
            pending.display()
        )),
    }
    Ok(())
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
                let path = crate::io::secret_file::resolve(path)
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
    if std::env::var("AWS_ACCESS_KEY_ID").is_ok_and(|env| env == key_id) {
        super::warn(format_args!(
            "the key being rotated, {}, is also exported in AWS_ACCESS_KEY_ID: once it is retired, export the new key (or unset it)",
            server_text(&key_id)
        ));
    }
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

/// Where a saved rotation can go on from (`None`: start afresh), or why it
/// cannot (IAM's state, said exactly). With `--delete-orphan`, a key an
/// interrupted create made, whose secret was never saved, is deleted first.
async fn resume_point(
    runner: &Runner,
    request: &Request,
    saved: Saved,
    keys: &[AccessKey],
) -> Result<Option<Saved>, Stop> {
    match resume(saved, keys) {
        Resume::GoOn(saved) => Ok(Some(saved)),
        Resume::Afresh { stale, why } => {
            if let Some(why) = why {
                super::warn(format_args!("{}", server_text(&why)));
            }
            stale.forget().map_err(|e| stop(EXIT_FAILED, e))?;
            Ok(None)
        }
        Resume::Orphan { saved, key } if request.delete_orphan => {
            let change = KeyChange::Delete {
                user: saved.user.clone(),
                key_id: key.id.clone(),
                had_description: false,
                allow_active: true,
                // Every key of one's own user is a key of this session.
                signing_confirmed: request.own_key,
            };
            run_change(
                runner,
                &change,
                &Operation::new("rotate"),
                "delete the orphaned key",
            )
            .await?;
            super::warn(format_args!(
                "deleted {}, which an interrupted rotation made at {} and whose secret was never saved; rotating afresh",
                server_text(&key.id),
                key.created
            ));
            saved.forget().map_err(|e| stop(EXIT_FAILED, e))?;
            Ok(None)
        }
        Resume::Orphan { saved, key } => {
            let id = server_text(&key.id);
            Err(stop(
                EXIT_FAILED,
                format!(
                    "an interrupted rotation made {id} at {} and its secret was never saved; the old key {} is untouched. Run the same command with --delete-orphan to delete {id} and rotate afresh (or delete it yourself: iamkeys deactivate --filter {id} --yes, then iamkeys delete --filter {id} --yes).",
                    key.created,
                    server_text(&saved.old_key),
                ),
            ))
        }
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
    if matches!(destination, SecretOut::Stdout)
        && let Some(why) = stdout::unfit_because()
    {
        return Err(stop(
            EXIT_REFUSED,
            format!("--secret-out -: {why}; nothing was created"),
        ));
    }
    if !request.yes {
        let retire = Retire::of(request)?.verb();
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
            // The reply was lost, or its key id or secret was not of IAM's
            // shape (refused before it was written anywhere).
            // Nobody saw its secret: it is of no use, and takes a slot.
            let change = KeyChange::Delete {
                user: user.to_string(),
                key_id: key.id.clone(),
                had_description: false,
                allow_active: true,
                // Every key of one's own user is a key of this session;
                // this one signs nothing.
                signing_confirmed: request.own_key,
            };
            let deleted = runner.run(&change, &operation).await.result.is_ok();
            let _ = saved.forget();
            return Err(stop(
                EXIT_FAILED,
                format!(
                    "CreateAccessKey's reply was lost or not of IAM's shape (its secret is written nowhere); IAM made {} ({}). The old key is untouched: run rotate again.",
                    server_text(&key.id),
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
            // A key of one's own user is a key of this session; this one signs nothing.
            signing_confirmed: request.own_key,
        };
        let undone = runner.run(&change, &operation).await.result.is_ok();
        let _ = saved.forget();
        return Err(stop(
            EXIT_FAILED,
            format!(
                "cannot put the new secret in {}: {why}. The new key {} was {}; the old key is untouched.",
                destination.describe(),
                server_text(&key.key.id),
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
        SecretOut::Csv(path) => write_csv(path, key_id, secret),
        SecretOut::Stdout => {
            let line = zeroize::Zeroizing::new(format!("{key_id},{}", secret.expose()));
            stdout::write_lines(&["Access key ID,Secret access key", &line])
        }
        // The credentials file keeps the old key until the new one is
        // proven; till then the secret waits in a 0600 file beside it.
        SecretOut::CredentialsFile { path, .. } => {
            let pending = credentials_file::pending_path(path, key_id)?;
            write_csv(&pending, key_id, secret)
        }
    }
}

/// The CSV at `path`, created new with mode 0600.
fn write_csv(path: &std::path::Path, key_id: &str, secret: &Secret) -> Result<(), String> {
    crate::io::secret_file::write_secret_csv(&path.to_string_lossy(), key_id, secret, false)
        .map(|_| ())
        .map_err(|e| match e {
            crate::tui::action::SaveError::Exists => format!("{} exists", path.display()),
            crate::tui::action::SaveError::Failed(why) => why,
        })
}

/// The new key's secret where an earlier run put it, for a resumed proof.
/// `None`: it went to stdout only, and that run proved it and saw it taken
/// (`step` is past the proof), so it is not proven again.
fn secret_from(destination: &SecretOut, new_key: &str, step: Step) -> Result<Option<Secret>, Stop> {
    let unreadable = |why: String| {
        stop(
            EXIT_NOT_VERIFIED,
            format!(
                "cannot prove {}: {why}. Prove it by hand, or delete {} and run rotate again.",
                server_text(new_key),
                server_text(new_key)
            ),
        )
    };
    match destination {
        SecretOut::Stdout if step >= Step::Verified => Ok(None),
        SecretOut::Stdout => Err(unreadable(
            "its secret went to stdout and is kept nowhere else".into(),
        )),
        SecretOut::Csv(path) => crate::io::rotation::secret_from_csv(Some(path), new_key)
            .map(Some)
            .map_err(unreadable),
        SecretOut::CredentialsFile { path, profile } => {
            // Written into the profile after the proof; kept beside it before.
            if let Ok((id, secret)) = credentials_file::read_key(path, profile)
                && id == new_key
            {
                return Ok(Some(secret));
            }
            let pending = credentials_file::pending_path(path, new_key).map_err(unreadable)?;
            crate::io::rotation::secret_from_csv(Some(&pending), new_key)
                .map(Some)
                .map_err(unreadable)
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
        super::warn(format_args!("not journaled: {why}"));
    }
    recorded.result.map(|_| ()).map_err(|err| {
        stop(
            EXIT_FAILED,
            format!("could not {step} ({}): {err}", change.subject()),
        )
    })
}
