#![no_main]
//! Container engines' answers, as the live monitor's metadata thread turns them into the libs
//! container event: a Docker-compatible inspect document (podman, docker), or CRI protobuf answers
//! (`ContainerStatus`, `PodSandboxStatus`, `ImageStatus`, with their verbose JSON `info`). The
//! result must be a container event document with an id.
use bulkhead_sensor::cri::messages::{ContainerStatusResponse, Image, PodSandboxStatusResponse};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let json = if sel & 1 == 0 {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) else {
            return;
        };
        bulkhead_sensor::containers::libs_json(&v, sel & 2 == 0)
    } else {
        // Three length-prefixed (u16 little-endian) protobuf messages.
        let mut parts = Vec::new();
        let mut r = rest;
        while parts.len() < 3 && r.len() >= 2 {
            let n = (u16::from_le_bytes([r[0], r[1]]) as usize).min(r.len() - 2);
            parts.push(&r[2..2 + n]);
            r = &r[2 + n..];
        }
        let Some(status) = parts
            .first()
            .and_then(|b| ContainerStatusResponse::decode(*b).ok())
        else {
            return;
        };
        let sandbox = parts
            .get(1)
            .and_then(|b| PodSandboxStatusResponse::decode(*b).ok());
        let image = parts.get(2).and_then(|b| Image::decode(*b).ok());
        let runtime = ["containerd", "cri-o", "other"][(sel >> 1) as usize % 3];
        let Some(j) = bulkhead_sensor::cri::answer_json(
            &status,
            sandbox.as_ref(),
            image.as_ref(),
            runtime,
        ) else {
            return;
        };
        j
    };
    // The JSON must be what the state reads: a container event it applies.
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert!(v["container"]["id"].is_string());
});
