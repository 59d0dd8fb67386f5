//! `bulkhead admission`: flags → the admission library's configuration; `serve` runs
//! [`bulkhead_admission::server::Server`] until signalled, `review` decides one AdmissionReview
//! with [`bulkhead_admission::Admission::review`]. The decisions are the library's.

use crate::cli::{AdmissionAction, AdmissionPolicyArgs};
use anyhow::{Context, Result};
use bulkhead_admission::Admission;
use bulkhead_admission::server::{ServeOptions, Server};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Largest AdmissionReview read by `admission review` (as the server's body limit).
const MAX_REVIEW: u64 = 3 << 20;

fn admission(p: &AdmissionPolicyArgs) -> Result<Admission> {
    Ok(bulkhead_admission::Settings {
        namespaces: p.namespaces.clone(),
        psa_config: p.psa_config.clone(),
        default_enforce: p.default_enforce,
        default_audit: p.default_audit,
        default_warn: p.default_warn,
        exempt_namespaces: p.exempt_namespace.clone(),
        exempt_users: p.exempt_user.clone(),
        exempt_runtime_classes: p.exempt_runtime_class.clone(),
        policy: p.policy.clone(),
        store: p.store.clone(),
    }
    .build()?)
}

pub fn admission_cmd(action: AdmissionAction) -> Result<ExitCode> {
    match action {
        AdmissionAction::Serve(a) => {
            let adm = Arc::new(admission(&a.policy)?);
            let mut opts = ServeOptions::new(&a.listen, &a.tls_cert, &a.tls_key);
            opts.namespaces = Some(a.policy.namespaces.clone());
            opts.stop_on_signal = true;
            let n = adm.namespace_count();
            let server = Server::start(adm, opts)?;
            eprintln!(
                "bulkhead admission: serving https://{}/validate ({n} namespaces from {})",
                server.addr,
                a.policy.namespaces.display()
            );
            server.wait();
            Ok(ExitCode::SUCCESS)
        }
        AdmissionAction::Review(a) => {
            let adm = admission(&a.policy)?;
            let body = if a.file == Path::new("-") {
                bulkhead_core::input::read_limited(
                    std::io::stdin().lock(),
                    Path::new("-"),
                    MAX_REVIEW,
                    "the webhook's own body limit (3 MiB, as Pod Security Admission's)",
                )?
            } else {
                bulkhead_core::input::read_regular(
                    &a.file,
                    MAX_REVIEW,
                    "the webhook's own body limit (3 MiB, as Pod Security Admission's)",
                )?
            };
            let out = adm
                .review(&body)
                .with_context(|| format!("{}", a.file.display()))?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            let allowed = out["response"]["allowed"].as_bool().unwrap_or(false);
            Ok(if allowed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(a.exit_code)
            })
        }
    }
}
