//! Runs a [`KeyChange`] against IAM: re-reads the user's keys first and
//! refuses when the server's state no longer allows the change (the screen may
//! be old; somebody may have acted elsewhere), then makes the call, and works
//! out what happened when its reply was lost.

use super::client::IamClient;
use crate::core::change::{ChangeOutcome, KeyChange};
use crate::core::error::{ErrorKind, IamError};
use crate::core::model::{AccessKey, KeyStatus, SessionKeys};

/// Makes `change`. `session` names the keys this session depends on.
pub async fn apply(
    client: &IamClient,
    change: &KeyChange,
    session: &SessionKeys,
) -> Result<ChangeOutcome, IamError> {
    apply_with_request_id(client, change, session)
        .await
        .map(|(outcome, _)| outcome)
}

/// [`apply`], with IAM's request id of the call that made the change (none
/// when the change was found made, or its reply was lost).
pub async fn apply_with_request_id(
    client: &IamClient,
    change: &KeyChange,
    session: &SessionKeys,
) -> Result<(ChangeOutcome, Option<String>), IamError> {
    let op = change.operation();
    let user = change.user();
    let before = settled_keys(client, change).await?;
    match change {
        KeyChange::SetStatus {
            key_id,
            to,
            signing_confirmed,
            ..
        } => {
            let key = find(op, &before, key_id)?;
            if key.status == *to {
                return Ok((ChangeOutcome::AlreadyInStatus, None));
            }
            if *to == KeyStatus::Inactive
                && session.link(user, key_id).is_some()
                && !signing_confirmed
            {
                return Err(signing_refused(op, key_id));
            }
            match client.set_key_status(user, key_id, *to).await {
                Ok(request_id) => Ok((ChangeOutcome::StatusSet, request_id)),
                Err(err) if reply_may_be_lost(&err) => {
                    // Did it happen? The server knows.
                    let after = keys_after(client, user, &err).await?;
                    match after.iter().find(|k| k.id == *key_id) {
                        Some(k) if k.status == *to => Ok((ChangeOutcome::StatusSet, None)),
                        _ => Err(err),
                    }
                }
                Err(err) => Err(err),
            }
        }
        KeyChange::Create { description, .. } => {
            if before.len() >= 2 {
                return Err(IamError::new(
                    op,
                    "LimitExceeded",
                    format!(
                        "{user} already has {} access keys on the server, IAM's limit is 2",
                        before.len()
                    ),
                ));
            }
            match client.create_key(user).await {
                Ok((key, request_id)) => {
                    let description_error = match description {
                        Some(text) => client.describe_key(user, &key.key.id, text).await.err(),
                        None => None,
                    };
                    Ok((
                        ChangeOutcome::Created {
                            key,
                            description_error,
                        },
                        request_id,
                    ))
                }
                Err(err) if reply_may_be_lost(&err) || err.code == super::client::BAD_NEW_KEY => {
                    // CreateAccessKey is never retried; whether a key was made is
                    // told by a key that was not there before. A reply whose
                    // secret is unusable is as good as lost: the key it made is
                    // named (from the listing), its secret is never handed on.
                    let after = keys_after(client, user, &err).await?;
                    match after
                        .into_iter()
                        .find(|k| !before.iter().any(|b| b.id == k.id))
                    {
                        Some(key) => Ok((ChangeOutcome::CreatedSecretLost { key }, None)),
                        None => Err(err),
                    }
                }
                Err(err) => Err(err),
            }
        }
        KeyChange::Delete {
            key_id,
            had_description,
            allow_active,
            signing_confirmed,
            ..
        } => {
            let key = find(op, &before, key_id)?;
            match key.status {
                KeyStatus::Inactive => {}
                KeyStatus::Active if *allow_active => {}
                KeyStatus::Active => {
                    return Err(IamError::precondition(
                        op,
                        format!(
                            "{key_id} is Active on the server (reactivated elsewhere?): nothing was deleted; deactivate it first"
                        ),
                    ));
                }
                KeyStatus::Unknown => {
                    return Err(IamError::precondition(
                        op,
                        format!("the server gives no status for {key_id}: nothing was deleted"),
                    ));
                }
            }
            if session.link(user, key_id).is_some() && !signing_confirmed {
                return Err(signing_refused(op, key_id));
            }
            let request_id = match client.delete_key(user, key_id).await {
                Ok(request_id) => request_id,
                // A retry after a lost reply finds the key gone: it was this request.
                Err(err) if err.kind() == ErrorKind::NoSuchEntity || reply_may_be_lost(&err) => {
                    let after = keys_after(client, user, &err).await?;
                    if after.iter().any(|k| k.id == *key_id) {
                        return Err(err);
                    }
                    None
                }
                Err(err) => return Err(err),
            };
            let untag_error = if *had_description {
                client.untag_key(user, key_id).await.err()
            } else {
                None
            };
            Ok((ChangeOutcome::Deleted { untag_error }, request_id))
        }
    }
}

/// Pauses between re-reads of a pre-check that would refuse (about 6 s in
/// all): IAM is eventually consistent, so a read straight after the previous
/// step (making room, deactivating, creating) can show the state before it.
const STALE_READ_PAUSES_MS: [u64; 5] = [250, 500, 1000, 2000, 2000];

/// The user's keys for `change`'s pre-check. When they would refuse it (a
/// third key, an active key to delete, a key not listed), IAM may not have
/// caught up with the step before: they are read again, for a bounded time,
/// before the refusal stands. A read that allows the change is used at once.
async fn settled_keys(client: &IamClient, change: &KeyChange) -> Result<Vec<AccessKey>, IamError> {
    let user = change.user();
    let mut keys = client.list_access_keys(user).await?;
    for pause in STALE_READ_PAUSES_MS {
        if !would_refuse(change, &keys) {
            break;
        }
        tracing::info!(
            user,
            operation = change.operation(),
            "the pre-check would refuse; reading again (IAM is eventually consistent)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        keys = client.list_access_keys(user).await?;
    }
    Ok(keys)
}

/// Whether the pre-check refuses `change` on these keys for a reason a
/// stale read can give.
fn would_refuse(change: &KeyChange, keys: &[AccessKey]) -> bool {
    let listed = |id: &str| keys.iter().find(|k| k.id == id);
    match change {
        KeyChange::Create { .. } => keys.len() >= 2,
        KeyChange::SetStatus { key_id, .. } => listed(key_id).is_none(),
        KeyChange::Delete {
            key_id,
            allow_active,
            ..
        } => match listed(key_id) {
            None => true,
            Some(key) => key.status == KeyStatus::Active && !allow_active,
        },
    }
}

fn find<'a>(
    op: &'static str,
    keys: &'a [AccessKey],
    key_id: &str,
) -> Result<&'a AccessKey, IamError> {
    keys.iter().find(|k| k.id == key_id).ok_or_else(|| {
        IamError::new(
            op,
            "NoSuchEntity",
            format!(
                "{key_id} is no longer on the server (deleted elsewhere?): nothing was changed"
            ),
        )
    })
}

fn signing_refused(op: &'static str, key_id: &str) -> IamError {
    IamError::precondition(
        op,
        format!("{key_id} is a key this session depends on: it needs its id typed to confirm"),
    )
}

/// The user's keys after a request whose answer was lost or doubtful: what
/// happened is told by the server. If even this read fails, the request's own
/// error stands.
async fn keys_after(
    client: &IamClient,
    user: &str,
    err: &IamError,
) -> Result<Vec<AccessKey>, IamError> {
    client.list_access_keys(user).await.map_err(|_| err.clone())
}

/// The request may have run although no answer came (a reset, a timeout, a 5xx).
fn reply_may_be_lost(err: &IamError) -> bool {
    matches!(err.kind(), ErrorKind::Unreachable | ErrorKind::Transient)
}
