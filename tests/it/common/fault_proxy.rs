//! A fault-injecting HTTP proxy on loopback, between iamkeys and the emulator.
//! Every request draws its fate from a seeded generator, so a failing run can
//! be replayed with the same seed (`IAMKEYS_FAULT_SEED`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Shares of requests (0.0–1.0) that meet each fault; the rest pass untouched.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// IAM's `Throttling` error: HTTP 400 with IAM's XML error body.
    pub throttle: f64,
    /// HTTP 503 `ServiceUnavailable`.
    pub unavailable: f64,
    /// The connection is dropped before the request reaches IAM.
    pub reset_before: f64,
    /// IAM executes the request, then the connection drops before the reply.
    pub reset_after: f64,
    /// The reply comes 300 ms late.
    pub slow: f64,
    /// The reply is cut in half.
    pub truncate: f64,
    /// HTTP 200 with a body that is not IAM's XML.
    pub malformed: f64,
    /// The request is read and never answered: the connection stays open.
    pub silent: f64,
    /// Only requests whose body names this action meet faults (`Action=CreateAccessKey`).
    pub only_action: Option<String>,
    /// Requests naming this action never meet faults (`GetCallerIdentity`).
    pub spare_action: Option<String>,
    /// IAM's eventual consistency: for this long after a change to a user's
    /// keys, ListAccessKeys of that user answers as it did before the change.
    pub consistency_lag: Option<Duration>,
    /// STS as with a role whose trust policy requires MFA: AssumeRole without
    /// `SerialNumber` and `TokenCode` is AccessDenied (moto never checks).
    pub assume_role_needs_mfa: bool,
    /// With `assume_role_needs_mfa`: only AssumeRole of this role ARN needs
    /// it (the other roles trust the session that holds it).
    pub mfa_role: Option<String>,
    /// IAM's `AccessDenied` (HTTP 403) for every UpdateAccessKey of this key
    /// id, as a policy denying it would answer.
    pub deny_key: Option<String>,
}

/// A request the proxy saw: its action, the access key id that signed it
/// (the `Credential=` of the Authorization header) and its form body.
#[derive(Clone, Debug)]
pub struct Seen {
    pub action: String,
    pub credential: String,
    pub body: String,
}

impl Seen {
    /// A form parameter of the body, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        form_param(&self.body, name)
    }
}

fn form_param(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub struct FaultProxy {
    pub url: String,
    pub seed: u64,
    state: Arc<ProxyState>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Tests may drop it inside their own runtime, where blocking is not allowed.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

struct ProxyState {
    upstream: u16,
    faults: Mutex<Faults>,
    rng: Mutex<u64>,
    down: AtomicBool,
    /// How often each fault struck, by name.
    counts: Mutex<BTreeMap<&'static str, usize>>,
    seen: Mutex<Vec<Seen>>,
    /// User → the last ListAccessKeys reply before its latest change, and when it changed.
    listings: Mutex<std::collections::HashMap<String, Vec<u8>>>,
    changed: Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl FaultProxy {
    /// A proxy to the emulator at `upstream`; the seed comes from `IAMKEYS_FAULT_SEED`
    /// if set, else `default_seed`.
    pub fn start(upstream: u16, faults: Faults, default_seed: u64) -> Self {
        let seed = std::env::var("IAMKEYS_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default_seed);
        eprintln!("fault proxy seed {seed} (replay with IAMKEYS_FAULT_SEED={seed})");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(ProxyState {
            upstream,
            faults: Mutex::new(faults),
            rng: Mutex::new(seed.max(1)),
            down: AtomicBool::new(false),
            counts: Mutex::new(BTreeMap::new()),
            seen: Mutex::new(Vec::new()),
            listings: Mutex::new(std::collections::HashMap::new()),
            changed: Mutex::new(std::collections::HashMap::new()),
        });
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let serving = state.clone();
        let _inside = runtime.enter();
        let listener = TcpListener::from_std(std_listener).unwrap();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(serving.clone(), client));
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            seed,
            state,
            runtime: Some(runtime),
        }
    }

    /// While down, every connection is closed at once: the endpoint is gone.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.lock().unwrap() = faults;
    }

    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.state.counts.lock().unwrap().clone()
    }

    /// Every request seen so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// How many times ListAccessKeys was answered with a listing from before a change.
    pub fn stale_listings(&self) -> usize {
        self.counts().get("stale_listing").copied().unwrap_or(0)
    }
}

/// What a request says about itself.
fn describe(request: &[u8]) -> Seen {
    let text = String::from_utf8_lossy(request);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let credential = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            if !name.eq_ignore_ascii_case("authorization") {
                return None;
            }
            let after = value.split("Credential=").nth(1)?;
            after.split('/').next().map(str::to_string)
        })
        .unwrap_or_default();
    Seen {
        action: form_param(body, "Action").unwrap_or_default(),
        credential,
        body: body.to_string(),
    }
}

/// Changes after which IAM may answer a user's key listing with the old state.
const KEY_CHANGES: [&str; 3] = ["UpdateAccessKey", "CreateAccessKey", "DeleteAccessKey"];

impl ProxyState {
    /// xorshift64*: small, seeded, good enough to spread faults.
    fn draw(&self) -> f64 {
        let mut x = self.rng.lock().unwrap();
        *x ^= *x >> 12;
        *x ^= *x << 25;
        *x ^= *x >> 27;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn fate(&self, request: &[u8]) -> &'static str {
        let faults = self.faults.lock().unwrap().clone();
        if let Some(action) = &faults.only_action {
            let needle = format!("Action={action}");
            if !String::from_utf8_lossy(request).contains(&needle) {
                return "pass";
            }
        }
        if let Some(action) = &faults.spare_action
            && String::from_utf8_lossy(request).contains(&format!("Action={action}"))
        {
            return "pass";
        }
        let roll = self.draw();
        let table = [
            ("silent", faults.silent),
            ("throttle", faults.throttle),
            ("unavailable", faults.unavailable),
            ("reset_before", faults.reset_before),
            ("reset_after", faults.reset_after),
            ("slow", faults.slow),
            ("truncate", faults.truncate),
            ("malformed", faults.malformed),
        ];
        let mut edge = 0.0;
        for (name, share) in table {
            edge += share;
            if roll < edge {
                *self.counts.lock().unwrap().entry(name).or_default() += 1;
                return name;
            }
        }
        "pass"
    }
}

/// An error reply the way IAM sends one: XML body, request id in a header too.
fn iam_error(status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one HTTP request: head, then as many body bytes as Content-Length says.
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
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
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

/// Sends the request upstream and returns the whole reply (moto closes after one).
async fn forward(upstream: u16, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).await.ok()?;
    server.write_all(request).await.ok()?;
    let mut reply = Vec::new();
    server.read_to_end(&mut reply).await.ok()?;
    Some(reply)
}

async fn serve(state: Arc<ProxyState>, mut client: TcpStream) {
    if state.down.load(Ordering::SeqCst) {
        return;
    }
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    // One request per connection: ask both sides to close after it.
    let request = String::from_utf8_lossy(&request)
        .replacen("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
        .into_bytes();
    let seen = describe(&request);
    state.seen.lock().unwrap().push(seen.clone());
    let (needs_mfa, mfa_role) = {
        let faults = state.faults.lock().unwrap();
        (faults.assume_role_needs_mfa, faults.mfa_role.clone())
    };
    if needs_mfa
        && seen.action == "AssumeRole"
        && mfa_role.is_none_or(|role| seen.param("RoleArn").as_deref() == Some(role.as_str()))
        && (seen.param("SerialNumber").is_none() || seen.param("TokenCode").is_none())
    {
        *state
            .counts
            .lock()
            .unwrap()
            .entry("mfa_refused")
            .or_default() += 1;
        let _ = client
            .write_all(&iam_error(
                "403 Forbidden",
                "AccessDenied",
                "User is not authorized to perform: sts:AssumeRole (MultiFactorAuthentication required)",
            ))
            .await;
        let _ = client.shutdown().await;
        return;
    }
    let lag = state.faults.lock().unwrap().consistency_lag;
    if let (Some(lag), "ListAccessKeys", Some(user)) =
        (lag, seen.action.as_str(), seen.param("UserName"))
    {
        let changed = state.changed.lock().unwrap().get(&user).copied();
        let stale = state.listings.lock().unwrap().get(&user).cloned();
        if let (Some(at), Some(stale)) = (changed, stale)
            && at.elapsed() < lag
        {
            *state
                .counts
                .lock()
                .unwrap()
                .entry("stale_listing")
                .or_default() += 1;
            let _ = client.write_all(&stale).await;
            let _ = client.shutdown().await;
            return;
        }
        let Some(reply) = forward(state.upstream, &request).await else {
            return;
        };
        state.listings.lock().unwrap().insert(user, reply.clone());
        let _ = client.write_all(&reply).await;
        let _ = client.shutdown().await;
        return;
    }
    if lag.is_some()
        && KEY_CHANGES.contains(&seen.action.as_str())
        && let Some(user) = seen.param("UserName")
    {
        state
            .changed
            .lock()
            .unwrap()
            .insert(user, std::time::Instant::now());
    }
    let denied = state.faults.lock().unwrap().deny_key.clone();
    if seen.action == "UpdateAccessKey" && denied.is_some() && seen.param("AccessKeyId") == denied {
        *state.counts.lock().unwrap().entry("denied").or_default() += 1;
        let reply = iam_error(
            "403 Forbidden",
            "AccessDenied",
            "User is not authorized to perform: iam:UpdateAccessKey",
        );
        let _ = client.write_all(&reply).await;
        let _ = client.shutdown().await;
        return;
    }
    let reply = match state.fate(&request) {
        "throttle" => iam_error("400 Bad Request", "Throttling", "Rate exceeded"),
        "unavailable" => iam_error(
            "503 Service Unavailable",
            "ServiceUnavailable",
            "Service is unavailable",
        ),
        "reset_before" => return,
        "silent" => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            return;
        }
        "reset_after" => {
            let _ = forward(state.upstream, &request).await;
            return;
        }
        "slow" => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            match forward(state.upstream, &request).await {
                Some(reply) => reply,
                None => return,
            }
        }
        "truncate" => match forward(state.upstream, &request).await {
            Some(reply) => reply[..reply.len() / 2].to_vec(),
            None => return,
        },
        "malformed" => {
            let body = "this is not IAM's XML";
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        }
        _ => match forward(state.upstream, &request).await {
            Some(reply) => reply,
            None => return,
        },
    };
    let _ = client.write_all(&reply).await;
    let _ = client.shutdown().await;
}
