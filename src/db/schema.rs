//! Diesel's view of the tables in `migrations/`. Kept by hand in step with the SQL; the
//! migration test in `tests/` fails if a column here does not exist there.
#![allow(missing_docs)]

diesel::table! {
    parties (id) {
        id -> Uuid,
        reference -> Text,
        name -> Text,
        address_lines -> Array<Text>,
        postcode -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        region -> Text,
        contact_restriction -> Text,
        vulnerable -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        prefers_post -> Bool,
    }
}

diesel::table! {
    cases (id) {
        id -> Uuid,
        reference -> Text,
        tier -> Int2,
        stage -> Text,
        status -> Text,
        sub_status -> Nullable<Text>,
        resolution_code -> Nullable<Text>,
        party_id -> Uuid,
        linked_case_id -> Nullable<Uuid>,
        handling_team -> Text,
        received_at -> Timestamptz,
        channel -> Text,
        raised_by -> Text,
        about -> Text,
        addressee -> Text,
        categories -> Array<Text>,
        summary -> Text,
        high_profile -> Bool,
        parliamentary_contact -> Bool,
        pos -> Bool,
        cause -> Uuid,
        opened_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        target_breached_at -> Nullable<Timestamptz>,
        staff_reference -> Nullable<Text>,
        outcome -> Nullable<Text>,
        signposted_to -> Nullable<Text>,
        allocated_to -> Nullable<Text>,
        resolution_plan -> Nullable<Jsonb>,
        referral -> Nullable<Text>,
        hr_guidance_followed -> Nullable<Bool>,
        ice_stage -> Nullable<Text>,
        phso_stage -> Nullable<Text>,
        ice_upheld -> Nullable<Bool>,
        phso_upheld -> Nullable<Bool>,
        remedial_actions -> Jsonb,
        root_cause -> Nullable<Text>,
        updated_at -> Nullable<Timestamptz>,
        kind -> Text,
        correspondence -> Nullable<Text>,
        provider -> Nullable<Text>,
        awaiting_evidence -> Bool,
        consolatory_payment_pence -> Nullable<Int8>,
        cmsf5551 -> Bool,
    }
}

diesel::table! {
    feedback (id) {
        id -> Uuid,
        event_id -> Uuid,
        kind -> Text,
        received_at -> Timestamptz,
        channel -> Text,
        team -> Text,
        staff_reference -> Nullable<Text>,
        customer_reference -> Nullable<Text>,
        categories -> Array<Text>,
        summary -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    systemic_issues (id) {
        id -> Int8,
        category -> Text,
        case_ids -> Array<Uuid>,
        recorded_at -> Timestamptz,
        action_taken -> Nullable<Text>,
        tier -> Int2,
        action_recorded_by -> Nullable<Text>,
        action_recorded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    systemic_candidates (category, case_id) {
        category -> Text,
        case_id -> Uuid,
        tier -> Int2,
        received_at -> Timestamptz,
        logged -> Bool,
    }
}

diesel::table! {
    case_timeline (id) {
        id -> Int8,
        case_id -> Uuid,
        at -> Timestamptz,
        actor -> Text,
        entry -> Text,
        detail -> Jsonb,
        cause -> Nullable<Uuid>,
    }
}

diesel::table! {
    rejected_complaints (event_id) {
        event_id -> Uuid,
        reason -> Text,
        detail -> Text,
        complaint -> Jsonb,
        rejected_at -> Timestamptz,
    }
}

diesel::table! {
    inbox (worker, event_id) {
        worker -> Text,
        event_id -> Uuid,
        processed_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        payload -> Json,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    timers (id) {
        id -> Int8,
        case_id -> Uuid,
        clock -> Text,
        key -> Text,
        due_at -> Timestamptz,
        deadline -> Timestamptz,
        detail -> Jsonb,
        state -> Text,
        set_at -> Timestamptz,
        fired_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        cancelled_because -> Nullable<Text>,
    }
}

diesel::table! {
    simulated_clock (id) {
        id -> Bool,
        offset_ms -> Int8,
    }
}

diesel::table! {
    letters (id) {
        id -> Uuid,
        case_id -> Uuid,
        code -> Text,
        cause -> Uuid,
        template_version -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        body_print -> Text,
        channel -> Text,
        recipient -> Text,
        status -> Text,
        pdf_path -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        claimed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        case_id -> Uuid,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Int4,
        claimed_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    dead_letter_actions (id) {
        id -> Int8,
        at -> Timestamptz,
        actor -> Text,
        action -> Text,
        worker -> Text,
        dead_letter_id -> Text,
        event_type -> Nullable<Text>,
        reason_kind -> Text,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Uuid,
        name -> Text,
        scopes -> Array<Text>,
        secret_sha256 -> Bytea,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    staff (staff_id) {
        staff_id -> Text,
        team -> Text,
        roles -> Array<Text>,
        grade -> Text,
        active -> Bool,
        imported_at -> Timestamptz,
    }
}

diesel::table! {
    queue_depths (queue, sampled_at) {
        queue -> Text,
        sampled_at -> Timestamptz,
        messages -> Int8,
    }
}

diesel::table! {
    tasks (id) {
        id -> Uuid,
        case_id -> Uuid,
        team -> Text,
        assignee -> Text,
        key -> Text,
        task -> Text,
        clock -> Nullable<Text>,
        state -> Text,
        created_at -> Timestamptz,
        due_at -> Timestamptz,
        opened_by_event -> Uuid,
        closed_at -> Nullable<Timestamptz>,
        closed_by_event -> Nullable<Uuid>,
    }
}

diesel::joinable!(cases -> parties (party_id));
diesel::joinable!(tasks -> cases (case_id));
diesel::joinable!(letters -> cases (case_id));
diesel::table! {
    special_payments (case_id, action_id) {
        case_id -> Uuid,
        action_id -> Text,
        kind -> Text,
        amount_pence -> Int8,
        paid_by -> Text,
        paid_at -> Timestamptz,
        cause -> Uuid,
    }
}

diesel::table! {
    /// The figures of each UK day's cases, kept by the report-days worker
    /// ([`crate::db::reports`]).
    report_days (day) {
        day -> Date,
        version -> Int2,
        figures -> Json,
        kept_at -> Timestamptz,
    }
}

diesel::table! {
    /// The days whose cases changed since they were kept, noted by triggers.
    report_changes (id) {
        id -> Int8,
        day -> Date,
    }
}

diesel::joinable!(notifications -> cases (case_id));
diesel::joinable!(timers -> cases (case_id));
diesel::joinable!(case_timeline -> cases (case_id));
diesel::joinable!(systemic_candidates -> cases (case_id));
diesel::joinable!(special_payments -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    parties,
    cases,
    case_timeline,
    rejected_complaints,
    inbox,
    outbox,
    timers,
    simulated_clock,
    letters,
    notifications,
    systemic_issues,
    systemic_candidates,
    dead_letter_actions,
    queue_depths,
    api_clients,
    staff,
    tasks,
    feedback,
    special_payments,
    report_days,
    report_changes,
);
