//! Runs effects on tokio tasks. Each task gets what it needs by value and
//! posts its result back as an `Action`; none of them sees `State`.

use std::path::PathBuf;

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
}

/// Posts a result; the receiver only goes away when the app is quitting.
fn post(tx: &UnboundedSender<Action>, action: Action) {
    let _ = tx.send(action);
}

impl Tasks {
    pub fn new(client: IamClient, options: LoadOptions, tx: UnboundedSender<Action>) -> Self {
        Self {
            client,
            options,
            tx,
            loader: None,
            priority: None,
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
            Effect::SetKeyStatus {
                user,
                key_id,
                status,
            } => {
                tokio::spawn(async move {
                    tracing::info!(%user, %key_id, status = status.as_str(), "UpdateAccessKey");
                    let result = client.set_key_status(&user, &key_id, status).await;
                    log_failure("UpdateAccessKey", &result);
                    post(
                        &tx,
                        Action::KeyStatusSet {
                            user,
                            key_id,
                            status,
                            result,
                        },
                    );
                });
            }
            Effect::CreateKey { user, description } => {
                tokio::spawn(async move {
                    tracing::info!(%user, "CreateAccessKey");
                    let result = client.create_key(&user).await;
                    log_failure("CreateAccessKey", &result);
                    let description_error = match (&result, description) {
                        (Ok(new_key), Some(text)) => client
                            .describe_key(&user, &new_key.key.id, &text)
                            .await
                            .err(),
                        _ => None,
                    };
                    post(
                        &tx,
                        Action::KeyCreated {
                            user,
                            result,
                            description_error,
                        },
                    );
                });
            }
            Effect::DeleteKey {
                user,
                key_id,
                had_description,
            } => {
                tokio::spawn(async move {
                    tracing::info!(%user, %key_id, "DeleteAccessKey");
                    let result = client.delete_key(&user, &key_id, had_description).await;
                    log_failure("DeleteAccessKey", &result);
                    post(
                        &tx,
                        Action::KeyDeleted {
                            user,
                            key_id,
                            result,
                        },
                    );
                });
            }
            Effect::ReadUserKeys { user } => {
                tokio::spawn(async move {
                    let result = match client.list_keys_described(&user).await {
                        Ok(keys) => {
                            let uses =
                                join_all(keys.iter().map(|k| client.key_last_used(&k.id))).await;
                            Ok(keys.into_iter().zip(uses).collect())
                        }
                        Err(err) => Err(err),
                    };
                    post(&tx, Action::UserKeysRead { user, result });
                });
            }
            Effect::SaveSecret {
                path,
                key_id,
                secret,
                overwrite,
            } => {
                tokio::task::spawn_blocking(move || {
                    let result =
                        write_secret_csv(&PathBuf::from(&path), &key_id, &secret, overwrite);
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
            Effect::CopyToClipboard(_) => {}
        }
    }

    pub fn stop(&mut self) {
        if let Some(loader) = self.loader.take() {
            loader.abort();
        }
    }
}

fn log_failure<T>(operation: &str, result: &Result<T, crate::iam::IamError>) {
    if let Err(err) = result {
        tracing::warn!(
            operation,
            code = %err.code,
            message = %err.message,
            request_id = ?err.request_id,
            "IAM request failed"
        );
    }
}
