//! The case state machine's storage: a case's [`CaseState`] read from its row (with the
//! customer's contact needs and, for a Review, who handled the Resolution case before it), and
//! written back after a decision.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::cases::{facts_of, CaseFacts, FactsRow};
use super::schema::{cases, parties};
use crate::events::case_escalated::ConsolatoryReferral;
use crate::process::casework::{CaseState, Context};
use crate::vocabulary::{
    About, CaseKind, ContactRestriction, ExternalStage, Outcome, Region, ResolutionCode,
    Signposting, Stage, Status, SubStatus, TeamLeaderDecision, Tier,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
struct StateRow {
    tier: Tier,
    /// Text: a row of `cases` may be a dispute, whose stage is a `DisputeStage`; a complaint's
    /// is parsed as a [`Stage`] in `state_of`.
    stage: String,
    status: Status,
    sub_status: Option<SubStatus>,
    resolution_code: Option<ResolutionCode>,
    outcome: Option<Outcome>,
    signposted_to: Option<Signposting>,
    allocated_to: Option<String>,
    resolution_plan: Option<Value>,
    referral: Option<TeamLeaderDecision>,
    hr_guidance_followed: Option<bool>,
    ice_stage: Option<ExternalStage>,
    phso_stage: Option<ExternalStage>,
    ice_upheld: Option<bool>,
    phso_upheld: Option<bool>,
    remedial_actions: Value,
    awaiting_evidence: bool,
    consolatory_payment_pence: Option<i64>,
    cmsf5551: bool,
    about: About,
}

/// A batch's cases as the casework worker reads them, in one statement: each case's facts by
/// reference (unknown references are absent; a value this version cannot read is an error
/// naming its column), and the state of each complaint case among them by id. The caller holds the cases' row locks
/// ([`super::cases::lock`]).
pub async fn load(
    conn: &mut AsyncPgConnection,
    references: &[String],
) -> anyhow::Result<(HashMap<String, CaseFacts>, HashMap<Uuid, CaseState>)> {
    let (mut facts, mut states) = (HashMap::new(), HashMap::new());
    if references.is_empty() {
        return Ok((facts, states));
    }
    let earlier = diesel::alias!(cases as earlier_case);
    let rows: Vec<(
        FactsRow,
        Region,
        ContactRestriction,
        bool,
        StateRow,
        Option<String>,
    )> = cases::table
        .inner_join(parties::table)
        .left_join(earlier.on(cases::linked_case_id.eq(earlier.field(cases::id).nullable())))
        .filter(cases::reference.eq_any(references))
        .select((
            FactsRow::as_select(),
            parties::region,
            parties::contact_restriction,
            parties::vulnerable,
            StateRow::as_select(),
            earlier.field(cases::allocated_to).nullable(),
        ))
        .load(conn)
        .await?;
    for (facts_row, region, restriction, vulnerable, row, earlier_handler) in rows {
        let case = facts_of(facts_row, region, restriction);
        if case.kind == CaseKind::Complaint {
            let state =
                state_of(row, restriction, vulnerable, earlier_handler).with_context(|| {
                    format!("case {} holds a state this version cannot read", case.id)
                })?;
            states.insert(case.id, state);
        }
        facts.insert(case.reference.clone(), case);
    }
    Ok((facts, states))
}

fn state_of(
    row: StateRow,
    restriction: ContactRestriction,
    vulnerable: bool,
    earlier_handler: Option<String>,
) -> anyhow::Result<CaseState> {
    let tier = row.tier;
    let referral_payment = row
        .consolatory_payment_pence
        .map(|amount_pence| ConsolatoryReferral {
            amount_pence,
            cmsf5551: row.cmsf5551,
        });
    Ok(CaseState {
        tier,
        stage: row.stage.parse::<Stage>().map_err(anyhow::Error::msg)?,
        status: row.status,
        sub_status: row.sub_status,
        resolution_code: row.resolution_code,
        outcome: row.outcome,
        signposted_to: row.signposted_to,
        allocated_to: row.allocated_to,
        plan: row
            .resolution_plan
            .map(serde_json::from_value)
            .transpose()?,
        referral: row.referral,
        referral_payment: referral_payment.filter(|_| tier == Tier::Dissatisfaction),
        hr_guidance_followed: row.hr_guidance_followed,
        ice_stage: row.ice_stage,
        phso_stage: row.phso_stage,
        ice_upheld: row.ice_upheld,
        phso_upheld: row.phso_upheld,
        remedial_actions: serde_json::from_value(row.remedial_actions)?,
        awaiting_evidence: row.awaiting_evidence,
        context: Context {
            written_only: restriction == ContactRestriction::WrittenOnly,
            vulnerable,
            staff_complaint: row.about == About::Staff,
            earlier_handler,
            consolatory_referral: tier == Tier::Resolution && referral_payment.is_some(),
        },
    })
}

/// A case's state after a batch's decisions, to write back.
pub struct NewState<'a> {
    /// The case's row id.
    pub id: Uuid,
    /// Its state after the last of them.
    pub state: &'a CaseState,
    /// Whether one of them closed it: its closing time is stamped in the same statement (a
    /// case is closed exactly when it has a code).
    pub closing: bool,
}

/// Writes the cases' new states at `now`, in one statement. The caller holds the cases' row
/// locks ([`super::cases::lock`], taken before [`load`]), so each state written is the one read
/// plus the batch's decisions, never a lost update.
pub async fn save(
    conn: &mut AsyncPgConnection,
    changed: &[NewState<'_>],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use diesel::sql_types::{Array, Bool, Int8, Jsonb, Nullable, Text, Timestamptz};
    if changed.is_empty() {
        return Ok(());
    }
    fn column<T>(changed: &[NewState<'_>], value: impl Fn(&CaseState) -> T) -> Vec<T> {
        changed.iter().map(|c| value(c.state)).collect()
    }
    let text = |value: fn(&CaseState) -> Option<&'static str>| column(changed, value);
    diesel::sql_query(
        "UPDATE cases SET stage = v.stage, status = v.status, sub_status = v.sub_status, \
         resolution_code = v.resolution_code, outcome = v.outcome, \
         signposted_to = v.signposted_to, allocated_to = v.allocated_to, \
         resolution_plan = v.resolution_plan, referral = v.referral, \
         hr_guidance_followed = v.hr_guidance_followed, ice_stage = v.ice_stage, \
         phso_stage = v.phso_stage, ice_upheld = v.ice_upheld, phso_upheld = v.phso_upheld, \
         remedial_actions = v.remedial_actions, awaiting_evidence = v.awaiting_evidence, \
         consolatory_payment_pence = COALESCE(v.payment_pence, cases.consolatory_payment_pence), \
         cmsf5551 = COALESCE(v.cmsf5551, cases.cmsf5551), \
         closed_at = CASE WHEN v.closing THEN $21 ELSE cases.closed_at END, updated_at = $21 \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                     $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::bool[], $12::text[], \
                     $13::text[], $14::bool[], $15::bool[], $16::jsonb[], $17::bool[], \
                     $18::int8[], $19::bool[], $20::bool[]) \
           AS v(id, stage, status, sub_status, resolution_code, outcome, signposted_to, \
                allocated_to, resolution_plan, referral, hr_guidance_followed, ice_stage, \
                phso_stage, ice_upheld, phso_upheld, remedial_actions, awaiting_evidence, \
                payment_pence, cmsf5551, closing) \
         WHERE cases.id = v.id",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(changed.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(column(changed, |s| s.stage.as_str()))
    .bind::<Array<Text>, _>(column(changed, |s| s.status.as_str()))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.sub_status.map(|v| v.as_str())))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.resolution_code.map(|v| v.as_str())))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.outcome.map(|v| v.as_str())))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.signposted_to.map(|v| v.as_str())))
    .bind::<Array<Nullable<Text>>, _>(column(changed, |s| s.allocated_to.clone()))
    .bind::<Array<Nullable<Jsonb>>, _>(column(changed, |s| {
        s.plan
            .as_ref()
            .map(|p| serde_json::to_value(p).expect("a plan serialises"))
    }))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.referral.map(|v| v.as_str())))
    .bind::<Array<Nullable<Bool>>, _>(column(changed, |s| s.hr_guidance_followed))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.ice_stage.map(|v| v.as_str())))
    .bind::<Array<Nullable<Text>>, _>(text(|s| s.phso_stage.map(|v| v.as_str())))
    .bind::<Array<Nullable<Bool>>, _>(column(changed, |s| s.ice_upheld))
    .bind::<Array<Nullable<Bool>>, _>(column(changed, |s| s.phso_upheld))
    .bind::<Array<Jsonb>, _>(column(changed, |s| {
        serde_json::to_value(&s.remedial_actions).expect("a map serialises")
    }))
    .bind::<Array<Bool>, _>(column(changed, |s| s.awaiting_evidence))
    .bind::<Array<Nullable<Int8>>, _>(column(changed, |s| {
        s.referral_payment.map(|p| p.amount_pence)
    }))
    .bind::<Array<Nullable<Bool>>, _>(column(changed, |s| s.referral_payment.map(|p| p.cmsf5551)))
    .bind::<Array<Bool>, _>(changed.iter().map(|c| c.closing).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a case's categories.
pub async fn set_categories(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    categories: &[String],
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set(cases::categories.eq(categories))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the root cause given at closure.
pub async fn set_root_cause(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    root_cause: &str,
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set(cases::root_cause.eq(root_cause))
        .execute(conn)
        .await?;
    Ok(())
}

/// How many open cases wait for a decision, by what they wait for (the sub-status of
/// `Pending Approval`: the team leader, the Special Payment Team, the G7), and how many wait for
/// allocation.
pub async fn waiting(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, i64)>> {
    use diesel::dsl::count_star;
    let rows: Vec<(String, Option<String>, i64)> = cases::table
        .filter(cases::status.eq_any([
            Status::PendingApproval.as_str(),
            Status::PendingAssignment.as_str(),
        ]))
        .group_by((cases::status, cases::sub_status))
        .select((cases::status, cases::sub_status, count_star()))
        .order((cases::status, cases::sub_status))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(status, sub, n)| (sub.unwrap_or(status), n))
        .collect())
}
