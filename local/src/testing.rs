//! For the function crates' integration tests: fresh, uniquely named copies of the
//! template's tables in the emulator at `AWS_ENDPOINT_URL`, so tests run in parallel and
//! never see each other's data.

use std::collections::HashMap;

use crate::template::Template;

/// Creates a fresh copy of each named table (logical ids of template.yaml) and returns
/// logical id → table name. Panics with a clear message when no emulator is configured.
pub async fn fresh_tables(logical_ids: &[&str]) -> HashMap<String, String> {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run the tests with `make test`, which starts the emulator"
    );
    let path = std::env::var("GYMIT_TEMPLATE")
        .map(Into::into)
        .unwrap_or_else(|_| crate::workspace_root().join("template.yaml"));
    let template = Template::load(&path).expect("template.yaml loads");
    let db = aws_sdk_dynamodb::Client::new(&crate::sdk_config().await);
    let mut names = HashMap::new();
    for (logical, _, props) in template.tables() {
        if !logical_ids.contains(&logical.as_str()) {
            continue;
        }
        let name = format!(
            "test-{}-{}",
            logical.to_lowercase(),
            uuid::Uuid::now_v7().simple()
        );
        crate::provision::create_table(&db, &name, &props)
            .await
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        names.insert(logical, name);
    }
    for id in logical_ids {
        assert!(names.contains_key(*id), "no table {id} in template.yaml");
    }
    names
}
