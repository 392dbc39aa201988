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

use super::schema::{cases, systemic_candidates as candidates, systemic_issues};

/// How many complaints on one category make a systemic issue.
pub const COMPLAINTS_IN_A_ROW: usize = 3;

/// For each category of the case that it makes the third (not yet logged) complaint at its tier
/// within the month before its receipt, records an entry; returns them with the cases'
/// references, oldest first.
///
/// The cost is the same for every case, however many its categories had this month: the case
/// is entered in `systemic_candidates` under each of its categories (and leaves those it no
/// longer has), and the count reads at most the three latest unlogged entries of a category
/// from a partial index.
pub async fn record_if_third(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<HashMap<String, Vec<String>>> {
    let (mut categories, tier, received_at): (Vec<String>, i16, DateTime<Utc>) = cases::table
        .find(case_id)
        .select((cases::categories, cases::tier, cases::received_at))
        .first(conn)
        .await?;
    categories.sort_unstable();
    categories.dedup();
    enter(conn, case_id, &categories, tier, received_at).await?;
    let since = received_at
        .checked_sub_months(Months::new(1))
        .unwrap_or(received_at);
    let mut recorded = HashMap::new();
    // In one order (sorted), so two transactions never wait on each other's categories.
    for category in categories {
        // Two workers counting the same category at once would each see two; one at a time.
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(lock_key(&category))
            .execute(conn)
            .await?;
        let unlogged = candidates::table
            .filter(candidates::category.eq(&category))
            .filter(candidates::tier.eq(tier))
            .filter(candidates::logged.eq(false));
        let this_counts: bool = diesel::select(diesel::dsl::exists(
            unlogged.filter(candidates::case_id.eq(case_id)),
        ))
        .get_result(conn)
        .await?;
        if !this_counts {
            continue;
        }
        let mut three: Vec<(Uuid, String)> = unlogged
            .filter(candidates::received_at.gt(since))
            .filter(candidates::received_at.le(received_at))
            .inner_join(cases::table)
            .order((candidates::received_at.desc(), candidates::case_id.desc()))
            .limit(COMPLAINTS_IN_A_ROW as i64)
            .select((cases::id, cases::reference))
            .load(conn)
            .await?;
        if three.len() < COMPLAINTS_IN_A_ROW {
            continue;
        }
        three.reverse();
        let ids: Vec<Uuid> = three.iter().map(|(id, _)| *id).collect();
        diesel::insert_into(systemic_issues::table)
            .values((
                systemic_issues::category.eq(&category),
                systemic_issues::case_ids.eq(&ids),
                systemic_issues::recorded_at.eq(now),
            ))
            .execute(conn)
            .await?;
        diesel::update(
            candidates::table
                .filter(candidates::category.eq(&category))
                .filter(candidates::case_id.eq_any(&ids)),
        )
        .set(candidates::logged.eq(true))
        .execute(conn)
        .await?;
        recorded.insert(category, three.into_iter().map(|(_, r)| r).collect());
    }
    Ok(recorded)
}

/// Enters the case under each of its `categories` (once), and takes it out of the categories
/// it no longer has unless an entry already names it there.
async fn enter(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    categories: &[String],
    tier: i16,
    received_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::delete(
        candidates::table
            .filter(candidates::case_id.eq(case_id))
            .filter(candidates::logged.eq(false))
            .filter(candidates::category.ne_all(categories)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = categories
        .iter()
        .map(|category| {
            (
                candidates::category.eq(category),
                candidates::case_id.eq(case_id),
                candidates::tier.eq(tier),
                candidates::received_at.eq(received_at),
            )
        })
        .collect();
    diesel::insert_into(candidates::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// A stable 64-bit lock key for a category.
fn lock_key(category: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("systemic-log:{category}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a digest has 8 bytes"))
}
