//! Runs effects on tokio tasks. Each task gets what it needs by value and
//! posts its result back as an `Action`; none of them sees `State`.

use futures_util::future::join_all;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::action::{Action, Effect, SaveError};
use crate::iam::IamClient;
use crate::iam::inventory::{self, LoadOptions};
use crate::secret_file::write_secret_csv;

pub struct Tasks {
    client: IamClient,
    options: LoadOptions,
    tx: UnboundedSender<Action>,
    loader: Option<JoinHandle<()>>,
    /// Tells the running load which users are on screen.
    priority: Option<watch::Sender<Vec<String>>>,
    /// The key this session signs with: changes re-check it against the server's answer.
    signing_key: Option<String>,
}

/// Posts a result; the receiver only goes away when the app is quitting.
fn post(tx: &UnboundedSender<Action>, action: Action) {
    let _ = tx.send(action);
}

impl Tasks {
    pub fn new(
        client: IamClient,
        options: LoadOptions,
        tx: UnboundedSender<Action>,
        signing_key: Option<String>,
    ) -> Self {
        Self {
            client,
            options,
            tx,
            loader: None,
            priority: None,
            signing_key,
        }
    }

    /// Starts `effect` in the background. (`CopyToClipboard` belongs to the
    /// terminal's owner, the app loop, and is ignored here.)
    pub fn start(&mut self, effect: Effect) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::LoadInventory { generation } => {
                // A newer load supersedes the old one: stop its requests.
                self.stop();
                tracing::info!(generation, "loading inventory");
                // Test seam, debug builds only: a task that panics, to prove the
                // terminal is restored and the app ends (tests/faults.rs).
                #[cfg(debug_assertions)]
                if std::env::var_os("IAMKEYS_TEST_PANIC_IN_TASK").is_some() {
                    tokio::spawn(async { panic!("IAMKEYS_TEST_PANIC_IN_TASK is set") });
                }
                let (priority, wanted) = watch::channel(Vec::new());
                self.priority = Some(priority);
                self.loader = Some(tokio::spawn(inventory::load(
                    client,
                    self.options,
                    wanted,
                    move |event| post(&tx, Action::Inventory { generation, event }),
                )));
            }
            Effect::Change { ticket, change } => {
                let signing_key = self.signing_key.clone();
                tokio::spawn(async move {
                    tracing::info!(user = %change.user(), key_id = ?change.key_id(), operation = change.operation(), "change");
                    let result =
                        crate::iam::changes::apply(&client, &change, signing_key.as_deref()).await;
                    match &result {
                        Ok(outcome) => tracing::info!(
                            operation = change.operation(),
                            outcome = outcome_name(outcome),
                            "change answered"
                        ),
                        Err(err) => log_failure(change.operation(), err),
                    }
                    post(
                        &tx,
                        Action::Changed {
                            ticket,
                            change,
                            result,
                        },
                    );
                });
            }
            Effect::ReadUserKeys { ticket, user } => {
                tokio::spawn(async move {
                    let result = match client.list_keys_described(&user).await {
                        Ok(keys) => {
                            // Each call waits for a place under the client's one bound.
                            let uses =
                                join_all(keys.iter().map(|k| client.key_last_used(&k.id))).await;
                            Ok(keys.into_iter().zip(uses).collect())
                        }
                        Err(err) => Err(err),
                    };
                    post(
                        &tx,
                        Action::UserKeysRead {
                            ticket,
                            user,
                            result,
                        },
                    );
                });
            }
            Effect::SaveSecret {
                path,
                key_id,
                secret,
                overwrite,
            } => {
                tokio::task::spawn_blocking(move || {
                    let result = write_secret_csv(&path, &key_id, &secret, overwrite)
                        .map(|written| written.display().to_string());
                    if let Err(SaveError::Failed(why)) = &result {
                        tracing::warn!(%path, %why, "saving the secret failed");
                    }
                    post(&tx, Action::SecretSaved { path, result });
                });
            }
            Effect::PrioritizeUsers(users) => {
                if let Some(priority) = &self.priority {
                    priority.send_replace(users);
                }
            }
            Effect::CopyToClipboard(_) | Effect::Suspend => {}
        }
    }

    pub fn stop(&mut self) {
        if let Some(loader) = self.loader.take() {
            loader.abort();
        }
    }
}

fn log_failure(operation: &str, err: &crate::iam::IamError) {
    tracing::warn!(
        operation,
        code = %err.code,
        message = %err.message,
        request_id = ?err.request_id,
        "IAM request failed"
    );
}

/// The outcome's name for the log (never the secret).
fn outcome_name(outcome: &crate::change::ChangeOutcome) -> &'static str {
    use crate::change::ChangeOutcome as O;
    match outcome {
        O::StatusSet => "status set",
        O::AlreadyInStatus => "already in that status",
        O::Created { .. } => "created",
        O::CreatedSecretLost { .. } => "created, reply lost",
        O::Deleted { .. } => "deleted",
    }
}
