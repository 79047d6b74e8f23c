//! What the shared config and credentials files say about the profile in use:
//! whether it exists, whether it assumes a role with MFA, which long-term key
//! stands behind it, and whether it sets its own retry behaviour.

use aws_config::profile::{Profile, ProfileSet};

/// The profile files, read once.
#[derive(Debug)]
pub struct Profiles {
    set: ProfileSet,
}

/// A profile that assumes a role (`role_arn`), with what AssumeRole needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleProfile {
    pub role_arn: String,
    pub source_profile: Option<String>,
    pub mfa_serial: Option<String>,
    pub external_id: Option<String>,
    pub role_session_name: Option<String>,
    pub duration_seconds: Option<i32>,
}

/// How many `source_profile` hops are followed before giving up (a loop).
const MAX_CHAIN: usize = 10;

impl Profiles {
    /// Reads `~/.aws/config` and `~/.aws/credentials` (or AWS_CONFIG_FILE,
    /// AWS_SHARED_CREDENTIALS_FILE); missing files are an empty set.
    pub async fn load() -> Result<Self, String> {
        use aws_types::os_shim_internal::{Env, Fs};
        Self::load_from(&Fs::real(), &Env::real()).await
    }

    async fn load_from(
        fs: &aws_types::os_shim_internal::Fs,
        env: &aws_types::os_shim_internal::Env,
    ) -> Result<Self, String> {
        use aws_runtime::env_config::file::EnvConfigFiles;
        aws_config::profile::load(fs, env, &EnvConfigFiles::default(), None)
            .await
            .map(|set| Self { set })
            .map_err(|err| crate::core::error::error_chain(&err))
    }

    fn get(&self, name: &str) -> Option<&Profile> {
        self.set.get_profile(name)
    }

    /// The names of every profile, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.set.profiles().map(str::to_string).collect();
        names.sort();
        names
    }

    /// An error for a `--profile` that names no profile, listing those there are.
    pub fn check_exists(&self, name: &str) -> Result<(), String> {
        if self.get(name).is_some() {
            return Ok(());
        }
        let names = self.names();
        Err(if names.is_empty() {
            format!(
                "profile '{name}' does not exist: no profiles were found in the AWS config and credentials files"
            )
        } else {
            format!(
                "profile '{name}' does not exist; the profiles found are: {}",
                names.join(", ")
            )
        })
    }

    /// The role `name` assumes, if it assumes one.
    pub fn role(&self, name: &str) -> Option<RoleProfile> {
        let profile = self.get(name)?;
        let text = |key: &str| profile.get(key).map(str::trim).filter(|v| !v.is_empty());
        Some(RoleProfile {
            role_arn: text("role_arn")?.to_string(),
            source_profile: text("source_profile").map(str::to_string),
            mfa_serial: text("mfa_serial").map(str::to_string),
            external_id: text("external_id").map(str::to_string),
            role_session_name: text("role_session_name").map(str::to_string),
            duration_seconds: text("duration_seconds").and_then(|d| d.parse().ok()),
        })
    }

    /// The long-term access key id behind `name`'s role: the static
    /// `aws_access_key_id` at the end of its `source_profile` chain.
    pub fn source_key(&self, name: &str) -> Option<String> {
        let mut current = self.role(name)?.source_profile?;
        for _ in 0..MAX_CHAIN {
            let profile = self.get(&current)?;
            match (profile.get("role_arn"), profile.get("source_profile")) {
                // A profile that assumes a role from itself: its own static key.
                (Some(_), Some(next)) if next != current => current = next.to_string(),
                _ => {
                    return profile
                        .get("aws_access_key_id")
                        .map(|id| id.trim().to_string())
                        .filter(|id| !id.is_empty());
                }
            }
        }
        None
    }

    /// The static keys `name` holds itself (`aws_access_key_id`,
    /// `aws_secret_access_key`, optionally `aws_session_token`): the source
    /// of a role profile whose `source_profile` is itself (the layout of
    /// aws-sdk-rust#527), which the AWS CLI signs AssumeRole with.
    pub fn static_keys(&self, name: &str) -> Option<aws_credential_types::Credentials> {
        let profile = self.get(name)?;
        let text = |key: &str| {
            profile
                .get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Some(aws_credential_types::Credentials::new(
            text("aws_access_key_id")?,
            text("aws_secret_access_key")?,
            text("aws_session_token"),
            None,
            "iamkeys-profile-static-keys",
        ))
    }

    /// Whether the user set retry behaviour for `name` (or in the environment):
    /// then it is theirs, and iamkeys' defaults stay out of the way.
    pub fn sets_retries(&self, name: &str) -> bool {
        let env_set = |var: &str| std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
        env_set("AWS_MAX_ATTEMPTS")
            || env_set("AWS_RETRY_MODE")
            || self
                .get(name)
                .is_some_and(|p| p.get("max_attempts").is_some() || p.get("retry_mode").is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "
[default]
region = us-east-1

[profile admin]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = base
mfa_serial = arn:aws:iam::444455556666:mfa/alice
external_id = ext-1
duration_seconds = 3600

[profile chained]
role_arn = arn:aws:iam::111122223333:role/Other
source_profile = admin

[profile patient]
max_attempts = 10

[profile itself]
role_arn = arn:aws:iam::111122223333:role/Admin
source_profile = itself
mfa_serial = arn:aws:iam::444455556666:mfa/alice
";
    const CREDENTIALS: &str = "
[base]
aws_access_key_id = AKIABASE000000000001
aws_secret_access_key = secret

[itself]
aws_access_key_id = AKIAITSELF0000000001
aws_secret_access_key = itselfsecret
";

    #[tokio::test]
    async fn reads_roles_source_keys_and_names() {
        use aws_types::os_shim_internal::{Env, Fs};
        let fs = Fs::from_map(
            [
                (
                    "/home/me/.aws/config".to_string(),
                    CONFIG.as_bytes().to_vec(),
                ),
                (
                    "/home/me/.aws/credentials".to_string(),
                    CREDENTIALS.as_bytes().to_vec(),
                ),
            ]
            .into_iter()
            .collect(),
        );
        let env = Env::from_slice(&[("HOME", "/home/me")]);
        let profiles = Profiles::load_from(&fs, &env).await.unwrap();
        let role = profiles.role("admin").unwrap();
        assert_eq!(
            role.mfa_serial.as_deref(),
            Some("arn:aws:iam::444455556666:mfa/alice")
        );
        assert_eq!(role.external_id.as_deref(), Some("ext-1"));
        assert_eq!(role.duration_seconds, Some(3600));
        assert_eq!(profiles.role("base"), None);
        assert_eq!(
            profiles.source_key("admin").as_deref(),
            Some("AKIABASE000000000001")
        );
        assert_eq!(
            profiles.source_key("chained").as_deref(),
            Some("AKIABASE000000000001")
        );
        assert_eq!(profiles.source_key("base"), None);
        assert!(profiles.check_exists("admin").is_ok());
        let err = profiles.check_exists("prodadmin").unwrap_err();
        assert!(err.contains("'prodadmin' does not exist"), "{err}");
        assert!(
            err.contains("admin, base, chained, default, itself, patient"),
            "{err}"
        );
        assert!(profiles.sets_retries("patient"));
        // A role profile that is its own source: its own static keys.
        assert_eq!(
            profiles.source_key("itself").as_deref(),
            Some("AKIAITSELF0000000001")
        );
        let keys = profiles.static_keys("itself").unwrap();
        assert_eq!(keys.access_key_id(), "AKIAITSELF0000000001");
        assert_eq!(keys.secret_access_key(), "itselfsecret");
        assert!(profiles.static_keys("admin").is_none());
    }
}
