//! The Systemic Log (process.md §4, tier 1 step 8, tier 2 step 15): the third complaint in a
//! row on the same category within a month is a systemic issue. The Complaint Resolution Team
//! and the Review team each keep theirs: an entry names three cases of one tier; a case counts
//! towards one entry per category at most, so the fourth complaint starts the count again. Only
//! the agreed categories (`Category`) count. The manager records what was done about an entry
//! (`systemic_issue.action_recorded`).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Months, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{cases, systemic_candidates as candidates, systemic_issues};
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

/// What the Systemic Log counts of a case: its agreed categories (sorted, each once), its tier
/// and when it was received.
struct Counted {
    categories: Vec<String>,
    tier: i16,
    received_at: DateTime<Utc>,
}

/// An unlogged entry of a category at a tier, as the count reads it.
#[derive(Debug, Clone, Queryable)]
struct Candidate {
    category: String,
    tier: i16,
    case_id: Uuid,
    reference: String,
    received_at: DateTime<Utc>,
}

/// An entry found by the count, not yet written.
struct Found {
    /// Which of the cases asked about made it.
    by: usize,
    category: String,
    tier: i16,
    /// The three cases, oldest first.
    three: Vec<Candidate>,
}

/// For each of `case_ids` in turn (a batch of cases just opened or recategorised), records an
/// entry for each category of the case that it makes the third (not yet logged) complaint at
/// its tier within the month before its receipt; returns, for each case in the same order, the
/// entries it made, with the cases' references oldest first.
///
/// The cost is a few statements for the whole batch, however many cases its categories had
/// this month: the cases are entered in `systemic_candidates` under each of their categories
/// (and leave those they no longer have); the unlogged entries of those categories within the
/// batch's month are read once from a partial index (a category has at most two of them in the
/// month, as every third is logged, but for the batch's own); the count runs over them in
/// memory, case by case, as it would one case at a time; the new entries and the entries they
/// log are written with a statement each.
pub async fn record_if_third(
    conn: &mut AsyncPgConnection,
    case_ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Vec<LoggedIssue>>> {
    let counted = counted(conn, case_ids).await?;
    if counted.is_empty() {
        return Ok(vec![Vec::new(); case_ids.len()]);
    }
    enter(conn, &counted).await?;
    lock_categories(conn, &counted).await?;
    let mut unlogged = unlogged(conn, &counted).await?;
    let found: Vec<Found> = case_ids
        .iter()
        .enumerate()
        .filter_map(|(by, id)| Some((by, *id, counted.get(id)?)))
        .flat_map(|(by, id, case)| count(&mut unlogged, by, id, case))
        .collect();
    let ids = log(conn, &found, now).await?;
    let mut recorded = vec![Vec::new(); case_ids.len()];
    for (issue, id) in found.into_iter().zip(ids) {
        recorded[issue.by].push(LoggedIssue {
            id,
            category: issue.category,
            references: issue.three.into_iter().map(|c| c.reference).collect(),
        });
    }
    Ok(recorded)
}

/// What the count needs of each case: only the agreed categories make a subject (free text of
/// event version 1 does not).
async fn counted(
    conn: &mut AsyncPgConnection,
    case_ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, Counted>> {
    let rows: Vec<(Uuid, Vec<String>, i16, DateTime<Utc>)> = cases::table
        .filter(cases::id.eq_any(case_ids))
        .select((
            cases::id,
            cases::categories,
            cases::tier,
            cases::received_at,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, mut categories, tier, received_at)| {
            categories.retain(|c| c.parse::<Category>().is_ok());
            categories.sort_unstable();
            categories.dedup();
            let case = Counted {
                categories,
                tier,
                received_at,
            };
            (id, case)
        })
        .collect())
}

/// Enters each case under each of its categories (once), and takes it out of the categories it
/// no longer has unless an entry already names it there.
async fn enter(conn: &mut AsyncPgConnection, counted: &HashMap<Uuid, Counted>) -> QueryResult<()> {
    let case_ids: Vec<Uuid> = counted.keys().copied().collect();
    let (mut kept_ids, mut kept_categories) = (Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for (id, case) in counted {
        for category in &case.categories {
            kept_ids.push(*id);
            kept_categories.push(category.clone());
            rows.push((
                candidates::category.eq(category.clone()),
                candidates::case_id.eq(*id),
                candidates::tier.eq(case.tier),
                candidates::received_at.eq(case.received_at),
            ));
        }
    }
    diesel::sql_query(
        "DELETE FROM systemic_candidates c WHERE c.case_id = ANY($1) AND NOT c.logged \
         AND NOT EXISTS (SELECT 1 FROM unnest($2::uuid[], $3::text[]) AS k(case_id, category) \
                         WHERE k.case_id = c.case_id AND k.category = c.category)",
    )
    .bind::<Array<SqlUuid>, _>(case_ids)
    .bind::<Array<SqlUuid>, _>(kept_ids)
    .bind::<Array<Text>, _>(kept_categories)
    .execute(conn)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(candidates::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Two workers counting the same category at once would each see two: one at a time, the
/// categories taken in one order (sorted), so two transactions never wait on each other's.
/// There are as many statements as agreed categories in the batch, at most the agreed list.
async fn lock_categories(
    conn: &mut AsyncPgConnection,
    counted: &HashMap<Uuid, Counted>,
) -> QueryResult<()> {
    let categories: BTreeSet<&String> = counted.values().flat_map(|c| &c.categories).collect();
    for category in categories {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(lock_key(category))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The unlogged entries of the batch's categories and tiers received within a month before
/// any of its cases, by category and tier.
async fn unlogged(
    conn: &mut AsyncPgConnection,
    counted: &HashMap<Uuid, Counted>,
) -> QueryResult<HashMap<(String, i16), Vec<Candidate>>> {
    let categories: BTreeSet<&String> = counted.values().flat_map(|c| &c.categories).collect();
    let tiers: BTreeSet<i16> = counted.values().map(|c| c.tier).collect();
    let latest = counted.values().map(|c| c.received_at).max();
    let earliest = counted.values().map(|c| month_before(c.received_at)).min();
    let (Some(earliest), Some(latest)) = (earliest, latest) else {
        return Ok(HashMap::new());
    };
    let rows: Vec<Candidate> = candidates::table
        .inner_join(cases::table)
        .filter(candidates::category.eq_any(categories))
        .filter(candidates::tier.eq_any(tiers))
        .filter(candidates::logged.eq(false))
        .filter(candidates::received_at.gt(earliest))
        .filter(candidates::received_at.le(latest))
        .select((
            candidates::category,
            candidates::tier,
            cases::id,
            cases::reference,
            candidates::received_at,
        ))
        .load(conn)
        .await?;
    let mut by_subject: HashMap<(String, i16), Vec<Candidate>> = HashMap::new();
    for row in rows {
        by_subject
            .entry((row.category.clone(), row.tier))
            .or_default()
            .push(row);
    }
    Ok(by_subject)
}

/// The entries case `id` (the `by`-th asked about) makes: for each of its categories in which
/// it is still unlogged, the three latest unlogged entries received within the month before it
/// (itself among them), when there are three; those leave `unlogged`.
fn count(
    unlogged: &mut HashMap<(String, i16), Vec<Candidate>>,
    by: usize,
    id: Uuid,
    case: &Counted,
) -> Vec<Found> {
    let mut found = Vec::new();
    for category in &case.categories {
        let Some(entries) = unlogged.get_mut(&(category.clone(), case.tier)) else {
            continue;
        };
        if !entries.iter().any(|c| c.case_id == id) {
            continue;
        }
        let since = month_before(case.received_at);
        let mut window: Vec<&Candidate> = entries
            .iter()
            .filter(|c| c.received_at > since && c.received_at <= case.received_at)
            .collect();
        window.sort_by_key(|c| std::cmp::Reverse((c.received_at, c.case_id)));
        if window.len() < COMPLAINTS_IN_A_ROW {
            continue;
        }
        let mut three: Vec<Candidate> = window[..COMPLAINTS_IN_A_ROW]
            .iter()
            .map(|c| (*c).clone())
            .collect();
        three.reverse();
        entries.retain(|c| !three.iter().any(|t| t.case_id == c.case_id));
        found.push(Found {
            by,
            category: category.clone(),
            tier: case.tier,
            three,
        });
    }
    found
}

/// Writes the entries found (one statement) and marks the entries they name as logged (one
/// more); returns the new entries' ids in the order found.
async fn log(
    conn: &mut AsyncPgConnection,
    found: &[Found],
    now: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<_> = found
        .iter()
        .map(|issue| {
            (
                systemic_issues::category.eq(issue.category.clone()),
                systemic_issues::case_ids.eq(issue
                    .three
                    .iter()
                    .map(|c| c.case_id)
                    .collect::<Vec<_>>()),
                systemic_issues::recorded_at.eq(now),
                systemic_issues::tier.eq(issue.tier),
            )
        })
        .collect();
    let written: Vec<(i64, String, Vec<Uuid>)> = diesel::insert_into(systemic_issues::table)
        .values(rows)
        .returning((
            systemic_issues::id,
            systemic_issues::category,
            systemic_issues::case_ids,
        ))
        .get_results(conn)
        .await?;
    // Matched by what they name, not by the order the rows come back in.
    let ids: HashMap<(String, Vec<Uuid>), i64> = written
        .into_iter()
        .map(|(id, category, cases)| ((category, cases), id))
        .collect();
    let (mut categories, mut case_ids) = (Vec::new(), Vec::new());
    for issue in found {
        for case in &issue.three {
            categories.push(issue.category.clone());
            case_ids.push(case.case_id);
        }
    }
    diesel::sql_query(
        "UPDATE systemic_candidates c SET logged = true \
         FROM unnest($1::text[], $2::uuid[]) AS l(category, case_id) \
         WHERE c.category = l.category AND c.case_id = l.case_id",
    )
    .bind::<Array<Text>, _>(categories)
    .bind::<Array<SqlUuid>, _>(case_ids)
    .execute(conn)
    .await?;
    Ok(found
        .iter()
        .map(|issue| {
            let cases = issue.three.iter().map(|c| c.case_id).collect();
            ids[&(issue.category.clone(), cases)]
        })
        .collect())
}

/// The start of the month before `received_at` (the window a count looks back over).
fn month_before(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at
        .checked_sub_months(Months::new(1))
        .unwrap_or(received_at)
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
