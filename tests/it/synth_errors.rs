//! `bourg synth` on bad arguments and broken inputs: every failure is an error naming its cause
//! (the département, the file, row and column, the folder), never a panic, and leaves no file.

use std::collections::BTreeSet;
use std::process::Command;

use bourg::synth::RPLS_FILE;

use crate::synth::data_dir;

/// Runs `bourg synth` with `args` and returns (success, stderr).
fn synth_cli(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bourg"))
        .arg("synth")
        .args(args)
        .env("BOURG_LOG", "off")
        .output()
        .expect("run bourg");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.success(), stderr)
}

#[test]
fn bad_arguments_and_inputs_give_clear_errors() {
    let tmp = tempfile::tempdir().expect("test input");
    let out = tmp.path().join("out");
    let (data, out_s) = (data_dir(), out.display().to_string());
    let data_s = data.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--dep", "99", "--out", &out_s, "--data", &data_s],
            "--dep \"99\": no commune of this département",
        ),
        (
            vec!["--dep", "971", "--out", &out_s, "--data", &data_s],
            "--dep 971: overseas départements are not generated",
        ),
        (vec!["--out", &out_s], "--dep"),
        (
            vec!["--dep", "25", "--france", "--out", &out_s],
            "cannot be used with",
        ),
    ];
    for (args, message) in cases {
        let (ok, stderr) = synth_cli(&args);
        assert!(!ok, "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    // An output folder that cannot be created (its parent is a file).
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("test input");
    let blocked = file.join("out").display().to_string();
    let (ok, stderr) = synth_cli(&["--dep", "25", "--out", &blocked, "--data", &data_s]);
    assert!(
        !ok && stderr.contains(&format!("error: {blocked}: cannot write")),
        "{stderr}"
    );
    // A data folder without the inputs.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("test input");
    let (ok, stderr) = synth_cli(&[
        "--dep",
        "25",
        "--out",
        &out_s,
        "--data",
        &empty.display().to_string(),
    ]);
    assert!(!ok && stderr.contains("input file not found"), "{stderr}");
    assert!(!out.join(RPLS_FILE).exists());
}

/// A copy of the data folder with one national table replaced.
fn data_with(file: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("test input");
    std::fs::create_dir_all(dir.path().join("france")).expect("test input");
    let names: BTreeSet<String> = std::fs::read_dir(data_dir().join("france"))
        .expect("test input")
        .map(|e| {
            e.expect("test input")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for name in names {
        let target = dir.path().join("france").join(&name);
        std::fs::copy(data_dir().join("france").join(&name), target).expect("test input");
    }
    std::fs::copy(
        data_dir().join("communes_62_25_cog2025.geojson"),
        dir.path().join("communes_62_25_cog2025.geojson"),
    )
    .expect("test input");
    std::fs::write(dir.path().join(file), bytes).expect("test input");
    dir
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).expect("test input");
    e.finish().expect("test input")
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    let out = tempfile::tempdir().expect("test input");
    let out_s = out.path().display().to_string();
    let original = std::fs::read(data_dir().join("france/qpv2024_communes.csv.gz")).unwrap();
    let truncated = data_with(
        "france/qpv2024_communes.csv.gz",
        &original[..original.len() / 2],
    );
    let bad_zone = data_with(
        "france/zonage_abc_communes.csv.gz",
        &gzip("insee_com,zonage_abc\n62498,B2\n25056,Z\n"),
    );
    let no_column = data_with(
        "france/lovac_vacance_longue_communes_2021.csv.gz",
        &gzip("insee_com,nb_log_pp\n62498,1000\n"),
    );
    for (data, message) in [
        (
            &truncated,
            "qpv2024_communes.csv.gz: not a complete gzip file",
        ),
        (
            &bad_zone,
            "row 2: zonage_abc = \"Z\" is not Abis, A, B1, B2 or C",
        ),
        (&no_column, "column \"pct_vacants_plus_2ans_pp\" not found"),
    ] {
        let data_s = data.path().display().to_string();
        let (ok, stderr) = synth_cli(&["--dep", "25", "--out", &out_s, "--data", &data_s]);
        assert!(!ok, "{message}");
        assert!(stderr.contains(message), "{message}: {stderr}");
    }
}
