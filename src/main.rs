use std::process::ExitCode;

use clap::Parser;
use jiff::Timestamp;

use iamkeys::aws::emulator::{DEMO_ORG, Emulator};
use iamkeys::aws::inventory::LoadOptions;
use iamkeys::aws::session::{self, Target};
use iamkeys::cli::args::{Cli, Command};
use iamkeys::tui::state::State;

fn main() -> ExitCode {
    iamkeys::io::hardening::no_core_dumps();
    let cli = Cli::parse();
    if matches!(cli.command, None | Some(Command::Tui)) && !iamkeys::io::hardening::on_a_terminal()
    {
        say("the dashboard needs a terminal (stdin and stdout); for scripts use `iamkeys list`");
        return ExitCode::from(2);
    }
    if let Err(err) = color_eyre::install() {
        say(err);
        return ExitCode::FAILURE;
    }
    if let Some(path) = &cli.log_file
        && let Err(err) = iamkeys::io::logging::init(path)
    {
        say(format_args!(
            "cannot open log file {}: {err}",
            path.display()
        ));
        return ExitCode::FAILURE;
    }
    let config = match iamkeys::io::config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            say(err);
            return ExitCode::from(2);
        }
    };
    // The demo's changes are made in an emulator that lives as long as the run:
    // each run journals to a file of its own, removed when it ends.
    let demo_journal = (cli.demo && cli.journal.is_none())
        .then(|| {
            iamkeys::io::journal::state_dir().map(|d| {
                d.join(format!(
                    "demo-journal-{}.jsonl",
                    iamkeys::io::journal::new_operation_id()
                ))
            })
        })
        .flatten();
    let journal_path = cli.journal.clone().or_else(|| demo_journal.clone());
    let journal = match iamkeys::io::journal::Journal::resolve(journal_path.as_deref()) {
        Ok(journal) if cli.no_journal => journal.disabled(),
        Ok(journal) => journal.undoing_within(config.undo_within_days),
        Err(err) => {
            say(err);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            say(format_args!("cannot start the async runtime: {err}"));
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli, config, journal));
    if let Some(path) = demo_journal {
        let _ = std::fs::remove_file(path);
    }
    code
}

async fn run(
    cli: Cli,
    config: iamkeys::io::config::Config,
    journal: iamkeys::io::journal::Journal,
) -> ExitCode {
    // Kept alive until the command ends; dropping it stops the emulator.
    let mut emulator = None;
    let target = if cli.demo {
        say("starting the local IAM emulator with a demo organisation…");
        match Emulator::start_json(DEMO_ORG) {
            Ok(started) => {
                let target = demo_target(&started, cli.region.clone());
                emulator = Some(started);
                target
            }
            Err(err) => {
                say(err);
                return ExitCode::FAILURE;
            }
        }
    } else {
        Target {
            profile: cli.profile.clone(),
            region: cli.region.clone(),
            endpoint: cli.endpoint_url.clone(),
            static_credentials: None,
        }
    };
    let (client, mut context) = match session::connect(&target).await {
        Ok(connected) => connected,
        Err(err) => {
            say(err);
            return ExitCode::FAILURE;
        }
    };
    context.read_only = cli.read_only;
    context.policy = config.policy.clone();
    context.keymap = config.keymap.clone();
    let mut client = client;
    client.limit_requests(cli.concurrency.into());
    tracing::info!(read_only = cli.read_only, account = %context.identity.account, arn = %context.identity.arn, "connected");
    let options = LoadOptions {
        concurrency: cli.concurrency.into(),
        source: cli.source,
        unused_after_days: config.policy.unused_after_days,
        confirm_after: std::time::Duration::from_secs(u64::from(config.confirm_after_minutes) * 60),
        skip_users_the_report_shows_without_keys: true,
    };

    let code = match cli.command {
        Some(Command::List {
            output,
            filter,
            fail_on,
        }) => {
            let fail_on = fail_on.unwrap_or_default().0;
            let filter = filter.unwrap_or_default();
            ExitCode::from(
                iamkeys::cli::list::run(client, options, &context, &filter, output, &fail_on).await,
            )
        }
        Some(
            command @ (Command::Deactivate(_)
            | Command::Delete(_)
            | Command::Undo { .. }
            | Command::Rotate(_)),
        ) => {
            let runner = iamkeys::io::runner::Runner {
                client,
                session: context.session.clone(),
                journal,
                read_only: context.read_only,
                account: context.identity.account.clone(),
                caller_arn: context.identity.arn.clone(),
            };
            ExitCode::from(headless(command, runner, options, &context, cli.profile.clone()).await)
        }
        Some(Command::Tui) | None => {
            let state = State::new(context, Timestamp::now());
            let mut terminal = match iamkeys::tui::app::enter_terminal(!cli.no_mouse) {
                Ok(terminal) => terminal,
                Err(err) => {
                    iamkeys::tui::app::leave_terminal();
                    say(format_args!("cannot set up the terminal: {err}"));
                    return ExitCode::FAILURE;
                }
            };
            iamkeys::tui::app::flag_panics();
            let result =
                iamkeys::tui::app::run(&mut terminal, state, client, options, journal).await;
            iamkeys::tui::app::leave_terminal();
            match result {
                // As shells expect of a program ended by a signal.
                Ok(Some(signal)) => ExitCode::from(128u8.saturating_add(signal as u8)),
                Ok(None) => ExitCode::SUCCESS,
                Err(err) => {
                    say(err);
                    ExitCode::FAILURE
                }
            }
        }
    };
    drop(emulator);
    code
}

/// Runs a headless command that changes IAM; returns its exit code.
async fn headless(
    command: Command,
    runner: iamkeys::io::runner::Runner,
    options: LoadOptions,
    context: &iamkeys::tui::state::Context,
    profile: Option<String>,
) -> u8 {
    use iamkeys::cli as commands;
    use iamkeys::io::bulk::BulkKind;
    match command {
        Command::Deactivate(args) => {
            commands::bulk::run(
                runner,
                options,
                context,
                BulkKind::Deactivate,
                &args.filter,
                args.dry_run,
                args.yes,
            )
            .await
        }
        Command::Delete(args) => {
            commands::bulk::run(
                runner,
                options,
                context,
                BulkKind::Delete,
                &args.filter,
                args.dry_run,
                args.yes,
            )
            .await
        }
        Command::Rotate(args) => {
            let request = commands::rotate::Request {
                user: args.user,
                key: args.key,
                secret_out: args.secret_out,
                deactivate_old: args.deactivate_old,
                delete_old: args.delete_old,
                keep_old: args.keep_old,
                delete_orphan: args.delete_orphan,
                delete_inactive: args.delete_inactive,
                own_key: args.own_key,
                profile,
                verify_timeout: std::time::Duration::from_secs(args.verify_timeout),
                yes: args.yes,
            };
            commands::rotate::run(runner, context, request).await
        }
        Command::Undo {
            last,
            include_foreign,
            include_old,
            yes,
        } => {
            let request = commands::undo::Request {
                operations: last.map_or(1, |n| n as usize),
                include_foreign,
                include_old,
                within_days: runner.journal.undo_within_days(),
                yes,
                in_flight: options.concurrency,
            };
            commands::undo::run(runner, request).await
        }
        Command::List { .. } | Command::Tui => commands::EXIT_REFUSED,
    }
}

/// Writes `iamkeys: MESSAGE` to stderr, through the one sanitiser: a message
/// can carry a file name, a config line or a server's words (its line
/// breaks stay: a hint goes on a line of its own). A closed or full
/// stderr is no reason to panic, so a failed write is dropped.
fn say(message: impl std::fmt::Display) {
    use std::io::Write;
    let text = message.to_string();
    let _ = writeln!(
        std::io::stderr().lock(),
        "iamkeys: {}",
        iamkeys::core::sanitize::keep_newlines(&text)
    );
}

/// The demo signs as the seeded `iamkeys-admin` user, so its key shows as this session's.
fn demo_target(emulator: &Emulator, region: Option<String>) -> Target {
    Target {
        profile: None,
        region: Some(region.unwrap_or_else(|| "us-east-1".to_string())),
        endpoint: Some(emulator.endpoint.clone()),
        static_credentials: emulator
            .report
            .signing
            .as_ref()
            .map(|k| (k.access_key_id.clone(), k.secret_access_key.clone())),
    }
}
