//! The classes' doc comments as XML, for `make docs` (scripts/make-docs.sh): gdext's `register-docs`
//! gathers them for the editor's help, but Godot's `--doctool --gdextension-docs` dump leaves every
//! description empty. This ignored test writes gdext's XML, one `<Class>.xml` per class, into the
//! folder `OPENSSL_DTLS_DOCS_XML` names; `--doctool` then merges those descriptions into its own exact
//! class reference. Run: `OPENSSL_DTLS_DOCS_XML=DIR cargo test -p openssl-dtls-godot --lib
//! docs_xml -- --ignored`.

#[test]
#[ignore = "writes files: run by scripts/make-docs.sh"]
fn write_docs_xml() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("OPENSSL_DTLS_DOCS_XML")
            .expect("OPENSSL_DTLS_DOCS_XML names the output folder"),
    );
    std::fs::create_dir_all(&dir).expect("create the output folder");
    let mut written = 0;
    for xml in godot::docs::__gather_xml_docs() {
        let name = xml
            .split_once("<class name=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name.to_owned())
            .expect("each document names its class");
        std::fs::write(dir.join(format!("{name}.xml")), xml).expect("write the class's XML");
        written += 1;
    }
    assert!(written > 0, "no class documentation gathered");
}
