import ArgumentParser
import JSON
import QuotaCore

/// Flag values quotactl checks before it calls quotad, so a typo is named at once.
enum FlagParsing {
    /// `limits.cpu=8,limits.memory=32Gi` → a ResourceList as JSON (quantity texts as given).
    /// - Parameter flag: the flag's name, for messages (`--capacity`).
    /// - Throws: ``CommandFailure`` naming the flag and the bad entry.
    static func resourceList(_ text: String, flag: String) throws(CommandFailure) -> JSONObject {
        var result = JSONObject()
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CommandFailure("\(flag): \"\(entry)\" is not NAME=QUANTITY (e.g. limits.cpu=8,limits.memory=32Gi)")
            }
            let name = String(parts[0]), value = String(parts[1])
            do {
                _ = try ResourceName(name)
            } catch {
                throw CommandFailure("\(flag): resource name \"\(name)\": \(error.reason)")
            }
            _ = try quantity(value, flag: "\(flag) \(name)")
            guard result[name] == nil else { throw CommandFailure("\(flag): \(name) is given twice") }
            result.append(name, .string(value))
        }
        return result
    }

    /// A non-negative quantity.
    /// - Throws: ``CommandFailure`` naming the flag and the value.
    static func quantity(_ text: String, flag: String) throws(CommandFailure) -> Quantity {
        let quantity: Quantity
        do {
            quantity = try Quantity(parsing: text)
        } catch {
            throw CommandFailure("\(flag): \"\(text)\": \(error)")
        }
        guard !quantity.isNegative else { throw CommandFailure("\(flag): \"\(text)\": must not be negative") }
        return quantity
    }

    /// `k=v` label flags → an object.
    /// - Throws: ``CommandFailure`` naming the bad entry.
    static func labels(_ entries: [String], flag: String) throws(CommandFailure) -> JSONObject {
        var result = JSONObject()
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { throw CommandFailure("\(flag): \"\(entry)\" is not KEY=VALUE") }
            result.append(String(parts[0]), .string(String(parts[1])))
        }
        return result
    }
}

extension ValidationError {
    /// A flag value quotactl refuses before calling quotad; printed with the usage, exit status 64.
    init(_ failure: CommandFailure) { self.init(failure.description) }
}
