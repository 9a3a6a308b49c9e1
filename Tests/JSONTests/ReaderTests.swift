import JSON
import Testing

private func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
    try JSONReader.parse(text, maxDepth: maxDepth)
}

private func parseBytes(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
    try JSONReader.parse(bytes, maxDepth: maxDepth)
}

/// Whether parsing fails with a syntax error (any offset).
private func isSyntaxError(_ text: String) -> Bool {
    do {
        _ = try parse(text)
        return false
    } catch {
        if case .syntax = error { return true }
        return false
    }
}

@Suite struct ReaderGrammarTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a" : [1, -2.5e3, "x", true, false, null, {}, []] } "#)
        let expected: JSONValue = ["a": [1, .number(JSONNumber(text: "-2.5e3")!), "x", true, false, nil, [:], []]]
        #expect(value == expected)
    }

    @Test func scalarsAtTopLevel() throws {
        #expect(try parse("1") == 1)
        #expect(try parse(" \"x\" ") == "x")
        #expect(try parse("null") == nil)
        #expect(try parse("true") == true)
        #expect(try parse("-0") == .number(JSONNumber(text: "-0")!))
    }

    @Test(arguments: [
        "[1,]", "[1,,2]", "[,1]", #"{"a":1,}"#, #"{"a":1,,"b":2}"#, #"{,}"#,  // trailing/extra commas
        "01", "[01]", "-01", "00", "[00.5]",  // leading zeros
        "NaN", "-NaN", "Infinity", "-Infinity", "[inf]", "+1", ".5", "1.", "1e", "1e+", "0x10", "1_000",  // numbers
        "// c\n1", "/* c */ 1", "[1] // c", "[1 /* c */]", "# c\n1",  // comments
        "'a'", "['a']", "{'a':1}", #"{"a":'b'}"#,  // single quotes
        "[1 2]", #"{"a" 1}"#, #"{"a":1 "b":2}"#, #"{a:1}"#, "{1:1}", "[", "]", "{", "}", "[}", "{]", "", " ", "1 2", "[1]]",
        "tru", "True", "nul", "NULL", "falsey", "[true false]",
        "\u{0C}1", "1\u{0C}", "[1,\u{0B}2]", "\u{A0}1", "\u{2028}[1]",  // whitespace other than SP HT LF CR
        #""\x41""#, #""\a""#, #""\U0041""#, #""\u12""#, #""\u12G4""#, #""\"#, #""abc"#,  // escapes, unterminated
    ])
    func rejectsNonRFC8259Text(_ text: String) {
        #expect(throws: JSONParseError.self, "\(text.debugDescription)") { _ = try parse(text) }
    }

    @Test func whitespaceIsOnlySpaceTabLineFeedCarriageReturn() throws {
        #expect(try parse(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n") == [1, 2])
        #expect(try parse("\n{\r\"a\"\t:\n1\r}\t") == ["a": 1])
    }

    @Test func controlCharactersMustBeEscapedInStrings() throws {
        for byte in UInt8(0)..<0x20 {
            #expect(throws: JSONParseError.syntax(offset: 2, reason: "unescaped control character U+00\(hex(byte)) in string (write it as \\u00\(hex(byte)))")) {
                _ = try parseBytes([0x5B, 0x22, byte, 0x22, 0x5D])
            }
        }
        // DEL (0x7F) is not a control character for RFC 8259's purposes.
        #expect(try parseBytes([0x22, 0x7F, 0x22]) == .string("\u{7F}"))
        #expect(try parse(#""\u0000\u001f\t\n""#) == .string("\u{0}\u{1F}\t\n"))
    }

    private func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }

    @Test func escapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u20AC""#) == .string("Aé€"))
        #expect(try parse(#""a\ud834\uDD1Eb""#) == .string("a𝄞b"))  // surrogate pair
        #expect(try parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        #expect(try parse(#""\uFFFF\uFDD0""#) == .string(String(Unicode.Scalar(0xFFFF as UInt32)!) + String(Unicode.Scalar(0xFDD0 as UInt32)!)))  // noncharacters are valid scalars
    }

    @Test(arguments: [
        #""\uD800""#, #""\uDBFF""#, #""\uDC00""#, #""\uDFFF""#, #""\uD800x""#, #""\uD800\n""#,
        #""\uD800\u0041""#, #""\uD800\uD800""#, #""\uDD1E\uD834""#, #"{"\uDFAA":0}"#, #""\uD800\u""#,
    ])
    func loneSurrogateEscapesAreRejected(_ text: String) {
        #expect(throws: JSONParseError.self, "\(text)") { _ = try parse(text) }
    }

    @Test func errorsCarryByteOffsets() {
        #expect(throws: JSONParseError.syntax(offset: 3, reason: "unexpected ']' where a value was expected")) { _ = try parse("[1,]") }
        #expect(throws: JSONParseError.syntax(offset: 1, reason: "leading zeros are not allowed in numbers")) { _ = try parse("[01]") }
        #expect(throws: JSONParseError.syntax(offset: 0, reason: "no JSON value: the input is empty")) { _ = try parse("") }
        #expect(throws: JSONParseError.syntax(offset: 2, reason: "unexpected '2' after the JSON value (only whitespace may follow it)")) { _ = try parse("1 2") }
        #expect(throws: JSONParseError.syntax(offset: 7, reason: "unterminated string")) { _ = try parse(#"{"a":1,"b"#) }
    }

    @Test func byteOrderMarkIsNotJSON() {
        // RFC 8259 section 8.1: a parser MAY ignore a BOM; JSONReader is strict, and
        // JSONRPCDispatcher strips it instead.
        #expect(throws: JSONParseError.self) { _ = try parseBytes([0xEF, 0xBB, 0xBF, 0x7B, 0x7D]) }
    }

    @Test func parsesFromAllThreeInputForms() throws {
        let text = #"{"k":[1,"ü"]}"#
        let bytes = Array(text.utf8)
        let fromBytes = try JSONReader.parse(bytes)
        let fromString = try JSONReader.parse(text)
        let fromBuffer = try bytes.withUnsafeBytes { buffer throws(JSONParseError) in try JSONReader.parse(buffer) }
        #expect(fromBytes == fromString)
        #expect(fromBytes == fromBuffer)
        #expect(fromBytes == ["k": [1, "ü"]])
    }
}

@Suite struct ReaderUTF8Tests {
    @Test func acceptsWellFormedUTF8() throws {
        let text = "\"a é € 𝄞 \u{10FFFF} \u{FFFD}\""
        #expect(try parse(text) == .string("a é € 𝄞 \u{10FFFF} \u{FFFD}"))
        // Boundaries of each sequence length.
        let edges: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for edge in edges {
            let value = try parseBytes([0x22] + edge + [0x22])
            #expect(value.stringValue.map { Array($0.utf8) } == edge)
        }
    }

    @Test(arguments: [
        [0x80],  // lone continuation byte
        [0xBF],
        [0xC0, 0x80],  // overlong NUL
        [0xC1, 0xBF],  // overlong
        [0xE0, 0x80, 0x80],  // overlong 3-byte
        [0xE0, 0x9F, 0xBF],
        [0xF0, 0x80, 0x80, 0x80],  // overlong 4-byte
        [0xF0, 0x8F, 0xBF, 0xBF],
        [0xED, 0xA0, 0x80],  // U+D800 encoded in UTF-8
        [0xED, 0xBF, 0xBF],  // U+DFFF
        [0xF4, 0x90, 0x80, 0x80],  // U+110000
        [0xF5, 0x80, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80],  // 5-byte form
        [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80],
        [0xFE], [0xFF],
        [0xC2],  // truncated
        [0xE2, 0x82],
        [0xF0, 0x9D, 0x84],
        [0xC2, 0x41],  // continuation missing
        [0xE2, 0x28, 0xA1],
        [0xE9],  // ISO 8859-1 "é"
    ] as [[UInt8]])
    func rejectsIllFormedUTF8InStrings(_ sequence: [UInt8]) {
        #expect(throws: JSONParseError.invalidUTF8(offset: 2)) { _ = try parseBytes([0x5B, 0x22] + sequence + [0x22, 0x5D]) }
        // Truncated at the very end of the input too.
        #expect(throws: JSONParseError.self) { _ = try parseBytes([0x22] + sequence) }
    }

    @Test func invalidUTF8OutsideStringsIsReportedAsSuch() {
        #expect(throws: JSONParseError.invalidUTF8(offset: 1)) { _ = try parseBytes([0x5B, 0xFF, 0x5D]) }
        #expect(throws: JSONParseError.invalidUTF8(offset: 0)) { _ = try parseBytes([0xE5]) }
        // Well-formed but not JSON: a syntax error.
        #expect(throws: JSONParseError.syntax(offset: 1, reason: "unexpected non-ASCII character where a value was expected")) {
            _ = try parseBytes([0x5B, 0xC3, 0xA9, 0x5D])
        }
    }

    @Test func memberNamesAreValidatedLikeStrings() {
        #expect(throws: JSONParseError.invalidUTF8(offset: 2)) { _ = try parseBytes(Array(#"{""#.utf8) + [0xC0, 0xAF] + Array(#"":1}"#.utf8)) }
    }
}

@Suite struct ReaderDepthTests {
    private func nestedArrays(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    private func nestedObjects(_ depth: Int) -> String {
        String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        _ = try parse(nestedArrays(64))
        _ = try parse(nestedObjects(64))
        _ = try parse(nestedArrays(3), maxDepth: 3)
        #expect(try parse("1", maxDepth: 0) == 1)
    }

    @Test func nestingPastTheLimitThrowsTooDeep() {
        #expect(throws: JSONParseError.tooDeep(limit: 64)) { _ = try parse(nestedArrays(65)) }
        #expect(throws: JSONParseError.tooDeep(limit: 64)) { _ = try parse(nestedObjects(65)) }
        #expect(throws: JSONParseError.tooDeep(limit: 3)) { _ = try parse(#"[{"a":[{}]}]"#, maxDepth: 3) }
        #expect(throws: JSONParseError.tooDeep(limit: 0)) { _ = try parse("[]", maxDepth: 0) }
    }

    @Test func oneHundredThousandOpeningBracketsDoNotCrash() {
        let brackets = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.tooDeep(limit: 64)) { _ = try parseBytes(brackets) }
        let braces = Array(String(repeating: #"{"a":"#, count: 100_000).utf8)
        #expect(throws: JSONParseError.tooDeep(limit: 64)) { _ = try parseBytes(braces) }
        // The reader keeps its own stack, so even a limit far past the input's depth
        // only reaches the end of input.
        #expect(throws: JSONParseError.syntax(offset: 100_000, reason: "unexpected end of input, expected a value")) {
            _ = try parseBytes(brackets, maxDepth: 1_000_000)
        }
    }
}

@Suite struct ReaderObjectTests {
    @Test func keepsMemberOrderAndDuplicates() throws {
        let value = try parse(#"{"b":1,"a":2,"b":3}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a", "b"])
        #expect(object["b"] == 1)  // first match
        #expect(object.duplicateKey == "b")
        #expect(try parse(#"{"a":1,"b":2}"#).objectValue?.duplicateKey == nil)
    }

    @Test func duplicateKeyIsTheFirstNameThatRepeats() throws {
        #expect(try parse(#"{"a":1,"b":2,"b":3,"a":4}"#).objectValue?.duplicateKey == "b")
        #expect(try parse(#"{"x":{"y":1,"y":2}}"#).objectValue?.duplicateKey == nil)
        #expect(try parse(#"{"x":{"y":1,"y":2}}"#)["x"]?.objectValue?.duplicateKey == "y")
    }

    @Test func namesCompareByCodeUnitsNotCanonicalEquivalence() throws {
        // "é" precomposed and decomposed are different names (RFC 8259 section 8.3).
        let object = try #require(try parse(#"{"caf\u00e9":1,"cafe\u0301":2}"#).objectValue)
        #expect(object.duplicateKey == nil)
        #expect(object["caf\u{E9}"] == 1)
        #expect(object["cafe\u{301}"] == 2)
    }

    @Test func hundredThousandMemberObjectIsLinear() throws {
        var text = "{"
        for i in 0..<100_000 { text += "\"k\(i)\":\(i)," }
        let unique = try parse(String(text.dropLast()) + "}")
        #expect(unique.objectValue?.count == 100_000)
        #expect(unique.objectValue?.duplicateKey == nil)
        #expect(unique["k99999"] == 99999)
        let repeated = try parse(text + "\"k5\":0}")
        #expect(repeated.objectValue?.duplicateKey == "k5")
        #expect(repeated["k5"] == 5)
    }
}
