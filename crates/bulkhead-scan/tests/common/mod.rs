//! Images built by the tests: real tar layers in a docker-archive whose digests verify.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A layer of regular files: (path, contents, mode).
pub fn layer(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// `dir/name.tar`: a docker-archive of `layers` with `config` (its `rootfs.diff_ids` set from
/// the layers), tagged `tag`.
pub fn docker_archive(
    dir: &Path,
    name: &str,
    mut config: serde_json::Value,
    layers: &[Vec<u8>],
    tag: &str,
) -> PathBuf {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", hex::encode(Sha256::digest(l))))
        .collect();
    config["rootfs"] = serde_json::json!({"type": "layers", "diff_ids": diff_ids});
    let config = config.to_string();
    let config_name = format!("{}.json", hex::encode(Sha256::digest(config.as_bytes())));
    let layer_names: Vec<String> = (1..=layers.len()).map(|i| format!("l{i}.tar")).collect();
    let manifest =
        serde_json::json!([{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}])
            .to_string();
    let archive = dir.join(format!("{name}.tar"));
    let mut b = tar::Builder::new(std::fs::File::create(&archive).unwrap());
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("manifest.json", manifest.as_bytes()),
        (config_name.as_str(), config.as_bytes()),
    ];
    entries.extend(
        layer_names
            .iter()
            .map(String::as_str)
            .zip(layers.iter().map(Vec::as_slice)),
    );
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    }
    b.finish().unwrap();
    archive
}
