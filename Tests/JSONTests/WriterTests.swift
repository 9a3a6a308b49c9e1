import JSON
import Testing

@Suite struct WriterTests {
    @Test func compactOutputInMemberOrder() {
        let value: JSONValue = ["b": [1, 2.5, true, false, nil], "a": ["x": "y"], "e": [], "o": [:]]
        #expect(JSONWriter.string(value) == #"{"b":[1,2.5,true,false,null],"a":{"x":"y"},"e":[],"o":{}}"#)
        #expect(value.description == JSONWriter.string(value))
    }

    @Test func escapesExactlyWhatRFC8259Requires() {
        var controls = ""
        for scalar in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        let written = JSONWriter.string(.string(controls))
        var expected = "\""
        for scalar in 0..<0x20 {
            let hex = String(scalar, radix: 16)
            expected += "\\u00" + (hex.count == 1 ? "0" + hex : hex)
        }
        expected += "\""
        #expect(written == expected)
        #expect(JSONWriter.string(.string("\"\\/\u{7F}é€𝄞\u{2028}")) == "\"\\\"\\\\/\u{7F}é€𝄞\u{2028}\"")
        #expect(JSONWriter.string(["k\"\n": "v"]) == #"{"k\"\u000a":"v"}"#)
    }

    @Test func numbersAreWrittenAsTheirText() throws {
        let value = try JSONReader.parse("[9007199254740993,1.0,1e5,-0,1E+400,0.10]")
        #expect(JSONWriter.string(value) == "[9007199254740993,1.0,1e5,-0,1E+400,0.10]")
    }

    @Test func appendsToAnExistingBuffer() {
        var buffer = Array("prefix:".utf8)
        JSONWriter.serialize([1, "a"], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:[1,"a"]"#)
        var s: [UInt8] = []
        JSONWriter.serializeString("a\tb", into: &s)
        #expect(s == Array(#""a\u0009b""#.utf8))
    }

    @Test func everyStringRoundTrips() throws {
        let samples = ["", "plain", "\u{0}", "tab\there", "quote\"back\\slash", "ü€𝄞", String(Unicode.Scalar(0xFFFF as UInt32)!), "\u{10FFFF}", "\r\n", "a/b"]
        for sample in samples {
            let bytes = JSONWriter.serialize(["k": .string(sample)])
            #expect(try JSONReader.parse(bytes) == ["k": .string(sample)], "\(sample.debugDescription)")
        }
    }

    @Test func literalsBuildValues() {
        let value: JSONValue = ["id": 1, "ok": true, "name": "n", "none": nil, "list": [1, "two", [3]], "ratio": 0.25]
        #expect(value["id"]?.int64Value == 1)
        #expect(value["ok"]?.boolValue == true)
        #expect(value["name"]?.stringValue == "n")
        #expect(value["none"]?.isNull == true)
        #expect(value["list"]?[2]?[0] == 3)
        #expect(value["list"]?[9] == nil)
        #expect(value["ratio"]?.numberValue?.text == "0.25")
        #expect(value["list"]?.arrayValue?.count == 3)
        #expect(value.typeName == "object")
        #expect(JSONValue(Int64(5)) == 5)
        #expect(JSONValue("s") == "s")
        #expect(JSONValue(false) == false)
    }
}
