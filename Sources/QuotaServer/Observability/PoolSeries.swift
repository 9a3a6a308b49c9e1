import Prometheus
import QuotaCore

/// The per-pool gauges of one pool: `quota_pool_capacity`, `quota_pool_reserved` and
/// `quota_pool_available` per resource, in base units, and `quota_pool_active_leases`.
struct PoolSeries {
    let pool: PoolPath
    let activeLeases: Gauge
    /// Gauges by resource, for each of the three quantity metrics.
    private var capacity: [ResourceName: Gauge] = [:]
    private var reserved: [ResourceName: Gauge] = [:]
    private var available: [ResourceName: Gauge] = [:]

    static var capacityName: MetricNameDescriptor { MetricNameDescriptor(metricName: "quota_pool_capacity", unitName: "", helpText: "A pool's capacity per resource, in base units (cores, bytes, objects).") }
    static var reservedName: MetricNameDescriptor { MetricNameDescriptor(metricName: "quota_pool_reserved", unitName: "", helpText: "What active leases hold in a pool (descendants included) per resource, in base units.") }
    static var availableName: MetricNameDescriptor { MetricNameDescriptor(metricName: "quota_pool_available", unitName: "", helpText: "Capacity minus reserved per resource, never below zero, in base units.") }
    static var activeLeasesName: MetricNameDescriptor { MetricNameDescriptor(metricName: "quota_pool_active_leases", unitName: "", helpText: "Active leases charged to a pool, descendants' included.") }

    init(pool: PoolPath, registry: PrometheusCollectorRegistry) {
        self.pool = pool
        activeLeases = registry.makeGauge(descriptor: Self.activeLeasesName, labels: [("pool", pool.rawValue)])
    }

    /// Sets every gauge from the pool's view; resources no longer in the view lose their series.
    mutating func update(_ view: PoolView, registry: PrometheusCollectorRegistry) {
        activeLeases.set(view.activeLeases)
        // reserved has a series (0 when nothing is held) for every limited resource, and for
        // resources held here that capacity does not limit.
        var held = view.reserved
        for resource in view.capacity.amounts.keys where held[resource] == nil { held[resource] = .zero }
        Self.sync(&capacity, view.capacity, Self.capacityName, pool, registry)
        Self.sync(&reserved, held, Self.reservedName, pool, registry)
        Self.sync(&available, view.available, Self.availableName, pool, registry)
    }

    /// Unregisters every gauge of the pool.
    func unregister(from registry: PrometheusCollectorRegistry) {
        registry.unregisterGauge(activeLeases)
        for gauge in capacity.values { registry.unregisterGauge(gauge) }
        for gauge in reserved.values { registry.unregisterGauge(gauge) }
        for gauge in available.values { registry.unregisterGauge(gauge) }
    }

    private static func sync(
        _ gauges: inout [ResourceName: Gauge], _ list: ResourceList, _ name: MetricNameDescriptor, _ pool: PoolPath,
        _ registry: PrometheusCollectorRegistry
    ) {
        for (resource, gauge) in gauges where list[resource] == nil {
            registry.unregisterGauge(gauge)
            gauges[resource] = nil
        }
        for (resource, quantity) in list.amounts {
            let gauge = gauges[resource] ?? registry.makeGauge(descriptor: name, labels: [("pool", pool.rawValue), ("resource", resource.rawValue)])
            gauges[resource] = gauge
            gauge.set(quantity.baseUnits)
        }
    }
}

extension Quantity {
    /// The value in base units (cores, bytes, objects) as a `Double`, for exposition only: the
    /// ledger itself never leaves the exact nano-unit count.
    var baseUnits: Double {
        let (whole, fraction) = nanoUnits.quotientAndRemainder(dividingBy: Quantity.nanoUnitsPerUnit)
        return Double(whole) + Double(fraction) / 1e9
    }
}
