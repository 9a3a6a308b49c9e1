import QuotaCore

extension VirtualMachineInstance {
    /// The resources a migration of this VMI needs in its namespace's quota.
    static let charged: [(kubernetes: String, quota: String)] = [("cpu", "limits.cpu"), ("memory", "limits.memory")]

    /// The pool of this VMI in a cluster: `<cluster>/<metadata.namespace>`.
    /// - Throws: ``ManifestError/missingField(object:field:)`` when metadata.namespace is absent.
    public func pool(cluster: String) throws(ManifestError) -> String {
        guard let namespace, !namespace.isEmpty else {
            throw .missingField(object: "VirtualMachineInstance \(name)", field: "metadata.namespace")
        }
        return "\(cluster)/\(namespace)"
    }

    /// Plans the reservation for this VMI's migration.
    ///
    /// The amounts are spec.domain.resources.limits as `limits.cpu` and `limits.memory`, with
    /// `memoryOverhead` added to memory (the virt-launcher pod's overhead). Where a limit is
    /// missing, the request of that resource is used and a notice says so. The result is
    /// restricted to the resources `base` names, as Harvester's migration controller only raises
    /// what the ResourceQuota limits; with an empty `base` all are kept.
    /// - Parameters:
    ///   - cluster: the cluster, the pool's first segment.
    ///   - base: the pool's base (the ResourceQuota's hard limits); empty when it has none.
    ///   - memoryOverhead: bytes added to limits.memory; zero for none.
    /// - Returns: the lease, pool, vmName label and resources.
    /// - Throws: ``ManifestError/missingUID(vmName:)`` when metadata.uid is absent (never replaced by
    ///   spec.domain.firmware.uuid); ``ManifestError/missingField(object:field:)`` for no namespace
    ///   or neither limits nor requests; ``ManifestError/nothingToReserve(vmName:pool:resources:base:)``
    ///   when the base limits none of them; ``ManifestError/invalidField(object:field:value:reason:)``
    ///   when the sum overflows.
    public func reservation(cluster: String, base: ResourceList, memoryOverhead: Quantity = .zero) throws(ManifestError) -> Reservation {
        guard let uid, !uid.isEmpty else { throw .missingUID(vmName: name) }
        let pool = try pool(cluster: cluster)
        var resources = ResourceList()
        var notices: [String] = []
        for (kubernetesName, quotaName) in Self.charged {
            let amount: Quantity
            if let limit = limits[kubernetesName] {
                amount = limit
            } else if let request = requests[kubernetesName] {
                amount = request
                notices.append("VirtualMachineInstance \(name) has no limits.\(kubernetesName); using its requests.\(kubernetesName) (\(request)) for \(quotaName)")
            } else {
                continue
            }
            resources[ResourceName(quota: quotaName)] = amount
        }
        if !memoryOverhead.isZero {
            let memory = ResourceName(quota: "limits.memory")
            do {
                resources[memory] = try (resources[memory] ?? .zero).adding(memoryOverhead)
            } catch {
                throw .invalidField(object: "VirtualMachineInstance \(name)", field: "spec.domain.resources.limits.memory",
                                    value: "\(resources[memory] ?? .zero)", reason: "plus the overhead \(memoryOverhead): \(error)")
            }
        }
        guard !resources.isEmpty else {
            throw .missingField(object: "VirtualMachineInstance \(name)", field: "spec.domain.resources.limits (or requests) cpu or memory")
        }
        if !base.isEmpty {
            let kept = resources.restricted(to: base.amounts.keys)
            let dropped = resources.sorted.map(\.name).filter { kept[$0] == nil }
            guard !kept.isEmpty else {
                throw .nothingToReserve(vmName: name, pool: pool, resources: resources.sorted.map(\.name.rawValue),
                                        base: base.sorted.map(\.name.rawValue))
            }
            for resource in dropped {
                notices.append("pool \(pool) has no \(resource) in its base; \(resource) is not reserved")
            }
            resources = kept
        }
        return Reservation(lease: uid, pool: pool, vmName: name, resources: resources, notices: notices)
    }
}

extension ResourceName {
    /// One of the fixed quota names above, known to be valid.
    init(quota name: String) {
        // The names in `charged` are valid resource names; a failure here is a programming error.
        do { self = try ResourceName(name) } catch { preconditionFailure("\(name): \(error)") }
    }
}
