//! Connecting: build the SDK configuration from the standard credential chain
//! (or the demo's emulator), then check it before any screen opens.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_iam::config::{Credentials, ProvideCredentials};

use super::client::IamClient;
use super::error::error_chain;
use crate::state::Context;

/// Where to connect. Everything left `None` comes from the standard chain
/// (`AWS_*` variables, `~/.aws/config` and `credentials`, SSO, assume-role, IMDS).
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// Fixed credentials (the demo's emulator user); `None` uses the chain.
    pub static_credentials: Option<(String, String)>,
}

/// A failure before the dashboard opens: one line of what went wrong and a hint.
#[derive(Debug, thiserror::Error)]
#[error("{what}\n  hint: {hint}")]
pub struct StartupError {
    pub what: String,
    pub hint: String,
}

impl StartupError {
    fn new(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            hint: hint.into(),
        }
    }
}

/// Resolves configuration and credentials and asks STS who we are.
pub async fn connect(target: &Target) -> Result<(IamClient, Context), StartupError> {
    check_profile_files().await?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        );
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &target.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some((id, secret)) = &target.static_credentials {
        loader =
            loader.credentials_provider(Credentials::new(id, secret, None, None, "iamkeys-demo"));
    }
    let config = loader.load().await;

    let provider = config.credentials_provider().ok_or_else(|| {
        StartupError::new(
            "no AWS credentials provider is configured",
            credentials_hint(target),
        )
    })?;
    let credentials = provider.provide_credentials().await.map_err(|e| {
        StartupError::new(
            format!(
                "cannot load AWS credentials: {}",
                credentials_failure(target, &e)
            ),
            credentials_hint(target),
        )
    })?;
    let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
        StartupError::new(
            "no AWS region is configured",
            "pass --region (IAM is global: any region of your partition works, e.g. us-east-1) or set AWS_REGION",
        )
    })?;
    let client = IamClient::from_config(&config);
    let identity = client.caller_identity().await.map_err(|e| {
        let hint = match e.code.as_str() {
            "NetworkError" | "Timeout" => format!(
                "check the network and {}",
                target
                    .endpoint
                    .as_deref()
                    .map_or("the region".to_string(), |url| format!("that {url} is reachable"))
            ),
            "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" => {
                "the credentials were rejected: refresh them (aws sso login, new keys) or pick another --profile".to_string()
            }
            _ => "check the credentials and their permissions (sts:GetCallerIdentity)".to_string(),
        };
        StartupError::new(format!("cannot reach AWS: {e}"), hint)
    })?;
    let context = Context {
        identity,
        profile: target
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok()),
        region: Some(region),
        endpoint: target.endpoint.clone(),
        signing_key: Some(credentials.access_key_id().to_string()),
        read_only: false,
    };
    Ok((client, context))
}

/// The credential chain reports every provider it tried; say the part that matters.
fn credentials_failure(target: &Target, err: &(dyn std::error::Error + 'static)) -> String {
    let full = error_chain(err);
    match &target.profile {
        Some(p) if full.contains(&format!("profile `{p}` was not defined")) => {
            format!("profile '{p}' is not defined in the AWS config or credentials files")
        }
        _ if full.contains("no credentials found in chain") => {
            "none found (tried environment variables, profile files, web identity, ECS and instance metadata)".to_string()
        }
        _ => full,
    }
}

/// aws-config skips a config or credentials file it cannot parse, and the
/// problem then shows up as a missing profile or region. Say what it is.
async fn check_profile_files() -> Result<(), StartupError> {
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    match aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), None)
        .await
    {
        Ok(_) => Ok(()),
        Err(err) => Err(StartupError::new(
            format!("cannot read the AWS config files: {}", error_chain(&err)),
            "fix the file named above ([profile NAME] sections of `key = value` lines), \
             or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at good ones",
        )),
    }
}

fn credentials_hint(target: &Target) -> String {
    match &target.profile {
        Some(p) => format!(
            "check that profile '{p}' exists in ~/.aws/config or ~/.aws/credentials (aws configure list-profiles), or run `aws sso login --profile {p}`"
        ),
        None => "set AWS_PROFILE or pass --profile, export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or try `iamkeys --demo`".to_string(),
    }
}
