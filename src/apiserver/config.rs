//! The API server's store of the objects that gate pods: Namespaces, ServiceAccounts,
//! ConfigMaps and Secrets, and the ServiceAccount admission check of a pod create.

use crate::api::{ConfigKind, ConfigObject};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The namespaces every cluster has (the API server creates them at start).
pub const BUILTIN_NAMESPACES: &[&str] = &["default", "kube-node-lease", "kube-public", "kube-system"];

/// The ConfigMap holding the cluster's CA that every namespace gets (`kube-root-ca.crt`).
pub const ROOT_CA_CONFIGMAP: &str = "kube-root-ca.crt";
/// Its `ca.crt`: kubesim has no cluster CA, so a PEM frame that says so.
pub const ROOT_CA_PLACEHOLDER: &str =
    "-----BEGIN CERTIFICATE-----\n(kubesim models no cluster CA)\n-----END CERTIFICATE-----\n";

/// The name every namespace's own ServiceAccount has, created by the serviceaccounts controller.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// Namespaces, ServiceAccounts, ConfigMaps and Secrets, by name. These objects take no
/// resourceVersion and send no watch notifications: the kubelet reads ConfigMaps and Secrets
/// when it (re)tries a mount or a container start, the admission check reads ServiceAccounts.
#[derive(Default, Clone, Debug)]
pub struct GateStore {
    namespaces: BTreeSet<String>,
    /// Per namespace, its ServiceAccounts (looked up without building a key: every pod create
    /// asks).
    service_accounts: BTreeMap<String, BTreeSet<String>>,
    configs: BTreeMap<(ConfigKind, String, String), Arc<ConfigObject>>,
    /// Namespaces being deleted: nothing new may be created in them.
    pub terminating: BTreeSet<String>,
    /// When each object was created (`KIND/NAMESPACE/NAME`), for `get`'s AGE; absent: time 0.
    pub created: BTreeMap<String, crate::sim::SimTime>,
    /// LimitRanges and ResourceQuotas, in creation order.
    pub limit_ranges: Vec<super::admission::LimitRange>,
    pub quotas: Vec<super::admission::ResourceQuota>,
}

impl GateStore {
    /// The store of a fresh cluster: the built-in namespaces and their `default` accounts.
    pub fn new() -> GateStore {
        let mut g = GateStore::default();
        for ns in BUILTIN_NAMESPACES {
            g.add_namespace(ns);
        }
        g
    }

    /// A namespace, with its `default` ServiceAccount (the serviceaccounts controller's first act)
    /// and its `kube-root-ca.crt` ConfigMap (the root CA publisher's).
    pub fn add_namespace(&mut self, ns: &str) {
        self.namespaces.insert(ns.to_string());
        self.add_service_account(ns, DEFAULT_SERVICE_ACCOUNT);
        let ca = crate::api::config::ConfigValue::Text(ROOT_CA_PLACEHOLDER.into());
        let entries = vec![("ca.crt".into(), ca)];
        self.put_config(ConfigObject::new(ConfigKind::ConfigMap, ns.into(), ROOT_CA_CONFIGMAP.into(), None, entries));
    }

    /// The namespaces, sorted.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces.iter().map(String::as_str)
    }

    /// (namespace, name) of every ServiceAccount, sorted.
    pub fn service_accounts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.service_accounts.iter().flat_map(|(ns, names)| names.iter().map(move |n| (ns.as_str(), n.as_str())))
    }

    /// Every ConfigMap and Secret, sorted by kind, namespace, name.
    pub fn configs(&self) -> impl Iterator<Item = &ConfigObject> {
        self.configs.values().map(|c| &**c)
    }

    /// When an object was created (time 0 for the input's own).
    pub fn created_at(&self, kind: &str, ns: &str, name: &str) -> crate::sim::SimTime {
        self.created.get(&format!("{kind}/{ns}/{name}")).copied().unwrap_or_default()
    }

    pub fn has_namespace(&self, ns: &str) -> bool {
        self.namespaces.contains(ns)
    }

    /// `kubectl delete namespace`: Err for the namespaces that may not be deleted. The namespace
    /// turns Terminating; its ConfigMaps, Secrets and ServiceAccounts go (its pods are deleted by
    /// the caller, and the namespace is gone once they are).
    pub fn delete_namespace(&mut self, ns: &str) -> Result<(), String> {
        if matches!(ns, "default" | "kube-system" | "kube-public") {
            return Err(format!("namespaces {ns:?} is forbidden: this namespace may not be deleted"));
        }
        if !self.namespaces.contains(ns) {
            return Err(format!("namespaces {ns:?} not found"));
        }
        self.terminating.insert(ns.to_string());
        self.service_accounts.remove(ns);
        self.configs.retain(|(_, n, _), _| n != ns);
        Ok(())
    }

    /// The refusal of any create in a namespace being deleted (NamespaceLifecycle admission).
    pub fn admit_namespace(&self, ns: &str) -> Result<(), String> {
        if self.terminating.contains(ns) {
            return Err(format!("unable to create new content in namespace {ns} because it is being terminated"));
        }
        Ok(())
    }

    pub fn add_service_account(&mut self, ns: &str, name: &str) {
        self.service_accounts.entry(ns.to_string()).or_default().insert(name.to_string());
    }

    pub fn delete_service_account(&mut self, ns: &str, name: &str) -> bool {
        self.service_accounts.get_mut(ns).is_some_and(|s| s.remove(name))
    }

    pub fn has_service_account(&self, ns: &str, name: &str) -> bool {
        self.service_accounts.get(ns).is_some_and(|s| s.contains(name))
    }

    /// Create or replace a ConfigMap or Secret.
    pub fn put_config(&mut self, o: ConfigObject) {
        self.configs.insert((o.kind, o.namespace.to_string(), o.name.to_string()), Arc::new(o));
    }

    pub fn delete_config(&mut self, kind: ConfigKind, ns: &str, name: &str) -> bool {
        self.configs.remove(&(kind, ns.to_string(), name.to_string())).is_some()
    }

    pub fn config(&self, kind: ConfigKind, ns: &str, name: &str) -> Option<Arc<ConfigObject>> {
        self.configs.get(&(kind, ns.to_string(), name.to_string())).cloned()
    }

    /// The ServiceAccount admission plugin on a pod create: the pod's account (`default` when
    /// unset) must exist. Err: the refusal without the `pods "NAME" is forbidden: ` prefix.
    pub fn admit_service_account(&self, ns: &str, account: Option<&str>) -> Result<(), String> {
        let sa = account.unwrap_or(DEFAULT_SERVICE_ACCOUNT);
        if self.has_service_account(ns, sa) {
            return Ok(());
        }
        Err(format!("error looking up service account {ns}/{sa}: serviceaccount {sa:?} not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_brings_its_default_service_account() {
        let mut g = GateStore::default();
        assert!(g.admit_service_account("shop", None).is_err());
        g.add_namespace("shop");
        assert!(g.admit_service_account("shop", None).is_ok());
        assert_eq!(
            g.admit_service_account("shop", Some("cart")).unwrap_err(),
            "error looking up service account shop/cart: serviceaccount \"cart\" not found"
        );
        g.add_service_account("shop", "cart");
        assert!(g.admit_service_account("shop", Some("cart")).is_ok());
    }

    #[test]
    fn a_deleted_namespace_refuses_new_content_and_default_may_not_be_deleted() {
        let mut g = GateStore::new();
        g.add_namespace("shop");
        g.add_service_account("shop", "cart");
        assert!(g.admit_namespace("shop").is_ok());
        g.delete_namespace("shop").unwrap();
        assert_eq!(
            g.admit_namespace("shop").unwrap_err(),
            "unable to create new content in namespace shop because it is being terminated"
        );
        assert!(!g.has_service_account("shop", "cart"));
        assert!(g.config(ConfigKind::ConfigMap, "shop", ROOT_CA_CONFIGMAP).is_none());
        assert_eq!(
            g.delete_namespace("default").unwrap_err(),
            "namespaces \"default\" is forbidden: this namespace may not be deleted"
        );
        assert_eq!(g.delete_namespace("nowhere").unwrap_err(), "namespaces \"nowhere\" not found");
    }
}
