import JSON
import QuotaCore

/// How resource lists and labels are stored in a text column, by every store: a JSON object of
/// strings, quantities in canonical form, keys sorted: `{"limits.cpu":"1","limits.memory":"2Gi"}`.
public enum ColumnCoding {
    /// A resource list as stored: `{"limits.cpu":"1"}`.
    public static func encode(_ list: ResourceList) -> String {
        let object = JSONObject(list.sorted.map { (key: $0.name.rawValue, value: JSONValue.string($0.quantity.description)) })
        return String(decoding: JSONWriter.serialize(.object(object)), as: UTF8.self)
    }

    /// Labels as stored: `{"project":"p-1"}`.
    public static func encode(_ labels: [String: String]) -> String {
        let object = JSONObject(labels.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) })
        return String(decoding: JSONWriter.serialize(.object(object)), as: UTF8.self)
    }

    /// Reads a stored resource list.
    /// - Throws: ``StoreError/unavailable(_:)`` naming the value when it is not a list of quantities.
    public static func resourceList(_ text: String) throws(StoreError) -> ResourceList {
        var list = ResourceList()
        for (key, value) in try stringMembers(text) {
            let name = try decode { () throws(InvalidValue) in try ResourceName(key) }
            do {
                list[name] = try Quantity(parsing: value)
            } catch {
                throw .unavailable("stored quantity \(String(reflecting: value)) of \(key) is invalid: \(error)")
            }
        }
        return list
    }

    /// Reads stored labels.
    /// - Throws: ``StoreError/unavailable(_:)`` naming the value when it is not an object of strings.
    public static func labels(_ text: String) throws(StoreError) -> [String: String] {
        var labels: [String: String] = [:]
        for (key, value) in try stringMembers(text) { labels[key] = value }
        return labels
    }

    private static func stringMembers(_ text: String) throws(StoreError) -> [(String, String)] {
        let value: JSONValue
        do {
            value = try JSONReader.parse(Array(text.utf8))
        } catch {
            throw .unavailable("stored JSON \(String(reflecting: text)) is invalid: \(error)")
        }
        guard case .object(let object) = value else { throw .unavailable("stored JSON \(String(reflecting: text)) is not an object") }
        var result: [(String, String)] = []
        for member in object.members {
            guard case .string(let string) = member.value else {
                throw .unavailable("stored JSON \(String(reflecting: text)) has a non-string member \(member.key)")
            }
            result.append((member.key, string))
        }
        return result
    }


    /// Runs a name's parser on a stored value.
    /// - Throws: ``StoreError/unavailable(_:)`` with the parser's reason.
    public static func decode<T>(_ body: () throws(InvalidValue) -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw .unavailable("stored value is invalid: \(error.reason)")
        }
    }
}
