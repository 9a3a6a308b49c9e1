/// Rancher's names for quota resources (rancher/rancher `ResourceQuotaLimit`, management.cattle.io/v3)
/// and the Kubernetes ResourceQuota names they stand for.
public enum RancherResourceName {
    /// Rancher's JSON field name → Kubernetes resource name.
    static let mapping: [String: String] = [
        "limitsCpu": "limits.cpu",
        "limitsMemory": "limits.memory",
        "requestsCpu": "requests.cpu",
        "requestsMemory": "requests.memory",
        "requestsStorage": "requests.storage",
        "pods": "pods",
        "services": "services",
        "servicesLoadBalancers": "services.loadbalancers",
        "servicesNodePorts": "services.nodeports",
        "replicationControllers": "replicationcontrollers",
        "secrets": "secrets",
        "configMaps": "configmaps",
        "persistentVolumeClaims": "persistentvolumeclaims",
    ]

    /// Rancher's names, sorted.
    public static var known: [String] { mapping.keys.sorted() }

    /// The Kubernetes name of a Rancher name (`limitsCpu` → `limits.cpu`), or nil when unknown.
    public static func kubernetesName(_ rancherName: String) -> String? { mapping[rancherName] }
}
