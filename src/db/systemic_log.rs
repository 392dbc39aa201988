//! The Systemic Log (process.md §4, tier 1 step 8): the third complaint in a row on the same
//! category within a month is a systemic issue. Each entry names the three Resolution cases;
//! a case counts towards one entry per category at most, so the fourth complaint starts the
//! count again.

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{cases, systemic_issues};
use crate::vocabulary::Tier;

/// How many complaints on one category make a systemic issue.
pub const COMPLAINTS_IN_A_ROW: usize = 3;

/// For each category of the case that it makes the third (not yet logged) Resolution complaint
/// within the month before its receipt, records an entry; returns them with the cases'
/// references, oldest first.
pub async fn record_if_third(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<HashMap<String, Vec<String>>> {
    let (categories, received_at): (Vec<String>, DateTime<Utc>) = cases::table
        .find(case_id)
        .select((cases::categories, cases::received_at))
        .first(conn)
        .await?;
    let since = received_at
        .checked_sub_months(Months::new(1))
        .unwrap_or(received_at);
    let mut recorded = HashMap::new();
    for category in categories {
        // Two workers counting the same category at once would each see two; one at a time.
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(lock_key(&category))
            .execute(conn)
            .await?;
        let logged: Vec<Vec<Uuid>> = systemic_issues::table
            .filter(systemic_issues::category.eq(&category))
            .select(systemic_issues::case_ids)
            .load(conn)
            .await?;
        let logged: Vec<Uuid> = logged.into_iter().flatten().collect();
        let recent: Vec<(Uuid, String)> = cases::table
            .filter(cases::tier.eq(Tier::Resolution.number()))
            .filter(cases::categories.contains(vec![category.clone()]))
            .filter(cases::received_at.gt(since))
            .filter(cases::received_at.le(received_at))
            .filter(cases::id.ne_all(&logged))
            .order((cases::received_at, cases::id))
            .select((cases::id, cases::reference))
            .load(conn)
            .await?;
        if recent.len() < COMPLAINTS_IN_A_ROW || !recent.iter().any(|(id, _)| *id == case_id) {
            continue;
        }
        let three = &recent[recent.len() - COMPLAINTS_IN_A_ROW..];
        diesel::insert_into(systemic_issues::table)
            .values((
                systemic_issues::category.eq(&category),
                systemic_issues::case_ids.eq(three.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
                systemic_issues::recorded_at.eq(now),
            ))
            .execute(conn)
            .await?;
        recorded.insert(category, three.iter().map(|(_, r)| r.clone()).collect());
    }
    Ok(recorded)
}

/// A stable 64-bit lock key for a category.
fn lock_key(category: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("systemic-log:{category}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a digest has 8 bytes"))
}
