//! The headers a worker's consumer (`workers/runner.rs`) puts on a message it dead-letters,
//! which the dead-letter tools read back.

/// The header a dead letter carries its reason in.
pub const REASON_HEADER: &str = "x-complaints-reason";
/// The header naming the kind of refusal (`not_json`, `schema_violation`, …).
pub const REASON_KIND_HEADER: &str = "x-complaints-reason-kind";
/// The header a dead letter carries the time it was dead-lettered in (RFC 3339).
pub const DEAD_LETTERED_AT_HEADER: &str = "x-complaints-dead-lettered-at";
/// The header a dead letter carries its original routing key (the event type) in, so that a
/// replay can publish it under the same key even when its body cannot be read.
pub const ROUTING_KEY_HEADER: &str = "x-complaints-routing-key";
