//! The staff directory every test runs with (`tests/fixtures/staff.csv`): the people the tests'
//! decisions name, each with the roles those decisions need, and one who has left (`left1`).
//! `cm1` is a case manager who is also a reviewer, so the rule that a Review never goes to its
//! tier 1 handler is met by someone the directory would otherwise allow.

use complaints::app::App;
use complaints::db::staff;
use complaints::staff::parse_csv;

/// The test directory.
pub const FIXTURE: &str = include_str!("../fixtures/staff.csv");

/// Imports the test directory into the app's database, as `complaints staff import` would.
pub async fn import_fixture(app: &App) {
    let members = parse_csv(FIXTURE).expect("the fixture is a valid directory");
    let mut conn = app.pool.get().await.expect("a database connection");
    staff::import(&mut conn, &members, app.clock.now())
        .await
        .expect("import the staff directory");
}
