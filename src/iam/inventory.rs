//! The inventory loader: every user (ListUsers, page by page), their keys
//! (ListAccessKeys per user) and each key's last use (GetAccessKeyLastUsed),
//! with at most `concurrency` requests in flight. Results stream to a sink as
//! they arrive, so a caller can show rows long before the account is read.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::client::IamClient;
use super::error::IamError;
use super::model::{AccessKey, LastUsed, User};

/// One step of a load, in the order a consumer can rely on: a user's `Keys`
/// come after the `UsersPage` that named it, a key's `LastUsed` after its `Keys`,
/// and `Finished` last.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadEvent {
    UsersPage {
        users: Vec<User>,
        last_page: bool,
    },
    UsersFailed(IamError),
    Keys {
        user: String,
        result: Result<Vec<AccessKey>, IamError>,
    },
    LastUsed {
        key_id: String,
        result: Result<LastUsed, IamError>,
    },
    Finished,
}

/// Reads the whole inventory, sending each step to `sink`. Returns once every
/// request has answered. Dropping the future cancels every request in flight.
pub async fn load<F>(client: IamClient, concurrency: usize, sink: F)
where
    F: Fn(LoadEvent) + Send + Sync + 'static,
{
    let sink = Arc::new(sink);
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut marker = None;
    loop {
        let page = {
            // A closed semaphore is impossible here: we never close it.
            let _permit = permits.acquire().await;
            client.list_users_page(marker.take()).await
        };
        match page {
            Ok(page) => {
                let names: Vec<String> = page.users.iter().map(|u| u.name.clone()).collect();
                let last_page = page.next_marker.is_none();
                sink(LoadEvent::UsersPage {
                    users: page.users,
                    last_page,
                });
                for name in names {
                    tasks.spawn(load_user(
                        client.clone(),
                        permits.clone(),
                        sink.clone(),
                        name,
                    ));
                }
                match page.next_marker {
                    Some(next) => marker = Some(next),
                    None => break,
                }
            }
            Err(err) => {
                sink(LoadEvent::UsersFailed(err));
                break;
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    sink(LoadEvent::Finished);
}

/// One user's keys, then each key's last use, every request under a permit.
async fn load_user<F>(client: IamClient, permits: Arc<Semaphore>, sink: Arc<F>, user: String)
where
    F: Fn(LoadEvent) + Send + Sync + 'static,
{
    let keys = {
        let _permit = permits.acquire().await;
        client.list_keys_described(&user).await
    };
    let ids: Vec<String> = match &keys {
        Ok(keys) => keys.iter().map(|k| k.id.clone()).collect(),
        Err(_) => Vec::new(),
    };
    sink(LoadEvent::Keys { user, result: keys });
    let mut lookups = JoinSet::new();
    for key_id in ids {
        let (client, permits, sink) = (client.clone(), permits.clone(), sink.clone());
        lookups.spawn(async move {
            let result = {
                let _permit = permits.acquire().await;
                client.key_last_used(&key_id).await
            };
            sink(LoadEvent::LastUsed { key_id, result });
        });
    }
    while lookups.join_next().await.is_some() {}
}
