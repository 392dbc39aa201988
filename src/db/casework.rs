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

use super::schema::{cases, parties};
use crate::events::case_escalated::ConsolatoryReferral;
use crate::process::casework::{CaseState, Context};
use crate::vocabulary::{
    About, CaseKind, ContactRestriction, ExternalStage, Outcome, ResolutionCode, Signposting,
    Stage, Status, SubStatus, TeamLeaderDecision, Tier,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
struct StateRow {
    id: Uuid,
    tier: Tier,
    stage: Stage,
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
    linked_case_id: Option<Uuid>,
}

/// The states of the cases with these ids.
pub async fn load(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> anyhow::Result<HashMap<Uuid, CaseState>> {
    let rows: Vec<(StateRow, ContactRestriction, bool)> = cases::table
        .inner_join(parties::table)
        .filter(cases::id.eq_any(ids))
        .filter(cases::kind.eq(CaseKind::Complaint))
        .select((
            StateRow::as_select(),
            parties::contact_restriction,
            parties::vulnerable,
        ))
        .load(conn)
        .await?;
    let linked: Vec<Uuid> = rows
        .iter()
        .filter_map(|(r, _, _)| r.linked_case_id)
        .collect();
    let handlers: HashMap<Uuid, Option<String>> = cases::table
        .filter(cases::id.eq_any(&linked))
        .select((cases::id, cases::allocated_to))
        .load::<(Uuid, Option<String>)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut states = HashMap::with_capacity(rows.len());
    for (row, restriction, vulnerable) in rows {
        let id = row.id;
        let earlier_handler = row
            .linked_case_id
            .and_then(|l| handlers.get(&l).cloned().flatten());
        let state = state_of(row, restriction, vulnerable, earlier_handler)
            .with_context(|| format!("case {id} holds a plan this version cannot read"))?;
        states.insert(id, state);
    }
    Ok(states)
}

fn state_of(
    row: StateRow,
    restriction: ContactRestriction,
    vulnerable: bool,
    earlier_handler: Option<String>,
) -> serde_json::Result<CaseState> {
    let tier = row.tier;
    let referral_payment = row
        .consolatory_payment_pence
        .map(|amount_pence| ConsolatoryReferral {
            amount_pence,
            cmsf5551: row.cmsf5551,
        });
    Ok(CaseState {
        tier,
        stage: row.stage,
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

/// Writes a case's new state; `newly_closed` when the decision closed it, which stamps its
/// closing time in the same statement (a case is closed exactly when it has a code). The
/// caller holds the case's row lock ([`super::cases::lock`], taken before [`load`]), so the
/// state written is the one read plus this decision, never a lost update.
pub async fn save(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    state: &CaseState,
    newly_closed: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let plan = state
        .plan
        .as_ref()
        .map(|p| serde_json::to_value(p).expect("a plan serialises"));
    let changes = (
        cases::stage.eq(state.stage),
        cases::status.eq(state.status),
        cases::sub_status.eq(state.sub_status),
        cases::resolution_code.eq(state.resolution_code),
        cases::outcome.eq(state.outcome),
        cases::signposted_to.eq(state.signposted_to),
        cases::allocated_to.eq(state.allocated_to.as_deref()),
        cases::resolution_plan.eq(plan),
        cases::referral.eq(state.referral),
        cases::hr_guidance_followed.eq(state.hr_guidance_followed),
        cases::ice_stage.eq(state.ice_stage),
        cases::phso_stage.eq(state.phso_stage),
        cases::ice_upheld.eq(state.ice_upheld),
        cases::phso_upheld.eq(state.phso_upheld),
        cases::remedial_actions
            .eq(serde_json::to_value(&state.remedial_actions).expect("a map serialises")),
        cases::awaiting_evidence.eq(state.awaiting_evidence),
        cases::updated_at.eq(now),
    );
    let update = diesel::update(cases::table.find(id));
    if newly_closed {
        update
            .set((changes, cases::closed_at.eq(now)))
            .execute(conn)
            .await?;
    } else {
        update.set(changes).execute(conn).await?;
    }
    if let Some(payment) = state.referral_payment {
        diesel::update(cases::table.find(id))
            .set((
                cases::consolatory_payment_pence.eq(payment.amount_pence),
                cases::cmsf5551.eq(payment.cmsf5551),
            ))
            .execute(conn)
            .await?;
    }
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
        .filter(cases::status.eq_any([Status::PendingApproval, Status::PendingAssignment]))
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
