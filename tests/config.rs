//! Configuration: defaults that work, environment overrides, and a bad value or a secret in a
//! file stopping the start with a message that names the key.

// figment::Jail closures must return figment::Result, whose error type is large: not ours to shrink.
#![allow(clippy::result_large_err)]

use complaints::config::Config;
use figment::Jail;

#[test]
fn the_defaults_load_and_the_environment_overrides_them() {
    Jail::expect_with(|jail| {
        let config = Config::load().expect("defaults");
        assert_eq!(config.database.pool_size, 8);
        jail.set_env("COMPLAINTS__DATABASE__POOL_SIZE", "4");
        jail.set_env("COMPLAINTS__DATABASE__PASSWORD", "s3cret");
        let config = Config::load().expect("overridden");
        assert_eq!(config.database.pool_size, 4);
        assert_eq!(
            config.database_url(),
            "postgres://postgres:s3cret@127.0.0.1:5432/complaints"
        );
        Ok(())
    });
}

#[test]
fn a_bad_value_names_its_key() {
    Jail::expect_with(|jail| {
        jail.set_env("COMPLAINTS__AMQP__PREFETCH", "lots");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("amqp.prefetch"), "{error}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("COMPLAINTS__INTAKE__BATCH_SIZE", "100000");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("intake.batch_size"), "{error}");
        Ok(())
    });
}

#[test]
fn an_environment_file_is_merged_and_unknown_keys_are_refused() {
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/staging.toml", "[http]\nlisten = \"0.0.0.0:9000\"\n")?;
        jail.set_env("COMPLAINTS_ENV", "staging");
        assert_eq!(Config::load().expect("merged").http.listen.port(), 9000);
        jail.create_file("config/staging.toml", "[amqp]\ncolour = \"blue\"\n")?;
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("colour"), "{error}");
        jail.set_env("COMPLAINTS_ENV", "nowhere");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("config/nowhere.toml"), "{error}");
        Ok(())
    });
}

#[test]
fn a_secret_in_a_file_is_refused() {
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/prod.toml", "[database]\npassword = \"hunter2\"\n")?;
        jail.set_env("COMPLAINTS_ENV", "prod");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("database.password"), "{error}");
        assert!(error.contains("COMPLAINTS__DATABASE__PASSWORD"), "{error}");
        assert!(
            !error.contains("hunter2"),
            "the secret itself is never echoed"
        );
        Ok(())
    });
}

#[test]
fn a_password_inside_a_url_in_a_file_is_refused() {
    for (section, env) in [
        ("database", "COMPLAINTS__DATABASE__PASSWORD"),
        ("amqp", "COMPLAINTS__AMQP__PASSWORD"),
    ] {
        Jail::expect_with(|jail| {
            let scheme = if section == "amqp" {
                "amqp"
            } else {
                "postgres"
            };
            jail.create_dir("config")?;
            jail.create_file(
                "config/prod.toml",
                &format!("[{section}]\nurl = \"{scheme}://app:hunter2@db.internal/x\"\n"),
            )?;
            jail.set_env("COMPLAINTS_ENV", "prod");
            let error = Config::load().unwrap_err().to_string();
            assert!(error.contains(&format!("{section}.url")), "{error}");
            assert!(error.contains(env), "says where the password goes: {error}");
            assert!(!error.contains("hunter2"), "never echoes it: {error}");
            Ok(())
        });
    }
    Jail::expect_with(|jail| {
        jail.set_env(
            "COMPLAINTS__DATABASE__URL",
            "postgres://app:from-env@db.internal/x",
        );
        assert!(Config::load().is_ok());
        Ok(())
    });
}

#[test]
fn the_binary_stops_at_start_naming_the_bad_key() {
    let output = binary()
        .arg("status")
        .env("COMPLAINTS__AMQP__DELIVERY_LIMIT", "-3")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("amqp.delivery_limit"), "{stderr}");
}

#[test]
fn the_real_clock_cannot_be_moved() {
    let output = binary()
        .args(["clock", "advance", "8d"])
        .env("COMPLAINTS__CLOCK__SIMULATED", "false")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("clock.simulated = true"), "{stderr}");
}

/// The binary with none of this process's environment: the Jail tests above set COMPLAINTS_*
/// variables while they run, and a child started meanwhile would inherit them.
fn binary() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_complaints"));
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
}

#[test]
fn a_cluster_is_a_list_of_nodes_and_the_one_node_key_still_works() {
    Jail::expect_with(|jail| {
        let config = Config::load().expect("defaults");
        assert_eq!(
            config.amqp_urls(),
            ["amqp://guest:guest@127.0.0.1:5672/%2f"]
        );
        assert_eq!(config.amqp.quorum_initial_group_size, 3);
        jail.set_env(
            "COMPLAINTS__AMQP__URLS",
            r#"["amqp://app@mq1:5672/%2f", "amqp://app@mq2:5672/%2f", "amqp://app@mq3:5672/%2f"]"#,
        );
        jail.set_env("COMPLAINTS__AMQP__PASSWORD", "s3cret");
        let config = Config::load().expect("a cluster");
        assert_eq!(
            config.amqp_urls(),
            [
                "amqp://app:s3cret@mq1:5672/%2f",
                "amqp://app:s3cret@mq2:5672/%2f",
                "amqp://app:s3cret@mq3:5672/%2f"
            ]
        );
        jail.set_env("COMPLAINTS__AMQP__URL", "amqp://app@mq9:5672/%2f");
        let config = Config::load().expect("one node");
        assert_eq!(config.amqp_urls(), ["amqp://app:s3cret@mq9:5672/%2f"]);
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("COMPLAINTS__AMQP__URLS", "[]");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("amqp.urls"), "{error}");
        jail.set_env("COMPLAINTS__AMQP__URLS", r#"["amqp://a/%2f", "http://b/"]"#);
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("amqp.urls"), "{error}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file(
            "config/cluster.toml",
            "[amqp]\nurls = [\"amqp://app@mq1/%2f\", \"amqp://app:s3cret@mq2/%2f\"]\n",
        )?;
        jail.set_env("COMPLAINTS_ENV", "cluster");
        let error = Config::load().unwrap_err().to_string();
        assert!(
            error.contains("amqp.urls") && !error.contains("s3cret"),
            "{error}"
        );
        Ok(())
    });
}

#[test]
fn each_worker_has_its_own_consumers_batch_and_prefetch() {
    use complaints::workers::casework::Casework;
    use complaints::workers::intake::Intake;
    use complaints::workers::{settings, Worker};
    Jail::expect_with(|jail| {
        let config = Config::load().expect("defaults");
        let intake = settings::<Intake>(&config);
        assert_eq!(intake.consumers, Intake::CONSUMERS);
        assert_eq!(intake.batch_size, Intake::BATCH_SIZE);
        assert_eq!(intake.prefetch, Intake::PREFETCH);
        // The older [intake] key still sets intake's batch, and only intake's.
        jail.set_env("COMPLAINTS__INTAKE__BATCH_SIZE", "32");
        jail.set_env("COMPLAINTS__WORKERS__CASEWORK__BATCH_SIZE", "8");
        jail.set_env("COMPLAINTS__WORKERS__CASEWORK__CONSUMERS", "3");
        let config = Config::load().expect("overridden");
        assert_eq!(settings::<Intake>(&config).batch_size, 32);
        let casework = settings::<Casework>(&config);
        assert_eq!((casework.batch_size, casework.consumers), (8, 3));
        assert_eq!(casework.prefetch, Casework::PREFETCH);
        // [workers.intake] wins over the older key.
        jail.set_env("COMPLAINTS__WORKERS__INTAKE__BATCH_SIZE", "16");
        assert_eq!(settings::<Intake>(&Config::load().unwrap()).batch_size, 16);
        Ok(())
    });
}

#[test]
fn an_override_for_a_worker_that_does_not_exist_is_refused() {
    Jail::expect_with(|jail| {
        jail.set_env("COMPLAINTS__WORKERS__CASEWROK__BATCH_SIZE", "8");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("workers.casewrok"), "{error}");
        assert!(error.contains("casework"), "{error}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("COMPLAINTS__WORKERS__CASEWORK__PREFETCH", "4");
        jail.set_env("COMPLAINTS__WORKERS__CASEWORK__BATCH_SIZE", "8");
        let error = Config::load().unwrap_err().to_string();
        assert!(error.contains("workers.casework"), "{error}");
        Ok(())
    });
}
