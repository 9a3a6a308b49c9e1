import JSON
import JSONRPC
import QuotaCore

/// Reading quotad's domain types out of by-name params; every failure is -32602 naming the field.
extension Params {
    /// The pool path in `name`.
    /// - Throws: -32602 when missing, not a string, or not 1 to 4 DNS-1123 labels.
    mutating func poolPath(_ name: String = "pool") throws(JSONRPCError) -> PoolPath {
        let text = try string(name)
        do {
            return try PoolPath(text)
        } catch {
            throw .invalidParams(field: name, reason: error.reason)
        }
    }

    /// The pool path in `name`, or nil when absent.
    mutating func optionalPoolPath(_ name: String) throws(JSONRPCError) -> PoolPath? {
        guard contains(name) else { return nil }
        return try poolPath(name)
    }

    /// The lease UUID in `name`.
    /// - Throws: -32602 when missing, not a string, or not an RFC 4122 UUID.
    mutating func leaseID(_ name: String = "lease") throws(JSONRPCError) -> LeaseID {
        let text = try string(name)
        do {
            return try LeaseID(text)
        } catch {
            throw .invalidParams(field: name, reason: error.reason)
        }
    }

    /// The ResourceList in `name`: an object of Quantity strings or JSON numbers.
    /// - Throws: -32602 naming `name["resource"]` for a bad resource name or quantity.
    mutating func resourceList(_ name: String) throws(JSONRPCError) -> ResourceList {
        try Self.resourceList(from: object(name), field: name)
    }

    /// The ResourceList in `name`, or nil when absent or null.
    mutating func optionalResourceList(_ name: String) throws(JSONRPCError) -> ResourceList? {
        guard let object = try optionalObject(name) else { return nil }
        return try Self.resourceList(from: object, field: name)
    }

    /// Decodes a ResourceList from a JSON object.
    /// - Parameters:
    ///   - object: `{"limits.cpu": "2", "limits.memory": 2147483648}`.
    ///   - field: the param's name, for errors.
    /// - Throws: -32602 naming `field["resource"]`.
    static func resourceList(from object: JSONObject, field: String) throws(JSONRPCError) -> ResourceList {
        if object.members.count > ResourceList.maxEntries {
            throw .invalidParams(field: field, reason: "names \(object.members.count) resources; at most \(ResourceList.maxEntries) are allowed")
        }
        var list = ResourceList()
        for (key, value) in object.members {
            let entryField = "\(field)[\(String(reflecting: key))]"
            let name: ResourceName
            do {
                name = try ResourceName(key)
            } catch {
                throw .invalidParams(field: entryField, reason: error.reason)
            }
            let text: String
            switch value {
            case .string(let string): text = string
            case .number(let number): text = number.text
            default:
                throw .invalidParams(field: entryField, reason: "must be a Quantity string such as \"500m\" or \"1.5Gi\", or a JSON number (got \(value.errorDescription))")
            }
            do {
                list[name] = try Quantity(parsing: text)
            } catch {
                throw .invalidParams(field: entryField, reason: "invalid quantity \(String(reflecting: text)): \(error)")
            }
        }
        return list
    }

    /// The string-to-string map in `name` (labels), or empty when absent.
    /// - Throws: -32602 when a value is not a string.
    mutating func labels(_ name: String = "labels") throws(JSONRPCError) -> [String: String] {
        guard let object = try optionalObject(name) else { return [:] }
        var labels: [String: String] = [:]
        for (key, value) in object.members {
            guard case .string(let string) = value else {
                throw .invalidParams(field: "\(name)[\(String(reflecting: key))]", reason: "must be a string (got \(value.errorDescription))")
            }
            labels[key] = string
        }
        return labels
    }

    /// The VM name in `vmName`: the VMI's `metadata.name`, as leases carry it in their `vmName` label.
    /// - Throws: -32602 when missing, not a string, or not per ``Ledger/vmNameRule``.
    mutating func vmName(_ name: String = "vmName") throws(JSONRPCError) -> String {
        let text = try string(name)
        guard Ledger.isValidVMName(text) else {
            throw .invalidParams(field: name, reason: "\(Ledger.vmNameRule) (got \(text.utf8.count) bytes)")
        }
        return text
    }

    /// The label selector in `labelSelector`, or the empty selector (everything) when absent.
    /// - Throws: -32602 when not a string or not a valid Kubernetes label selector.
    mutating func labelSelector(_ name: String = "labelSelector") throws(JSONRPCError) -> LabelSelector {
        let text = try optionalString(name) ?? ""
        do {
            return try LabelSelector(text)
        } catch {
            throw .invalidParams(field: name, reason: error.reason)
        }
    }
}
