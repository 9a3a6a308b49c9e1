import JSON
import JSONRPC
import Testing

/// The JSONTestSuite corpus as request bodies (see the corpus README): y_ never gets
/// -32700, n_ always gets a single -32700, i_ gets the documented answer.
@Suite struct CorpusDispatchTests {
    private func run(_ bytes: [UInt8]) throws -> (responses: [JSONRPCResponse], isBatch: Bool) {
        let out = makeDispatcher().handle(body: bytes, context: CallLog())
        return try responses(out.map { String(decoding: $0, as: UTF8.self) })
    }

    @Test func validJSONIsNeverAParseError() throws {
        for file in try Corpus.files(prefix: "y_", atLeast: 72) {
            let (list, _) = try run(file.bytes)
            #expect(!list.isEmpty, "\(file.name)")
            #expect(list.allSatisfy { $0.code == -32600 }, "\(file.name): none of them is a valid request")
        }
    }

    @Test func invalidJSONIsAlwaysOneParseError() throws {
        for file in try Corpus.files(prefix: "n_", atLeast: 122) {
            let (list, isBatch) = try run(file.bytes)
            #expect(!isBatch && list.count == 1 && list[0].code == -32700 && list[0].id == .null, "\(file.name)")
        }
    }

    @Test func implementationDefinedFilesGetTheDocumentedAnswer() throws {
        for file in try Corpus.files(prefix: "i_", atLeast: 23) {
            let (list, isBatch) = try run(file.bytes)
            if file.name.hasPrefix("i_number_") {
                // Valid JSON (numbers of any size are kept): a batch of one non-request.
                #expect(isBatch && list.map(\.code) == [-32600], "\(file.name)")
            } else {
                // Lone surrogate escapes and invalid UTF-8 are refused by the reader.
                #expect(!isBatch && list.map(\.code) == [-32700], "\(file.name)")
            }
        }
    }

    @Test func hugeNumbersAreValidRequestIDs() throws {
        for file in try Corpus.files(prefix: "i_number_", atLeast: 8) {
            let number = String(decoding: file.bytes.dropFirst().dropLast(), as: UTF8.self)
            let body = #"{"jsonrpc":"2.0","method":"get_data","id":\#(number)}"#
            #expect(call(body) == #"{"jsonrpc":"2.0","result":["hello",5],"id":\#(number)}"#, "\(file.name)")
        }
    }
}
