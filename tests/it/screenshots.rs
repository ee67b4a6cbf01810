//! The README's pictures are produced by `kwif screenshots`: this fails when the committed SVGs
//! in assets/ are stale (regenerate with `cargo run -- screenshots --out assets`), and when two
//! renders differ by a single byte.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_screenshots_are_up_to_date_and_deterministic() {
    let first = tempfile::tempdir().unwrap();
    let written = kwif::screenshots::write_all(first.path()).await.unwrap();
    assert_eq!(written.len(), 12);
    let second = tempfile::tempdir().unwrap();
    kwif::screenshots::write_all(second.path()).await.unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for path in &written {
        let name = path.file_name().unwrap();
        let fresh = std::fs::read(path).unwrap();
        assert_eq!(
            fresh,
            std::fs::read(second.path().join(name)).unwrap(),
            "{name:?} differs between two renders"
        );
        let committed = std::fs::read(assets.join(name)).unwrap_or_default();
        assert!(
            committed == fresh,
            "assets/{} is stale: run `cargo run -- screenshots --out assets` and commit the result",
            name.to_string_lossy()
        );
        let text = String::from_utf8(fresh).unwrap();
        assert!(
            text.starts_with("<svg") && text.contains("kwif demo — scenario"),
            "{name:?} is not a wizard view"
        );
    }
}
