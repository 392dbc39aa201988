//! Tasks as records (issue 12 point 15): each task a decision or a clock raises is a row with
//! its case, team, due time and state, closed by the event that does the work (or cancelled
//! when its case closes), listed oldest first by `GET /v1/tasks` and `complaints tasks`; the
//! team's email still goes. A task no decision closes is marked done by `task.done`.

mod common;

use common::casework::{
    allocate, case, decide, decision, dissatisfied, escalated_from, g7_authorises, open,
    team_leader_cannot_resolve,
};
use common::{wait_for, TestEnv};
use complaints::db::schema::{tasks, timers};
use complaints::supervisor::WorkerKind;
use complaints::vocabulary::Scope;
use complaints::vocabulary::SubStatus;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{json, Value};

const WORKERS: &[WorkerKind] = &[
    WorkerKind::Intake,
    WorkerKind::Casework,
    WorkerKind::Escalation,
    WorkerKind::Deadlines,
    WorkerKind::Letters,
    WorkerKind::OutboxRelay,
    WorkerKind::Http,
];

/// `GET /v1/tasks` with `query`: the tasks listed.
async fn listed(env: &TestEnv, http: &reqwest::Client, query: &str) -> Vec<Value> {
    let answer = http
        .get(env.url(&format!("/v1/tasks?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    body["tasks"].as_array().unwrap().clone()
}

/// The states of a case's tasks for `assignee`, oldest first.
async fn states_of(env: &TestEnv, case_id: uuid::Uuid, assignee: &str) -> Vec<String> {
    let mut conn = env.conn().await;
    tasks::table
        .filter(tasks::case_id.eq(case_id))
        .filter(tasks::assignee.eq(assignee))
        .order(tasks::created_at)
        .select(tasks::state)
        .load(&mut conn)
        .await
        .unwrap()
}

/// Tier 0 through the team leader and the G7 to the Complaint Resolution Team: each task opens
/// with its decision, is listed with its team, and is done by the decision that does it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_open_with_their_decision_and_close_with_the_work() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut created = env.observe(&["task.created"]).await;
    let http = env.http_client().await;
    let dis = open(&env, "CUST-TASKS", |_| {}).await;
    let r = dis.reference.as_str();
    assert!(listed(&env, &http, "state=open").await.is_empty());

    dissatisfied(&env, r, "cw1").await;
    let email = created.next().await;
    let open_now = listed(&env, &http, "team=operational_caseworkers&state=open").await;
    assert_eq!(open_now.len(), 1, "{open_now:?}");
    let tl = &open_now[0];
    assert_eq!(
        tl["id"], email.data["task_id"],
        "the row is the event's task"
    );
    assert_eq!(tl["id"].as_str(), Some(email.id.to_string().as_str()));
    assert_eq!(tl["case_reference"], r);
    assert_eq!(tl["assignee"], "team_leader");
    assert_eq!(tl["state"], "open");
    // Tier 0 runs no response target: due at once.
    assert_eq!(tl["due_at"], tl["created_at"]);
    assert!(listed(&env, &http, "team=special_payment_team")
        .await
        .is_empty());

    team_leader_cannot_resolve(&env, r).await;
    assert_eq!(states_of(&env, dis.id, "team_leader").await, ["done"]);
    assert_eq!(states_of(&env, dis.id, "manager").await, ["open"]);
    let done = listed(&env, &http, "team=operational_caseworkers&state=done").await;
    assert_eq!(done.len(), 1);
    assert!(done[0]["closed_at"].is_string());

    g7_authorises(&env, r, true, false).await;
    assert_eq!(states_of(&env, dis.id, "manager").await, ["done"]);
    let res = escalated_from(&env, &dis).await;
    let crt = wait_for("the CRT's task", || async {
        let open_now = listed(&env, &http, "team=complaint_resolution_team").await;
        (!open_now.is_empty()).then_some(open_now)
    })
    .await;
    assert_eq!(crt.len(), 1);
    assert_eq!(crt[0]["case_reference"], res.reference.as_str());
    assert_eq!(crt[0]["assignee"], "complaint_resolution_team");
    // Due by the Resolution case's response target, whichever worker wrote first.
    let target: chrono::DateTime<chrono::Utc> = wait_for("the response target", || async {
        let mut conn = env.conn().await;
        timers::table
            .filter(timers::case_id.eq(res.id))
            .filter(timers::clock.eq("response_target"))
            .select(timers::deadline)
            .first(&mut conn)
            .await
            .optional()
            .unwrap()
    })
    .await;
    wait_for("the CRT's task due by the target", || async {
        let due = listed(&env, &http, "team=complaint_resolution_team").await[0]["due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap();
        (due == target).then_some(())
    })
    .await;
    // The operator's view: the team's open tasks, and the case's own.
    let text = env.cli_ok(&["tasks", "--team", "complaint_resolution_team"]);
    assert!(text.contains(&res.reference), "{text}");
    assert!(text.contains("complaint_resolution_team"), "{text}");
    let everyone = env.cli_ok(&["tasks", "--json"]);
    let everyone: Vec<Value> = serde_json::from_str(&everyone).unwrap();
    assert_eq!(
        everyone.len(),
        1,
        "only the CRT's task is open: {everyone:?}"
    );
    let shown = env.cli_ok(&["show", r]);
    assert!(shown.contains("tasks:"), "{shown}");
    assert!(shown.contains("done"), "{shown}");

    allocate(&env, &res.reference, "cm1", "tl2").await;
    assert_eq!(
        states_of(&env, res.id, "complaint_resolution_team").await,
        ["done"]
    );
    assert!(listed(&env, &http, "state=open").await.is_empty());
    let case_json: Value = http
        .get(env.url(&format!("/v1/cases/{}", res.reference)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case_json["tasks"][0]["state"], "done");
    assert_eq!(case(&env, r).await.status, "Closed");
    env.stop().await;
}

/// Oldest first; `state` checked; and only a client holding `tasks:read` may list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_list_is_oldest_first_checked_and_behind_its_scope() {
    let env = TestEnv::start(WORKERS).await;
    let http = env.http_client().await;
    let mut cases = Vec::new();
    for customer in ["CUST-T1", "CUST-T2", "CUST-T3"] {
        let opened = open(&env, customer, |_| {}).await;
        decide(
            &env,
            &opened.reference,
            "customer.dissatisfied",
            json!({ "reason": "Still no payment", "by": "cw1" }),
            |c| c.sub_status == Some(SubStatus::PendingApprovalTl),
        )
        .await;
        cases.push(opened.reference);
    }
    let open_now = listed(&env, &http, "team=operational_caseworkers&state=open").await;
    let order: Vec<&str> = open_now
        .iter()
        .map(|t| t["case_reference"].as_str().unwrap())
        .collect();
    assert_eq!(order, cases);
    assert_eq!(
        listed(
            &env,
            &http,
            "team=operational_caseworkers&state=open&limit=2"
        )
        .await
        .len(),
        2
    );

    let bad = http
        .get(env.url("/v1/tasks?state=finished"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad.json().await.unwrap();
    assert!(body["reasons"][0].as_str().unwrap().contains("state"));

    let reader =
        common::auth::authorised(&env.client_token("reports", &[Scope::ReportsRead]).await);
    let refused = reader.get(env.url("/v1/tasks")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    env.stop().await;
}

/// A task no decision closes (a mixed complaint's request to the provider) is closed by
/// `task.done` from a member of staff, with their note on the case's timeline; an unknown task,
/// another case's, one already done, or someone not in the staff directory is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_no_decision_closes_is_marked_done_by_staff() {
    let mut env = TestEnv::start(WORKERS).await;
    let mut refusals = env.observe(&["command.rejected"]).await;
    let http = env.http_client().await;
    let mixed = |data: &mut Value| {
        data["about"] = json!("mixed");
        data["provider"] = json!("Acme Employment Services");
    };
    let first = open(&env, "CUST-TASK-DONE-A", mixed).await;
    let other = open(&env, "CUST-TASK-DONE-B", mixed).await;
    let open_now = wait_for("both tasks", || async {
        let open_now = listed(&env, &http, "state=open").await;
        (open_now.len() == 2).then_some(open_now)
    })
    .await;
    let task_of = |reference: &str| {
        open_now
            .iter()
            .find(|t| t["case_reference"] == reference)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let task = task_of(&first.reference);
    let done = |reference: &str, task_id: &str, by: &str| {
        decision(
            reference,
            "task.done",
            json!({ "task_id": task_id, "by": by, "note": "Acme sent their part of the reply." }),
        )
    };
    for (event, expected) in [
        (done(&other.reference, &task, "cw1"), "is not a task of"),
        (
            done(&first.reference, &uuid::Uuid::now_v7().to_string(), "cw1"),
            "there is no task",
        ),
        (
            done(&first.reference, &task, "left1"),
            "not active in the staff directory",
        ),
        (
            done(&first.reference, &task, "nobody"),
            "not in the staff directory",
        ),
    ] {
        env.publish(&event).await;
        let refused = refusals.next().await;
        assert_eq!(refused.data["event_id"], event["id"]);
        let reason = refused.data["reason"].as_str().unwrap();
        assert!(reason.contains(expected), "{reason}");
    }
    assert_eq!(states_of(&env, first.id, "caseworker").await, ["open"]);

    decide(
        &env,
        &first.reference,
        "task.done",
        json!({ "task_id": task, "by": "cw1", "note": "Acme sent their part of the reply." }),
        |_| true,
    )
    .await;
    assert_eq!(states_of(&env, first.id, "caseworker").await, ["done"]);
    assert_eq!(states_of(&env, other.id, "caseworker").await, ["open"]);
    let listed_done = listed(&env, &http, "state=done").await;
    assert_eq!(listed_done.len(), 1);
    assert_eq!(listed_done[0]["id"], task.as_str());
    let shown = env.cli_ok(&["show", &first.reference]);
    assert!(
        shown.contains(
            "Task done (Mixed complaint: ask Acme Employment Services for a contribution"
        ) && shown.contains("Acme sent their part of the reply."),
        "{shown}"
    );

    let again = done(&first.reference, &task, "cw1");
    env.publish(&again).await;
    let refused = refusals.next().await;
    assert_eq!(refused.data["event_id"], again["id"]);
    assert!(
        refused.data["reason"]
            .as_str()
            .unwrap()
            .contains("is not open (it is done)"),
        "{refused:?}"
    );
    env.stop().await;
}
