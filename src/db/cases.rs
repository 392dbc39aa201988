//! Cases: one per tier of a customer's journey. Opening, looking up the earlier case a new
//! complaint names, and reading a case back whole for `show` and the HTTP API.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::letters;
use super::parties::Party;
use super::schema::{cases, parties};
use super::timeline::{self, Entry};
use super::timers::{self, ClockView};
use crate::process::correspondence;
use crate::process::routing::{self, EarlierCase};
use crate::vocabulary::{
    About, Addressee, CaseKind, Channel, ContactRestriction, Correspondence, ExternalStage,
    Outcome, RaisedBy, Region, ResolutionCode, Signposting, Stage, Status, SubStatus, Team,
    TeamLeaderDecision, Tier,
};

/// A case to open.
#[derive(Insertable)]
#[diesel(table_name = cases)]
pub struct NewCase {
    /// The case's row id; events and letters name the case by its reference instead.
    pub id: Uuid,
    /// Human-readable reference (`RES-2026-000123`).
    pub reference: String,
    /// The tier it is opened at.
    pub tier: Tier,
    /// Where it starts in its tier's procedure.
    pub stage: Stage,
    /// Its first status (`Closed` for a referral closed at once).
    pub status: Status,
    /// Its first sub-status, if any.
    pub sub_status: Option<SubStatus>,
    /// The resolution code of a referral closed at once.
    pub resolution_code: Option<ResolutionCode>,
    /// The customer's row id.
    pub party_id: Uuid,
    /// The lower case it was escalated from, or the earlier case it follows.
    pub linked_case_id: Option<Uuid>,
    /// The team that owns it.
    pub handling_team: Team,
    /// What the complaint says, as received.
    #[diesel(embed)]
    pub complaint: ComplaintDetails,
    /// High profile: the Operations Director's office is told.
    pub high_profile: bool,
    /// Parliamentary contact involved.
    pub parliamentary_contact: bool,
    /// The event that opened it.
    pub cause: Uuid,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it closed (a referral closed at once).
    pub closed_at: Option<DateTime<Utc>>,
    /// A consolatory-payment referral: the payment (process.md §4, tier 0 step 5).
    pub consolatory_payment_pence: Option<i64>,
    /// The referral carries form CMSF5551.
    pub cmsf5551: bool,
    /// A complaint, or official correspondence kept as a case.
    pub kind: CaseKind,
    /// The kind of official correspondence.
    pub correspondence: Option<Correspondence>,
}

/// What the complaint says, as the case keeps it: written when the case opens, copied whole to
/// the case it escalates to (with that tier's own receipt time), read back with the case.
#[derive(Debug, Clone, Insertable, Queryable, Selectable, Serialize)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
pub struct ComplaintDetails {
    /// When the organisation received the complaint at this tier.
    pub received_at: DateTime<Utc>,
    /// How it came.
    pub channel: Channel,
    /// Who raised it.
    pub raised_by: RaisedBy,
    /// What it is about.
    pub about: About,
    /// To whom it was addressed.
    pub addressee: Addressee,
    /// Its categories: each agreed one by its name, any other as written.
    pub categories: Vec<String>,
    /// The complaint details (redacted of any member of staff's name).
    pub summary: String,
    /// Private Office correspondence (a 20 working-day target).
    pub pos: bool,
    /// The opaque reference of the member of staff complained about.
    pub staff_reference: Option<String>,
    /// The contracted provider a mixed complaint is also about.
    pub provider: Option<String>,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Takes `count` case numbers from the shared sequence in one round trip.
pub async fn next_numbers(conn: &mut AsyncPgConnection, count: usize) -> QueryResult<Vec<i64>> {
    let count = i32::try_from(count).expect("a batch is far smaller than i32::MAX");
    let rows: Vec<Number> =
        diesel::sql_query("SELECT nextval('case_number_seq') AS n FROM generate_series(1, $1)")
            .bind::<Integer, _>(count)
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.n).collect())
}

/// Inserts the cases of one batch in one statement.
pub async fn insert_all(conn: &mut AsyncPgConnection, rows: &[NewCase]) -> QueryResult<()> {
    if !rows.is_empty() {
        diesel::insert_into(cases::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The earlier cases named by new complaints, by reference, with their row ids.
pub async fn find_earlier(
    conn: &mut AsyncPgConnection,
    references: &[String],
) -> QueryResult<HashMap<String, (Uuid, EarlierCase)>> {
    if references.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(EarlierRow, String)> = cases::table
        .inner_join(parties::table)
        .filter(cases::reference.eq_any(references))
        .filter(cases::kind.eq(CaseKind::Complaint))
        .select((EarlierRow::as_select(), parties::reference))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, customer)| {
            let (id, earlier) = row.into_earlier(customer);
            (earlier.reference.clone(), (id, earlier))
        })
        .collect())
}

/// The complaint cases of these customers that may be "the same issue" as a complaint received
/// at or after `since` + 6 months (process.md §3, rules 5 to 7): received or closed since
/// `since`, or still open; with their row ids.
pub async fn recent_for_customers(
    conn: &mut AsyncPgConnection,
    customers: &[String],
    since: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, EarlierCase)>> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(EarlierRow, String)> = cases::table
        .inner_join(parties::table)
        .filter(parties::reference.eq_any(customers))
        .filter(cases::kind.eq(CaseKind::Complaint))
        .filter(
            cases::received_at
                .ge(since)
                .or(cases::closed_at.is_null())
                .or(cases::closed_at.ge(since)),
        )
        .select((EarlierRow::as_select(), parties::reference))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, customer)| row.into_earlier(customer))
        .collect())
}

/// What routing needs of an earlier case.
#[derive(Queryable, Selectable)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
struct EarlierRow {
    id: Uuid,
    reference: String,
    tier: Tier,
    handling_team: Team,
    received_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    categories: Vec<String>,
}

impl EarlierRow {
    fn into_earlier(self, customer_reference: String) -> (Uuid, EarlierCase) {
        let earlier = EarlierCase {
            reference: self.reference,
            tier: self.tier,
            team: self.handling_team,
            received_at: self.received_at,
            closed_at: self.closed_at,
            customer_reference,
            categories: self.categories,
        };
        (self.id, earlier)
    }
}

/// A case's own columns, as read back.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
pub struct CaseRecord {
    /// The case's row id (not shown: readers know a case by its reference).
    #[serde(skip)]
    pub id: Uuid,
    /// Human-readable reference (`RES-2026-000123`).
    pub reference: String,
    /// Its tier, shown as its number (0, 1, 2).
    #[serde(serialize_with = "tier_number")]
    pub tier: Tier,
    /// Where it is in its tier's procedure ([`Stage`]), or in a dispute's
    /// ([`crate::vocabulary::DisputeStage`]): a row of `cases` holds either, so the stage is read
    /// as its text and each reader parses the kind it expects.
    pub stage: String,
    /// Where the case stands: pending assignment, in progress, pending approval or closed.
    pub status: Status,
    /// The step within its status.
    pub sub_status: Option<SubStatus>,
    /// How it ended, once closed.
    pub resolution_code: Option<ResolutionCode>,
    /// The team that owns it.
    pub handling_team: Team,
    /// What the complaint says, as received.
    #[diesel(embed)]
    #[serde(flatten)]
    pub complaint: ComplaintDetails,
    /// High profile: the Operations Director's office is told.
    pub high_profile: bool,
    /// Parliamentary contact involved.
    pub parliamentary_contact: bool,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The case it came from.
    #[serde(skip)]
    pub linked_case_id: Option<Uuid>,
    /// When its response target ran out unmet, if it did.
    pub target_breached_at: Option<DateTime<Utc>>,
    /// Tiers 1 and 2: the finding.
    pub outcome: Option<Outcome>,
    /// Where the customer was signposted with the outcome.
    pub signposted_to: Option<Signposting>,
    /// The caseworker or case manager (an opaque staff id).
    pub allocated_to: Option<String>,
    /// The resolution plan: grounds, actions, approval, agreement, actions done.
    pub resolution_plan: Option<serde_json::Value>,
    /// Tier 0: the team leader's referral to tier 1.
    pub referral: Option<TeamLeaderDecision>,
    /// The latest ICE stage recorded.
    pub ice_stage: Option<ExternalStage>,
    /// The latest PHSO stage recorded.
    pub phso_stage: Option<ExternalStage>,
    /// ICE's finding, once its final report is recorded.
    pub ice_upheld: Option<bool>,
    /// The PHSO's finding, once its final report is recorded.
    pub phso_upheld: Option<bool>,
    /// The root cause recorded at closure.
    pub root_cause: Option<String>,
    /// A complaint, a dispute, or official correspondence.
    pub kind: CaseKind,
    /// The kind of official correspondence.
    pub correspondence: Option<Correspondence>,
}

/// A tier as the case view has always shown it: its number.
fn tier_number<S: serde::Serializer>(tier: &Tier, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i16(tier.number())
}

/// A case as `show` and the HTTP API present it: its columns, the case it came from, the
/// customer and the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    /// The case's own columns.
    #[serde(flatten)]
    pub case: CaseRecord,
    /// The reference of the case it came from.
    pub linked_case: Option<String>,
    /// The customer's whole journey this case belongs to: from the first case of the chain,
    /// each case and the ones linked to it, tier by tier.
    pub journey: Vec<JourneyStep>,
    /// The customer the case is for, with the contact details the case is handled by.
    pub customer: Party,
    /// Its clocks, earliest deadline first.
    pub clocks: Vec<ClockView>,
    /// Its letters, oldest first.
    pub letters: Vec<LetterSummary>,
    /// Its tasks (open, done and cancelled), oldest first.
    pub tasks: Vec<super::tasks::TaskView>,
    /// Its history, oldest first.
    pub timeline: Vec<Entry>,
    /// A mixed complaint: the contracted provider it is also about, and how that part is
    /// handled.
    pub provider_part: Option<ProviderPart>,
    /// Official correspondence: its kind and what its reply must be.
    pub correspondence_rules: Option<correspondence::Rules>,
}

/// The provider's part of a mixed complaint, as the case shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderPart {
    /// The contracted provider, as intake gave it (none when the channel named none).
    pub provider: Option<String>,
    /// How the department and the provider share it ([`routing::MIXED_COMPLAINT`]).
    pub handling: &'static str,
}

impl CaseView {
    /// Whether it is a complaint about a member of staff: what staff wrote on it is shown only
    /// to readers allowed it (process.md §3, staff-behaviour complaints).
    pub fn is_staff_complaint(&self) -> bool {
        self.case.complaint.about == About::Staff || self.case.complaint.staff_reference.is_some()
    }

    /// The view with what staff wrote withheld from its timeline (each such entry keeps its
    /// label): how a reader not allowed a staff complaint's case notes sees it.
    pub fn with_written_withheld(mut self) -> Self {
        self.timeline = self.timeline.into_iter().map(Entry::withheld).collect();
        self
    }
}

/// A letter as the case lists it (the whole letter is at `/v1/cases/{ref}/letters/{id}`).
#[derive(Debug, Clone, Serialize)]
pub struct LetterSummary {
    /// The letter's id, to fetch it whole at `/v1/cases/{ref}/letters/{id}`.
    pub id: Uuid,
    /// The letter's code in the catalogue (`CMSL5800`).
    pub code: String,
    /// The subject line (email) or title (post) it went out with.
    pub subject: String,
    /// email or post.
    pub channel: String,
    /// Where it is in sending (`awaiting_email`, `sent`, `awaiting_print`, `ready_for_post`).
    pub status: String,
    /// When it went out.
    pub sent_at: Option<DateTime<Utc>>,
}

/// Reads a case with its customer and timeline, or `None` when no case has that reference.
pub async fn find_by_reference(
    conn: &mut AsyncPgConnection,
    reference: &str,
) -> QueryResult<Option<CaseView>> {
    let found: Option<(CaseRecord, Party)> = cases::table
        .inner_join(parties::table)
        .filter(cases::reference.eq(reference))
        .select((CaseRecord::as_select(), Party::as_select()))
        .first(conn)
        .await
        .optional()?;
    let Some((case, customer)) = found else {
        return Ok(None);
    };
    let linked_case = match case.linked_case_id {
        Some(linked_id) => Some(
            cases::table
                .find(linked_id)
                .select(cases::reference)
                .first(conn)
                .await?,
        ),
        None => None,
    };
    let journey = journey(conn, case.id).await?;
    let timeline = timeline::for_case(conn, case.id).await?;
    let clocks = timers::for_case(conn, case.id).await?;
    let tasks = super::tasks::for_case(conn, case.id).await?;
    let letters = letters::for_case(conn, case.id)
        .await?
        .into_iter()
        .map(|l| LetterSummary {
            id: l.id,
            code: l.code,
            subject: l.subject,
            channel: l.channel,
            status: l.status,
            sent_at: l.sent_at,
        })
        .collect();
    let provider_part = (case.complaint.about == About::Mixed).then(|| ProviderPart {
        provider: case.complaint.provider.clone(),
        handling: routing::MIXED_COMPLAINT,
    });
    let correspondence_rules = case.correspondence.map(correspondence::rules);
    Ok(Some(CaseView {
        case,
        linked_case,
        journey,
        customer,
        clocks,
        letters,
        tasks,
        timeline,
        provider_part,
        correspondence_rules,
    }))
}

/// What the clock workers need to know of a case.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    /// The case's row id.
    pub id: Uuid,
    /// The case's reference, for the events and letters the clock workers write.
    pub reference: String,
    /// The case's tier, which decides its clocks' lengths.
    pub tier: Tier,
    /// The customer's region (whose bank holidays count).
    pub region: Region,
    /// Private Office correspondence.
    pub pos: bool,
    /// What the complaint is about.
    pub about: About,
    /// The customer's contact restriction.
    pub contact_restriction: ContactRestriction,
    /// When the organisation received the complaint.
    pub received_at: DateTime<Utc>,
    /// Whether the case is closed.
    pub closed: bool,
    /// A complaint case, or a dispute or official correspondence kept as one.
    pub kind: CaseKind,
    /// A Resolution case opened for a consolatory-payment referral from tier 0: not a
    /// complaint (no acknowledgement, no response target).
    pub consolatory_referral: bool,
    /// Who raised it.
    pub raised_by: RaisedBy,
    /// The kind of official correspondence, for a correspondence case.
    pub correspondence: Option<Correspondence>,
}

/// The columns of a case that its [`CaseFacts`] are made from.
#[derive(Queryable, Selectable)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
pub(super) struct FactsRow {
    id: Uuid,
    reference: String,
    tier: Tier,
    pos: bool,
    about: About,
    received_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    kind: CaseKind,
    consolatory_payment_pence: Option<i64>,
    raised_by: RaisedBy,
    correspondence: Option<Correspondence>,
}

/// Locks the cases with these references for the caller's transaction (`FOR NO KEY UPDATE`,
/// in id order so that two transactions never wait on each other crosswise). The runner takes
/// it first in the transaction of every worker that reads a case's state and writes it back
/// (`Worker::LOCKS_CASES`), so two processes (or two workers of one, or one consumer's two
/// overlapping batches) applying events to the same case take turns and never lose an update.
pub async fn lock(conn: &mut AsyncPgConnection, references: &[String]) -> QueryResult<()> {
    if references.is_empty() {
        return Ok(());
    }
    cases::table
        .filter(cases::reference.eq_any(references))
        .order(cases::id)
        .for_no_key_update()
        .select(cases::id)
        .load::<Uuid>(conn)
        .await?;
    Ok(())
}

/// The facts of the cases with these ids, by id.
pub async fn facts_by_id(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, CaseFacts>> {
    let references: Vec<String> = cases::table
        .filter(cases::id.eq_any(ids))
        .select(cases::reference)
        .load(conn)
        .await?;
    Ok(facts(conn, &references)
        .await?
        .into_values()
        .map(|f| (f.id, f))
        .collect())
}

/// The facts of the cases with these references, by reference; unknown references are absent.
pub async fn facts(
    conn: &mut AsyncPgConnection,
    references: &[String],
) -> QueryResult<HashMap<String, CaseFacts>> {
    if references.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(FactsRow, Region, ContactRestriction)> = cases::table
        .inner_join(parties::table)
        .filter(cases::reference.eq_any(references))
        .select((
            FactsRow::as_select(),
            parties::region,
            parties::contact_restriction,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, region, restriction)| {
            let facts = facts_of(row, region, restriction);
            (facts.reference.clone(), facts)
        })
        .collect())
}

/// A case's facts from its row and its customer's region and contact restriction.
pub(super) fn facts_of(
    row: FactsRow,
    region: Region,
    contact_restriction: ContactRestriction,
) -> CaseFacts {
    CaseFacts {
        id: row.id,
        tier: row.tier,
        region,
        pos: row.pos,
        about: row.about,
        contact_restriction,
        received_at: row.received_at,
        closed: row.closed_at.is_some(),
        kind: row.kind,
        consolatory_referral: row.tier == Tier::Resolution
            && row.consolatory_payment_pence.is_some(),
        raised_by: row.raised_by,
        correspondence: row.correspondence,
        reference: row.reference,
    }
}

/// Closes an open case with a resolution code; returns whether it was open.
pub async fn close(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    code: ResolutionCode,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let closed = diesel::update(
        cases::table
            .find(case_id)
            .filter(cases::closed_at.is_null()),
    )
    .set((
        cases::status.eq(Status::Closed),
        cases::sub_status.eq(SubStatus::Complete),
        cases::resolution_code.eq(code),
        cases::closed_at.eq(now),
    ))
    .execute(conn)
    .await?;
    Ok(closed == 1)
}

/// Whether an MP is already recorded as involved in the case, and the team that owns it.
pub async fn parliamentary_contact(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
) -> QueryResult<(bool, Team)> {
    cases::table
        .find(case_id)
        .select((cases::parliamentary_contact, cases::handling_team))
        .first(conn)
        .await
}

/// Records that an MP is involved in the case (parliamentary contact: yes), and hands it to
/// `team` when one is given.
pub async fn record_mp_involved(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    team: Option<Team>,
) -> QueryResult<()> {
    let row = cases::table.find(case_id);
    match team {
        Some(team) => {
            diesel::update(row)
                .set((
                    cases::parliamentary_contact.eq(true),
                    cases::handling_team.eq(team),
                ))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(row)
                .set(cases::parliamentary_contact.eq(true))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// The case's sub-status, if it has one.
pub async fn sub_status(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
) -> QueryResult<Option<SubStatus>> {
    cases::table
        .find(case_id)
        .select(cases::sub_status)
        .first(conn)
        .await
}

/// Whether the case has an outcome decided.
pub async fn has_outcome(conn: &mut AsyncPgConnection, case_id: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        cases::table
            .find(case_id)
            .filter(cases::outcome.is_not_null()),
    ))
    .get_result(conn)
    .await
}

/// Records that a case's response target ran out unmet.
pub async fn record_breach(
    conn: &mut AsyncPgConnection,
    case_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        cases::table
            .find(case_id)
            .filter(cases::target_breached_at.is_null()),
    )
    .set(cases::target_breached_at.eq(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Cases whole, with their customer's row id and reference: what a case escalated from them
/// is opened from.
pub async fn records_with_customer(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(CaseRecord, Uuid, String)>> {
    cases::table
        .inner_join(parties::table)
        .filter(cases::id.eq_any(ids))
        .select((CaseRecord::as_select(), parties::id, parties::reference))
        .load(conn)
        .await
}

/// One case of a customer's journey.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct JourneyStep {
    /// The case's reference.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub reference: String,
    /// Its tier, shown as its number.
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    #[serde(serialize_with = "tier_number")]
    pub tier: Tier,
    /// Where that case stands: pending assignment, in progress, pending approval or closed.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: Status,
    /// How it ended, once closed.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub resolution_code: Option<ResolutionCode>,
}

/// The chain of linked cases `case_id` belongs to: up to the first case, then down through
/// every case linked to it, in order.
async fn journey(conn: &mut AsyncPgConnection, case_id: Uuid) -> QueryResult<Vec<JourneyStep>> {
    diesel::sql_query(
        "WITH RECURSIVE up AS ( \
             SELECT id, linked_case_id, 0 AS depth FROM cases WHERE id = $1 \
             UNION ALL \
             SELECT c.id, c.linked_case_id, up.depth - 1 FROM cases c JOIN up ON c.id = up.linked_case_id \
         ), first AS (SELECT id FROM up ORDER BY depth LIMIT 1), \
         down AS ( \
             SELECT id, 0 AS depth FROM first \
             UNION ALL \
             SELECT c.id, down.depth + 1 FROM cases c JOIN down ON c.linked_case_id = down.id \
         ) \
         SELECT c.reference, c.tier, c.status, c.resolution_code \
         FROM down JOIN cases c ON c.id = down.id ORDER BY down.depth, c.opened_at, c.reference",
    )
    .bind::<diesel::sql_types::Uuid, _>(case_id)
    .load(conn)
    .await
}

/// The references of the cases with these row ids (what the scheduler's events name).
pub async fn references_by_id(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, String>> {
    let rows = cases::table
        .filter(cases::id.eq_any(ids))
        .select((cases::id, cases::reference))
        .load::<(Uuid, String)>(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
