/// A JSON object (RFC 8259 section 4): members in source order, duplicate names kept.
///
/// RFC 8259 section 4 says names "SHOULD be unique" and leaves duplicates to the
/// implementation. `JSONObject` keeps every member so that callers can refuse
/// duplicates with a precise error: `duplicateKey` is worked out when the object is
/// built (by the reader, `init` or `append`), with a hash table for objects of more
/// than 16 members, so a 100,000-member object costs linear time, not quadratic.
///
/// Names are compared code unit by code unit (RFC 8259 section 8.3), not by
/// Unicode canonical equivalence: `"caf\u00E9"` and `"cafe\u0301"` are different
/// names here, although Swift's `==` calls the two strings equal.
public struct JSONObject: Sendable, Equatable, CustomStringConvertible, ExpressibleByDictionaryLiteral {
    /// Objects up to this size are searched linearly; bigger ones keep a hash index.
    static let linearLimit = 16

    private var storage: [(key: String, value: JSONValue)]
    /// The index of the first member of each name; only for objects over `linearLimit`.
    private var index: [NameKey: Int]?
    /// The index of the first member whose name occurred earlier, or -1.
    private var duplicateAt: Int

    /// Creates an object with `members` in the given order; duplicates are kept.
    /// - Parameter members: The members, in order.
    public init(_ members: [(key: String, value: JSONValue)] = []) {
        storage = members
        index = nil
        duplicateAt = -1
        rebuildIndex()
    }

    /// Creates an object from a literal; order is kept and duplicates are kept.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }

    /// The members in order, duplicates included. Setting it recomputes
    /// `duplicateKey` (linear time).
    public var members: [(key: String, value: JSONValue)] {
        get { storage }
        set {
            storage = newValue
            rebuildIndex()
        }
    }

    /// The number of members, duplicates included.
    public var count: Int { storage.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { storage.isEmpty }

    /// The member names in order, duplicates included.
    public var keys: [String] { storage.map(\.key) }

    /// The first member name that occurs twice, in member order: for
    /// `{"a":1,"b":2,"b":3,"a":4}` it is `"b"`, whose second occurrence comes first.
    /// `nil` when all names are distinct.
    public var duplicateKey: String? {
        duplicateAt >= 0 ? storage[duplicateAt].key : nil
    }

    /// The value of the first member named `key`.
    ///
    /// Setting a value replaces the first member of that name, or appends a member
    /// when there is none; setting `nil` removes every member of that name.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = firstIndex(of: key) else { return nil }
            return storage[i].value
        }
        set {
            if let newValue {
                if let i = firstIndex(of: key) {
                    storage[i].value = newValue
                } else {
                    append(key, newValue)
                }
            } else if firstIndex(of: key) != nil {
                storage.removeAll { sameName($0.key, key) }
                rebuildIndex()
            }
        }
    }

    /// The position of the first member named `key`.
    public func firstIndex(of key: String) -> Int? {
        if let index { return index[NameKey(key)] }
        // By index, so that no member (key and value) is copied to be compared.
        for i in storage.indices where sameName(storage[i].key, key) { return i }
        return nil
    }

    /// Appends a member, keeping any earlier member of the same name (and then
    /// recording `duplicateKey` if it was unset).
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: The member value.
    public mutating func append(_ key: String, _ value: JSONValue) {
        let position = storage.count
        if var table = index {
            index = nil  // keep the table uniquely referenced while it is mutated
            if let earlier = table.updateValue(position, forKey: NameKey(key)) {
                table[NameKey(key)] = earlier
                if duplicateAt < 0 { duplicateAt = position }
            }
            storage.append((key: key, value: value))
            index = table
        } else {
            if duplicateAt < 0 && storage.contains(where: { sameName($0.key, key) }) {
                duplicateAt = position
            }
            storage.append((key: key, value: value))
            if storage.count > Self.linearLimit { rebuildIndex() }
        }
    }

    /// Members compare in order: same names (code unit by code unit) and equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.storage.count == rhs.storage.count else { return false }
        for (l, r) in zip(lhs.storage, rhs.storage) {
            guard sameName(l.key, r.key), l.value == r.value else { return false }
        }
        return true
    }

    /// The compact JSON text of the object.
    public var description: String { JSONValue.object(self).description }

    private mutating func rebuildIndex() {
        duplicateAt = -1
        index = nil
        let n = storage.count
        if n <= Self.linearLimit {
            guard n > 1 else { return }
            search: for i in 1..<n {
                for j in 0..<i where sameName(storage[j].key, storage[i].key) {
                    duplicateAt = i
                    break search
                }
            }
        } else {
            var table = [NameKey: Int](minimumCapacity: n)
            for i in 0..<n {
                if let earlier = table.updateValue(i, forKey: NameKey(storage[i].key)) {
                    table[NameKey(storage[i].key)] = earlier
                    if duplicateAt < 0 { duplicateAt = i }
                }
            }
            index = table
        }
    }
}

/// Whether two names are the same sequence of UTF-8 code units (RFC 8259 section 8.3).
@inline(__always)
package func sameName(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    let fast: Bool?? = x.withContiguousStorageIfAvailable { p in
        y.withContiguousStorageIfAvailable { q in
            for i in 0..<p.count where p[i] != q[i] { return false }
            return true
        }
    }
    if let fast, let fast { return fast }
    return x.elementsEqual(y)
}

/// A dictionary key that hashes and compares a name's UTF-8 code units, not its
/// canonical-equivalence class as `String` does.
package struct NameKey: Hashable, Sendable {
    package let name: String

    package init(_ name: String) { self.name = name }

    package static func == (lhs: NameKey, rhs: NameKey) -> Bool { sameName(lhs.name, rhs.name) }

    package func hash(into hasher: inout Hasher) {
        let done: Void? = name.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        if done == nil {
            for byte in name.utf8 { hasher.combine(byte) }
        }
        hasher.combine(name.utf8.count)
    }
}
