//! The staff directory (`staff`): imported whole by `complaints staff import`, read by the
//! casework worker to check who may make each decision.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::schema::staff;
use crate::staff::StaffMember;
use crate::vocabulary::StaffRole;

/// A member as `complaints staff list` shows them.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff, check_for_backend(diesel::pg::Pg))]
pub struct StaffRecord {
    /// The opaque staff id.
    pub staff_id: String,
    /// The team the member of staff works in (`complaint_resolution_team`).
    pub team: String,
    /// The roles they hold, which decide what they may decide (`caseworker`, `team_leader`, …).
    pub roles: Vec<String>,
    /// Their grade (`EO`, `HEO`, …), which bounds what they may approve.
    pub grade: String,
    /// Whether they may make decisions.
    pub active: bool,
}

impl StaffRecord {
    /// Their roles, as the vocabulary names them.
    pub fn roles(&self) -> Vec<StaffRole> {
        self.roles.iter().filter_map(|r| r.parse().ok()).collect()
    }
}

/// Stores every member of the file in one transaction (a member already there is updated), so
/// importing the same file twice changes nothing. Returns how many rows were written.
pub async fn import(
    conn: &mut AsyncPgConnection,
    members: &[StaffMember],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let rows: Vec<_> = members
        .iter()
        .map(|m| {
            (
                staff::staff_id.eq(m.staff_id.clone()),
                staff::team.eq(m.team.clone()),
                staff::roles.eq(m
                    .roles
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect::<Vec<_>>()),
                staff::grade.eq(m.grade.as_str()),
                staff::active.eq(m.active),
                staff::imported_at.eq(now),
            )
        })
        .collect();
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        let mut written = 0;
        for chunk in rows.chunks(1000) {
            written += diesel::insert_into(staff::table)
                .values(chunk)
                .on_conflict(staff::staff_id)
                .do_update()
                .set((
                    staff::team.eq(excluded(staff::team)),
                    staff::roles.eq(excluded(staff::roles)),
                    staff::grade.eq(excluded(staff::grade)),
                    staff::active.eq(excluded(staff::active)),
                    staff::imported_at.eq(excluded(staff::imported_at)),
                ))
                .execute(conn)
                .await?;
        }
        Ok(written)
    })
    .await
}

/// Everyone, by staff id.
pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<StaffRecord>> {
    staff::table
        .order(staff::staff_id)
        .select(StaffRecord::as_select())
        .load(conn)
        .await
}

/// The members with these ids (those not in the directory are absent).
pub async fn find(
    conn: &mut AsyncPgConnection,
    ids: &[&str],
) -> QueryResult<HashMap<String, StaffRecord>> {
    Ok(staff::table
        .filter(staff::staff_id.eq_any(ids))
        .select(StaffRecord::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|m| (m.staff_id.clone(), m))
        .collect())
}
