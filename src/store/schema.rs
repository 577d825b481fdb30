// The diesel view of migrations/sqlite (kept by hand, in step with the SQL).

diesel::table! {
    tickets (id) {
        id -> Text,
        jurisdiction -> Text,
        channel -> Text,
        category -> Text,
        topic -> Text,
        flags -> Text,
        area -> Nullable<Text>,
        content -> Text,
        requester_name -> Nullable<Text>,
        requester_phone -> Nullable<Text>,
        received_at -> BigInt,
        utc_offset -> Integer,
        status -> Text,
        lead_unit_id -> Nullable<Text>,
        lead_unit_name -> Nullable<Text>,
        assist_units -> Text,
        route_mode -> Nullable<Text>,
        deadlines -> Text,
        resolve_due -> Nullable<BigInt>,
        provisional -> Bool,
        rejection -> Nullable<Text>,
        policy_id -> Text,
        policy_version -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        revision -> BigInt,
        dispatched_at -> Nullable<BigInt>,
        statutory_limit -> Nullable<Text>,
    }
}

diesel::table! {
    deadlines (ticket_id, clock, unit_id) {
        ticket_id -> Text,
        jurisdiction -> Text,
        clock -> Text,
        unit_id -> Text,
        due -> BigInt,
        state -> Text,
        provisional -> Bool,
        next_sweep_at -> Nullable<BigInt>,
        updated_at -> BigInt,
        met_by -> Text,
        cite -> Text,
        met_at -> Nullable<BigInt>,
        rounds -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        ticket_id -> Text,
        clock -> Nullable<Text>,
        clock_unit -> Nullable<Text>,
        kind -> Text,
        to_unit_id -> Nullable<Text>,
        to_unit_name -> Nullable<Text>,
        channel -> Nullable<Text>,
        cite -> Text,
        note -> Nullable<Text>,
        created_at -> BigInt,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        body_hash -> Text,
        ticket_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    action_keys (ticket_id, key) {
        ticket_id -> Text,
        key -> Text,
        body_hash -> Text,
        seq -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    trail_entries (ticket_id, seq) {
        ticket_id -> Text,
        seq -> BigInt,
        at -> BigInt,
        kind -> Text,
        actor -> Text,
        hook -> Nullable<Text>,
        outcome -> Nullable<Text>,
        policy_id -> Nullable<Text>,
        policy_version -> Nullable<Text>,
        input -> Text,
        output -> Text,
        cite -> Text,
        notes -> Text,
        duration_us -> Nullable<BigInt>,
        prev_hash -> Text,
        hash -> Text,
        format -> Integer,
    }
}

diesel::table! {
    ticket_secrets (ticket_id) {
        ticket_id -> Text,
        salt -> Nullable<Text>,
        erased_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    policy_versions (policy_id, version) {
        policy_id -> Text,
        version -> Text,
        sources -> Text,
        activated_at -> BigInt,
    }
}

diesel::table! {
    ledger (seq) {
        seq -> BigInt,
        kind -> Text,
        subject -> Text,
        trail_seq -> BigInt,
        trail_hash -> Text,
        state -> Nullable<Text>,
        at -> BigInt,
        prev_hash -> Text,
        hash -> Text,
        format -> Integer,
        key_id -> Nullable<Text>,
        signature -> Nullable<Text>,
    }
}

diesel::joinable!(trail_entries -> tickets (ticket_id));
diesel::joinable!(deadlines -> tickets (ticket_id));
diesel::allow_tables_to_appear_in_same_query!(
    tickets,
    trail_entries,
    policy_versions,
    deadlines,
    notifications,
    idempotency_keys,
    action_keys,
    ledger,
    ticket_secrets
);
