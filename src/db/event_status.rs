//! What the database knows of one event: which workers applied it, the cases it opened or
//! changed, and the refusals (`command.rejected`, `complaint.rejected`) it caused.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::schema::{case_timeline, cases, inbox, outbox, rejected_complaints};
use crate::events::{command_rejected, complaint_rejected};

/// The database's side of an event's fate.
#[derive(Debug, Default)]
pub struct EventTrace {
    /// The workers that applied it (their inbox rows).
    pub applied_by: Vec<String>,
    /// The case it opened, if any.
    pub opened: Vec<String>,
    /// The cases whose timeline names it.
    pub changed: Vec<String>,
    /// Each refusal: the refusal's event type and its reason.
    pub refusals: Vec<(String, String)>,
}

/// Reads everything the database holds about event `id`.
pub async fn trace(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<EventTrace> {
    let applied_by = inbox::table
        .filter(inbox::event_id.eq(id))
        .order(inbox::processed_at.asc())
        .select(inbox::worker)
        .load(conn)
        .await?;
    let opened = cases::table
        .filter(cases::cause.eq(id))
        .select(cases::reference)
        .load(conn)
        .await?;
    let changed = case_timeline::table
        .inner_join(cases::table)
        .filter(case_timeline::cause.eq(id))
        .select(cases::reference)
        .distinct()
        .load(conn)
        .await?;
    let mut refusals: Vec<(String, String)> = rejected_complaints::table
        .filter(rejected_complaints::event_id.eq(id))
        .select((rejected_complaints::reason, rejected_complaints::detail))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .map(|(reason, detail)| {
            (
                complaint_rejected::TYPE.to_owned(),
                format!("{reason}: {detail}"),
            )
        })
        .collect();
    let rejected: Vec<Value> = outbox::table
        .filter(outbox::event_type.eq(command_rejected::TYPE))
        .filter(sql::<Bool>("payload->'data'->>'event_id' = ").bind::<Text, _>(id.to_string()))
        .select(outbox::payload)
        .load(conn)
        .await?;
    refusals.extend(rejected.into_iter().map(|payload| {
        (
            command_rejected::TYPE.to_owned(),
            payload["data"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }));
    Ok(EventTrace {
        applied_by,
        opened,
        changed,
        refusals,
    })
}
