//! Configuration: `config/default.toml` (compiled in, so the binary runs anywhere), then the
//! file named by `COMPLAINTS_ENV`, then `COMPLAINTS__SECTION__KEY` environment variables.
//!
//! Unknown keys and bad values stop the start with a message that names the key. Secrets are
//! never read from a file: a password set in one is refused.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

/// The defaults, as checked in.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Keys that hold secrets and so may only come from the environment.
const SECRET_KEYS: [&str; 3] = ["database.password", "amqp.password", "email.password"];

/// URL keys whose user-info may not carry a password in a file, with the key that takes the
/// password instead.
const URL_KEYS: [(&str, &str); 3] = [
    ("database.url", "database.password"),
    ("amqp.url", "amqp.password"),
    ("amqp.urls", "amqp.password"),
];

/// The one password a file's URL may carry: RabbitMQ's well-known development user, which the
/// broker accepts from loopback only.
const DEVELOPMENT_CREDENTIALS: &str = "guest:guest";

/// The whole configuration of one `complaints` process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the PostgreSQL database is and how many connections to keep (`[database]`).
    pub database: DatabaseConfig,
    /// The RabbitMQ nodes, namespace, delivery limit and queue replication (`[amqp]`).
    pub amqp: AmqpConfig,
    /// The HTTP server (intake, case look-up, health, metrics).
    pub http: HttpConfig,
    /// The intake worker: how old a complaint may be, and (older keys) its consumers and
    /// batches.
    pub intake: IntakeConfig,
    /// Each consuming worker's own consumers, batch and prefetch, overriding the worker's
    /// defaults (`[workers.<name>]`, e.g. `[workers.casework] batch_size = 64`).
    #[serde(default)]
    pub workers: BTreeMap<String, WorkerOverrides>,
    /// How the outbox relay publishes the events committed with each change (`[relay]`).
    pub relay: RelayConfig,
    /// Whether time may be simulated, and how early letter clocks fire (`[clock]`).
    pub clock: ClockConfig,
    /// The working-day calendar.
    pub calendar: CalendarConfig,
    /// How the timer scheduler fires due clocks (`[scheduler]`).
    pub scheduler: SchedulerConfig,
    /// How the report-days worker keeps each day's report figures (`[reports]`).
    pub reports: ReportsConfig,
    /// How the process logs: text or JSON, and its tracing filter (`[log]`).
    pub log: LogConfig,
    /// Where templates and PDFs live and what letters say of the organisation (`[letters]`).
    pub letters: LettersConfig,
    /// The SMTP server letters and notifications are emailed through (`[email]`).
    pub email: EmailConfig,
}

/// `[letters]`: the templates, the dispatch directory for post, and the organisation's details.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LettersConfig {
    /// The templates directory.
    pub templates_dir: String,
    /// Where postal letters' PDFs go.
    pub dispatch_dir: String,
    /// The organisation's name on letters.
    pub organisation_name: String,
    /// Its name on letters to customers in Northern Ireland.
    #[serde(default = "default_organisation_name_northern_ireland")]
    pub organisation_name_northern_ireland: String,
    /// The phone number letters give.
    pub organisation_phone: String,
    /// The name letters are signed with.
    pub signatory: String,
    /// How long, in seconds, a letter or notification claimed for sending (or printing) stays
    /// its claimant's before another sender takes it over, assuming the claimant died between
    /// the send and recording it. Longer than one SMTP attempt (10 s timeout).
    pub claim_lease_secs: u64,
}

/// One send at a time unless configured: a process that dies mid-send then repeats at most
/// one email (the chaos suite's bound); more in flight buys throughput with as many repeats.
fn default_email_concurrency() -> usize {
    1
}

fn default_organisation_name_northern_ireland() -> String {
    "Northern Ireland Child Maintenance Service".into()
}

/// SMTP settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The SMTP server's host name.
    pub host: String,
    /// The SMTP server's port (25, 465 or 587 as a rule).
    pub port: u16,
    /// Whether the connection is plain, upgraded with STARTTLS, or TLS from the start.
    pub tls: SmtpTls,
    /// SMTP user ("" for none).
    pub username: String,
    /// SMTP password, from `COMPLAINTS__EMAIL__PASSWORD` only.
    pub password: Option<String>,
    /// The From address.
    pub from: String,
    /// Domain of the Message-IDs.
    pub message_id_domain: String,
    /// How many emails one process sends at once, each over its own connection from a pool
    /// that keeps that many open; also how many it claims at a time, so at most this many are
    /// in flight should it die.
    #[serde(default = "default_email_concurrency")]
    pub concurrency: usize,
    /// Team addresses for notifications.
    pub teams: TeamAddresses,
}

/// Where each kind of team notification goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamAddresses {
    /// Caseworkers' tasks.
    pub caseworker: String,
    /// Team leaders' tasks and breaches.
    pub team_leader: String,
    /// Managers' escalations.
    pub manager: String,
    /// High-profile cases.
    pub operations_director_office: String,
    /// Special payments beyond delegated authority.
    pub special_payment_team: String,
    /// Cases escalated to tier 1.
    pub complaint_resolution_team: String,
    /// MP cases escalated to tier 1.
    pub mp_specialists: String,
    /// Cases escalated to tier 2.
    pub complaint_review_team: String,
    /// The internal ICE team: a Review raised by a failed ICE gateway check closed.
    pub ice_team: String,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain (a relay on the same host or network).
    None,
    /// Upgrade with STARTTLS.
    Starttls,
    /// TLS from the start.
    Tls,
}

/// PostgreSQL settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Connection URL, without a password.
    pub url: String,
    /// Password, from `COMPLAINTS__DATABASE__PASSWORD` only.
    pub password: Option<String>,
    /// Connections in this process's pool.
    pub pool_size: usize,
}

/// RabbitMQ settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpConfig {
    /// The cluster's nodes, tried in order: a process connects to the first that answers and,
    /// when its node goes away, to the first that answers then.
    #[serde(default)]
    pub urls: Vec<String>,
    /// One node's URL (the older key, still accepted): when set it replaces `urls`, so that
    /// `COMPLAINTS__AMQP__URL` alone points a process at one broker.
    #[serde(default)]
    pub url: Option<String>,
    /// Nodes each new quorum queue is replicated over (`x-quorum-initial-group-size`); a
    /// cluster with fewer nodes replicates over all of them. An existing queue keeps the group
    /// it was declared with.
    pub quorum_initial_group_size: u32,
    /// Password, from `COMPLAINTS__AMQP__PASSWORD` only; replaces the URL's.
    pub password: Option<String>,
    /// Prefix of every exchange and queue name (empty in production).
    pub namespace: String,
    /// Unacknowledged deliveries per consumer for every worker that `[workers.<name>]` does not
    /// give its own (the older key; unset, each worker uses its default).
    #[serde(default)]
    pub prefetch: Option<u16>,
    /// Deliveries of one message before the broker dead-letters it.
    pub delivery_limit: u32,
    /// Days a message stays on a dead-letter queue before the broker discards it (dead
    /// letters hold personal data).
    pub dead_letter_ttl_days: u32,
}

/// HTTP settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes; a larger one is answered 413.
    pub body_limit_bytes: usize,
    /// Longest a request may take, in milliseconds; a slower one is answered 503 `timeout`.
    pub request_timeout_ms: u64,
    /// Requests per second each API client may make on average; more are answered 429 with
    /// `Retry-After`.
    pub rate_limit_per_second: u32,
    /// Requests a client may make at once above its rate.
    pub rate_limit_burst: u32,
    /// Whether `/metrics` is open without a token (a scraper on a private network only).
    pub metrics_public: bool,
}

/// Intake worker settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    /// Consumers per process (the older key for `workers.intake.consumers`, which wins).
    #[serde(default)]
    pub consumers: Option<usize>,
    /// Most complaints per database transaction (the older key for
    /// `workers.intake.batch_size`, which wins).
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Longest wait to fill a batch, in milliseconds (the older key for
    /// `workers.intake.batch_wait_ms`, which wins).
    #[serde(default)]
    pub batch_wait_ms: Option<u64>,
    /// Oldest `received_at` a complaint may carry, in days: an older one is refused at
    /// validation (it would open a case already past its targets).
    pub max_received_age_days: u32,
}

/// What `[workers.<name>]` may set for one consuming worker; each key left out keeps the
/// worker's own default (its consts on [`crate::workers::Worker`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerOverrides {
    /// Consumers per process, each with its own channel and transaction.
    pub consumers: Option<usize>,
    /// Most deliveries applied in one database transaction.
    pub batch_size: Option<usize>,
    /// Longest a partly filled batch waits for more deliveries, in milliseconds.
    pub batch_wait_ms: Option<u64>,
    /// Unacknowledged deliveries each consumer holds at once (at least `batch_size`).
    pub prefetch: Option<u16>,
}

/// How one consuming worker runs in a process: its defaults with the configuration's
/// overrides applied ([`Config::worker_settings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSettings {
    /// Consumers per process, each with its own channel and transaction: while one commits,
    /// another reads.
    pub consumers: usize,
    /// Most deliveries applied in one database transaction.
    pub batch_size: usize,
    /// Longest a partly filled batch waits for more deliveries.
    pub batch_wait: Duration,
    /// Unacknowledged deliveries each consumer holds at once.
    pub prefetch: u16,
}

/// Outbox relay settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Most rows per publishing round.
    pub batch_size: i64,
    /// Longest sleep without a NOTIFY, in milliseconds.
    pub poll_interval_ms: u64,
}

/// `[clock]`: the process's clock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// Whether `complaints clock` may move time.
    pub simulated: bool,
    /// How long before its deadline a clock that sends a letter fires.
    pub letter_lead_hours: u32,
}

/// `[calendar]`: the bank holidays working days skip.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// A GOV.UK-format bank holiday list to use instead of the built-in one ("" for none).
    pub bank_holidays_file: String,
}

/// `[scheduler]`: how due timers are fired.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// Most timers per transaction.
    pub batch_size: i64,
    /// Longest sleep, in milliseconds.
    pub max_idle_ms: u64,
    /// How long a due timer may wait before it counts as overdue, in milliseconds.
    pub overdue_grace_ms: u64,
}

/// `[reports]`: how the report-days worker keeps the figures of each day's cases, so that a
/// report reads only the days changed since from `cases`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// Most days kept per transaction.
    pub days_per_round: i64,
    /// How long the worker waits, once caught up, before it keeps the days changed since, in
    /// milliseconds.
    pub keep_every_ms: u64,
}

/// `[log]`: the process's log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter directive.
    pub level: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A configuration that cannot be used, with the key at fault in the message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value of the wrong type, an unknown key, a missing key.
    #[error("configuration: `{key}`: {problem} (from {source_name})")]
    Invalid {
        /// The key, dotted (`amqp.prefetch`).
        key: String,
        /// What is wrong.
        problem: String,
        /// The file or environment it came from.
        source_name: String,
    },
    /// A secret found in a file.
    #[error("configuration: `{key}` is a secret and is read from the environment only (set {env}); remove it from {source_name}")]
    SecretInFile {
        /// The dotted key of the secret (`amqp.password`).
        key: &'static str,
        /// The environment variable to use instead.
        env: String,
        /// Where it was found.
        source_name: String,
    },
    /// A password inside a URL in a file.
    #[error("configuration: `{key}` in {source_name} carries a password; remove it from the URL and set {env} (or give the whole URL in {url_env})")]
    PasswordInUrl {
        /// The URL key.
        key: &'static str,
        /// The environment variable for the password.
        env: String,
        /// The environment variable for the whole URL.
        url_env: String,
        /// Where it was found.
        source_name: String,
    },
    /// A value that parses but makes no sense.
    #[error("configuration: `{key}` {problem}")]
    Value {
        /// The dotted key whose value is wrong.
        key: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl Config {
    /// Loads the configuration the process runs with: defaults, the `COMPLAINTS_ENV` file, the
    /// environment.
    pub fn load() -> Result<Self, ConfigError> {
        let mut files = Figment::from(Toml::string(DEFAULT_TOML));
        if let Ok(env_name) = std::env::var("COMPLAINTS_ENV") {
            let dir = std::env::var("COMPLAINTS_CONFIG_DIR").unwrap_or_else(|_| "config".into());
            let path = PathBuf::from(dir).join(format!("{env_name}.toml"));
            if !path.exists() {
                return Err(ConfigError::Value {
                    key: "COMPLAINTS_ENV",
                    problem: format!("names {}, which does not exist", path.display()),
                });
            }
            files = files.merge(Toml::file_exact(path));
        }
        Self::from_layers(files, env_layer())
    }

    /// Builds a configuration from file layers and an environment layer, refusing secrets in
    /// the files. Tests use this to load the defaults with their own overrides.
    pub fn from_layers(files: Figment, env: Env) -> Result<Self, ConfigError> {
        for key in SECRET_KEYS {
            if let Ok(value) = files.find_value(key) {
                let source_name = files
                    .get_metadata(value.tag())
                    .map(|m| m.name.to_string())
                    .unwrap_or_else(|| "a file".into());
                return Err(ConfigError::SecretInFile {
                    key,
                    env: env_name(key),
                    source_name,
                });
            }
        }
        for (key, password_key) in URL_KEYS {
            let Ok(value) = files.find_value(key) else {
                continue;
            };
            let urls: Vec<&str> = match value.as_array() {
                Some(values) => values.iter().filter_map(|v| v.as_str()).collect(),
                None => value.as_str().into_iter().collect(),
            };
            if urls.iter().any(|url| {
                url_password(url).is_some_and(|user_info| user_info != DEVELOPMENT_CREDENTIALS)
            }) {
                return Err(ConfigError::PasswordInUrl {
                    key,
                    env: env_name(password_key),
                    url_env: env_name(key),
                    source_name: files
                        .get_metadata(value.tag())
                        .map(|m| m.name.to_string())
                        .unwrap_or_else(|| "a file".into()),
                });
            }
        }
        let config: Config = files
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Invalid {
                key: e.path.join(".").to_ascii_lowercase(),
                problem: e.kind.to_string(),
                source_name: e
                    .metadata
                    .as_ref()
                    .map(|m| m.name.to_string())
                    .unwrap_or_else(|| "the configuration".into()),
            })?;
        config.check()?;
        Ok(config)
    }

    /// Refuses values that parse but cannot work.
    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &'static str, problem: &str| {
            Err(ConfigError::Value {
                key,
                problem: problem.into(),
            })
        };
        if !self.database.url.starts_with("postgres://")
            && !self.database.url.starts_with("postgresql://")
        {
            return bad(
                "database.url",
                "must start with postgres:// or postgresql://",
            );
        }
        if self.amqp.nodes().is_empty() {
            return bad("amqp.urls", "must name at least one node");
        }
        if self
            .amqp
            .nodes()
            .iter()
            .any(|url| !url.starts_with("amqp://") && !url.starts_with("amqps://"))
        {
            return bad("amqp.urls", "must each start with amqp:// or amqps://");
        }
        if self.amqp.quorum_initial_group_size == 0 {
            return bad("amqp.quorum_initial_group_size", "must be at least 1");
        }
        if self.database.pool_size == 0 {
            return bad("database.pool_size", "must be at least 1");
        }
        if self.amqp.prefetch == Some(0) {
            return bad("amqp.prefetch", "must be at least 1");
        }
        if self.amqp.delivery_limit == 0 {
            return bad("amqp.delivery_limit", "must be at least 1");
        }
        let prefetch = usize::from(self.amqp.prefetch.unwrap_or(u16::MAX));
        if self
            .intake
            .batch_size
            .is_some_and(|size| size == 0 || size > prefetch)
        {
            return bad(
                "intake.batch_size",
                "must be between 1 and the prefetch (at most 65535)",
            );
        }
        if self.intake.consumers == Some(0) {
            return bad("intake.consumers", "must be at least 1");
        }
        for (name, set) in &self.workers {
            if !crate::workers::QUEUES
                .iter()
                .any(|q| q.worker == name.as_str())
            {
                return Err(ConfigError::Invalid {
                    key: format!("workers.{name}"),
                    problem: format!(
                        "no consuming worker is called {name:?} (they are: {})",
                        crate::workers::QUEUES
                            .iter()
                            .map(|q| q.worker)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    source_name: "the configuration".into(),
                });
            }
            let prefetch = usize::from(set.prefetch.or(self.amqp.prefetch).unwrap_or(u16::MAX));
            let zero = |v: Option<usize>| v == Some(0);
            if zero(set.consumers)
                || set.prefetch == Some(0)
                || set
                    .batch_size
                    .is_some_and(|size| size == 0 || size > prefetch)
            {
                return Err(ConfigError::Invalid {
                    key: format!("workers.{name}"),
                    problem: "consumers and prefetch must each be at least 1, and batch_size \
                              between 1 and the prefetch"
                        .into(),
                    source_name: "the configuration".into(),
                });
            }
        }
        if self.reports.days_per_round < 1 {
            return bad("reports.days_per_round", "must be at least 1");
        }
        if self.scheduler.batch_size < 1 {
            return bad("scheduler.batch_size", "must be at least 1");
        }
        if self.clock.letter_lead_hours >= 48 {
            return bad(
                "clock.letter_lead_hours",
                "must be less than the 48-hour acknowledgement",
            );
        }
        if self.email.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad(
                "email.from",
                "is not an email address (e.g. \"Name <user@example.org>\")",
            );
        }
        if !(1..=256).contains(&self.email.concurrency) {
            return bad("email.concurrency", "must be between 1 and 256");
        }
        if self.http.body_limit_bytes == 0 {
            return bad("http.body_limit_bytes", "must be at least 1");
        }
        if self.http.request_timeout_ms == 0 {
            return bad("http.request_timeout_ms", "must be at least 1");
        }
        if self.http.rate_limit_per_second == 0 || self.http.rate_limit_burst == 0 {
            return bad(
                "http.rate_limit_per_second",
                "and http.rate_limit_burst must be at least 1",
            );
        }
        if self.amqp.dead_letter_ttl_days == 0 {
            return bad("amqp.dead_letter_ttl_days", "must be at least 1");
        }
        if self.relay.batch_size < 1 {
            return bad("relay.batch_size", "must be at least 1");
        }
        Ok(())
    }

    /// How the worker called `name` runs, from its `defaults`: `[workers.<name>]` wins, then
    /// (for intake) the older `[intake]` keys and `amqp.prefetch`. The prefetch is never below
    /// the batch size, or a batch could never fill.
    pub fn worker_settings(&self, name: &str, defaults: WorkerSettings) -> WorkerSettings {
        let own = self.workers.get(name).cloned().unwrap_or_default();
        let older = if name == "intake" {
            WorkerOverrides {
                consumers: self.intake.consumers,
                batch_size: self.intake.batch_size,
                batch_wait_ms: self.intake.batch_wait_ms,
                prefetch: None,
            }
        } else {
            WorkerOverrides::default()
        };
        let batch_size = own
            .batch_size
            .or(older.batch_size)
            .unwrap_or(defaults.batch_size);
        let prefetch = own
            .prefetch
            .or(self.amqp.prefetch)
            .unwrap_or(defaults.prefetch);
        WorkerSettings {
            consumers: own
                .consumers
                .or(older.consumers)
                .unwrap_or(defaults.consumers),
            batch_size,
            batch_wait: own
                .batch_wait_ms
                .or(older.batch_wait_ms)
                .map_or(defaults.batch_wait, Duration::from_millis),
            prefetch: prefetch.max(u16::try_from(batch_size).unwrap_or(u16::MAX)),
        }
    }

    /// The database URL with the password from the environment, if one is set.
    pub fn database_url(&self) -> String {
        with_password(&self.database.url, self.database.password.as_deref())
    }

    /// The broker nodes' URLs, in the order they are tried, each with the password from the
    /// environment if one is set.
    pub fn amqp_urls(&self) -> Vec<String> {
        self.amqp
            .nodes()
            .iter()
            .map(|url| with_password(url, self.amqp.password.as_deref()))
            .collect()
    }
}

impl AmqpConfig {
    /// The nodes as configured (without the password): `url` when it is set, else `urls`.
    pub fn nodes(&self) -> &[String] {
        match &self.url {
            Some(url) => std::slice::from_ref(url),
            None => &self.urls,
        }
    }
}

/// The `COMPLAINTS__SECTION__KEY` environment variables, with keys in lower case so that an
/// error names `amqp.prefetch` just as the file does.
pub fn env_layer() -> Env {
    Env::prefixed("COMPLAINTS__")
        .split("__")
        .map(|key| key.as_str().to_ascii_lowercase().into())
}

/// The environment variable that sets `key` (`database.url` → `COMPLAINTS__DATABASE__URL`).
fn env_name(key: &str) -> String {
    format!("COMPLAINTS__{}", key.to_uppercase().replace('.', "__"))
}

/// The user-info of `url` when it carries a password (`user:password`), else `None`.
fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (user_info, _) = authority.rsplit_once('@')?;
    user_info.contains(':').then_some(user_info)
}

/// Puts `password` into the user-info part of `url` (`scheme://user@host` → `scheme://user:pw@host`).
fn with_password(url: &str, password: Option<&str>) -> String {
    let Some(password) = password else {
        return url.to_owned();
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split(':').next().unwrap_or(userinfo);
    format!("{scheme}://{user}:{password}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_found_in_urls() {
        assert_eq!(
            url_password("postgres://app:s3cret@db/c"),
            Some("app:s3cret")
        );
        assert_eq!(url_password("postgres://app@db/c"), None);
        assert_eq!(url_password("postgres://db:5432/c"), None);
        assert_eq!(url_password("amqp://h/a:b@c"), None);
    }

    #[test]
    fn password_goes_into_the_url() {
        assert_eq!(
            with_password("postgres://app@db:5432/c", Some("s3cret")),
            "postgres://app:s3cret@db:5432/c"
        );
        assert_eq!(
            with_password("amqp://guest:guest@h/%2f", Some("x")),
            "amqp://guest:x@h/%2f"
        );
        assert_eq!(
            with_password("postgres://app@db/c", None),
            "postgres://app@db/c"
        );
    }
}
