//! The real binary in a pseudo-terminal against the emulator: what a person sees.

use crate::common;

use std::time::Duration;

use common::PtySession;

const WAIT: Duration = Duration::from_secs(30);

fn outsider_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", common::OUTSIDER_KEY.0),
        ("AWS_SECRET_ACCESS_KEY", common::OUTSIDER_KEY.1),
    ]
}

#[test]
fn browse_filter_read_a_key_and_quit_with_the_terminal_restored() {
    let emulator = common::start_emulator(&common::small_org());
    let carol = emulator
        .report
        .users
        .iter()
        .find(|u| u.name == "carol.ops")
        .unwrap();
    let used_key = &carol.keys[0];
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 30, 120);
    tui.wait_for("carol.ops", WAIT);
    let screen = tui.wait_for("loaded 30 users", WAIT);
    assert!(
        tui.in_alternate_screen(),
        "the dashboard runs in the alternate screen"
    );
    assert!(screen.contains("account 123456789012"), "{screen}");

    tui.send("/");
    tui.send(&used_key.id.to_lowercase());
    let screen = tui.wait_for("Users 1/30", WAIT);
    assert!(
        screen.contains("carol.ops"),
        "a key id finds its owner:\n{screen}"
    );
    tui.send("\r");
    tui.send("\t");
    let screen = tui.wait_for(&used_key.id, WAIT);
    let row = screen.lines().find(|l| l.contains(&used_key.id)).unwrap();
    let last_use = used_key.last_used.as_ref().unwrap();
    assert!(
        row.contains(&last_use.service) && row.contains(&last_use.region),
        "{row}"
    );
    assert!(row.contains("3 days ago"), "{row}");

    tui.send("q");
    assert!(tui.wait_exit(WAIT), "iamkeys exits 0 on q");
    assert!(!tui.in_alternate_screen(), "the alternate screen was left");
    assert!(!tui.cursor_hidden(), "the cursor is visible again");
}

#[test]
fn ctrl_c_in_the_filter_field_quits_and_restores_the_terminal() {
    let emulator = common::start_emulator(&common::small_org());
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 24, 80);
    tui.wait_for("carol.ops", WAIT);
    tui.send("/q");
    tui.wait_for("filter: q", WAIT);
    tui.send("\x03");
    assert!(tui.wait_exit(WAIT));
    assert!(!tui.in_alternate_screen() && !tui.cursor_hidden());
}

#[test]
fn a_tiny_terminal_says_so_and_still_quits() {
    let emulator = common::start_emulator(&common::small_org());
    let cwd = tempfile::tempdir().unwrap();
    let mut tui = PtySession::as_outsider(&emulator.endpoint, &[], cwd.path(), 8, 30);
    tui.wait_for("too small", WAIT);
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}

/// Runs `iamkeys list ARGS` without a terminal: the dashboard would only say
/// that it needs one, and `list` meets every startup error the dashboard meets.
fn run_plain(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = common::iamkeys_command();
    cmd.arg("list").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run iamkeys");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn startup_errors_are_one_clear_line_with_a_hint_and_a_nonzero_exit() {
    let dead = "http://127.0.0.1:9";
    let (code, stdout, stderr) = run_plain(
        &["--endpoint-url", dead, "--region", "us-east-1"],
        &outsider_env(),
    );
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "the terminal is untouched: {stdout:?}");
    assert!(
        stderr.starts_with("iamkeys: cannot reach AWS") && stderr.contains("NetworkError"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint:") && stderr.lines().count() == 2,
        "{stderr}"
    );

    let (code, _, stderr) = run_plain(&["--region", "us-east-1"], &[]);
    assert_eq!(code, 1);
    // The cause first; the instance metadata service (the chain's last stop) last.
    assert!(
        stderr.starts_with(
            "iamkeys: cannot load AWS credentials: no credentials found: no AWS_ACCESS_KEY_ID"
        ) && stderr.contains("instance metadata is disabled"),
        "{stderr}"
    );

    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[profile team]\nregion = eu-west-1\n").unwrap();
    let path = config.path().to_str().unwrap();
    // A profile that does not exist fails, naming the ones there are, even
    // with keys in the environment (which it would otherwise fall through to).
    let mut env: Vec<(&str, &str)> = outsider_env();
    env.push(("AWS_CONFIG_FILE", path));
    for how in [&["--profile", "nope"][..], &[]] {
        let mut env = env.clone();
        if how.is_empty() {
            env.push(("AWS_PROFILE", "nope"));
        }
        let (code, _, stderr) = run_plain(how, &env);
        assert_eq!(code, 1, "{how:?}");
        assert!(
            stderr.contains("profile 'nope' does not exist; the profiles found are: team"),
            "{stderr}"
        );
    }

    std::fs::write(config.path(), "[profile team\nregion = eu-west-1\n").unwrap();
    let (code, _, stderr) = run_plain(&["--profile", "team"], &[("AWS_CONFIG_FILE", path)]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read the AWS config files"),
        "{stderr}"
    );

    let (code, _, stderr) = run_plain(&[], &outsider_env());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no AWS region is configured") && stderr.contains("--region"),
        "{stderr}"
    );

    for bad in [
        &["--concurrency", "0"][..],
        &["--endpoint-url", "localhost:5000"],
        &["--frobnicate"],
    ] {
        let (code, stdout, stderr) = run_plain(bad, &[]);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
        assert!(
            stdout.is_empty() && stderr.starts_with("error:"),
            "{bad:?}: {stderr}"
        );
    }
}

/// A home with AWS config and credentials files: a profile with a static key,
/// and a role profile reached from it that needs MFA.
struct AwsHome {
    dir: tempfile::TempDir,
    /// The static key of profile `prodadmin` (the MFA role's source profile).
    key_id: String,
}

const PROFILE_KEY: &str = "AKIAPROFILEKEY000001";
const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

impl AwsHome {
    fn new() -> Self {
        Self::with_key(PROFILE_KEY, "profilesecretprofilesecretprofilesecret1")
    }

    fn with_key(key_id: &str, secret: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let count = dir.path().join("process-runs");
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(
            dir.path().join(".aws/config"),
            format!(
                "[profile prodadmin]\nregion = us-east-1\n\n\
                 [profile mfa-admin]\nregion = us-east-1\nsource_profile = prodadmin\n\
                 role_arn = arn:aws:iam::123456789012:role/Admin\nmfa_serial = {MFA_SERIAL}\n\
                 external_id = ext-42\nduration_seconds = 3600\n\n\
                 [profile proc]\nregion = us-east-1\ncredential_process = echo run >> {count}; \
                 echo '{{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS000000001\", \"SecretAccessKey\": \"s\"}}'\n",
                count = count.display()
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(".aws/credentials"),
            format!(
                "[prodadmin]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
            ),
        )
        .unwrap();
        Self {
            dir,
            key_id: key_id.to_string(),
        }
    }

    /// Like [`AwsHome::with_key`], with a role session of 15 minutes (the
    /// shortest STS gives; the tests make it come due sooner).
    fn with_short_session(key_id: &str, secret: &str) -> Self {
        let home = Self::with_key(key_id, secret);
        let config = home.dir.path().join(".aws/config");
        let text = std::fs::read_to_string(&config)
            .unwrap()
            .replace("duration_seconds = 3600", "duration_seconds = 900");
        std::fs::write(&config, text).unwrap();
        home
    }

    /// How many times the `proc` profile's credential_process ran.
    fn process_runs(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("process-runs"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let home = self.dir.path();
        vec![
            ("HOME", home.display().to_string()),
            (
                "AWS_CONFIG_FILE",
                home.join(".aws/config").display().to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                home.join(".aws/credentials").display().to_string(),
            ),
        ]
    }

    fn cache_files(&self) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(self.dir.path().join(".aws/cli/cache"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }
}

#[test]
fn a_named_profile_signs_every_request_even_with_keys_in_the_environment() {
    let emulator = common::start_emulator(&common::small_org());
    let proxy = common::fault_proxy::FaultProxy::start(
        emulator.report.port,
        common::fault_proxy::Faults::default(),
        1,
    );
    let home = AwsHome::new();
    let mut cmd = common::iamkeys_command();
    cmd.envs(home.env())
        .env("AWS_ACCESS_KEY_ID", common::OUTSIDER_KEY.0)
        .env("AWS_SECRET_ACCESS_KEY", common::OUTSIDER_KEY.1)
        .args([
            "list",
            "--profile",
            "prodadmin",
            "--endpoint-url",
            &proxy.url,
        ]);
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = proxy.seen();
    assert!(seen.len() > 10, "{} requests", seen.len());
    let others: Vec<_> = seen
        .iter()
        .filter(|s| s.credential != PROFILE_KEY)
        .collect();
    assert!(others.is_empty(), "signed with another key: {others:?}");

    // A credential_process (which may prompt, or cost a round trip) runs once.
    let out = common::iamkeys_command()
        .envs(home.env())
        .args(["list", "--profile", "proc", "--endpoint-url", &proxy.url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(home.process_runs(), 1, "credentials are resolved once");
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.credential == "AKIAPROCESS000000001")
    );
}

#[test]
fn an_mfa_profile_asks_for_the_code_assumes_the_role_with_it_and_reuses_the_session() {
    // The source profile's key is dave.dev's: the session depends on it.
    let mut org = common::small_org();
    org.signing_user = Some("dave.dev".into());
    let emulator = common::start_emulator(&org);
    let dave = emulator.report.signing.clone().unwrap();
    let proxy = common::fault_proxy::FaultProxy::start(
        emulator.report.port,
        common::fault_proxy::Faults::default(),
        1,
    );
    let home = AwsHome::with_key(&dave.access_key_id, &dave.secret_access_key);
    let env = home.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = PtySession::spawn(
        &["--profile", "mfa-admin", "--endpoint-url", &proxy.url],
        &env,
        home.dir.path(),
        30,
        120,
    );
    tui.wait_for(&format!("Enter MFA code for {MFA_SERIAL}:"), WAIT);
    tui.send("123456\r");
    tui.wait_for("loaded 30 users", WAIT);
    assert!(
        tui.contents().contains("assumed-role/Admin"),
        "{}",
        tui.contents()
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));

    let seen = proxy.seen();
    let assume: Vec<_> = seen.iter().filter(|s| s.action == "AssumeRole").collect();
    assert_eq!(assume.len(), 1, "AssumeRole once: {assume:?}");
    let assume = assume[0];
    assert_eq!(
        assume.credential, home.key_id,
        "signed with the source profile's key"
    );
    assert_eq!(assume.param("SerialNumber").as_deref(), Some(MFA_SERIAL));
    assert_eq!(assume.param("TokenCode").as_deref(), Some("123456"));
    assert_eq!(assume.param("ExternalId").as_deref(), Some("ext-42"));
    assert_eq!(assume.param("DurationSeconds").as_deref(), Some("3600"));
    let after: Vec<_> = seen
        .iter()
        .skip_while(|s| s.action != "AssumeRole")
        .skip(1)
        .collect();
    assert!(
        !after.is_empty() && after.iter().all(|s| s.credential.starts_with("ASIA")),
        "the role's credentials sign the rest"
    );

    // The role's session is in the AWS CLI's cache, readable by this user only.
    let cached = home.cache_files();
    assert_eq!(cached.len(), 1, "{cached:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&cached[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // A second start, with no terminal at all, reuses it: no code asked, no AssumeRole.
    let list = |home: &AwsHome| {
        std::process::Command::new("setsid")
            .arg(env!("CARGO_BIN_EXE_iamkeys"))
            .args([
                "list",
                "--profile",
                "mfa-admin",
                "--endpoint-url",
                &proxy.url,
            ])
            .envs(home.env())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_PROFILE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = list(&home);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let assumed = proxy
        .seen()
        .iter()
        .filter(|s| s.action == "AssumeRole")
        .count();
    assert_eq!(assumed, 1, "the cached session was reused");

    // Without the cache and without a terminal, it says why it cannot go on.
    std::fs::remove_file(&cached[0]).unwrap();
    let out = list(&home);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot assume the role of profile 'mfa-admin'")
            && stderr.contains("no terminal"),
        "{stderr}"
    );
}

#[test]
fn a_profile_that_is_its_own_source_assumes_its_role_with_the_mfa_code() {
    // aws-sdk-rust#527's layout: static keys and role_arn + mfa_serial in one
    // profile, source_profile naming itself. The role requires MFA.
    let mut org = common::small_org();
    org.signing_user = Some("dave.dev".into());
    let emulator = common::start_emulator(&org);
    let dave = emulator.report.signing.clone().unwrap();
    let proxy = common::fault_proxy::FaultProxy::start(
        emulator.report.port,
        common::fault_proxy::Faults {
            assume_role_needs_mfa: true,
            ..common::fault_proxy::Faults::default()
        },
        1,
    );
    let home = AwsHome::new();
    std::fs::write(
        home.dir.path().join(".aws/config"),
        format!(
            "[profile selfmfa]\nregion = us-east-1\nsource_profile = selfmfa\n\
             role_arn = arn:aws:iam::123456789012:role/Admin\nmfa_serial = {MFA_SERIAL}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        home.dir.path().join(".aws/credentials"),
        format!(
            "[selfmfa]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            dave.access_key_id, dave.secret_access_key
        ),
    )
    .unwrap();
    let env = home.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = PtySession::spawn(
        &["--profile", "selfmfa", "--endpoint-url", &proxy.url],
        &env,
        home.dir.path(),
        30,
        120,
    );
    tui.wait_for(&format!("Enter MFA code for {MFA_SERIAL}:"), WAIT);
    tui.send("654321\r");
    tui.wait_for("loaded 30 users", WAIT);
    assert!(
        tui.contents().contains("assumed-role/Admin"),
        "{}",
        tui.contents()
    );
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
    let seen = proxy.seen();
    let assume: Vec<_> = seen.iter().filter(|s| s.action == "AssumeRole").collect();
    assert_eq!(assume.len(), 1, "one AssumeRole, with the code: {assume:?}");
    assert_eq!(
        assume[0].credential, dave.access_key_id,
        "signed with the profile's own key"
    );
    assert_eq!(assume[0].param("SerialNumber").as_deref(), Some(MFA_SERIAL));
    assert_eq!(assume[0].param("TokenCode").as_deref(), Some("654321"));
    assert_eq!(proxy.counts().get("mfa_refused"), None);
}

#[test]
fn an_mfa_session_about_to_expire_asks_for_a_new_code_and_the_work_goes_on() {
    // A role session of 15 minutes that the test makes due after 4 s; `list`
    // reads one request at a time behind a slow proxy, so it is still at work
    // when the session comes due: it asks on the terminal, waits, goes on.
    let mut org = common::small_org();
    org.signing_user = Some("dave.dev".into());
    let emulator = common::start_emulator(&org);
    let dave = emulator.report.signing.clone().unwrap();
    let proxy = common::fault_proxy::FaultProxy::start(
        emulator.report.port,
        common::fault_proxy::Faults {
            slow: 1.0,
            spare_action: Some("AssumeRole".into()),
            ..common::fault_proxy::Faults::default()
        },
        1,
    );
    let home = AwsHome::with_short_session(&dave.access_key_id, &dave.secret_access_key);
    let mut env = home.env();
    env.push(("IAMKEYS_TEST_REFRESH_BEFORE_SECS", "896".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = home.dir.path().join("list.json");
    let script = format!(
        "{} list --profile mfa-admin --endpoint-url {} --concurrency 1 --source live --output json > {}",
        env!("CARGO_BIN_EXE_iamkeys"),
        proxy.url,
        out.display()
    );
    // Through sh, so that stdout goes to a file while the prompt is on the terminal.
    // Tall enough that no prompt scrolls away.
    let mut run =
        PtySession::spawn_program("sh", &["-c", &script], &env, home.dir.path(), 200, 160);
    // Every prompt gets a code (the session comes due every 4 s here) until
    // the list is done.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut typed = Vec::new();
    loop {
        let prompts = run.contents().matches("Enter MFA code").count();
        if prompts > typed.len() {
            let code = format!("{:06}", 100_000 + typed.len());
            run.send(&format!("{code}\r"));
            typed.push(code);
        }
        if let Some(success) = run.exited() {
            assert!(success, "{}", run.contents());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(std::time::Instant::now() < deadline, "{}", run.contents());
    }
    let screen = run.contents();
    assert!(typed.len() >= 2, "asked again before expiry: {screen}");
    assert!(screen.contains("ends soon"), "{screen}");
    let records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(records.iter().all(|r| r["error"].is_null()), "{records:?}");
    let codes: Vec<_> = proxy
        .seen()
        .iter()
        .filter(|s| s.action == "AssumeRole")
        .map(|s| s.param("TokenCode").unwrap_or_default())
        .collect();
    assert_eq!(
        codes, typed,
        "each renewal assumed the role with the code typed"
    );
}

#[test]
fn the_dashboard_asks_for_a_new_mfa_code_in_a_dialog_and_the_refresh_goes_on() {
    let mut org = common::small_org();
    org.signing_user = Some("dave.dev".into());
    let emulator = common::start_emulator(&org);
    let dave = emulator.report.signing.clone().unwrap();
    let proxy = common::fault_proxy::FaultProxy::start(
        emulator.report.port,
        common::fault_proxy::Faults::default(),
        1,
    );
    let home = AwsHome::with_short_session(&dave.access_key_id, &dave.secret_access_key);
    let mut env = home.env();
    // The 15-minute session comes due 4 s after it is made.
    env.push(("IAMKEYS_TEST_REFRESH_BEFORE_SECS", "896".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tui = PtySession::spawn(
        &["--profile", "mfa-admin", "--endpoint-url", &proxy.url],
        &env,
        home.dir.path(),
        30,
        120,
    );
    tui.wait_for(&format!("Enter MFA code for {MFA_SERIAL}:"), WAIT);
    tui.send("123456\r");
    tui.wait_for("loaded 30 users", WAIT);
    std::thread::sleep(Duration::from_secs(5));
    tui.send("r");
    let screen = tui.wait_for("MFA code", WAIT);
    assert!(screen.contains("ends soon"), "{screen}");
    // Keys pressed as a dialog opens are ignored: read it first.
    std::thread::sleep(Duration::from_millis(400));
    // A wrong shape is said in the dialog; the terminal is never written over.
    tui.send("12\r");
    tui.wait_for("an MFA code is 6 digits", WAIT);
    tui.send("\x7f\x7f654321\r");
    tui.wait_until(
        |s| !s.contains("ends soon") && s.contains("loaded 30 users"),
        WAIT,
    )
    .unwrap_or_else(|s| panic!("the refresh did not finish: {s}"));
    let codes: Vec<_> = proxy
        .seen()
        .iter()
        .filter(|s| s.action == "AssumeRole")
        .map(|s| s.param("TokenCode").unwrap_or_default())
        .collect();
    assert_eq!(codes, ["123456", "654321"]);
    tui.send("q");
    assert!(tui.wait_exit(WAIT));
}
