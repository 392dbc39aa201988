//! Parties: customers, one row per customer reference, holding the latest contact details and
//! restrictions that an intake event brought.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::schema::parties;
use crate::events::complaint_received::Customer;
use crate::vocabulary::{ContactRestriction, Region};

/// A customer to insert or bring up to date.
#[derive(Insertable)]
#[diesel(table_name = parties)]
pub struct NewParty {
    id: Uuid,
    reference: String,
    name: String,
    address_lines: Vec<String>,
    postcode: String,
    email: Option<String>,
    phone: Option<String>,
    region: Region,
    contact_restriction: ContactRestriction,
    vulnerable: bool,
    prefers_post: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl NewParty {
    /// The row for a customer as an intake event describes them.
    pub fn from_customer(customer: &Customer, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            reference: customer.reference.clone(),
            name: customer.name.clone(),
            address_lines: customer.address.lines.clone(),
            postcode: customer.address.normalised_postcode(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
            region: customer.region,
            contact_restriction: customer.contact_restriction,
            vulnerable: customer.vulnerable,
            prefers_post: customer.prefers_post,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A party as read back.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = parties, check_for_backend(diesel::pg::Pg))]
pub struct Party {
    /// The customer's reference.
    pub reference: String,
    /// Full name, with the title when the customer gave one (`Ms Jane Example`).
    pub name: String,
    /// The address above the postcode, one line each.
    pub address_lines: Vec<String>,
    /// The postcode, the address's last line.
    pub postcode: String,
    /// The email address letters go to, when the customer gave one.
    pub email: Option<String>,
    /// A phone number, when the customer gave one.
    pub phone: Option<String>,
    /// The region whose bank holidays count against the customer's clocks.
    pub region: Region,
    /// How the organisation may contact them.
    pub contact_restriction: ContactRestriction,
    /// Whether the customer is vulnerable (flagged on the case for the caseworker to see).
    pub vulnerable: bool,
    /// Wants letters by post.
    pub prefers_post: bool,
}

/// Inserts customers or updates them with the newest details, returning each one's row id by
/// reference. When the same customer appears twice, the last description wins.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    customers: Vec<NewParty>,
) -> QueryResult<HashMap<String, Uuid>> {
    // One row per reference: PostgreSQL refuses to update a row twice in one statement.
    let mut latest: HashMap<String, NewParty> = HashMap::with_capacity(customers.len());
    for party in customers {
        latest.insert(party.reference.clone(), party);
    }
    let mut rows: Vec<NewParty> = latest.into_values().collect();
    // A stable order keeps concurrent batches from deadlocking on each other's rows.
    rows.sort_by(|a, b| a.reference.cmp(&b.reference));
    let ids: Vec<(String, Uuid)> = diesel::insert_into(parties::table)
        .values(&rows)
        .on_conflict(parties::reference)
        .do_update()
        .set((
            parties::name.eq(excluded(parties::name)),
            parties::address_lines.eq(excluded(parties::address_lines)),
            parties::postcode.eq(excluded(parties::postcode)),
            parties::email.eq(excluded(parties::email)),
            parties::phone.eq(excluded(parties::phone)),
            parties::region.eq(excluded(parties::region)),
            parties::contact_restriction.eq(excluded(parties::contact_restriction)),
            parties::vulnerable.eq(excluded(parties::vulnerable)),
            parties::prefers_post.eq(excluded(parties::prefers_post)),
            parties::updated_at.eq(excluded(parties::updated_at)),
        ))
        .returning((parties::reference, parties::id))
        .get_results(conn)
        .await?;
    Ok(ids.into_iter().collect())
}
