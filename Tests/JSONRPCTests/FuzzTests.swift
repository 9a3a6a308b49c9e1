import JSON
import JSONRPC
import Testing
import TestSupport

@Suite struct FuzzTests {
    static let seeds: [String] = [
        #"{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":1}"#,
        #"{"jsonrpc":"2.0","method":"echo","params":{"pool":"gpu","resources":[{"name":"cpu","amount":4},{"name":"mem","amount":1.5e9}],"ttl_ms":30000,"note":"caf\u00e9 \ud834\udd1e ü"},"id":"req-7"}"#,
        #"[{"jsonrpc":"2.0","method":"sum","params":{"values":[1,2,4]},"id":"1"},{"jsonrpc":"2.0","method":"notify_hello"},{"jsonrpc":"2.0","method":"get_data","id":9007199254740993}]"#,
        #"{"jsonrpc":"2.0","method":"update","params":{"values":[1,2,3]}}"#,
        #"{"jsonrpc":"2.0","method":"fail","id":null}"#,
        #"[{"jsonrpc":"2.0","method":"echo","params":{"a":[[[{"b":null}]]],"c":true,"d":false},"id":-0.5}]"#,
    ]

    /// Bytes that steer mutations towards interesting JSON.
    static let interesting: [UInt8] = Array(#"{}[]":,\0-1.eE+ntfu"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xED, 0xEF, 0xF4, 0xFF]

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !bytes.isEmpty:  // flip a bit
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:  // replace with a random byte
                bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 2:  // insert an interesting byte
                bytes.insert(interesting.randomElement(using: &rng) ?? 0, at: position)
            case 3 where !bytes.isEmpty:  // delete a range
                let end = min(bytes.count, position + Int.random(in: 1...8, using: &rng))
                bytes.removeSubrange(position..<end)
            case 4 where !bytes.isEmpty:  // duplicate a range
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 5:  // truncate
                bytes.removeSubrange(position..<bytes.count)
            case 6 where !bytes.isEmpty:  // replace with an interesting byte
                bytes[position] = interesting.randomElement(using: &rng) ?? 0
            default:  // splice in a piece of another seed
                let other = Array(seeds.randomElement(using: &rng)?.utf8 ?? "".utf8)
                let start = Int.random(in: 0..<other.count, using: &rng)
                let end = min(other.count, start + Int.random(in: 1...24, using: &rng))
                bytes.insert(contentsOf: other[start..<end], at: position)
            }
        }
        return bytes
    }

    /// A random small JSON value, biased towards the values the envelope rules care about.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 7 : 9), using: &rng) {
        case 0: return nil
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return JSONValue(Int64.random(in: -3...3, using: &rng))
        case 3: return .number(["1.5", "1e400", "-0", "9007199254740993", "1.0", "-1"].randomElement(using: &rng).flatMap { JSONNumber(text: $0) } ?? 0)
        case 4: return .string(["2.0", "1.0", "subtract", "echo", "sum", "get_data", "fail", "rpc.x", "", "params"].randomElement(using: &rng) ?? "")
        case 5: return .string(String(UnicodeScalar(UInt8.random(in: 0...127, using: &rng))))
        case 6: return ["minuend": 1, "subtrahend": 2]
        case 7: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let key = ["jsonrpc", "method", "params", "id", "minuend", "values", "x"].randomElement(using: &rng) ?? "x"
                object.append(key, randomValue(&rng, depth: depth + 1))
            }
            return .object(object)
        }
    }

    /// Rewrites one randomly chosen value inside `value`: replaces it, deletes or
    /// duplicates an object member, or adds one.
    static func mutateValue(_ value: JSONValue, _ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        switch value {
        case .object(var object) where !object.isEmpty && Int.random(in: 0..<4, using: &rng) != 0:
            var members = object.members
            let i = Int.random(in: 0..<members.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: members.remove(at: i)
            case 1: members.append(members[i])  // duplicate name
            case 2: members.append((key: ["id", "params", "extra", "jsonrpc"].randomElement(using: &rng) ?? "id", value: randomValue(&rng)))
            default: members[i].value = mutateValue(members[i].value, &rng, depth: depth + 1)
            }
            object.members = members
            return .object(object)
        case .array(var elements) where !elements.isEmpty && Int.random(in: 0..<4, using: &rng) != 0:
            let i = Int.random(in: 0..<elements.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: elements.remove(at: i)
            case 1: elements.append(elements[i])
            default: elements[i] = mutateValue(elements[i], &rng, depth: depth + 1)
            }
            return .array(elements)
        default:
            return randomValue(&rng)
        }
    }

    @Test func mutatedRequestsAlwaysGetValidResponses() throws {
        let dispatcher = makeDispatcher(maxBatchSize: 50)
        var rng = SplitMix64(state: 0x5EED_0F_0A7D)
        let count = 20_000
        var tally = (none: 0, parseErrors: 0, single: 0, batches: 0)
        for _ in 0..<count {
            let seedText = Self.seeds.randomElement(using: &rng) ?? ""
            let input: [UInt8]
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:  // bytes only
                input = Self.mutate(Array(seedText.utf8), &rng)
            case 1:  // values only: valid JSON that breaks the request rules
                input = JSONWriter.serialize(Self.mutateValue(try JSONReader.parse(seedText), &rng))
            default:  // both, so that value-level changes also meet broken bytes
                input = Self.mutate(JSONWriter.serialize(Self.mutateValue(try JSONReader.parse(seedText), &rng)), &rng)
            }
            let output = dispatcher.handle(body: input, context: CallLog())

            var stripped = input[...]
            if stripped.starts(with: [0xEF, 0xBB, 0xBF]) { stripped = stripped.dropFirst(3) }
            let parsed = try? JSONReader.parse(Array(stripped))

            guard let output else {
                // Nothing to send: the input was valid JSON made of notifications only.
                #expect(parsed != nil, "nil output for unparsable input \(input)")
                tally.none += 1
                continue
            }
            let decoded: (responses: [JSONRPCResponse], isBatch: Bool)
            do {
                decoded = try JSONRPCResponse.decode(body: output)
            } catch {
                Issue.record("invalid response \(String(decoding: output, as: UTF8.self)) for input \(input): \(error)")
                continue
            }
            if parsed == nil {
                // Not JSON: exactly one -32700 with id null.
                #expect(!decoded.isBatch && decoded.responses.count == 1 && decoded.responses[0].code == -32700 && decoded.responses[0].id == .null,
                        "input \(input)")
                tally.parseErrors += 1
            } else {
                #expect(!decoded.responses.contains { $0.code == -32700 }, "parse error for valid JSON \(input)")
                // The value-level entry point gives the same answer as the byte-level one.
                if let parsed {
                    #expect(dispatcher.handle(parsed, context: CallLog()).map { JSONWriter.serialize($0) } == output, "input \(input)")
                }
                if decoded.isBatch {
                    tally.batches += 1
                    if case .array(let elements)? = parsed {
                        #expect(decoded.responses.count <= elements.count)
                    } else {
                        Issue.record("batch answer for a non-array body \(input)")
                    }
                } else {
                    tally.single += 1
                    // A single request's answer carries its id, or null when the id
                    // could not be read.
                    if case .object(let request)? = parsed, let response = decoded.responses.first {
                        let sentID = request.duplicateKey == "id" ? nil : request["id"].flatMap(JSONRPCID.init)
                        #expect(response.id == sentID ?? .null || (response.code == -32600 && response.id == .null), "input \(input)")
                    }
                }
            }
        }
        print("fuzz: \(count) mutated bodies: \(tally.parseErrors) parse errors, \(tally.single) single responses, \(tally.batches) batches, \(tally.none) with nothing to send")
        #expect(tally.none + tally.parseErrors + tally.single + tally.batches == count)
        // The mutations must exercise more than the parse-error path.
        #expect(tally.single > 3000 && tally.batches > 1000 && tally.parseErrors > 3000 && tally.none > 100)
    }

    @Test func randomBytesNeverCrash() {
        let dispatcher = makeDispatcher()
        var rng = SplitMix64(state: 42)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in Self.interesting.randomElement(using: &rng) ?? 0 }
            let output = dispatcher.handle(body: bytes, context: CallLog())
            if let output {
                #expect(throws: Never.self) { _ = try JSONRPCResponse.decode(body: output) }
            }
        }
    }
}
