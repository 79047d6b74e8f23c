//! Command-line flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::aws::inventory::Source;
use crate::cli::list::Output;

/// A terminal dashboard for the access keys of every IAM user of an AWS account.
#[derive(Debug, Parser)]
#[command(name = "iamkeys", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// AWS profile to use (default: AWS_PROFILE, then "default").
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "demo")]
    pub profile: Option<String>,

    /// AWS region to sign requests for (default: AWS_REGION or the profile's region).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send IAM and STS requests to this URL instead of AWS (an emulator or proxy).
    #[arg(long, global = true, value_name = "URL", value_parser = parse_endpoint, conflicts_with = "demo")]
    pub endpoint_url: Option<String>,

    /// How many IAM requests may be in flight at once while loading (fewer while IAM throttles).
    #[arg(long, global = true, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Where last uses come from: the credential report (auto falls back to per-key calls), or per-key calls only.
    #[arg(long, global = true, value_enum, default_value_t = Source::Auto)]
    pub source: Source,

    /// The config file (default: $XDG_CONFIG_HOME/iamkeys/config.toml, else ~/.config/iamkeys/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The journal of changes (default: $XDG_STATE_HOME/iamkeys/journal.jsonl, else ~/.local/state/iamkeys/journal.jsonl).
    #[arg(long, global = true, value_name = "PATH")]
    pub journal: Option<PathBuf>,

    /// Change IAM without a journal: nothing is recorded, and undo cannot change it back.
    /// Without it, a journal that cannot be written (a link, a directory, a FIFO, another
    /// user's file) refuses every change.
    #[arg(long, global = true, conflicts_with = "journal")]
    pub no_journal: bool,

    /// Write diagnostic logs to this file (nothing is printed over the dashboard).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Leave the mouse to the terminal (text selection) instead of wheel scrolling and click-to-select.
    #[arg(long, global = true)]
    pub no_mouse: bool,

    /// Show everything, change nothing: every toggle, create and delete is refused.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Run against a local IAM emulator seeded with a sample organisation (needs python3; no AWS account).
    #[arg(long, global = true)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The dashboard (the default).
    Tui,
    /// Print the inventory without a TUI: one record per key, and one per user without keys.
    List {
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Table)]
        output: Output,
        /// Only records matching these terms, as the dashboard's `/` (text, is:FINDING, is:active,
        /// service:, region:, path:, age>N, unused>N; all must hold).
        #[arg(long, value_name = "TERMS", value_parser = crate::core::filter::Filter::parse)]
        filter: Option<crate::core::filter::Filter>,
        /// Exit 4 when a record that is not exempt has one of these findings (comma list, or `any`): a CI gate.
        #[arg(long, value_name = "FINDINGS", value_parser = crate::cli::list::parse_fail_on)]
        fail_on: Option<crate::cli::list::FailOn>,
    },
    /// Deactivate every active key the filter matches: a plan, a confirmation (the count typed), per-key results.
    Deactivate(BulkArgs),
    /// Delete every inactive key the filter matches (active ones are listed as left out).
    Delete(BulkArgs),
    /// Rotate a key with proof: create a new key, save its secret, prove it signs as the user, retire the old.
    Rotate(RotateArgs),
    /// Change back, key by key, what the journal's last operation (or last N operations) changed.
    Undo {
        /// Undo the last N operations (those with something to change back) instead of the last one.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        last: Option<u32>,
        /// Also undo entries made by another identity than this session's, or without an IAM request id.
        #[arg(long)]
        include_foreign: bool,
        /// Also undo entries older than `[journal] undo_within_days` (default 7).
        #[arg(long)]
        include_old: bool,
        /// Do not ask on the terminal.
        #[arg(long)]
        yes: bool,
    },
}

/// The arguments of `rotate`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// The user whose key to rotate.
    #[arg(long, value_name = "NAME", required_unless_present = "own_key")]
    pub user: Option<String>,
    /// Which of its keys (default: its one active key).
    #[arg(long, value_name = "AKIA…")]
    pub key: Option<String>,
    /// Where the new key's CSV goes: a new file (mode 0600, never over an existing one), or - for stdout.
    #[arg(long, value_name = "PATH|-", required_unless_present = "own_key")]
    pub secret_out: Option<String>,
    /// Deactivate the old key once the new one is proven (the default).
    #[arg(long)]
    pub deactivate_old: bool,
    /// Deactivate, then delete, the old key once the new one is proven.
    #[arg(long)]
    pub delete_old: bool,
    /// Keep the old key active after the proof; a rerun without it retires it.
    #[arg(long, conflicts_with_all = ["deactivate_old", "delete_old"])]
    pub keep_old: bool,
    /// Delete the key an interrupted rotation made but whose secret was never saved, then rotate.
    #[arg(long)]
    pub delete_orphan: bool,
    /// Make room: delete the user's inactive key first (IAM allows two keys).
    #[arg(long)]
    pub delete_inactive: bool,
    /// Rotate the static key of the profile (--profile, AWS_PROFILE or default) in the shared
    /// credentials file: once the new key is proven the file gets it, and the old one is retired.
    #[arg(long = "self", conflicts_with_all = ["user", "key", "secret_out"])]
    pub own_key: bool,
    /// How long to wait for IAM to propagate the new key before giving up (seconds).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=900))]
    pub verify_timeout: u64,
    /// Do not ask on the terminal.
    #[arg(long)]
    pub yes: bool,
}

/// The arguments of `deactivate` and `delete`.
#[derive(Debug, clap::Args)]
pub struct BulkArgs {
    /// Which keys: the dashboard's filter terms (text, is:FINDING, is:active, service:, region:,
    /// path:, age>N, unused>N; all must hold), e.g. `is:unused`.
    #[arg(long, value_name = "TERMS", value_parser = crate::core::filter::Filter::parse)]
    pub filter: crate::core::filter::Filter,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask on the terminal (run --dry-run first).
    #[arg(long)]
    pub yes: bool,
}

/// Accepts `http://` and `https://` URLs with a host.
fn parse_endpoint(value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(|| format!("'{value}' is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') || host.contains(char::is_whitespace) {
        return Err(format!("'{value}' has no host"));
    }
    Ok(value.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_checked() {
        assert_eq!(
            parse_endpoint("http://127.0.0.1:5000/").unwrap(),
            "http://127.0.0.1:5000"
        );
        assert!(parse_endpoint("127.0.0.1:5000").is_err());
        assert!(parse_endpoint("http://").is_err());
        assert!(parse_endpoint("ftp://x").is_err());
    }

    #[test]
    fn concurrency_zero_is_refused() {
        assert!(Cli::try_parse_from(["iamkeys", "--concurrency", "0"]).is_err());
        assert!(Cli::try_parse_from(["iamkeys", "--demo", "--profile", "x"]).is_err());
        assert_eq!(Cli::try_parse_from(["iamkeys"]).unwrap().concurrency, 16);
        let cli = Cli::try_parse_from([
            "iamkeys", "list", "--output", "json", "--source", "live", "--region", "x",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::List {
                output: Output::Json,
                ..
            })
        ));
        assert_eq!(
            (cli.source, cli.region.as_deref()),
            (Source::Live, Some("x"))
        );
        assert!(Cli::try_parse_from(["iamkeys", "list", "--output", "yaml"]).is_err());
    }

    #[test]
    fn global_flags_go_before_or_after_every_subcommand() {
        let flags = [
            "--profile",
            "p",
            "--region",
            "r",
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--read-only",
            "--config",
            "c.toml",
            "--journal",
            "j.jsonl",
            "--log-file",
            "l.log",
        ];
        let commands: [&[&str]; 5] = [
            &["deactivate", "--filter", "is:unused", "--dry-run"],
            &["delete", "--filter", "is:inactive", "--yes"],
            &["undo", "--last", "2"],
            &["rotate", "--user", "u", "--secret-out", "-"],
            &["rotate", "--self"],
        ];
        for command in commands {
            for before in [true, false] {
                let mut args = vec!["iamkeys"];
                if before {
                    args.extend(flags);
                    args.extend(command);
                } else {
                    args.extend(command);
                    args.extend(flags);
                }
                let cli = Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
                assert_eq!(cli.profile.as_deref(), Some("p"));
                assert_eq!(
                    cli.journal.as_deref(),
                    Some(std::path::Path::new("j.jsonl"))
                );
                assert!(cli.read_only);
                assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("c.toml")));
            }
        }
        // --no-journal is global too, and never with --journal.
        let cli =
            Cli::try_parse_from(["iamkeys", "undo", "--no-journal", "--include-old"]).unwrap();
        assert!(cli.no_journal);
        assert!(matches!(
            cli.command,
            Some(Command::Undo {
                include_old: true,
                include_foreign: false,
                ..
            })
        ));
        assert!(
            Cli::try_parse_from(["iamkeys", "--no-journal", "--journal", "j", "list"]).is_err()
        );
        // rotate needs a user and a destination, or --self alone.
        assert!(Cli::try_parse_from(["iamkeys", "rotate", "--user", "u"]).is_err());
        assert!(Cli::try_parse_from(["iamkeys", "rotate", "--self", "--user", "u"]).is_err());
        assert!(
            Cli::try_parse_from(["iamkeys", "deactivate"]).is_err(),
            "--filter is required"
        );
        assert!(Cli::try_parse_from(["iamkeys", "deactivate", "--filter", "is:bogus"]).is_err());
    }
}
