import JSON
import Yams

/// Prints quotad's results: `-o json` and `-o yaml` print the result as quotad sent it (indented);
/// `-o table` prints the command's own table.
enum Printer {
    /// Prints `value` in `format`, or `table()` for the table format.
    static func emit(_ value: JSONValue, _ format: OutputFormat, table: () -> String) throws(CommandFailure) {
        switch format {
        case .table: print(table(), terminator: "")
        case .json: print(prettyJSON(value))
        case .yaml: print(try yaml(value), terminator: "")
        }
    }

    /// JSON indented by two spaces, members in quotad's order, numbers as their exact text.
    static func prettyJSON(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let object):
            guard !object.isEmpty else { return "{}" }
            let members = object.members.map { member -> String in
                var key: [UInt8] = []
                JSONWriter.serializeString(member.key, into: &key)
                return inner + String(decoding: key, as: UTF8.self) + ": " + prettyJSON(member.value, indent: inner)
            }
            return "{\n" + members.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { inner + prettyJSON($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return JSONWriter.string(value)
        }
    }

    /// YAML through Yams; strings that would read back as numbers or booleans are quoted.
    static func yaml(_ value: JSONValue) throws(CommandFailure) -> String {
        do {
            return try Yams.serialize(node: node(value))
        } catch {
            throw CommandFailure("cannot write YAML: \(error)")
        }
    }

    static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: Node("null")
        case .bool(let flag): Node(flag ? "true" : "false")
        case .number(let number): Node(number.text)
        case .string(let text): .scalar(text.represented())
        case .array(let items): Node(items.map(node))
        case .object(let object): Node(object.members.map { (Node.scalar($0.key.represented()), node($0.value)) })
        case .encodable(let value): node(value.json)
        }
    }
}
