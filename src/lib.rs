//! complaints: RabbitMQ-driven workers that run a UK public-sector complaint process end to
//! end, persisting everything in PostgreSQL.
//!
//! Events come in on the `complaints.events` exchange (CloudEvents 1.0 JSON), each worker
//! consumes its own quorum queue, applies what it reads in one transaction per batch together
//! with the events that change causes (the outbox), and the outbox relay publishes those with
//! publisher confirms. See README.md for the shape of the whole.

pub mod app;
pub mod auth;
pub mod backoff;
pub mod broker;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contract;
pub mod db;
pub mod event_status;
pub mod events;
pub mod failure;
pub mod http;
pub mod letters;
pub mod process;
pub mod reports;
pub mod staff;
pub mod supervisor;
pub mod telemetry;
pub mod vocabulary;

/// The workers live at the top of the repository, in `workers/`, one file each.
#[path = "../workers/mod.rs"]
pub mod workers;
