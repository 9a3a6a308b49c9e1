import QuotaCore

/// The status page, `GET /` (issue #7): server-rendered HTML with no external assets and no
/// script, refreshed by the browser every ``refreshSeconds`` seconds.
///
/// Pools are shown as a tree (cluster → namespace → …) with one bar per resource (reserved versus
/// capacity) and, for pools that carry a `base`, one bar of effective versus base. Active leases are
/// listed soonest-expiring first with VM name, holder, pool, resources and time left. Both lists
/// are paginated (``poolsPerPage``, ``leasesPerPage``) and can be narrowed to one subtree with
/// `?pool=`, so the page stays readable with thousands of pools and leases. The query is kept
/// across refreshes: `?pool=c1&pp=2&lp=3`.
struct StatusPage {
    static let refreshSeconds = 5
    static let poolsPerPage = 20
    static let leasesPerPage = 50
    /// Most clusters listed in the index at the top.
    static let maxClustersInIndex = 100

    /// HTML, not cached, and a Content-Security-Policy that allows no script and nothing from
    /// elsewhere: even a missed escape could not run code.
    static let headers: [(name: String, value: String)] = [
        (name: "Content-Type", value: "text/html; charset=utf-8"),
        (name: "Cache-Control", value: "no-store"),
        (name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
        (name: "X-Content-Type-Options", value: "nosniff"),
    ]

    let ledger: Ledger
    let now: Timestamp
    let startedAt: Timestamp
    let isReady: Bool
    let version: String
    /// `?pool=`: the subtree shown, or nil for every pool.
    let filter: PoolPath?
    /// `?pool=` when it is not a valid pool path, to say so.
    let invalidFilter: String?
    /// `?pp=`, 1-based.
    let poolPage: Int
    /// `?lp=`, 1-based.
    let leasePage: Int

    init(query: String?, ledger: Ledger, now: Timestamp, startedAt: Timestamp, isReady: Bool, version: String) {
        self.ledger = ledger
        self.now = now
        self.startedAt = startedAt
        self.isReady = isReady
        self.version = version
        let parameters = HTML.parseQuery(query)
        if let text = parameters["pool"], !text.isEmpty {
            if let path = try? PoolPath(text) {
                filter = path
                invalidFilter = nil
            } else {
                filter = nil
                invalidFilter = text
            }
        } else {
            filter = nil
            invalidFilter = nil
        }
        poolPage = max(1, Int(parameters["pp"] ?? "") ?? 1)
        leasePage = max(1, Int(parameters["lp"] ?? "") ?? 1)
    }

    /// True when `path` is in the subtree shown.
    func isShown(_ path: PoolPath) -> Bool {
        guard let filter else { return true }
        return path == filter || path.rawValue.hasPrefix(filter.rawValue + "/")
    }

    /// The pools shown, in tree order (by path components, so `c1/x` follows `c1`, not `c1-b`).
    var poolsInTreeOrder: [PoolPath] {
        ledger.pools.keys.filter(isShown).sorted { $0.rawValue.split(separator: "/").lexicographicallyPrecedes($1.rawValue.split(separator: "/")) }
    }

    /// The active leases shown, soonest deadline first.
    var leasesShown: [Lease] {
        ledger.leases.values
            .filter { $0.state == .active && isShown($0.pool) }
            .sorted { $0.expiresAt != $1.expiresAt ? $0.expiresAt < $1.expiresAt : $0.id < $1.id }
    }

    /// A link to this page with some parameters changed.
    func link(pool: PoolPath?? = .none, poolPage: Int? = nil, leasePage: Int? = nil) -> String {
        var parts: [String] = []
        let chosenPool: PoolPath? = pool ?? filter
        if let chosenPool { parts.append("pool=" + HTML.queryEscape(chosenPool.rawValue)) }
        let pp = poolPage ?? (pool == nil ? self.poolPage : 1)
        let lp = leasePage ?? (pool == nil ? self.leasePage : 1)
        if pp > 1 { parts.append("pp=\(pp)") }
        if lp > 1 { parts.append("lp=\(lp)") }
        return parts.isEmpty ? "/" : "/?" + parts.joined(separator: "&amp;")
    }

    func render() -> String {
        let pools = poolsInTreeOrder
        let leases = leasesShown
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(Self.refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>quotad status</title>
            <style>\(Self.style)</style></head><body>
            <header><h1>quotad</h1>
            """
        let activeTotal = ledger.leases.values.reduce(0) { $0 + ($1.state == .active ? 1 : 0) }
        html += "<p id=\"summary\"><span class=\"\(isReady ? "ok" : "bad")\" id=\"ready\">\(isReady ? "ready" : "not ready: the store cannot commit")</span>"
        html += " · <span id=\"pool-count\">\(ledger.pools.count) pools</span> · <span id=\"lease-count\">\(activeTotal) active leases</span>"
        html += " · revision \(ledger.revision) · up \(Self.duration(nanoseconds: now.nanosecondsSinceEpoch - startedAt.nanosecondsSinceEpoch)) · version \(HTML.escape(version))"
        html += " · refreshes every \(Self.refreshSeconds) s</p></header>\n"
        html += clusterIndex()
        if let invalidFilter {
            html += "<p class=\"bad\">No such pool path: <code>\(HTML.escape(invalidFilter))</code>. Showing every pool.</p>\n"
        } else if let filter, ledger.pools[filter] == nil, pools.isEmpty {
            html += "<p class=\"bad\">No pool <code>\(HTML.escape(filter.rawValue))</code>.</p>\n"
        }
        html += poolSection(pools)
        html += leaseSection(leases)
        html += "</body></html>\n"
        return html
    }

    /// One link per cluster (first path label) with its pool and lease counts.
    func clusterIndex() -> String {
        var pools: [String: Int] = [:]
        var leases: [String: Int] = [:]
        for path in ledger.pools.keys { pools[Self.cluster(of: path), default: 0] += 1 }
        for lease in ledger.leases.values where lease.state == .active { leases[Self.cluster(of: lease.pool), default: 0] += 1 }
        let clusters = pools.keys.sorted()
        guard !clusters.isEmpty else { return "<p id=\"empty\">No pools yet: create one with <code>setPool</code>.</p>\n" }
        var html = "<nav id=\"clusters\"><b>Clusters</b>: "
        if filter != nil { html += "<a href=\"/\">all</a> · " }
        html += clusters.prefix(Self.maxClustersInIndex).map { name in
            let path = try? PoolPath(name)
            let label = "\(HTML.escape(name)) <small>(\(pools[name] ?? 0) pools, \(leases[name] ?? 0) leases)</small>"
            guard let path else { return label }
            return "<a href=\"\(link(pool: .some(path)))\">\(label)</a>"
        }.joined(separator: " · ")
        if clusters.count > Self.maxClustersInIndex { html += " · and \(clusters.count - Self.maxClustersInIndex) more" }
        return html + "</nav>\n"
    }

    static func cluster(of path: PoolPath) -> String {
        String(path.rawValue.split(separator: "/").first ?? "")
    }

    func poolSection(_ pools: [PoolPath]) -> String {
        let pages = max(1, (pools.count + Self.poolsPerPage - 1) / Self.poolsPerPage)
        let page = min(poolPage, pages)
        let slice = pools.dropFirst((page - 1) * Self.poolsPerPage).prefix(Self.poolsPerPage)
        var html = "<section id=\"pools\"><h2>Pools\(filter.map { " under " + HTML.escape($0.rawValue) } ?? "") <small>(\(pools.count))</small></h2>\n"
        html += pager(page: page, pages: pages, count: pools.count, noun: "pools") { link(poolPage: $0) }
        html += "<table class=\"pools\"><thead><tr><th>pool</th><th>leases</th><th>reserved / capacity</th><th>effective = base + reserved</th></tr></thead><tbody>\n"
        if let first = slice.first, first.depth > 1, page > 1 {
            html += "<tr class=\"context\"><td colspan=\"4\">… continued under \(HTML.escape(first.parent?.rawValue ?? ""))</td></tr>\n"
        }
        for path in slice {
            guard let view = ledger.view(of: path) else { continue }
            html += poolRow(view)
        }
        html += "</tbody></table>\n"
        html += "</section>\n"
        return html
    }

    func poolRow(_ view: PoolView) -> String {
        let depth = view.name.depth
        let name = view.name.rawValue.split(separator: "/").last.map(String.init) ?? view.name.rawValue
        var html = "<tr class=\"pool depth\(min(depth, 4))\" data-pool=\"\(HTML.escape(view.name.rawValue))\">"
        html += "<td class=\"name\" style=\"padding-left:\(0.4 + Double(depth - 1) * 1.4)em\">"
        html += depth > 1 ? "└ " : ""
        html += "<a href=\"\(link(pool: .some(view.name)))\" title=\"\(HTML.escape(view.name.rawValue))\">\(HTML.escape(name))</a>"
        if view.overcommitted { html += " <span class=\"bad\">overcommitted</span>" }
        if !view.labels.isEmpty {
            let labels = view.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            html += "<div class=\"labels\">\(HTML.escape(labels))</div>"
        }
        html += "</td><td class=\"count\">\(view.activeLeases)\(view.maxLeases.map { " / \($0)" } ?? "")</td><td>"
        let resources = Set(view.capacity.amounts.keys).union(view.reserved.amounts.keys).sorted()
        for resource in resources {
            let reserved = view.reserved[resource] ?? .zero
            if let capacity = view.capacity[resource] {
                html += Self.bar(resource: resource.rawValue, used: reserved, of: capacity, text: "\(reserved) / \(capacity)")
            } else {
                html += "<div class=\"row\"><span class=\"res\">\(HTML.escape(resource.rawValue))</span> \(reserved) <small>(no limit here)</small></div>"
            }
        }
        html += "</td><td>"
        if let base = view.base, let effective = view.effective {
            for (resource, hard) in base.sorted {
                let raised = effective[resource] ?? hard
                html += Self.bar(resource: resource.rawValue, used: hard, of: raised, text: "\(raised) = \(hard) + \(view.reserved[resource] ?? .zero)", kind: "base")
            }
        } else {
            html += "<small>no base</small>"
        }
        html += "</td></tr>\n"
        return html
    }

    /// A labelled bar: `used` of `total` filled. Over 100 % is shown full and red.
    static func bar(resource: String, used: Quantity, of total: Quantity, text: String, kind: String = "reserved") -> String {
        let ratio = total.isZero ? (used.isZero ? 0 : 2) : used.baseUnits / total.baseUnits
        let percent = max(0, min(100, ratio * 100))
        let state = ratio > 1 ? "over" : ratio >= 0.9 ? "high" : "fine"
        let width = (percent * 10).rounded() / 10
        return "<div class=\"row\"><span class=\"res\">\(HTML.escape(resource))</span>"
            + "<span class=\"bar \(kind) \(state)\" title=\"\(HTML.escape(text))\"><span style=\"width:\(width)%\"></span></span>"
            + "<span class=\"num\">\(HTML.escape(text))</span></div>"
    }

    func leaseSection(_ leases: [Lease]) -> String {
        let pages = max(1, (leases.count + Self.leasesPerPage - 1) / Self.leasesPerPage)
        let page = min(leasePage, pages)
        let slice = leases.dropFirst((page - 1) * Self.leasesPerPage).prefix(Self.leasesPerPage)
        var html = "<section id=\"leases\"><h2>Active leases\(filter.map { " under " + HTML.escape($0.rawValue) } ?? "") <small>(\(leases.count), soonest expiry first)</small></h2>\n"
        html += pager(page: page, pages: pages, count: leases.count, noun: "leases") { link(leasePage: $0) }
        html += "<table class=\"leases\"><thead><tr><th>VM name</th><th>holder</th><th>pool</th><th>resources</th><th>time left</th><th>lease</th></tr></thead><tbody>\n"
        for lease in slice {
            let resources = lease.resources.sorted.map { "\($0.name.rawValue) \($0.quantity)" }.joined(separator: ", ")
            let left = lease.expiresAt.nanosecondsSinceEpoch - now.nanosecondsSinceEpoch
            html += "<tr class=\"lease\"><td class=\"vm\">\(HTML.escape(lease.labels["vmName"] ?? "—"))</td>"
            html += "<td>\(HTML.escape(lease.holder.isEmpty ? "—" : lease.holder))</td>"
            html += "<td class=\"nowrap\"><a href=\"\(link(pool: .some(lease.pool)))\">\(HTML.escape(lease.pool.rawValue))</a></td>"
            html += "<td>\(HTML.escape(resources))</td>"
            html += "<td class=\"left\(left < 60_000_000_000 ? " bad" : "")\">\(left > 0 ? Self.duration(nanoseconds: left) : "due")</td>"
            html += "<td class=\"id\">\(HTML.escape(lease.id.rawValue))</td></tr>\n"
        }
        if slice.isEmpty { html += "<tr><td colspan=\"6\"><small>none</small></td></tr>\n" }
        html += "</tbody></table></section>\n"
        return html
    }

    /// "page 2 of 50 (5000 leases) · ‹ previous · next ›".
    func pager(page: Int, pages: Int, count: Int, noun: String, link: (Int) -> String) -> String {
        var html = "<p class=\"pager\" id=\"\(noun)-pager\">page \(page) of \(pages) (\(count) \(noun))"
        if page > 1 { html += " · <a href=\"\(link(1))\">« first</a> · <a href=\"\(link(page - 1))\">‹ previous</a>" }
        if page < pages { html += " · <a href=\"\(link(page + 1))\">next ›</a> · <a href=\"\(link(pages))\">last »</a>" }
        return html + "</p>\n"
    }

    /// `3d 4h`, `4h 05m`, `14m 05s`, `42s`.
    static func duration(nanoseconds: Int64) -> String {
        let total = max(0, nanoseconds / 1_000_000_000)
        let (days, hours, minutes, seconds) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(two(minutes))m" }
        if minutes > 0 { return "\(minutes)m \(two(seconds))s" }
        return "\(seconds)s"
    }

    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1em 2em;color:#1d2330;background:#fafbfc}
        h1{font-size:1.4em;margin:0}h2{font-size:1.15em;margin:1.2em 0 .3em}small{color:#667}
        a{color:#1558b0;text-decoration:none}a:hover{text-decoration:underline}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #e3e6ea;vertical-align:top}
        th{background:#eef1f5;font-weight:600}tr.depth1 td{background:#f3f6fa;font-weight:600}
        .row{display:flex;align-items:center;gap:.5em;white-space:nowrap}.res{width:9em;overflow:hidden;text-overflow:ellipsis;color:#445}
        .bar{display:inline-block;width:12em;height:.8em;background:#e3e6ea;border-radius:3px;overflow:hidden}
        .bar span{display:block;height:100%;background:#3b82c4}.bar.high span{background:#d9902f}.bar.over span{background:#c43b3b}
        .bar.base{background:repeating-linear-gradient(45deg,#b6d7a8,#b6d7a8 4px,#cfe6c4 4px,#cfe6c4 8px)}.bar.base span{background:#5b9a49}
        .num{font-variant-numeric:tabular-nums}.count,.left{font-variant-numeric:tabular-nums;white-space:nowrap}
        .labels{font-weight:normal;font-size:.85em;color:#667}.id{font-family:ui-monospace,monospace;font-size:.85em;color:#556;white-space:nowrap}.nowrap{white-space:nowrap}
        .ok{color:#217a3c;font-weight:600}.bad{color:#b42323;font-weight:600}.pager{margin:.3em 0}
        tr.context td{color:#667;font-style:italic}nav{margin:.6em 0}
        """
}
