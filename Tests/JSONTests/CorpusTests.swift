import JSON
import Testing

/// RFC 8259 conformance against the JSONTestSuite corpus (y_ must parse, n_ must
/// fail, i_ get the answers documented on `JSONReader`).
@Suite struct CorpusTests {
    @Test func everyYFileParses() throws {
        for file in try Corpus.files(prefix: "y_", atLeast: 72) {
            #expect(throws: Never.self, "\(file.name)") { _ = try JSONReader.parse(file.bytes) }
        }
    }

    @Test func everyYFileRoundTripsThroughTheWriter() throws {
        for file in try Corpus.files(prefix: "y_", atLeast: 72) {
            let value = try JSONReader.parse(file.bytes)
            let written = JSONWriter.serialize(value)
            #expect(try JSONReader.parse(written) == value, "\(file.name)")
            #expect(JSONWriter.serialize(try JSONReader.parse(written)) == written, "\(file.name): writer output is stable")
        }
    }

    @Test func everyNFileFails() throws {
        for file in try Corpus.files(prefix: "n_", atLeast: 122) {
            #expect(throws: JSONParseError.self, "\(file.name)") { _ = try JSONReader.parse(file.bytes) }
        }
    }

    enum Answer: Equatable {
        /// Valid JSON; the array's single number keeps its exact text.
        case acceptedNumber
        /// Refused: a lone or invalid UTF-16 surrogate escape (a Swift String cannot hold it).
        case surrogateEscape
        /// Refused: ill-formed UTF-8, at this byte offset.
        case invalidUTF8(at: Int)
    }

    /// The deliberate answer for every i_ file. A new i_ file fails the test until it
    /// gets an entry here.
    static let answers: [String: Answer] = [
        "i_number_huge_exp.json": .acceptedNumber,
        "i_number_neg_int_huge_exp.json": .acceptedNumber,
        "i_number_real_neg_overflow.json": .acceptedNumber,
        "i_number_real_pos_overflow.json": .acceptedNumber,
        "i_number_real_underflow.json": .acceptedNumber,
        "i_number_too_big_neg_int.json": .acceptedNumber,
        "i_number_too_big_pos_int.json": .acceptedNumber,
        "i_number_very_big_negative_int.json": .acceptedNumber,
        "i_object_key_lone_2nd_surrogate.json": .surrogateEscape,
        "i_string_1st_valid_surrogate_2nd_invalid.json": .surrogateEscape,
        "i_string_incomplete_surrogate_and_escape_valid.json": .surrogateEscape,
        "i_string_incomplete_surrogates_escape_valid.json": .surrogateEscape,
        "i_string_invalid_lonely_surrogate.json": .surrogateEscape,
        "i_string_invalid_surrogate.json": .surrogateEscape,
        "i_string_inverted_surrogates_U+1D11E.json": .surrogateEscape,
        "i_string_lone_second_surrogate.json": .surrogateEscape,
        "i_string_UTF-8_invalid_sequence.json": .invalidUTF8(at: 7),  // [" e6 97 a5 d1 88 fa: 0xFA is never valid
        "i_string_iso_latin_1.json": .invalidUTF8(at: 2),
        "i_string_lone_utf8_continuation_byte.json": .invalidUTF8(at: 2),
        "i_string_not_in_unicode_range.json": .invalidUTF8(at: 2),  // F4 BF: above U+10FFFF
        "i_string_overlong_sequence_2_bytes.json": .invalidUTF8(at: 2),
        "i_string_overlong_sequence_6_bytes.json": .invalidUTF8(at: 2),
        "i_string_truncated-utf-8.json": .invalidUTF8(at: 2),
    ]

    @Test func everyIFileGetsItsDocumentedAnswer() throws {
        let files = try Corpus.files(prefix: "i_", atLeast: 23)
        #expect(Set(files.map(\.name)) == Set(Self.answers.keys), "every i_ file needs a documented answer")
        for file in files {
            guard let answer = Self.answers[file.name] else { continue }
            switch answer {
            case .acceptedNumber:
                let value = try JSONReader.parse(file.bytes)
                // The file is `[<number>]`: the number's text must survive unchanged.
                let text = String(decoding: file.bytes.dropFirst().dropLast(), as: UTF8.self)
                #expect(value == .array([.number(try #require(JSONNumber(text: text)))]), "\(file.name)")
                #expect(value[0]?.numberValue?.text == text, "\(file.name)")
                #expect(value[0]?.int64Value == nil, "\(file.name): out of Int64 range or fractional")
                #expect(JSONWriter.serialize(value) == file.bytes, "\(file.name): written back byte for byte")
            case .surrogateEscape:
                #expect("\(file.name)") {
                    _ = try JSONReader.parse(file.bytes)
                } throws: { error in
                    guard case JSONParseError.syntax(_, let reason) = error else { return false }
                    return reason.contains("surrogate")
                }
            case .invalidUTF8(let offset):
                #expect(throws: JSONParseError.invalidUTF8(offset: offset), "\(file.name)") {
                    _ = try JSONReader.parse(file.bytes)
                }
            }
        }
    }
}
