//! Disputes: kept in `cases` as records of kind `dispute` (migration `…000012_disputes`), so
//! that their letters, timeline and clocks are a case's. Every statement that writes or reads a
//! dispute's own state is here; the complaint queries leave disputes out by their kind.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::cases;
use crate::vocabulary::{CaseKind, DisputeStage, Team};

/// A dispute to open.
#[derive(Debug, Insertable)]
#[diesel(table_name = cases)]
pub struct NewDispute {
    /// The dispute's row id in `cases`.
    pub id: Uuid,
    /// Its reference (`DSP-…`).
    pub reference: String,
    /// Always `dispute`.
    pub kind: String,
    /// A dispute has no tier: always 0 (the database checks).
    pub tier: i16,
    /// [`DisputeStage::Received`].
    pub stage: String,
    /// `In Progress`.
    pub status: String,
    /// The row id of the customer who disputes.
    pub party_id: Uuid,
    /// Who handles disputes (design: `dispute_resolution`).
    pub handling_team: String,
    /// When the organisation received the dispute (the date CMSL5812 quotes).
    pub received_at: DateTime<Utc>,
    /// How it came.
    pub channel: String,
    /// Who raised it.
    pub raised_by: String,
    /// What it is about.
    pub about: String,
    /// To whom it was addressed.
    pub addressee: String,
    /// The categories of the dispute as received (agreed names or as written).
    pub categories: Vec<String>,
    /// The customer's words (already redacted of any member of staff's name).
    pub summary: String,
    /// Never for a dispute.
    pub high_profile: bool,
    /// Raised by an MP.
    pub parliamentary_contact: bool,
    /// Private Office correspondence.
    pub pos: bool,
    /// The refused `complaint.received` event.
    pub cause: Uuid,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
}

/// The team that owns disputes (design; the procedures name no team in this system).
pub const HANDLING_TEAM: Team = Team::DisputeResolution;

/// Opens disputes (the inbox has already kept a redelivered complaint from coming this far).
pub async fn insert_all(conn: &mut AsyncPgConnection, rows: &[NewDispute]) -> QueryResult<()> {
    if !rows.is_empty() {
        diesel::insert_into(cases::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The stages of the disputes among these ids, locked until the caller's transaction ends (one
/// decision at a time per dispute). A complaint case's id is absent.
pub async fn lock_stages(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, DisputeStage>> {
    let rows: Vec<(Uuid, String)> = cases::table
        .filter(cases::id.eq_any(ids))
        .filter(cases::kind.eq(CaseKind::Dispute.as_str()))
        .select((cases::id, cases::stage))
        .for_update()
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, stage)| Some((id, stage.parse().ok()?)))
        .collect())
}

/// Moves a dispute to `stage`.
pub async fn set_stage(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    stage: DisputeStage,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((cases::stage.eq(stage.as_str()), cases::updated_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(())
}
