//! Image references as the container runtime reads them (distribution/reference's
//! `ParseNormalizedNamed` then `TagNameOnly`): `nginx`, `nginx:latest`, `docker.io/nginx` and
//! `docker.io/library/nginx:latest` are one image. Wherever names meet (the catalogue, node
//! image lists, pulls, ImageLocality, `imagePullPolicy: Never`'s presence check, faults) kubesim
//! compares this form.

/// Docker Hub, where a reference without a registry lives (`defaultDomain`).
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// Its legacy name, rewritten to the default (`legacyDefaultDomain`).
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// Docker Hub's namespace for official images (`officialRepoPrefix`).
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag a reference without tag or digest gets (`defaultTag`).
pub const DEFAULT_TAG: &str = "latest";

/// The full form of `name`: registry, repository path, then `:tag` (`latest` when neither a tag
/// nor a digest is given) and `@digest` as written.
pub fn normalize(name: &str) -> String {
    let (rest, digest) = match name.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (name, None),
    };
    // A tag is a colon after the last slash (a colon before it is a registry's port).
    let (repo, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    // `splitDockerDomain`: the first component is a registry when it has a dot or a port, or is
    // localhost, or has an uppercase letter.
    let (domain, path) = match repo.split_once('/') {
        Some((first, path))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (if first == LEGACY_DEFAULT_DOMAIN { DEFAULT_DOMAIN } else { first }, path.to_string())
        }
        _ => (DEFAULT_DOMAIN, repo.to_string()),
    };
    let path =
        if domain == DEFAULT_DOMAIN && !path.contains('/') { format!("{OFFICIAL_REPO_PREFIX}{path}") } else { path };
    let mut out = format!("{domain}/{path}");
    match (tag, digest) {
        (Some(t), _) => out.push_str(&format!(":{t}")),
        (None, None) => out.push_str(&format!(":{DEFAULT_TAG}")),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        out.push_str(&format!("@{d}"));
    }
    out
}

/// Whether two references name the same image.
pub fn same(a: &str, b: &str) -> bool {
    a == b || normalize(a) == normalize(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// normalize_test.go `TestParseNormalizedNamed` / `TestNormalizedSplitHostname` vectors,
    /// with `TagNameOnly` applied.
    #[test]
    fn references_normalise_as_the_runtime_reads_them() {
        for (input, want) in [
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:latest", "docker.io/library/nginx:latest"),
            ("docker.io/library/nginx:latest", "docker.io/library/nginx:latest"),
            ("docker.io/nginx", "docker.io/library/nginx:latest"),
            ("index.docker.io/library/nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.27", "docker.io/library/nginx:1.27"),
            ("user/app", "docker.io/user/app:latest"),
            ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("localhost/app:v2", "localhost/app:v2"),
            (
                "gcr.io/google-samples/microservices-demo/frontend:v0.10.3",
                "gcr.io/google-samples/microservices-demo/frontend:v0.10.3",
            ),
            ("nginx@sha256:abcd", "docker.io/library/nginx@sha256:abcd"),
            ("nginx:1.27@sha256:abcd", "docker.io/library/nginx:1.27@sha256:abcd"),
        ] {
            assert_eq!(normalize(input), want, "{input}");
        }
        assert!(same("nginx", "docker.io/library/nginx:latest"));
        assert!(!same("nginx", "nginx:1.27"));
    }
}
