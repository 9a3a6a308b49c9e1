/// A value that writes its own compact JSON text, so that a large result need not be built as a
/// ``JSONValue`` tree only to be written out and freed (issue #8: building and freeing result
/// trees was a fifth of quotad's instructions per request). Like Go's `json.Marshaler`.
///
/// Carried as ``JSONValue/encodable(_:)``. ``JSONWriter`` asks it for its text; everything else
/// that reads a ``JSONValue`` (equality, accessors, pattern matching through ``JSONValue/materialized``)
/// sees ``json``. The two must agree: ``encode(into:)`` appends exactly the bytes
/// `JSONWriter.serialize(json)` would.
public protocol JSONEncodable: Sendable {
    /// The value as a tree: what readers, comparisons and tests see.
    var json: JSONValue { get }

    /// Appends the compact JSON text of ``json``, byte for byte as ``JSONWriter`` writes it.
    /// - Parameter buffer: The buffer to append to.
    func encode(into buffer: inout [UInt8])

    /// One member of an object value, without building the others; `nil` when absent or when
    /// the value is not an object. By default `json[key]`.
    /// - Parameter key: The member name.
    /// - Returns: The member's value.
    func member(_ key: String) -> JSONValue?
}

extension JSONEncodable {
    public func member(_ key: String) -> JSONValue? { json[key] }
}
