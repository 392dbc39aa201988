//! What a failure to apply an event means for the message, decided in one place:
//!
//! - an **outage** (the database went away mid-transaction) holds the batch until the database
//!   is back: no delivery attempt is burnt on it;
//! - a **permanent** failure — one no retry can fix: a value the database cannot store, a stored
//!   value this version cannot read, a date outside any calendar, an internal event that
//!   contradicts the database, a panic — sends the message to the dead-letter queue at once,
//!   with its reason;
//! - anything else is **transient**: the message is retried, and after `amqp.delivery_limit`
//!   attempts dead-lettered with the last error as its reason.
//!
//! Workers mark a permanent failure by returning an [`Unprocessable`] error.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::events::checks::{bounded, MAX_PROBLEM_BYTES};
use crate::process::working_days::OutOfCalendar;

/// An event that can never be applied, and why: the reason goes into the dead-letter header,
/// so it names what is wrong, never a customer's details.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub struct Unprocessable {
    /// A short label (`out_of_range`, `contradicts_database`, `panic`, …).
    pub kind: &'static str,
    /// What is wrong, in a sentence.
    pub reason: String,
}

impl Unprocessable {
    /// An event that can never be applied, of `kind`, because `reason`.
    pub fn new(kind: &'static str, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

/// An event the system emits that the database contradicts (a `case.closed` for an open case, a
/// `timer.fired` for a clock that did not fire): it did not come from the system, or not from
/// this database. Also an event whose effects two of the database's records disagree on (a
/// special payment already recorded for an action its case's plan holds unpaid). It changes
/// nothing and is dead-lettered with the reason.
pub fn contradicts_database(event_type: &str, why: &str) -> Unprocessable {
    Unprocessable::new(
        "contradicts_database",
        format!("{event_type}: {why}; nothing was changed"),
    )
}

/// How one failure is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The database is unreachable: hold the work and try again when it is back.
    Outage,
    /// No retry can fix it: dead-letter at once.
    Permanent {
        /// The dead letter's reason kind.
        kind: &'static str,
        /// The dead letter's reason.
        reason: String,
    },
    /// Might work next time: retry, within the delivery limit.
    Transient {
        /// The reason to record if the retries run out.
        reason: String,
    },
}

/// Classifies `error` by what its chain holds.
pub fn classify(error: &anyhow::Error) -> Failure {
    for cause in error.chain() {
        if let Some(unprocessable) = cause.downcast_ref::<Unprocessable>() {
            return Failure::Permanent {
                kind: unprocessable.kind,
                reason: bounded(&unprocessable.reason, MAX_PROBLEM_BYTES),
            };
        }
        if let Some(out) = cause.downcast_ref::<OutOfCalendar>() {
            return Failure::Permanent {
                kind: "out_of_range",
                reason: out.to_string(),
            };
        }
        if let Some(db) = cause.downcast_ref::<DieselError>() {
            if let Some(failure) = classify_database(db) {
                return failure;
            }
        }
        if cause.downcast_ref::<diesel::ConnectionError>().is_some()
            || cause.downcast_ref::<std::io::Error>().is_some()
        {
            return Failure::Outage;
        }
    }
    Failure::Transient {
        reason: bounded(&format!("{error}"), MAX_PROBLEM_BYTES),
    }
}

/// A database error's treatment, when its kind decides it. Only the server's message is kept
/// (never its detail, which quotes the row).
fn classify_database(error: &DieselError) -> Option<Failure> {
    let DieselError::DatabaseError(kind, info) = error else {
        return match error {
            DieselError::BrokenTransactionManager => Some(Failure::Outage),
            DieselError::DeserializationError(_) => Some(unreadable(error)),
            _ => None,
        };
    };
    let message = info.message();
    let permanent = |kind: &'static str| Failure::Permanent {
        kind,
        reason: bounded(
            &format!("the database refused it: {message}"),
            MAX_PROBLEM_BYTES,
        ),
    };
    match kind {
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Some(Failure::Outage)
        }
        DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
            Some(permanent("database_constraint"))
        }
        _ if is_data_exception(message) => Some(permanent("unstorable_value")),
        _ if is_shutdown(message) => Some(Failure::Outage),
        _ => None,
    }
}

/// A stored value this version cannot read (a state, code or restriction it does not know): no
/// retry reads it differently, so the message is dead-lettered at once, its reason naming the
/// column and the value ([`crate::vocabulary::UnknownValue`]), to be replayed once the row is
/// put right.
fn unreadable(error: &DieselError) -> Failure {
    use std::error::Error as _;
    let value = error.source().map(ToString::to_string).unwrap_or_default();
    Failure::Permanent {
        kind: "unreadable_value",
        reason: bounded(
            &format!("a stored value this version cannot read: {error}: {value}"),
            MAX_PROBLEM_BYTES,
        ),
    }
}

/// PostgreSQL's messages for values it can never store (SQLSTATE class 22): diesel does not
/// expose the code, so the message is read.
fn is_data_exception(message: &str) -> bool {
    [
        "invalid byte sequence",
        "unsupported Unicode escape sequence",
        "character with byte sequence",
        "out of range",
        "value too long",
        "invalid input syntax",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// The server going away under a transaction (an immediate shutdown, a failover).
fn is_shutdown(message: &str) -> bool {
    [
        "terminating connection",
        "the database system is shutting down",
        "server closed the connection",
        "connection closed",
    ]
    .iter()
    .any(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unprocessable_event_is_permanent_wherever_it_is_in_the_chain() {
        let error = anyhow::Error::new(OutOfCalendar {
            what: "the response target",
        })
        .context("applying a batch");
        assert_eq!(
            classify(&error),
            Failure::Permanent {
                kind: "out_of_range",
                reason: "the response target falls outside the calendar".into()
            }
        );
    }

    #[test]
    fn anything_else_is_worth_another_try() {
        assert!(matches!(
            classify(&anyhow::anyhow!("deadlock detected")),
            Failure::Transient { .. }
        ));
    }
}
