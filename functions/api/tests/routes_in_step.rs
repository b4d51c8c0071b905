//! `ROUTES` is exactly the template's route table, so the `$default` function's 404/405
//! cannot drift from the routes API Gateway really has.

use std::collections::BTreeSet;

#[test]
fn the_route_table_is_the_templates() {
    let root = gymit_local::workspace_root();
    let template =
        gymit_local::template::Template::load(&root.join("template.yaml")).expect("template.yaml");
    let in_template: BTreeSet<(String, String)> = template
        .functions()
        .into_iter()
        .flat_map(|f| f.routes)
        .filter(|r| r.path != "$default")
        .map(|r| (r.method, r.path))
        .collect();
    let in_function: BTreeSet<(String, String)> = gymit_api::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(in_function, in_template);
}
