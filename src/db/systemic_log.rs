//! The Systemic Log (process.md §4, tier 1 step 8, tier 2 step 15): the third complaint in a
//! row on the same category within a month is a systemic issue. The Complaint Resolution Team
//! and the Review team each keep theirs: an entry names three cases of one tier; a case counts
//! towards one entry per category at most, so the fourth complaint starts the count again. The
//! manager records what was done about an entry (`systemic_issue.action_recorded`).

use chrono::{DateTime, Months, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{cases, systemic_issues};
use crate::vocabulary::Category;

/// How many complaints on one category make a systemic issue.
pub const COMPLAINTS_IN_A_ROW: usize = 3;

/// An entry just recorded on the Systemic Log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIssue {
    /// Its id, which the manager's `systemic_issue.action_recorded` names.
    pub id: i64,
    /// The category the complaints share.
    pub category: String,
    /// The three cases' references, oldest first.
    pub references: Vec<String>,
}

/// For each category of the case that it makes the third (not yet logged) complaint of its
/// tier within the month before its receipt, records an entry on that tier's log.
pub async fn record_if_third(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<LoggedIssue>> {
    let (categories, received_at, tier): (Vec<String>, DateTime<Utc>, i16) = cases::table
        .find(case_id)
        .select((cases::categories, cases::received_at, cases::tier))
        .first(conn)
        .await?;
    let since = received_at
        .checked_sub_months(Months::new(1))
        .unwrap_or(received_at);
    let mut recorded = Vec::new();
    // Only the agreed categories make a subject (free text of event version 1 does not).
    let agreed = categories
        .into_iter()
        .filter(|c| c.parse::<Category>().is_ok());
    for category in agreed {
        // Two workers counting the same category at once would each see two; one at a time.
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(lock_key(&category))
            .execute(conn)
            .await?;
        let logged: Vec<Vec<Uuid>> = systemic_issues::table
            .filter(systemic_issues::category.eq(&category))
            .filter(systemic_issues::tier.eq(tier))
            .select(systemic_issues::case_ids)
            .load(conn)
            .await?;
        let logged: Vec<Uuid> = logged.into_iter().flatten().collect();
        let recent: Vec<(Uuid, String)> = cases::table
            .filter(cases::tier.eq(tier))
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
        let id = diesel::insert_into(systemic_issues::table)
            .values((
                systemic_issues::category.eq(&category),
                systemic_issues::case_ids.eq(three.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
                systemic_issues::recorded_at.eq(now),
                systemic_issues::tier.eq(tier),
            ))
            .returning(systemic_issues::id)
            .get_result(conn)
            .await?;
        recorded.push(LoggedIssue {
            id,
            category,
            references: three.iter().map(|(_, r)| r.clone()).collect(),
        });
    }
    Ok(recorded)
}

/// Records what was done about entry `issue_id`, which must name `case_id` among its cases
/// (the event's subject); returns the entry's category, or `None` when no such entry names the
/// case. A later record replaces an earlier one (each is kept on the case's timeline).
pub async fn record_action(
    conn: &mut AsyncPgConnection,
    issue_id: i64,
    case_id: Uuid,
    action_taken: &str,
    by: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<String>> {
    diesel::update(
        systemic_issues::table
            .find(issue_id)
            .filter(systemic_issues::case_ids.contains(vec![case_id])),
    )
    .set((
        systemic_issues::action_taken.eq(action_taken),
        systemic_issues::action_recorded_by.eq(by),
        systemic_issues::action_recorded_at.eq(now),
    ))
    .returning(systemic_issues::category)
    .get_result(conn)
    .await
    .optional()
}

/// A stable 64-bit lock key for a category.
fn lock_key(category: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("systemic-log:{category}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a digest has 8 bytes"))
}
