//! A hostile "IAM" on loopback, written for the tests: it answers the calls
//! iamkeys makes with replies a man in the middle (or a broken proxy) could
//! send: terminal escape sequences in every string, endless paging.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server says.
#[derive(Clone, Debug)]
pub struct Script {
    /// Put into names, paths, tags, services, regions and messages (XML-escaped already).
    pub poison: String,
    /// ListUsers answers IsTruncated=true with the same marker, forever.
    pub endless_users: bool,
    /// ListAccessKeys answers IsTruncated=true with the same marker, forever.
    pub endless_keys: bool,
    /// GetCallerIdentity fails with a poisoned message.
    pub deny_identity: bool,
    /// Organizations' ListAccounts answers with a NextToken that never changes.
    pub endless_accounts: bool,
}

pub struct HostileServer {
    pub url: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl HostileServer {
    pub fn start(script: Script) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(script);
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, script.clone()));
            }
        });
        Self {
            url,
            runtime: Some(runtime),
        }
    }
}

async fn serve(mut stream: TcpStream, script: Arc<Script>) {
    loop {
        let Some((head, body)) = read_request(&mut stream).await else {
            return;
        };
        let target = head
            .lines()
            .find_map(|l| l.strip_prefix("x-amz-target:"))
            .map(|t| t.trim().to_string());
        let (status, reply, kind) = match target {
            Some(target) => {
                let (status, reply) = answer_json(&script, &target);
                (status, reply, "application/x-amz-json-1.1")
            }
            None => {
                let (status, reply) = answer(&script, &body);
                (status, reply, "text/xml")
            }
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nx-amzn-RequestId: req-hostile\r\n\r\n",
            reply.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(reply.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

/// Reads one request; returns its head (lower-cased) and its body.
async fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[header_end..header_end + length]).into_owned();
    Some((head, body))
}

/// The poison as plain text: its XML character references decoded.
fn decoded(poison: &str) -> String {
    let mut out = String::new();
    let mut rest = poison;
    while let Some(at) = rest.find("&#x") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        if let Some(c) = u32::from_str_radix(&after[..end], 16)
            .ok()
            .and_then(char::from_u32)
        {
            out.push(c);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The JSON services (Organizations): poisoned names, an account listed
/// twice, one whose id is not an account id, and optionally endless paging.
fn answer_json(script: &Script, target: &str) -> (&'static str, String) {
    let p = decoded(&script.poison);
    match target.rsplit('.').next().unwrap_or("") {
        "listaccounts" => {
            let account = |id: &str, name: &str| serde_json::json!({"Id": id, "Name": name, "Status": "ACTIVE", "Arn": "arn:aws:organizations::123456789012:account/o-x/1"});
            let mut body = serde_json::json!({"Accounts": [
                account("111111111111", &format!("prod{p}")),
                account("111111111111", &format!("prod{p}")),
                account(&format!("../../etc{p}"), "odd"),
            ]});
            if script.endless_accounts {
                body["NextToken"] = "again".into();
            }
            ("200 OK", body.to_string())
        }
        other => (
            "400 Bad Request",
            serde_json::json!({"__type": "InvalidAction", "message": format!("{other}{p}")})
                .to_string(),
        ),
    }
}

const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

fn ok(action: &str, result: &str) -> (&'static str, String) {
    let ns = if action == "GetCallerIdentity" {
        "https://sts.amazonaws.com/doc/2011-06-15/"
    } else {
        IAM_NS
    };
    (
        "200 OK",
        format!(
            "<{action}Response xmlns=\"{ns}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>req-hostile</RequestId></ResponseMetadata></{action}Response>"
        ),
    )
}

fn error(status: &'static str, code: &str, message: &str) -> (&'static str, String) {
    (
        status,
        format!(
            "<ErrorResponse xmlns=\"{IAM_NS}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-hostile</RequestId></ErrorResponse>"
        ),
    )
}

/// The end of a page: the last one, or one that says more follow at the same marker.
fn paging(endless: bool) -> &'static str {
    if endless {
        "<IsTruncated>true</IsTruncated><Marker>again</Marker>"
    } else {
        "<IsTruncated>false</IsTruncated>"
    }
}

fn answer(script: &Script, body: &str) -> (&'static str, String) {
    let p = &script.poison;
    let action = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("");
    // The one user's name is poisoned; iamkeys asks for its keys by that name.
    let user = format!("eve{p}");
    match action {
        "GetCallerIdentity" if script.deny_identity => error(
            "403 Forbidden",
            "AccessDenied",
            &format!("you shall not pass{p}"),
        ),
        "GetCallerIdentity" => ok(
            action,
            "<Arn>arn:aws:iam::123456789012:user/admin</Arn><UserId>AIDAADMIN</UserId><Account>123456789012</Account>",
        ),
        "GetAccountAuthorizationDetails" => error(
            "403 Forbidden",
            "AccessDenied",
            &format!("details denied{p}"),
        ),
        "ListUsers" => {
            let more = paging(script.endless_users);
            ok(
                action,
                &format!(
                    "<Users><member><Path>/p{p}/</Path><UserName>{user}</UserName><UserId>AIDAEVE</UserId><Arn>arn:aws:iam::123456789012:user/{user}</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate></member></Users>{more}"
                ),
            )
        }
        "ListAccessKeys" => {
            let more = paging(script.endless_keys);
            ok(
                action,
                &format!(
                    "<AccessKeyMetadata><member><UserName>{user}</UserName><AccessKeyId>AKIAHOSTILE000000001</AccessKeyId><Status>Active</Status><CreateDate>2021-01-01T00:00:00Z</CreateDate></member></AccessKeyMetadata>{more}"
                ),
            )
        }
        "ListUserTags" => ok(
            action,
            &format!(
                "<Tags><member><Key>AKIAHOSTILE000000001</Key><Value>desc{p}</Value></member></Tags><IsTruncated>false</IsTruncated>"
            ),
        ),
        "GenerateCredentialReport" => error(
            "403 Forbidden",
            &format!("Denied{p}"),
            &format!("no report{p}"),
        ),
        "GetAccessKeyLastUsed" => ok(
            action,
            &format!(
                "<UserName>{user}</UserName><AccessKeyLastUsed><LastUsedDate>2026-11-30T00:00:00Z</LastUsedDate><ServiceName>s3{p}</ServiceName><Region>eu{p}</Region></AccessKeyLastUsed>"
            ),
        ),
        other => error("400 Bad Request", "InvalidAction", &format!("{other}{p}")),
    }
}
