//! Command-line definitions: every flag once, with its help; completions and man pages are
//! generated from these definitions (`bulkhead completion`, `bulkhead man`).

use bulkhead_core::Severity;
use bulkhead_report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Container security across the lifecycle: image inventory, SBOMs and vulnerabilities; Dockerfile
/// and Kubernetes checks; Falco-compatible runtime rules.
#[derive(Parser, Debug)]
#[command(name = "bulkhead", version, about, propagate_version = true)]
pub struct Cli {
    /// Only print errors on stderr (no notices, no progress).
    #[arg(short, long, global = true, env = "BULKHEAD_QUIET")]
    pub quiet: bool,
    /// Verbose diagnostics on stderr.
    #[arg(long, global = true, env = "BULKHEAD_DEBUG")]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a container image: OS and language packages with the files they own, and their
    /// vulnerabilities when an advisory database is available.
    Image(ScanArgs),
    /// Scan a directory or unpacked root filesystem.
    Fs(ScanArgs),
    /// Write a software bill of materials (CycloneDX 1.6 by default) for an image or directory;
    /// `bulkhead sbom scan FILE` matches the packages of an SBOM against the advisory database.
    Sbom(SbomArgs),
    /// Check Dockerfiles (hadolint rules and more) and Kubernetes manifests (Pod Security Standards
    /// exactly as Kubernetes applies them, best practices).
    Config(ConfigArgs),
    /// Runtime detection with Falco-compatible rules.
    Runtime(RuntimeArgs),
    /// Deploy-time enforcement: a Kubernetes validating admission webhook applying the Pod
    /// Security Standards exactly as Pod Security Admission does.
    Admission {
        #[command(subcommand)]
        action: AdmissionAction,
    },
    /// Manage the advisory database.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Manage the layer cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Print the version and the advisory database in use (path, build time, age, record counts).
    Version {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// Output format.
        #[arg(short, long, default_value = "table", value_parser = format_parser(&[Format::Table, Format::Json]))]
        format: Format,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (bulkhead.1 and one per subcommand) into a directory.
    Man {
        /// Where to write them (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

/// A `--format` parser accepting only `allowed`; an unknown value is a usage error listing them.
pub fn format_parser(
    allowed: &'static [Format],
) -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(allowed.iter().map(|f| f.name()))
        .map(|s| s.parse::<Format>().expect("a listed format"))
}

/// What a scan looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scanner {
    /// Match packages against the advisory database (needs one).
    Vuln,
    /// Look for secrets in every file of every layer and in the image configuration.
    Secret,
    /// Audit how far the image is from minimal (Dockle's and CIS 4's checks).
    Hardening,
    /// Nothing but the inventory (packages, OS, layers).
    None,
}

/// A class of packages (`--pkg-types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PkgTypeArg {
    /// Operating-system packages (dpkg, apk, rpm).
    Os,
    /// Language packages (installed, locked, or built into executables).
    Library,
}

impl From<PkgTypeArg> for bulkhead_scan::PkgType {
    fn from(t: PkgTypeArg) -> Self {
        match t {
            PkgTypeArg::Os => bulkhead_scan::PkgType::Os,
            PkgTypeArg::Library => bulkhead_scan::PkgType::Library,
        }
    }
}

/// Where a bare image name is looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImageSrc {
    /// A path if it exists, else a registry.
    Auto,
    /// The podman store, through its API socket.
    Podman,
}

/// A duration like `30s`, `5m`, `1h30m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (expected e.g. 30s, 5m, 1h)"))
}

#[derive(Subcommand, Debug)]
pub enum AdmissionAction {
    /// Serve `POST /validate` (AdmissionReview v1) over HTTPS, with `/healthz`, `/readyz` and
    /// `/metrics`, until SIGINT or SIGTERM.
    Serve(AdmissionServeArgs),
    /// Decide one AdmissionReview request from a file (or `-`) and print the AdmissionReview
    /// response the webhook would send.
    Review(AdmissionReviewArgs),
    /// Print the manifests that install the webhook (Namespace, ServiceAccount, TLS Secret,
    /// ConfigMap, Deployment, PodDisruptionBudget, Service, ValidatingWebhookConfiguration) for
    /// `kubectl apply -f -`.
    Manifests(AdmissionManifestsArgs),
}

#[derive(Args, Debug)]
pub struct AdmissionManifestsArgs {
    /// The container image holding the `bulkhead` binary.
    #[arg(long)]
    pub image: String,
    /// The namespace the webhook runs in (left out of its own webhook).
    #[arg(long, default_value = "bulkhead")]
    pub namespace: String,
    /// Name of the webhook's objects.
    #[arg(long, default_value = "bulkhead-admission")]
    pub name: String,
    #[arg(long, default_value_t = 2)]
    pub replicas: u32,
    /// What the API server does when the webhook cannot be reached: Fail (deny) or Ignore (allow).
    #[arg(long, default_value = "Fail", value_parser = ["Fail", "Ignore"])]
    pub failure_policy: String,
    /// The API server's timeout for each call (1–30 seconds).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub timeout_seconds: u32,
    /// Namespaces never sent to the webhook, besides kube-system and its own (repeatable).
    #[arg(long, value_name = "NAMESPACE")]
    pub exclude_namespace: Vec<String>,
    /// The Namespace objects the webhook reads (put into its ConfigMap; keep it in sync with the
    /// cluster's namespaces, e.g. from GitOps).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "namespaces_from_cluster"
    )]
    pub namespaces: Option<PathBuf>,
    /// The webhook lists the cluster's namespaces itself (a ClusterRole to get and list
    /// namespaces, and a service account token, are added).
    #[arg(long, conflicts_with = "namespaces")]
    pub namespaces_from_cluster: bool,
    /// An AdmissionPolicy to put into the ConfigMap (image rules and scan gate).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// PSA's configuration to put into the ConfigMap.
    #[arg(long, value_name = "FILE")]
    pub psa_config: Option<PathBuf>,
    /// A serving certificate made elsewhere (PEM; with --tls-key and --ca-bundle). Without it a CA
    /// and a certificate for the Service's DNS names are generated.
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "ca_bundle"])]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The CA certificate(s) that verify --tls-cert (the webhook configuration's caBundle).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub ca_bundle: Option<PathBuf>,
    /// Also a MutatingWebhookConfiguration (`/mutate`, pod creations; the policy's `mutate`
    /// decides per namespace).
    #[arg(long)]
    pub mutating: bool,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What the webhook enforces (both `admission serve` and `admission review`).
#[derive(Args, Debug)]
pub struct AdmissionPolicyArgs {
    /// Namespace objects (YAML or JSON, multi-document, Lists): their
    /// `pod-security.kubernetes.io/*` labels choose each namespace's policy. Re-read when it
    /// changes. A pod in a namespace not listed is denied (PSA cannot look it up).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "namespaces_from_cluster"
    )]
    pub namespaces: Option<PathBuf>,
    /// List the namespaces from the Kubernetes API with the pod's service account (in a
    /// cluster: KUBERNETES_SERVICE_HOST and the mounted token; listed again every 10 s).
    #[arg(long, conflicts_with = "namespaces")]
    pub namespaces_from_cluster: bool,
    /// PSA's configuration file: a PodSecurityConfiguration, or the API server's
    /// AdmissionConfiguration with the PodSecurity plugin (defaults and exemptions).
    #[arg(long, value_name = "FILE")]
    pub psa_config: Option<PathBuf>,
    /// Policy where a namespace has no enforce label (default privileged:latest, as PSA).
    #[arg(long, value_name = "LEVEL[:VERSION]",
          value_parser = clap::value_parser!(bulkhead_config::pss::Policy))]
    pub default_enforce: Option<bulkhead_config::pss::Policy>,
    /// Policy where a namespace has no audit label.
    #[arg(long, value_name = "LEVEL[:VERSION]",
          value_parser = clap::value_parser!(bulkhead_config::pss::Policy))]
    pub default_audit: Option<bulkhead_config::pss::Policy>,
    /// Policy where a namespace has no warn label.
    #[arg(long, value_name = "LEVEL[:VERSION]",
          value_parser = clap::value_parser!(bulkhead_config::pss::Policy))]
    pub default_warn: Option<bulkhead_config::pss::Policy>,
    /// The image policy and scan gate (an AdmissionPolicy: allowed registries, digest pinning,
    /// `:latest`, vulnerabilities over a severity in the latest scan, scan age, unscanned images;
    /// per namespace). See docs/admission.md.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The scan store the scan gate reads (written by `bulkhead image IMAGE --store FILE`).
    #[arg(long, value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// Custom policies in CEL: ValidatingAdmissionPolicy files with their bindings and parameter
    /// objects (the same files `bulkhead config --cel-policy` reads; repeatable).
    #[arg(long, value_name = "FILE")]
    pub cel_policy: Vec<PathBuf>,
    /// Never evaluate requests in this namespace (repeatable; exact name).
    #[arg(long, value_name = "NAMESPACE")]
    pub exempt_namespace: Vec<String>,
    /// Never evaluate requests by this user (repeatable; exact name).
    #[arg(long, value_name = "USERNAME")]
    pub exempt_user: Vec<String>,
    /// Never evaluate pods of this runtime class (repeatable; exact name).
    #[arg(long, value_name = "RUNTIMECLASS")]
    pub exempt_runtime_class: Vec<String>,
}

#[derive(Args, Debug)]
pub struct AdmissionServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    pub listen: String,
    /// Serving certificate chain (PEM); re-read when it changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// The certificate's private key (PEM); re-read when it changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    #[command(flatten)]
    pub policy: AdmissionPolicyArgs,
}

#[derive(Args, Debug)]
pub struct AdmissionReviewArgs {
    /// The AdmissionReview v1 request (JSON), or `-` for standard input.
    pub file: PathBuf,
    /// Exit with this code when the request is denied.
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// Answer as `/mutate` does (the JSONPatch of secure defaults) instead of `/validate`.
    #[arg(long)]
    pub mutate: bool,
    #[command(flatten)]
    pub policy: AdmissionPolicyArgs,
}

#[derive(Subcommand, Debug)]
pub enum DbAction {
    /// Import advisories into the database: OSV records (directories, JSON/YAML files, OSV all.zip
    /// archives) and the Debian security tracker's DSA/DLA lists (files named DSA-list, DLA-list, list).
    Import {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// What to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Download OSV all.zip archives from a mirror (conditional GET) and import them atomically:
    /// the database is replaced only when every download and import succeeded.
    Update {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// Mirror laid out like the OSV bucket: <mirror>/<ecosystem>/all.zip.
        #[arg(long, default_value = bulkhead_advisories::update::DEFAULT_MIRROR)]
        mirror: String,
        /// Ecosystem to update, as named in the OSV bucket (repeatable; default: Debian, Ubuntu,
        /// Alpine, PyPI, Go, npm, Maven, crates.io, RubyGems, NuGet, Packagist, AlmaLinux, Rocky Linux).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystem: Vec<String>,
    },
    /// Show what the database holds: ecosystems, record counts, build time.
    Info {
        /// Database file (default: $BULKHEAD_DB, else $XDG_CACHE_HOME/bulkhead/db/bulkhead.db).
        #[arg(long, env = "BULKHEAD_DB")]
        db: Option<PathBuf>,
        /// Output format.
        #[arg(short, long, default_value = "table", value_parser = format_parser(&[Format::Table, Format::Json]))]
        format: Format,
    },
}

/// A rules source (the `source:` of a rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesSource {
    /// System calls (.scap captures, Bulkhead captures, the live sensor).
    #[value(name = "syscall")]
    Syscall,
    /// Kubernetes audit events.
    #[value(name = "k8s_audit")]
    K8sAudit,
}

impl RulesSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RulesSource::Syscall => "syscall",
            RulesSource::K8sAudit => "k8s_audit",
        }
    }
}

/// `bulkhead runtime`: a subcommand, or Falco's own flags (`-V`, `-L`, `-l`, `--list`,
/// `--list-events`) used as with `falco`. `-V` validates here (it is not `--version`).
#[derive(Args, Debug)]
#[command(disable_version_flag = true, arg_required_else_help = true)]
pub struct RuntimeArgs {
    #[command(subcommand)]
    pub action: Option<RuntimeAction>,
    /// Falco's -V: load these rules files in order, print the errors and warnings as Falco does
    /// and exit (repeatable; the same as `runtime validate`).
    #[arg(short = 'V', long = "validate", value_name = "RULES")]
    pub validate: Vec<PathBuf>,
    /// Falco's -L: print the name and description of every rule of the rules files (-r, else the
    /// configuration's rules_files) and exit; JSON with `-o json_output=true`.
    #[arg(short = 'L')]
    pub list_rules: bool,
    /// Falco's -l RULE: print the name and description of one rule and exit.
    #[arg(short = 'l', value_name = "RULE")]
    pub describe_rule: Option<String>,
    /// Falco's --list [SOURCE]: the fields rules can use (as `runtime fields`).
    #[arg(long = "list", value_name = "SOURCE", num_args = 0..=1)]
    pub list_fields: Option<Option<RulesSource>>,
    /// Falco's --list-events: the syscall and meta events Bulkhead knows, with their parameters.
    #[arg(long = "list-events", visible_alias = "list-syscall-events")]
    pub list_events: bool,
    /// Rules files or directories for -L/-l (repeatable).
    #[arg(short = 'r', value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Falco configuration file, for -L/-l/-V (rules_files, json_output).
    #[arg(short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Falco configuration options as key=value, for -L/-l/-V.
    #[arg(short = 'o', value_name = "KEY=VALUE")]
    pub options: Vec<String>,
}

// Parsed once per run: the size of the replay variant (its flags) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
#[command(disable_version_flag = true)]
pub enum RuntimeAction {
    /// Load Falco rules files (in order, as `falco -V a.yaml -V b.yaml`) and print the errors and
    /// warnings as Falco does; exits 0 when every file loads without error.
    Validate {
        /// Rules files (YAML), loaded in this order.
        #[arg(required = true)]
        rules: Vec<std::path::PathBuf>,
        /// Print Falco's JSON (`{"falco_load_results": [...]}`) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replay a capture through Falco rules and print the alerts as Falco does: a .scap capture
    /// (gzip or plain) through the syscall rules, a Bulkhead capture (its own JSON Lines format),
    /// or Kubernetes audit events (one event, an EventList, a JSON array or JSON lines) through the
    /// k8s_audit rules. `-q` leaves out the drop monitor's summary.
    Replay {
        /// Rules files or directories, loaded in order (repeatable; default: the configuration's
        /// rules_files).
        #[arg(short = 'r', long = "rules")]
        rules: Vec<std::path::PathBuf>,
        /// The capture to replay: a regular file, or `-` for standard input (a FIFO or a device
        /// path is refused). Its kind is told from its first bytes.
        #[arg(short = 'e', long = "capture")]
        capture: std::path::PathBuf,
        /// Largest capture read, in MiB (after gzip decompression: a decompression bomb stops
        /// here, whatever its ratio); a larger one ends the replay with an error.
        #[arg(long, default_value_t = 8192, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576), env = "BULKHEAD_MAX_CAPTURE_SIZE")]
        max_capture_size: u64,
        /// Largest single record, in MiB: one Kubernetes audit event (or EventList), one line of
        /// a Bulkhead capture (the k8saudit plugin's maxEventSize bounds the same thing).
        #[arg(long, default_value_t = 16, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=4096), env = "BULKHEAD_MAX_EVENT_SIZE")]
        max_event_size: u64,
        /// Most memory the replay's process and fd state may take, in MiB; a capture that
        /// describes more (or larger) processes than that ends the replay with an error.
        #[arg(long, default_value_t = 512, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576), env = "BULKHEAD_MAX_STATE_SIZE")]
        max_state_size: u64,
        /// Falco configuration file (falco.yaml): outputs, priority, rule_matching, logging,
        /// syscall_event_drops. Without it, the defaults of the falco.yaml Falco ships. Keys Bulkhead
        /// does not implement (grpc_output, webserver, metrics, …) are
        /// reported on stderr.
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// Falco configuration options as key=value (dotted keys), applied over the file:
        /// json_output, json_include_output_property, json_include_tags_property,
        /// time_format_iso_8601, priority, rule_matching, stdout_output.enabled, log_stderr,
        /// log_level, syscall_event_drops.*.
        #[arg(short = 'o', value_name = "KEY=VALUE")]
        options: Vec<String>,
        /// Only run rules with this tag (repeatable).
        #[arg(short = 't', value_name = "TAG")]
        tags: Vec<String>,
        /// Disable rules with this tag (repeatable).
        #[arg(short = 'T', value_name = "TAG")]
        disable_tags: Vec<String>,
        /// Disable rules whose name contains this text (repeatable).
        #[arg(short = 'D', value_name = "RULE")]
        disable_rules: Vec<String>,
        /// Enable only these sources' rules (repeatable; default: every source).
        #[arg(long = "enable-source", value_name = "SOURCE")]
        enable_source: Vec<RulesSource>,
        /// Disable a source (repeatable).
        #[arg(long = "disable-source", value_name = "SOURCE")]
        disable_source: Vec<RulesSource>,
        /// Accepted for compatibility with Falco's command line (all events are evaluated).
        #[arg(short = 'A')]
        all_events: bool,
        /// Replay old `.scap` captures through libscap's newer event converter (enter events of
        /// converted syscalls merged into their exits, as current Falco reads them) instead of as
        /// stored (Falco 0.34.1, which the regression expectations match).
        #[arg(long)]
        convert_old_events: bool,
        /// Extra output appended to every syscall rule's output, as Falco's `-p`: a format string
        /// (`-p "user=%user.name"`), or `c`/`container` (container id, image, tag, name),
        /// `k`/`kubernetes` (the same plus namespace and pod name).
        #[arg(short = 'p', long = "print", value_name = "FORMAT")]
        print: Option<String>,
    },
    /// Watch this machine's kernel live (eBPF sensor; root or CAP_BPF+CAP_PERFMON) and print
    /// alerts as Falco does: the processes and files that predate it come from /proc, container
    /// metadata from the podman/docker API socket. Runs until SIGINT/SIGTERM, or for -M seconds.
    Monitor {
        /// Rules files or directories, loaded in order (repeatable; default: the configuration's
        /// rules_files).
        #[arg(short = 'r', long = "rules")]
        rules: Vec<std::path::PathBuf>,
        /// Falco configuration file (falco.yaml), as for `replay`.
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// Falco configuration options as key=value, as for `replay`.
        #[arg(short = 'o', value_name = "KEY=VALUE")]
        options: Vec<String>,
        /// Stop after this many seconds (Falco's -M).
        #[arg(short = 'M', value_name = "SECONDS")]
        duration: Option<u64>,
        /// Bytes of each I/O buffer (`read`/`write`/`sendto`/`recvfrom` data, `evt.buffer`)
        /// captured, as Falco's `-S` (default 80, at most 4095).
        #[arg(short = 'S', long = "snaplen", value_name = "LEN", value_parser = clap::value_parser!(u32).range(0..=4095))]
        snaplen: Option<u32>,
        /// Only run rules with this tag (repeatable).
        #[arg(short = 't', value_name = "TAG")]
        tags: Vec<String>,
        /// Disable rules with this tag (repeatable).
        #[arg(short = 'T', value_name = "TAG")]
        disable_tags: Vec<String>,
        /// Disable rules whose name contains this text (repeatable).
        #[arg(short = 'D', value_name = "RULE")]
        disable_rules: Vec<String>,
        /// Accepted for compatibility with Falco's command line.
        #[arg(short = 'A')]
        all_events: bool,
        /// Extra output appended to every syscall rule's output, as Falco's `-p` (see `replay`).
        #[arg(short = 'p', long = "print", value_name = "FORMAT")]
        print: Option<String>,
        /// The container engine API socket to ask for container metadata (default: podman's,
        /// then docker's, those that exist).
        #[arg(long = "container-socket", value_name = "PATH")]
        container_socket: Vec<std::path::PathBuf>,
        /// A CRI runtime socket (containerd, CRI-O) to ask for container and pod metadata, as
        /// Falco's `--cri` (default: /run/containerd/containerd.sock, /run/crio/crio.sock,
        /// those that exist). With --container-socket or --cri, only the sockets given are used.
        #[arg(long = "cri", value_name = "PATH")]
        cri: Vec<std::path::PathBuf>,
        /// Record every event, as the rules saw it, in Bulkhead's capture format: `runtime
        /// replay -e FILE` then gives the same alerts (written when the monitor stops).
        #[arg(long = "capture", value_name = "FILE")]
        capture: Option<std::path::PathBuf>,
    },
    /// List the fields rules can use: name, type, source, whether Bulkhead extracts it (and why
    /// not), description.
    Fields {
        /// Only fields of this source.
        #[arg(long)]
        source: Option<RulesSource>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Convert a .scap capture into Bulkhead's own capture format (JSON Lines; see docs/runtime.md).
    Convert {
        /// The .scap capture.
        #[arg(short = 'e', long = "capture")]
        capture: std::path::PathBuf,
        /// Where to write the Bulkhead capture (written atomically).
        #[arg(short = 'o', long = "output")]
        output: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Remove every cached layer.
    Clean {
        /// Cache directory (default: $XDG_CACHE_HOME/bulkhead).
        #[arg(long, env = "BULKHEAD_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
    },
}

/// Options of `bulkhead config`.
#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// Files or directories (recursed: Dockerfile, Dockerfile.*, *.dockerfile, Containerfile*,
    /// *.yaml, *.yml, *.json; a named file with another name is judged by its content); `-` reads
    /// stdin (a manifest, or a Dockerfile with --stdin-dockerfile). A file that cannot be read or
    /// parsed is a BH-PARSE finding (HIGH); an image archive or other binary is refused.
    #[arg(required_unless_present = "list_rules")]
    pub paths: Vec<String>,
    /// Print every rule (ID, severity, title, fix, aliases) as a Markdown table and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// Settings file (ignored rule IDs, severity overrides, trusted registries, failure threshold;
    /// hadolint's .hadolint.yaml keys are accepted). Default: the first of .bulkhead.yaml,
    /// .bulkhead.yml, .hadolint.yaml, .hadolint.yml in the working directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Treat stdin as a Dockerfile instead of a Kubernetes manifest.
    #[arg(long)]
    pub stdin_dockerfile: bool,
    /// Pod Security Standards policy: LEVEL[:VERSION], LEVEL one of privileged, baseline, restricted;
    /// VERSION v1.N or latest.
    #[arg(long, value_name = "LEVEL[:VERSION]", default_value = "restricted:latest",
          value_parser = clap::value_parser!(bulkhead_config::pss::Policy))]
    pub pss: bulkhead_config::pss::Policy,
    /// Only the Pod Security Standards checks (no BH-K8S best-practice rules).
    #[arg(long)]
    pub pss_only: bool,
    /// Custom policies in CEL: a file of ValidatingAdmissionPolicy objects (with their bindings
    /// and parameter objects), judged on every manifest object as the admission webhook judges
    /// requests (repeatable). Findings `VAP-<policy>`.
    #[arg(long, value_name = "FILE")]
    pub cel_policy: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, default_value = "table", env = "BULKHEAD_FORMAT",
          value_parser = format_parser(&[Format::Table, Format::Json, Format::Sarif, Format::Junit]))]
    pub format: Format,
    /// Write the report to FILE instead of stdout (written atomically; `-` is stdout).
    #[arg(short, long, value_name = "FILE", env = "BULKHEAD_OUTPUT")]
    pub output: Option<std::path::PathBuf>,
    /// Report only these severities (comma-separated). Input errors (BH-PARSE) are always reported.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        ignore_case = true,
        env = "BULKHEAD_SEVERITY"
    )]
    pub severity: Vec<bulkhead_core::Severity>,
    /// Exit with this code when findings are reported (after --severity; only findings at or
    /// above the settings' failure-threshold count, when it sets one; a BH-PARSE finding always
    /// counts).
    #[arg(long, default_value_t = 0, env = "BULKHEAD_EXIT_CODE")]
    pub exit_code: u8,
    /// Directories to leave out of the directories walked (glob relative to each, repeatable or
    /// comma-separated; `**` crosses `/`).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "GLOB",
        env = "BULKHEAD_SKIP_DIRS"
    )]
    pub skip_dirs: Vec<String>,
    /// Files to leave out of the directories walked (glob, repeatable or comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "GLOB",
        env = "BULKHEAD_SKIP_FILES"
    )]
    pub skip_files: Vec<String>,
    /// Largest file (or standard input) read, in MiB; a larger one is a BH-PARSE finding, not
    /// read.
    #[arg(long, default_value_t = 32, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=4096), env = "BULKHEAD_MAX_FILE_SIZE")]
    pub max_file_size: u64,
    /// Most YAML nodes (scalars, sequences, mappings, alias expansions included) in one document;
    /// a document over it is a BH-PARSE finding and the file's other documents are still checked.
    #[arg(long, default_value_t = 500_000, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000_000), env = "BULKHEAD_MAX_YAML_NODES")]
    pub max_yaml_nodes: usize,
    /// Most findings one file may give; past it a BH-PARSE finding says from which line nothing
    /// more is reported.
    #[arg(long, default_value_t = 10_000, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000_000), env = "BULKHEAD_MAX_FINDINGS_PER_FILE")]
    pub max_findings_per_file: usize,
}

/// `bulkhead sbom IMAGE` (write an SBOM) or `bulkhead sbom scan FILE` (read one). An image that is
/// literally named `scan` is written `./scan`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SbomArgs {
    #[command(subcommand)]
    pub action: Option<SbomAction>,
    #[command(flatten)]
    pub write: Option<ScanArgs>,
}

#[derive(Subcommand, Debug)]
pub enum SbomAction {
    /// Match the packages of an SBOM — CycloneDX 1.2–1.6 or SPDX 2.x JSON, made by Bulkhead, Trivy
    /// or Syft — against the advisory database, as if the image it describes were scanned.
    Scan(SbomScanArgs),
}

/// Options of `bulkhead sbom scan`.
#[derive(Args, Debug)]
pub struct SbomScanArgs {
    /// The SBOM (a JSON file).
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, env = "BULKHEAD_FORMAT", default_value = "table", value_parser = format_parser(&[Format::Table, Format::Json, Format::Sarif, Format::CycloneDx]))]
    pub format: Format,
    /// Write the report to FILE (atomically, with the umask's permissions); `-` is stdout.
    #[arg(short, long, value_name = "FILE", env = "BULKHEAD_OUTPUT")]
    pub output: Option<PathBuf>,
    /// Advisory database (default: the default database; an error when there is none).
    #[arg(long, env = "BULKHEAD_DB")]
    pub db: Option<PathBuf>,
    /// Report only these severities (comma-separated, any case).
    #[arg(
        long,
        value_delimiter = ',',
        ignore_case = true,
        env = "BULKHEAD_SEVERITY"
    )]
    pub severity: Vec<Severity>,
    /// Hide vulnerabilities that have no fixed version.
    #[arg(long, env = "BULKHEAD_IGNORE_UNFIXED")]
    pub ignore_unfixed: bool,
    /// Ignore file of accepted risks (as for `image`).
    #[arg(long, value_name = "FILE", env = "BULKHEAD_IGNOREFILE")]
    pub ignorefile: Option<PathBuf>,
    /// VEX documents (OpenVEX or CycloneDX VEX).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Exit with this code when findings are reported.
    #[arg(long, default_value_t = 0, env = "BULKHEAD_EXIT_CODE")]
    pub exit_code: u8,
    /// List every package in the table, not only the vulnerable ones.
    #[arg(long, env = "BULKHEAD_LIST_ALL_PKGS")]
    pub list_all_pkgs: bool,
    /// Custom secret rules and allow rules (Trivy's trivy-secret.yaml shape), for `--scanners
    /// secret`.
    #[arg(long, value_name = "FILE", env = "BULKHEAD_SECRET_CONFIG")]
    pub secret_config: Option<PathBuf>,
    /// Which packages to match (comma-separated; default both).
    #[arg(long, value_delimiter = ',', env = "BULKHEAD_PKG_TYPES")]
    pub pkg_types: Vec<PkgTypeArg>,
}

/// Options shared by image, fs and sbom. Every flag also reads `BULKHEAD_<FLAG>` (upper case,
/// `-` as `_`), as Trivy's `TRIVY_<FLAG>`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// What to scan: docker-archive or oci-archive tar, OCI layout dir (dir[:tag|@digest]), root
    /// filesystem dir, registry://host/repo:tag (or a plain reference), or podman://name:tag.
    pub target: String,
    /// Output format (sbom defaults to cyclonedx, the others to table).
    #[arg(short, long, env = "BULKHEAD_FORMAT", value_parser = format_parser(&[Format::Table, Format::Json, Format::Sarif, Format::CycloneDx, Format::SpdxJson]))]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically, with the umask's permissions); `-` is stdout.
    #[arg(short, long, value_name = "FILE", env = "BULKHEAD_OUTPUT")]
    pub output: Option<PathBuf>,
    /// What to look for (comma-separated). Default: vulnerabilities when an advisory database is
    /// available (an error when a vulnerability option asks for them and none is), else the
    /// inventory only; `sbom` defaults to `none`.
    #[arg(long, value_delimiter = ',', env = "BULKHEAD_SCANNERS")]
    pub scanners: Vec<Scanner>,
    /// List every package in the table, not only the vulnerable ones.
    #[arg(long, env = "BULKHEAD_LIST_ALL_PKGS")]
    pub list_all_pkgs: bool,
    /// Custom secret rules and allow rules (Trivy's trivy-secret.yaml shape), for `--scanners
    /// secret`.
    #[arg(long, value_name = "FILE", env = "BULKHEAD_SECRET_CONFIG")]
    pub secret_config: Option<PathBuf>,
    /// Layer cache directory (default: $XDG_CACHE_HOME/bulkhead).
    #[arg(long, env = "BULKHEAD_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long, env = "BULKHEAD_NO_CACHE")]
    pub no_cache: bool,
    /// Largest size of the layer cache, in MiB; least recently used layers are evicted past it.
    #[arg(
        long,
        default_value_t = 2048,
        value_name = "MIB",
        env = "BULKHEAD_CACHE_MAX_MIB"
    )]
    pub cache_max_mib: u64,
    /// Platform of the image: os/arch[/variant] (default: this machine's for multi-platform
    /// images; an image of another platform is an error).
    #[arg(long, env = "BULKHEAD_PLATFORM", value_parser = parse_platform)]
    pub platform: Option<bulkhead_image::source::Platform>,
    /// Registry user name (else docker/podman auth files).
    #[arg(long, env = "BULKHEAD_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "BULKHEAD_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Allow plain HTTP and unverified TLS to the registry.
    #[arg(long, env = "BULKHEAD_INSECURE")]
    pub insecure: bool,
    /// PEM file of CA certificates to trust for the registry (verification stays on).
    #[arg(long, value_name = "PEM", env = "BULKHEAD_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Podman API socket for podman:// images (default: $CONTAINER_HOST, /run/podman/podman.sock).
    #[arg(long, value_name = "PATH", env = "BULKHEAD_PODMAN_SOCKET")]
    pub podman_socket: Option<PathBuf>,
    /// Deadline for reading an image from a registry or the podman socket, as Trivy's `--timeout`
    /// (e.g. 30s, 5m): past it the scan fails with an error (a single stalled operation fails
    /// sooner, after 30 s to connect, 120 s for a response, 300 s without data).
    #[arg(long, default_value = "5m", value_parser = parse_duration, env = "BULKHEAD_TIMEOUT")]
    pub timeout: std::time::Duration,
    /// Most uncompressed bytes the image's layers may hold together, in MiB (a decompression
    /// bomb ends here; a legitimate image of more can raise it).
    #[arg(long, value_name = "MIB", default_value_t = 128 << 10, env = "BULKHEAD_MAX_IMAGE_SIZE")]
    pub max_image_size: u64,
    /// Most layers an image may have (an image of more is refused, not read for minutes).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        env = "BULKHEAD_MAX_LAYERS"
    )]
    pub max_layers: usize,
    /// Directories to leave out (glob, repeatable or comma-separated; `**` crosses `/`).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "GLOB",
        env = "BULKHEAD_SKIP_DIRS"
    )]
    pub skip_dirs: Vec<String>,
    /// Files to leave out (glob, repeatable or comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "GLOB",
        env = "BULKHEAD_SKIP_FILES"
    )]
    pub skip_files: Vec<String>,
    /// Report development-only dependencies of lockfiles too (`dev` in package-lock.json), as
    /// Trivy's flag of that name.
    #[arg(long, env = "BULKHEAD_INCLUDE_DEV_DEPS")]
    pub include_dev_deps: bool,
    /// Which packages to report and match (comma-separated; default both), as Trivy's flag.
    #[arg(long, value_delimiter = ',', env = "BULKHEAD_PKG_TYPES")]
    pub pkg_types: Vec<PkgTypeArg>,
    /// Advisory database to match packages against (default: the default database when it exists).
    #[arg(long, env = "BULKHEAD_DB")]
    pub db: Option<PathBuf>,
    /// Report only these severities (comma-separated, any case).
    #[arg(
        long,
        value_delimiter = ',',
        ignore_case = true,
        env = "BULKHEAD_SEVERITY"
    )]
    pub severity: Vec<Severity>,
    /// Hide vulnerabilities that have no fixed version.
    #[arg(long, env = "BULKHEAD_IGNORE_UNFIXED")]
    pub ignore_unfixed: bool,
    /// Ignore file of accepted risks: Bulkhead's YAML, Trivy's .trivyignore or .trivyignore.yaml
    /// (default: .bulkheadignore, else .trivyignore, in the working directory).
    #[arg(long, value_name = "FILE", env = "BULKHEAD_IGNOREFILE")]
    pub ignorefile: Option<PathBuf>,
    /// Record this scan (inventory and findings) by image digest in this scan store (SQLite).
    #[arg(long, value_name = "FILE", env = "BULKHEAD_STORE")]
    pub store: Option<PathBuf>,
    /// VEX documents (OpenVEX or CycloneDX VEX); `not_affected`/`fixed` statements suppress findings.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Exit with this code when findings are reported (after --severity/--ignore-unfixed).
    #[arg(long, default_value_t = 0, env = "BULKHEAD_EXIT_CODE")]
    pub exit_code: u8,
    /// Where IMAGE lives when it is a bare name.
    #[arg(long, default_value = "auto", env = "BULKHEAD_IMAGE_SRC")]
    pub image_src: ImageSrc,
}

fn parse_platform(s: &str) -> Result<bulkhead_image::source::Platform, String> {
    bulkhead_image::source::Platform::parse(s).map_err(|e| e.to_string())
}
