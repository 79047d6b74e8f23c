//! `--org`: every account of an organization, headless, against the
//! emulator's Organizations and AssumeRole (moto's, made to refuse as AWS does
//! for a denied role, a missing role and a suspended account).

use iamkeys::aws::emulator::{
    Emulator, Seed, SeedAccount, SeedKey, SeedOrganization, SeedUse, SeedUser,
};
use serde_json::Value;

use crate::common::{list_as_outsider, start_emulator};

fn user(name: &str, keys: Vec<SeedKey>) -> SeedUser {
    SeedUser {
        name: name.into(),
        path: "/".into(),
        created_days_ago: 400.0,
        keys,
    }
}

fn key(created_days_ago: f64, used_days_ago: Option<f64>) -> SeedKey {
    SeedKey {
        status: "Active".into(),
        created_days_ago,
        last_used: used_days_ago.map(|days_ago| SeedUse {
            days_ago,
            service: "s3".into(),
            region: "eu-west-1".into(),
        }),
        description: None,
    }
}

fn member(name: &str, users: Vec<SeedUser>, assume: Option<&str>, suspended: bool) -> SeedAccount {
    SeedAccount {
        name: name.into(),
        users,
        suspended,
        assume: assume.map(str::to_string),
        ou: None,
    }
}

/// A management account with one user, two readable members, one that
/// refuses AssumeRole, one without the role, one suspended.
fn organization() -> Emulator {
    start_emulator(&Seed {
        users: vec![user("mgmt-admin", vec![key(10.0, Some(1.0))])],
        organization: Some(SeedOrganization {
            accounts: vec![
                member(
                    "prod",
                    vec![
                        user("prod-deployer", vec![key(200.0, Some(2.0))]),
                        user("prod-old", vec![key(500.0, None)]),
                    ],
                    None,
                    false,
                ),
                member(
                    "dev",
                    vec![user("dev-ci", vec![key(5.0, Some(0.5))])],
                    None,
                    false,
                ),
                member(
                    "locked",
                    vec![user("hidden", vec![key(5.0, None)])],
                    Some("denied"),
                    false,
                ),
                member("no-role", vec![], Some("no-role"), false),
                member("closed", vec![], None, true),
            ],
        }),
        ..Seed::default()
    })
}

fn account_id(emulator: &Emulator, name: &str) -> String {
    emulator
        .report
        .accounts
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.id.clone())
        .expect("the account was seeded")
}

fn records_of(out: &std::process::Output) -> Vec<Value> {
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn of_account<'a>(records: &'a [Value], name: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["account_name"] == name)
        .collect()
}

#[test]
fn list_org_reads_every_member_and_shows_the_ones_it_cannot_read_with_why() {
    let emulator = organization();
    let out = list_as_outsider(&emulator.endpoint, &["--org", "--output", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Some accounts could not be read: exit 3, with every other account's records.
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    let records = records_of(&out);

    let prod = of_account(&records, "prod");
    let users: Vec<&str> = prod.iter().filter_map(|r| r["user"].as_str()).collect();
    assert_eq!(users, vec!["prod-deployer", "prod-old"], "{records:#?}");
    assert!(
        prod.iter()
            .all(|r| r["account_id"] == account_id(&emulator, "prod"))
    );
    assert!(prod.iter().all(|r| r["error"].is_null()), "{prod:#?}");
    let old = prod.iter().find(|r| r["user"] == "prod-old").unwrap();
    assert!(
        old["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "rotation-due"),
        "{old:#?}"
    );
    assert_eq!(of_account(&records, "dev")[0]["user"], "dev-ci");
    // The management account is read with the session itself.
    assert_eq!(of_account(&records, "management")[0]["user"], "mgmt-admin");

    // Denied and role-less accounts: one record each, which roles and IAM's message.
    for name in ["locked", "no-role"] {
        let rows = of_account(&records, name);
        assert_eq!(rows.len(), 1, "{name}: {rows:#?}");
        let error = rows[0]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("OrganizationAccountAccessRole or AWSControlTowerExecution")
                && error.contains("AccessDenied")
                && error.contains("not authorized to perform: sts:AssumeRole"),
            "{name}: {error}"
        );
        assert_eq!(rows[0]["account_state"], "ACTIVE");
    }
    assert!(
        of_account(&records, "locked")
            .iter()
            .all(|r| r["user"] != "hidden")
    );
    // Suspended: listed and skipped, not a failure.
    let closed = of_account(&records, "closed");
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["account_state"], "SUSPENDED");
    assert!(closed[0]["error"].is_null());
    assert!(
        stderr.contains("6 accounts: 3 read, 2 not read, 1 suspended"),
        "{stderr}"
    );
}

#[test]
fn accounts_and_exclude_accounts_choose_and_a_clean_choice_exits_0() {
    let emulator = organization();
    let prod = account_id(&emulator, "prod");
    let out = list_as_outsider(
        &emulator.endpoint,
        &["--org", "--accounts", &prod, "--output", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = records_of(&out);
    assert!(
        records.iter().all(|r| r["account_name"] == "prod"),
        "{records:#?}"
    );
    assert_eq!(records.len(), 2);

    let excluded = format!(
        "{},{}",
        account_id(&emulator, "locked"),
        account_id(&emulator, "no-role")
    );
    let out = list_as_outsider(
        &emulator.endpoint,
        &["--org", "--exclude-accounts", &excluded, "--output", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = records_of(&out);
    assert!(of_account(&records, "locked").is_empty());
    assert_eq!(of_account(&records, "dev").len(), 1);

    let bad = list_as_outsider(&emulator.endpoint, &["--org", "--accounts", "prod"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("12-digit account id"));
}

#[test]
fn fail_on_gates_across_accounts_and_the_table_says_whose_each_row_is() {
    let emulator = organization();
    let prod = account_id(&emulator, "prod");
    let dev = account_id(&emulator, "dev");
    let only = format!("{prod},{dev}");
    let out = list_as_outsider(
        &emulator.endpoint,
        &["--org", "--accounts", &only, "--fail-on", "rotation-due"],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let header = table.lines().next().unwrap_or_default();
    assert!(header.starts_with("ACCOUNT"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("prod") && l.contains("prod-old")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("dev") && l.contains("dev-ci"))
    );
}

#[test]
fn a_role_name_no_account_has_denies_every_member_and_names_that_role() {
    let emulator = organization();
    let dev = account_id(&emulator, "dev");
    let out = list_as_outsider(
        &emulator.endpoint,
        &[
            "--org",
            "--accounts",
            &dev,
            "--role",
            "AuditRole",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let records = records_of(&out);
    assert_eq!(records.len(), 1);
    let error = records[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("cannot assume AuditRole: AccessDenied"),
        "{error}"
    );
}

#[test]
fn an_mfa_source_session_asks_for_its_code_once_and_signs_every_accounts_assume_role() {
    use crate::common::PtySession;
    use crate::common::fault_proxy::{FaultProxy, Faults};
    const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";
    const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
    const KEY: &str = "AKIAPROFILEKEY000001";
    let emulator = organization();
    let proxy = FaultProxy::start(
        emulator.report.port,
        Faults {
            assume_role_needs_mfa: true,
            mfa_role: Some(ADMIN.into()),
            ..Faults::default()
        },
        1,
    );
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile source]\nregion = us-east-1\n\n[profile org-admin]\nregion = us-east-1\n\
             source_profile = source\nrole_arn = {ADMIN}\nmfa_serial = {SERIAL}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[source]\naws_access_key_id = {KEY}\naws_secret_access_key = s3cr3ts3cr3ts3cr3t\n"
        ),
    )
    .unwrap();
    let out = home.path().join("org.json");
    let script = format!(
        "{} list --org --profile org-admin --endpoint-url {} --output json > {}",
        env!("CARGO_BIN_EXE_iamkeys"),
        proxy.url,
        out.display()
    );
    let config = home.path().join(".aws/config").display().to_string();
    let credentials = home.path().join(".aws/credentials").display().to_string();
    let state = crate::common::test_state_home().display().to_string();
    let home_dir = home.path().display().to_string();
    let env = [
        ("HOME", home_dir.as_str()),
        ("AWS_CONFIG_FILE", config.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("XDG_STATE_HOME", state.as_str()),
        ("XDG_CONFIG_HOME", "/nonexistent/iamkeys-test-config-home"),
    ];
    let mut run = PtySession::spawn_program("sh", &["-c", &script], &env, home.path(), 60, 160);
    run.wait_for(
        &format!("Enter MFA code for {SERIAL}:"),
        std::time::Duration::from_secs(60),
    );
    run.send("123456\r");
    let code = run.wait_exit_code(std::time::Duration::from_secs(90));
    assert_eq!(code, 3, "{}", run.contents());
    assert_eq!(
        run.contents().matches("Enter MFA code").count(),
        1,
        "{}",
        run.contents()
    );

    let seen = proxy.seen();
    let assumed: Vec<_> = seen.iter().filter(|s| s.action == "AssumeRole").collect();
    let with_code: Vec<_> = assumed
        .iter()
        .filter(|s| s.param("TokenCode").is_some())
        .collect();
    assert_eq!(with_code.len(), 1, "{assumed:#?}");
    assert_eq!(with_code[0].param("RoleArn").as_deref(), Some(ADMIN));
    assert_eq!(with_code[0].credential, KEY);
    // Every member's AssumeRole is signed by the MFA role session, not the long-term key.
    let members: Vec<_> = assumed
        .iter()
        .filter(|s| s.param("RoleArn").as_deref() != Some(ADMIN))
        .collect();
    assert!(members.len() >= 4, "{assumed:#?}");
    assert!(
        members
            .iter()
            .all(|s| s.credential != KEY && !s.credential.is_empty())
    );
    let records: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(of_account(&records, "prod").len(), 2, "{records:#?}");
    assert_eq!(proxy.counts().get("mfa_refused"), None);
}

#[test]
fn key_owner_names_the_account_of_a_member_key_and_of_a_foreign_one() {
    let emulator = organization();
    let prod = account_id(&emulator, "prod");
    let prod_key = emulator
        .report
        .accounts
        .iter()
        .find(|a| a.name == "prod")
        .unwrap()
        .users[0]
        .keys[0]
        .id
        .clone();
    let owner = |key: &str, json: bool| {
        let mut cmd = crate::common::iamkeys_as_outsider();
        cmd.args([
            "key-owner",
            key,
            "--endpoint-url",
            &emulator.endpoint,
            "--region",
            "us-east-1",
        ]);
        if json {
            cmd.args(["--output", "json"]);
        }
        cmd.output().unwrap()
    };
    let out = owner(&prod_key, false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{prod_key} belongs to account {prod} (prod), a member of this organization")
    );
    // A key of an account outside the organization: AWS reads the account out of the id.
    let foreign = "ASIAY34FZKBOKMUTVV7A";
    let out = owner(foreign, true);
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["account_id"], "609629065308");
    assert_eq!(answer["in_organization"], false);
    assert!(answer["account_name"].is_null());
    let bad = owner("not-a-key", false);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn an_organizational_unit_chooses_the_accounts_below_it_and_accounts_page_past_twenty() {
    // 24 members: ListAccounts takes two pages of 20. Three sit in OUs.
    let mut accounts: Vec<SeedAccount> = (0..21)
        .map(|n| member(&format!("team-{n:02}"), vec![], None, false))
        .collect();
    for (name, ou) in [
        ("web", "workloads/prod"),
        ("api", "workloads/prod/eu"),
        ("lab", "sandbox"),
    ] {
        let mut account = member(
            name,
            vec![user(&format!("{name}-ci"), vec![key(3.0, None)])],
            None,
            false,
        );
        account.ou = Some(ou.into());
        accounts.push(account);
    }
    let emulator = start_emulator(&Seed {
        organization: Some(SeedOrganization { accounts }),
        ..Seed::default()
    });
    let ou_of = |name: &str| {
        emulator
            .report
            .accounts
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.ou_id.clone())
            .unwrap()
    };
    let all = list_as_outsider(&emulator.endpoint, &["--org", "--output", "json"]);
    assert_eq!(
        all.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    assert!(
        String::from_utf8_lossy(&all.stderr).contains("25 accounts: 25 read"),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    // `workloads/prod` holds web, and api below it in `workloads/prod/eu`.
    let prod_unit = ou_of("web");
    let out = list_as_outsider(
        &emulator.endpoint,
        &["--org", "--accounts", &prod_unit, "--output", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = records_of(&out)
        .iter()
        .map(|r| r["account_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["api", "web"]);
    let out = list_as_outsider(
        &emulator.endpoint,
        &[
            "--org",
            "--accounts",
            &prod_unit,
            "--exclude-accounts",
            &ou_of("api"),
            "--output",
            "json",
        ],
    );
    let names: Vec<String> = records_of(&out)
        .iter()
        .map(|r| r["account_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["web"]);
}
