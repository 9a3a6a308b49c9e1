import Yams

/// Reads Kubernetes objects from YAML or JSON text (JSON is read as YAML 1.1 flow text).
///
/// Scalars are kept as their text through Yams' Node API, so `cpu: 2`, `cpu: "2"` and
/// `"cpu": 2` all read as the quantity text `2`, never through a floating-point number.
public enum ManifestReader {
    /// The objects in `text`: every document, with each `kind: List` replaced by its items.
    /// - Parameters:
    ///   - text: YAML (one or more `---` documents) or JSON.
    ///   - source: the file name, for messages.
    /// - Returns: the objects, in file order.
    /// - Throws: ``ManifestError/unreadable(source:reason:)`` for text that does not parse,
    ///   ``ManifestError/invalidField(object:field:value:reason:)`` for a List without an items sequence.
    public static func objects(in text: String, source: String) throws(ManifestError) -> [ManifestObject] {
        var documents: [Node] = []
        do {
            // The sequence stops at a syntax error and keeps it in `error`; it must not pass
            // for the end of the file.
            var sequence = try Yams.compose_all(yaml: text)
            while let document = sequence.next() { documents.append(document) }
            if let error = sequence.error { throw error }
        } catch {
            throw .unreadable(source: source, reason: "\(error)")
        }
        var objects: [ManifestObject] = []
        for (index, document) in documents.enumerated() {
            if document.null != nil { continue }
            let object = ManifestObject(node: document, label: "\(source) document \(index + 1)")
            // `kubectl get -o yaml` prints `kind: List`; the API's own lists are `<Kind>List`.
            if object.kind.hasSuffix("List") {
                guard case .sequence(let items)? = document["items"] else {
                    throw .invalidField(object: object.label, field: "items", value: "\(document["items"]?.scalar?.string ?? "")",
                                        reason: "a List's items must be a sequence")
                }
                for (itemIndex, item) in items.enumerated() {
                    objects.append(ManifestObject(node: item, label: "\(source) items[\(itemIndex)]"))
                }
            } else {
                objects.append(object)
            }
        }
        return objects
    }
}
