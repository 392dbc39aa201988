//! `timer.fired`: a clock ran out without being met. The scheduler emits it; the worker that owns
//! the clock acts on it (sends a letter, records a breach, closes a case, creates a task).

use chrono::{DateTime, Utc};
use garde::Validate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::vocabulary::ClockKind;

/// The routing key and CloudEvents `type`.
pub const TYPE: &str = "timer.fired";

/// A clock that ran out; the envelope's `subject` is the case reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[garde(context(crate::events::checks::Checks))]
#[serde(deny_unknown_fields)]
#[garde(allow_unvalidated)]
#[schemars(title = "timer.fired")]
pub struct TimerFired {
    /// The reference of the case whose clock ran out.
    pub case_reference: String,
    /// Which clock ran out (its kind decides which worker acts).
    pub clock: ClockKind,
    /// Which one of its kind on the case (an action id), or empty.
    pub key: String,
    /// When the clock's deadline is (the timer may fire earlier, to act in time).
    pub deadline: DateTime<Utc>,
    /// When it was due to fire.
    pub due_at: DateTime<Utc>,
}
