//! A loopback proxy in front of moto that answers the way real IAM does where
//! the rotation tests need it: every date in whole seconds (moto sends
//! microseconds), plus switches a test flips to stage what IAM (or a hostile
//! middle) can do — hold CreateAccessKey's reply after IAM made the key (the
//! process is then killed), refuse new keys at STS (propagation), answer STS
//! for a key IAM lists inactive (the seconds a deactivated key still signs),
//! and hand out a hostile secret.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::OUTSIDER_KEY;

#[derive(Default)]
struct State {
    upstream: u16,
    hold_create: AtomicBool,
    creates_reached: AtomicUsize,
    /// While set, STS refuses every key but these.
    refuse_but: Mutex<Option<Vec<String>>>,
    proofs_refused: AtomicUsize,
    /// Key id → the ARN STS answers as for it, whatever IAM says of the key.
    signs_anyway: Mutex<Option<(String, String)>>,
    /// Put in place of the SecretAccessKey of CreateAccessKey replies (XML-escaped).
    secret: Mutex<Option<String>>,
}

pub struct IamLike {
    pub url: String,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for IamLike {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl IamLike {
    pub fn start(upstream: u16) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(State {
            upstream,
            ..State::default()
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let serving = state.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(serving.clone(), client));
            }
        });
        Self {
            url,
            state,
            runtime: Some(runtime),
        }
    }

    /// CreateAccessKey reaches moto (the key is made); its reply never comes back.
    pub fn hold_create_replies(&self, on: bool) {
        self.state.hold_create.store(on, Ordering::SeqCst);
    }

    /// How many CreateAccessKey requests reached moto.
    pub fn creates_reached(&self) -> usize {
        self.state.creates_reached.load(Ordering::SeqCst)
    }

    /// STS refuses every key but the test's own and `also` (none: it refuses
    /// nothing), as IAM does while a new key propagates.
    pub fn refuse_new_keys(&self, also: Option<&[&str]>) {
        *self.state.refuse_but.lock().unwrap() = also.map(|keys| {
            let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            keys.push(OUTSIDER_KEY.0.into());
            keys
        });
    }

    /// How many GetCallerIdentity calls were refused so far.
    pub fn proofs_refused(&self) -> usize {
        self.state.proofs_refused.load(Ordering::SeqCst)
    }

    /// STS answers as `arn` for `key_id` whatever its status (IAM: a key
    /// deactivated seconds ago still signs).
    pub fn signs_anyway(&self, key_id: &str, arn: &str) {
        *self.state.signs_anyway.lock().unwrap() = Some((key_id.into(), arn.into()));
    }

    /// CreateAccessKey replies carry this secret (XML-escaped) instead of moto's.
    pub fn hostile_secret(&self, secret: &str) {
        *self.state.secret.lock().unwrap() = Some(secret.into());
    }
}

/// Reads one HTTP request (head and Content-Length body).
async fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = client.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

async fn forward(upstream: u16, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).await.ok()?;
    server.write_all(request).await.ok()?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply).await.ok()?;
    Some(reply)
}

/// A reply with `body`, its Content-Length set to the body's.
fn reply(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nx-amzn-RequestId: iam-like\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// moto's reply with its body rewritten: dates in whole seconds, as IAM sends
/// them, and (when set) the hostile secret.
fn like_iam(raw: &[u8], secret: Option<&str>) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return raw.to_vec();
    };
    let dates = regex::Regex::new(r"(>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+").unwrap();
    let mut body = dates.replace_all(body, "$1").into_owned();
    if let Some(secret) = secret {
        let tag = regex::Regex::new(r"<SecretAccessKey>[^<]*</SecretAccessKey>").unwrap();
        body = tag
            .replace_all(
                &body,
                format!("<SecretAccessKey>{secret}</SecretAccessKey>"),
            )
            .into_owned();
    }
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_once(' '))
        .map_or("200 OK", |(_, s)| s);
    reply(status, &body)
}

fn form_param(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The access key id of the request's Authorization header.
fn credential(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then_some(value)?;
            value
                .split("Credential=")
                .nth(1)?
                .split('/')
                .next()
                .map(str::to_string)
        })
        .unwrap_or_default()
}

async fn serve(state: Arc<State>, mut client: TcpStream) {
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    let request = String::from_utf8_lossy(&request)
        .replacen("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
        .into_bytes();
    let text = String::from_utf8_lossy(&request).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let action = form_param(body, "Action").unwrap_or_default();
    let signer = credential(head);
    if action == "GetCallerIdentity" {
        let anyway = state.signs_anyway.lock().unwrap().clone();
        if let Some((key, arn)) = anyway.filter(|(key, _)| *key == signer) {
            let body = format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDA{key}</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>iam-like</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
            );
            let _ = client.write_all(&reply("200 OK", &body)).await;
            return;
        }
        let refuse_but = state.refuse_but.lock().unwrap().clone();
        if refuse_but.is_some_and(|spared| !spared.contains(&signer)) {
            state.proofs_refused.fetch_add(1, Ordering::SeqCst);
            let body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>iam-like</RequestId></ErrorResponse>";
            let _ = client.write_all(&reply("403 Forbidden", body)).await;
            return;
        }
    }
    let Some(raw) = forward(state.upstream, &request).await else {
        return;
    };
    if action == "CreateAccessKey" {
        state.creates_reached.fetch_add(1, Ordering::SeqCst);
        if state.hold_create.load(Ordering::SeqCst) {
            // IAM made the key; the answer never leaves.
            tokio::time::sleep(Duration::from_secs(600)).await;
            return;
        }
    }
    let secret = state.secret.lock().unwrap().clone();
    let secret = secret.filter(|_| action == "CreateAccessKey");
    let _ = client.write_all(&like_iam(&raw, secret.as_deref())).await;
    let _ = client.shutdown().await;
}
