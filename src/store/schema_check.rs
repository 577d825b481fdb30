//! The schema as the migrations made it. A trigger, a view or a table added around the
//! server can change rows before the server seals them (a missed clock turned met, a lead
//! rerouted, a requester copied away): every hash would then cover the forged rows. So
//! `verify` and `serve` compare the live schema, and the migrations recorded as applied,
//! with what the embedded migrations make in an empty database.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;

use super::connection::{SQLITE_MIGRATIONS, Store, StoreError};

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaObject {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql: String,
}

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    required: i32,
}

#[derive(QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName, Debug)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

fn objects(conn: &mut SqliteConnection) -> QueryResult<BTreeSet<SchemaObject>> {
    // Whitespace in the stored SQL follows the statement as written; compare it collapsed.
    let rows: Vec<SchemaObject> = diesel::sql_query(
        "SELECT type AS kind, name, COALESCE(sql, '') AS sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|mut o| {
            o.sql = o.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            o
        })
        .collect())
}

/// The storage classes a column of this declared type may hold. The tables are not STRICT:
/// SQLite would keep a BLOB or a TEXT where an id or an instant belongs, which reads back as
/// the same value (so every hash and digest passes) but compares differently in every query
/// (a ticket hidden from its jurisdiction, a clock the sweeper never finds).
fn storage_classes(declared: &str, nullable: bool) -> Vec<&'static str> {
    let mut classes = match declared.to_ascii_uppercase().as_str() {
        "TEXT" => vec!["text"],
        "BIGINT" | "INTEGER" | "BOOLEAN" => vec!["integer"],
        _ => vec!["text", "integer", "real", "blob"],
    };
    if nullable {
        classes.push("null");
    }
    classes
}

/// Rows whose values are not of their column's declared type, per table and column.
fn mistyped(conn: &mut SqliteConnection, tables: &[String]) -> QueryResult<Vec<String>> {
    let mut problems = Vec::new();
    for table in tables {
        let columns: Vec<Column> = diesel::sql_query(format!(
            "SELECT name, type AS kind, \"notnull\" AS required FROM pragma_table_info('{table}')"
        ))
        .load(conn)?;
        for column in columns {
            let allowed = storage_classes(&column.kind, column.required == 0)
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let count: Count = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE typeof(\"{}\") NOT IN ({allowed})",
                column.name
            ))
            .get_result(conn)?;
            if count.n > 0 {
                problems.push(format!(
                    "{} row(s) of `{table}` hold a value of another type in `{}` (declared {}): stored around the server, it reads the same but compares differently",
                    count.n, column.name, column.kind
                ));
            }
        }
    }
    Ok(problems)
}

impl Store {
    /// Every difference between the live schema and the one the migrations make: objects
    /// added, removed or altered, values not of their column's type, and migrations
    /// recorded that were not run or run that are not recorded. Empty when the database is
    /// as jiesu made it.
    pub fn schema_differences(&self) -> Result<Vec<String>, StoreError> {
        let mut reference = SqliteConnection::establish(":memory:")
            .map_err(|e| StoreError::PoolBuild(e.to_string()))?;
        reference
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        let expected = objects(&mut reference)?;
        let mut conn = self.conn()?;
        let live = objects(&mut conn)?;
        let mut differences = Vec::new();
        for object in live.difference(&expected) {
            let altered = expected
                .iter()
                .any(|e| e.kind == object.kind && e.name == object.name);
            differences.push(if altered {
                format!("{} `{}` is not as the migrations made it: altered around the server", object.kind, object.name)
            } else {
                format!("{} `{}` was not made by the migrations: added around the server (it can change rows before they are sealed)", object.kind, object.name)
            });
        }
        for object in expected.difference(&live) {
            if !live
                .iter()
                .any(|l| l.kind == object.kind && l.name == object.name)
            {
                differences.push(format!(
                    "{} `{}` is missing: dropped around the server",
                    object.kind, object.name
                ));
            }
        }
        let expected_versions: BTreeSet<String> =
            diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
                .load::<Version>(&mut reference)?
                .into_iter()
                .map(|v| v.version)
                .collect();
        let applied: BTreeSet<String> =
            diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
                .load::<Version>(&mut conn)?
                .into_iter()
                .map(|v| v.version)
                .collect();
        let tables: Vec<String> = expected
            .iter()
            .filter(|o| o.kind == "table" && !o.name.starts_with("__"))
            .map(|o| o.name.clone())
            .filter(|name| live.iter().any(|l| l.kind == "table" && l.name == *name))
            .collect();
        differences.extend(mistyped(&mut conn, &tables)?);
        if applied != expected_versions {
            differences.push(format!(
                "the migrations recorded as applied ({}) are not the ones this build runs ({}): the record was edited, or the database needs `jiesu migrate`",
                applied.into_iter().collect::<Vec<_>>().join(", "),
                expected_versions.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(differences)
    }
}
