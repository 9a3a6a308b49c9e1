/// How often each ``LoadOperation`` is chosen: integer weights, e.g. `reserve=45,release=45,inspect=10`.
public struct OperationMix: Sendable, Equatable, CustomStringConvertible {
    /// The weight of each operation that has one above zero, in ``LoadOperation`` order.
    public let weights: [(operation: LoadOperation, weight: Int)]
    /// The sum of the weights.
    public let total: Int

    /// The default: a migration controller's life — reserve, now and then retry it, release,
    /// occasionally renew — with a little inspection.
    public static let `default` = try! OperationMix(parsing: "reserve=40,retry=5,renew=5,release=40,inspect=10")

    /// Parses `name=weight` pairs joined by commas.
    /// - Parameter text: e.g. `reserve=45,release=45,inspect=10`; names are reserve, retry,
    ///   renew, release, inspect; weights are integers from 0 to 1,000,000.
    /// - Throws: ``LoadError/invalidFlag(flag:value:reason:)`` for `--mix`, naming the bad pair.
    public init(parsing text: String) throws(LoadError) {
        var table: [LoadOperation: Int] = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw .invalidFlag(flag: "--mix", value: text, reason: "\"\(pair)\" is not name=weight")
            }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard let operation = LoadOperation(rawValue: name) else {
                throw .invalidFlag(flag: "--mix", value: text,
                                   reason: "unknown operation \"\(name)\" (reserve, retry, renew, release, inspect)")
            }
            guard let weight = Int(parts[1].trimmingCharacters(in: .whitespaces)), (0...1_000_000).contains(weight) else {
                throw .invalidFlag(flag: "--mix", value: text, reason: "weight \"\(parts[1])\" of \(name) is not an integer from 0 to 1000000")
            }
            guard table[operation] == nil else {
                throw .invalidFlag(flag: "--mix", value: text, reason: "\(name) is given twice")
            }
            table[operation] = weight
        }
        weights = LoadOperation.allCases.compactMap { operation in
            guard let weight = table[operation], weight > 0 else { return nil }
            return (operation, weight)
        }
        total = weights.reduce(0) { $0 + $1.weight }
        guard total > 0 else { throw .invalidFlag(flag: "--mix", value: text, reason: "all weights are 0") }
    }

    /// The operation for a uniform draw.
    /// - Parameter draw: a number in `0..<total`.
    /// - Returns: the operation whose weight band holds `draw`.
    public func operation(at draw: Int) -> LoadOperation {
        var rest = draw
        for (operation, weight) in weights {
            if rest < weight { return operation }
            rest -= weight
        }
        return weights[weights.count - 1].operation
    }

    public var description: String {
        weights.map { "\($0.operation.rawValue)=\($0.weight)" }.joined(separator: ",")
    }

    public static func == (lhs: OperationMix, rhs: OperationMix) -> Bool {
        lhs.description == rhs.description
    }
}
