//! The objects that gate a pod's start without being workloads: ConfigMaps and Secrets (what
//! env, envFrom and volumes read), and the references to them a pod spec holds.

use std::sync::Arc;

/// ConfigMap or Secret: the two kinds of `configMapKeyRef`/`secretKeyRef`, `envFrom` and
/// volume sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigKind {
    ConfigMap,
    Secret,
}

impl ConfigKind {
    /// The resource's singular name, as upstream's NotFound errors say it (`configmap "x" not
    /// found`: `corev1.Resource("configmap")`).
    pub fn resource(self) -> &'static str {
        match self {
            ConfigKind::ConfigMap => "configmap",
            ConfigKind::Secret => "secret",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            ConfigKind::ConfigMap => "ConfigMap",
            ConfigKind::Secret => "Secret",
        }
    }
}

/// A container's reference from `env[].valueFrom` (with its key) or `envFrom[]` (no key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRef {
    pub kind: ConfigKind,
    pub name: Arc<str>,
    pub key: Option<Arc<str>>,
    /// `optional: true`: a missing object or key is skipped.
    pub optional: bool,
}

/// One source of a volume: a `configMap`/`secret` volume, or one of a `projected` volume's
/// sources; `keys` are its `items[].key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeSource {
    pub kind: ConfigKind,
    pub name: Arc<str>,
    pub keys: Vec<Arc<str>>,
    pub optional: bool,
}

/// A pod volume as far as its mount can fail: its name and the objects it reads (none for
/// `emptyDir` and the other sources kubesim mounts at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeSpec {
    pub name: Arc<str>,
    pub sources: Vec<VolumeSource>,
}

/// One value of a ConfigMap or Secret, as written (the simulation reads only the keys; the
/// views print the values as kubectl does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigValue {
    /// A ConfigMap's `data` or a Secret's `stringData`: text.
    Text(Arc<str>),
    /// A ConfigMap's `binaryData` or a Secret's `data`: base64 as written, and its size decoded.
    Base64(Arc<str>, usize),
}

impl ConfigValue {
    /// The size in bytes of the stored value.
    pub fn len(&self) -> usize {
        match self {
            ConfigValue::Text(t) => t.len(),
            ConfigValue::Base64(_, n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A ConfigMap or Secret as the API server holds it: its keys (`data` and `binaryData`, or
/// `data` and `stringData`), sorted, each with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigObject {
    pub kind: ConfigKind,
    pub namespace: Arc<str>,
    pub name: Arc<str>,
    pub keys: Vec<Arc<str>>,
    /// `values[i]` is `keys[i]`'s.
    pub values: Vec<ConfigValue>,
    /// A Secret's `type` (`Opaque` when not given); `None` for a ConfigMap.
    pub secret_type: Option<Arc<str>>,
    /// `metadata.labels`.
    pub labels: super::Labels,
}

impl ConfigObject {
    /// From (key, value) pairs in any order; a key given twice keeps its last value (a Secret's
    /// `stringData` over its `data`, as the API server merges them).
    pub fn new(
        kind: ConfigKind,
        namespace: Arc<str>,
        name: Arc<str>,
        secret_type: Option<Arc<str>>,
        entries: Vec<(Arc<str>, ConfigValue)>,
    ) -> ConfigObject {
        let map: std::collections::BTreeMap<Arc<str>, ConfigValue> = entries.into_iter().collect();
        let (keys, values) = map.into_iter().unzip();
        ConfigObject { kind, namespace, name, keys, values, secret_type, labels: Default::default() }
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.keys.binary_search_by(|k| (**k).cmp(key)).is_ok()
    }
}

/// Why a container's environment cannot be built (`makeEnvironmentVariables`), as the kubelet
/// words it; `None` when every reference resolves or is optional.
pub fn env_error(refs: &[ConfigRef], lookup: impl Fn(ConfigKind, &str) -> Option<Arc<ConfigObject>>) -> Option<String> {
    for r in refs {
        match (lookup(r.kind, &r.name), &r.key) {
            (None, _) if r.optional => {}
            (None, _) => return Some(format!("{} {:?} not found", r.kind.resource(), &*r.name)),
            (Some(o), Some(k)) if !o.has_key(k) && !r.optional => {
                return Some(format!("couldn't find key {k} in {} {}/{}", r.kind.kind(), o.namespace, o.name));
            }
            _ => {}
        }
    }
    None
}

/// Why a volume cannot be set up (the configmap and secret volume plugins' `SetUpAt`), or
/// `None`.
pub fn volume_error(v: &VolumeSpec, lookup: impl Fn(ConfigKind, &str) -> Option<Arc<ConfigObject>>) -> Option<String> {
    for s in &v.sources {
        match lookup(s.kind, &s.name) {
            None if s.optional => {}
            None => return Some(format!("{} {:?} not found", s.kind.resource(), &*s.name)),
            Some(o) => {
                if let Some(k) = s.keys.iter().find(|k| !o.has_key(k))
                    && !s.optional
                {
                    return Some(match s.kind {
                        ConfigKind::ConfigMap => format!("configmap references non-existent config key: {k}"),
                        ConfigKind::Secret => format!("references non-existent secret key: {k}"),
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(keys: &[&str]) -> Arc<ConfigObject> {
        let entries = keys.iter().map(|k| (Arc::from(*k), ConfigValue::Text("".into()))).collect();
        Arc::new(ConfigObject::new(ConfigKind::ConfigMap, "default".into(), "cfg".into(), None, entries))
    }

    #[test]
    fn env_errors_are_worded_as_the_kubelet_words_them() {
        let r = |key: Option<&str>, optional| ConfigRef {
            kind: ConfigKind::ConfigMap,
            name: "cfg".into(),
            key: key.map(Arc::from),
            optional,
        };
        let none = |_: ConfigKind, _: &str| None;
        assert_eq!(env_error(&[r(Some("a"), false)], none).as_deref(), Some("configmap \"cfg\" not found"));
        assert_eq!(env_error(&[r(Some("a"), true)], none), None);
        let some = |_: ConfigKind, _: &str| Some(obj(&["a"]));
        assert_eq!(env_error(&[r(Some("a"), false)], some), None);
        assert_eq!(
            env_error(&[r(Some("b"), false)], some).as_deref(),
            Some("couldn't find key b in ConfigMap default/cfg")
        );
        assert_eq!(env_error(&[r(None, false)], some), None);
    }

    #[test]
    fn volume_errors_name_the_object_or_the_key() {
        let v = |keys: &[&str], optional| VolumeSpec {
            name: "config".into(),
            sources: vec![VolumeSource {
                kind: ConfigKind::ConfigMap,
                name: "cfg".into(),
                keys: keys.iter().map(|k| Arc::from(*k)).collect(),
                optional,
            }],
        };
        let none = |_: ConfigKind, _: &str| None;
        assert_eq!(volume_error(&v(&[], false), none).as_deref(), Some("configmap \"cfg\" not found"));
        assert_eq!(volume_error(&v(&[], true), none), None);
        let some = |_: ConfigKind, _: &str| Some(obj(&["a"]));
        assert_eq!(
            volume_error(&v(&["x"], false), some).as_deref(),
            Some("configmap references non-existent config key: x")
        );
    }
}
