//! Runs effects on tokio tasks. Each task gets what it needs by value and
//! posts its result back as an `Action`; none of them sees `State`.

use futures_util::future::join_all;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::aws::IamClient;
use crate::aws::inventory::{self, LoadOptions};
use crate::core::IamError;
use crate::core::change::Expectation;
use crate::io::runner::{Operation, Runner};
use crate::io::secret_file::write_secret_csv;
use crate::tui::action::{Action, Effect, KeyWithUse, SaveError};

pub struct Tasks {
    client: IamClient,
    /// Runs and journals changes (the choke point at run time).
    runner: Runner,
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
    /// The tasks of a dashboard; the journal is checked at once (on a
    /// blocking thread) and, if it cannot be written, the dashboard told:
    /// every change is refused until it can, or with `--no-journal`.
    pub fn new(runner: Runner, options: LoadOptions, tx: UnboundedSender<Action>) -> Self {
        let journal = runner.journal.clone();
        let told = tx.clone();
        // Read-only mode changes nothing: it needs no journal.
        let needed = !runner.read_only;
        tokio::task::spawn_blocking(move || {
            if !needed {
                return;
            }
            if let Err(why) = journal.check() {
                tracing::error!(%why, "the journal cannot be written");
                post(
                    &told,
                    Action::JournalUnusable(crate::core::sanitize::owned(&why)),
                );
            }
        });
        // While the dashboard holds the terminal, MFA codes are asked in its dialog.
        let asks = tx.clone();
        crate::aws::mfa_session::route_prompts_to(Some(crate::aws::mfa_session::dashboard_asker(
            std::sync::Arc::new(move |id, prompt| {
                post(&asks, Action::MfaCodeNeeded { id, prompt })
            }),
        )));
        Self {
            client: runner.client.clone(),
            runner,
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
                // The dashboard lists every user's keys: a key made since the
                // report (by a colleague, by this session) must show, and an
                // administrator acts on what is shown. Headless reads skip them.
                let mut options = self.options;
                options.skip_users_the_report_shows_without_keys = false;
                self.loader = Some(tokio::spawn(inventory::load(
                    client,
                    options,
                    wanted,
                    move |event| post(&tx, Action::Inventory { generation, event }),
                )));
            }
            Effect::Change { ticket, change } => {
                let runner = self.runner.clone();
                tokio::spawn(async move {
                    tracing::info!(user = %change.user(), key_id = ?change.key_id(), operation = change.operation(), "change");
                    let recorded = runner.run(&change, &Operation::new("dashboard")).await;
                    if let Some(why) = recorded.journal_error {
                        post(&tx, Action::JournalFailed(why));
                    }
                    let result = recorded.result;
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
            Effect::ReadUserKeys {
                ticket,
                user,
                expect,
            } => {
                tokio::spawn(async move {
                    let (result, unmet) = read_until_agreed(&client, &user, expect.as_ref()).await;
                    post(
                        &tx,
                        Action::UserKeysRead {
                            ticket,
                            user,
                            result,
                            unmet,
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
                    post(
                        &tx,
                        Action::SecretSaved {
                            key_id,
                            path,
                            result,
                        },
                    );
                });
            }
            Effect::RunPlan { items } => {
                let runner = self.runner.clone();
                let in_flight = self.options.concurrency;
                tokio::spawn(async move {
                    crate::io::bulk::execute(
                        &runner,
                        items,
                        in_flight,
                        |ticket, planned, recorded| {
                            if let Some(why) = recorded.journal_error {
                                post(&tx, Action::JournalFailed(why));
                            }
                            post(
                                &tx,
                                Action::Changed {
                                    ticket,
                                    change: planned.change,
                                    result: recorded.result,
                                },
                            );
                            std::ops::ControlFlow::Continue(())
                        },
                    )
                    .await;
                    post(&tx, Action::PlanFinished);
                });
            }
            Effect::PlanUndo => {
                let journal = self.runner.journal.clone();
                let account = self.runner.account.clone();
                let scope = crate::io::journal::UndoScope::last(
                    &self.runner.caller_arn,
                    jiff::Timestamp::now(),
                    journal.undo_within_days(),
                );
                tokio::task::spawn_blocking(move || {
                    let plan = if journal.enabled() {
                        journal.read().map(|(entries, skipped)| {
                            let entries = crate::io::journal::of_account(entries, &account);
                            let mut plan = crate::io::journal::plan_undo(&entries, &scope);
                            plan.skipped_lines = skipped;
                            plan
                        })
                    } else {
                        Err("--no-journal: there is no journal to undo from".to_string())
                    };
                    post(&tx, Action::UndoPlanned(plan));
                });
            }
            Effect::OpenRotation { account, user } => {
                tokio::task::spawn_blocking(move || {
                    let saved = crate::io::rotation::Saved::load(&account, &user);
                    post(&tx, Action::RotationOpened { user, saved });
                });
            }
            Effect::ListRotations { account } => {
                tokio::task::spawn_blocking(move || {
                    let users = crate::io::rotation::Saved::users_of(&account);
                    post(&tx, Action::RotationsListed(users));
                });
            }
            Effect::SaveRotation(saved) => {
                tokio::task::spawn_blocking(move || {
                    if let Err(why) = saved.save() {
                        tracing::error!(%why, "the rotation's step could not be kept");
                        post(
                            &tx,
                            Action::JournalFailed(format!(
                                "the rotation's step was not kept: {why}"
                            )),
                        );
                    }
                });
            }
            Effect::ForgetRotation(saved) => {
                tokio::task::spawn_blocking(move || {
                    if let Err(why) = saved.forget() {
                        tracing::warn!(%why, "a finished rotation could not be forgotten");
                    }
                });
            }
            Effect::ProveKey {
                user_arn,
                key_id,
                secret,
                secret_file,
            } => {
                tokio::spawn(async move {
                    let secret = match secret {
                        Some(secret) => Ok(secret),
                        // A file read: on a blocking thread, never the runtime's workers.
                        None => {
                            let id = key_id.clone();
                            tokio::task::spawn_blocking(move || {
                                crate::io::rotation::secret_from_csv(secret_file.as_deref(), &id)
                            })
                            .await
                            .unwrap_or_else(|e| Err(format!("reading the secret stopped: {e}")))
                        }
                    };
                    let result = match secret {
                        Ok(secret) => {
                            crate::io::rotation::prove(
                                &client,
                                &key_id,
                                &secret,
                                &user_arn,
                                PROOF_WITHIN,
                                |why| {
                                    post(
                                        &tx,
                                        Action::ProofAttempt {
                                            key_id: key_id.clone(),
                                            why: why.to_string(),
                                        },
                                    )
                                },
                            )
                            .await
                        }
                        Err(why) => Err(why),
                    };
                    post(&tx, Action::Proved { key_id, result });
                });
            }
            Effect::AnswerMfa { id, code } => Self::answer_mfa(id, code),
            Effect::ReadLastUse { key_id } => {
                tokio::spawn(async move {
                    let result = client
                        .key_last_used(&key_id)
                        .await
                        .map_err(|e| e.to_string());
                    post(&tx, Action::LastUseRead { key_id, result });
                });
            }
            Effect::ReadUserDetails { user } => {
                tokio::spawn(async move {
                    let result = client.user_details(&user).await;
                    if let Err(err) = &result {
                        log_failure("user details", err);
                    }
                    post(&tx, Action::UserDetailsRead { user, result });
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

    /// Whether IAM is answering the requests of these tasks.
    pub fn health(&self) -> crate::aws::health::HealthReport {
        self.client.health()
    }

    /// Answers the session's request for an MFA code.
    fn answer_mfa(id: u64, code: Result<String, String>) {
        crate::aws::mfa_session::answer(id, code);
    }

    pub fn stop(&mut self) {
        if let Some(loader) = self.loader.take() {
            loader.abort();
        }
    }
}

/// How long the wizard tries to sign with a new key before it says so.
const PROOF_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// Pauses between re-reads while IAM has not caught up with a change: about
/// eight seconds in all (IAM documents no bound; seconds is what it takes).
const PROPAGATION_PAUSES_MS: [u64; 6] = [250, 500, 1000, 1500, 2000, 2500];

/// Reads `user`'s keys until the listing shows `expect` (or the pauses run
/// out), then their last uses. Returns the keys and, if the listing never
/// agreed, how it disagrees.
async fn read_until_agreed(
    client: &IamClient,
    user: &str,
    expect: Option<&Expectation>,
) -> (Result<Vec<KeyWithUse>, IamError>, Option<String>) {
    let mut pauses = PROPAGATION_PAUSES_MS.iter();
    let keys = loop {
        match client.list_keys_described(user).await {
            Ok(keys) => match expect {
                Some(expect) if !expect.met_by(&keys) => match pauses.next() {
                    Some(&pause) => {
                        tracing::debug!(user, "IAM has not caught up with the change; re-reading");
                        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    }
                    None => break Ok((keys, Some(expect.unmet()))),
                },
                _ => break Ok((keys, None)),
            },
            Err(err) => break Err(err),
        }
    };
    match keys {
        Ok((keys, unmet)) => {
            // Each call waits for a place under the client's one bound.
            let uses = join_all(keys.iter().map(|k| client.key_last_used(&k.id))).await;
            (Ok(keys.into_iter().zip(uses).collect()), unmet)
        }
        Err(err) => (Err(err), None),
    }
}

fn log_failure(operation: &str, err: &crate::core::IamError) {
    tracing::warn!(
        operation,
        code = %err.code,
        message = %err.message,
        request_id = ?err.request_id,
        "IAM request failed"
    );
}

/// The outcome's name for the log (never the secret).
fn outcome_name(outcome: &crate::core::change::ChangeOutcome) -> &'static str {
    use crate::core::change::ChangeOutcome as O;
    match outcome {
        O::StatusSet => "status set",
        O::AlreadyInStatus => "already in that status",
        O::Created { .. } => "created",
        O::CreatedSecretLost { .. } => "created, reply lost",
        O::Deleted { .. } => "deleted",
    }
}

impl Drop for Tasks {
    /// The dashboard is going: MFA codes are asked on the terminal again.
    fn drop(&mut self) {
        crate::aws::mfa_session::route_prompts_to(None);
    }
}
