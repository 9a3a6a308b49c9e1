import JSON
import Testing

@Suite struct NumberTests {
    @Test(arguments: [
        "0", "-0", "1", "-1", "10", "0.5", "-0.5", "1.0", "1e5", "1E5", "1e+5", "1e-5", "1.5e-05", "-1.25E+10",
        "9007199254740993", "123456789012345678901234567890", "1e400", "1e-400", "0e0", "0.000",
    ])
    func validTextIsKeptExactly(_ text: String) throws {
        let number = try #require(JSONNumber(text: text))
        #expect(number.text == text)
        #expect(number.description == text)
        // The reader keeps the same text.
        #expect(try JSONReader.parse("[\(text)]") == .array([.number(number)]))
        #expect(JSONWriter.string(.number(number)) == text)
    }

    @Test(arguments: [
        "", " 1", "1 ", "+1", "01", "-01", "00", ".5", "1.", "-", "--1", "1e", "1e+", "1e-", "1.e5", "0x1", "1_0",
        "NaN", "Infinity", "-Infinity", "inf", "1,5", "1.5.5", "1e5e5", "١",
    ])
    func invalidTextIsRefused(_ text: String) {
        #expect(JSONNumber(text: text) == nil, "\(text.debugDescription)")
    }

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("5", 5), ("-1", -1), ("5.0", 5), ("5e0", 5), ("5E+0", 5), ("50e-1", 5), ("0.5e1", 5),
        ("1e3", 1000), ("1E18", 1_000_000_000_000_000_000), ("0.000", 0), ("0e99999999999999999999", 0),
        ("100000000000000000000e-2", 1_000_000_000_000_000_000), ("0.0000000000000000000000000001e28", 1),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min), ("92233720368547758070e-1", Int64.max),
        ("-9.223372036854775808e18", Int64.min), ("00000", nil), // not valid number text
    ] as [(String, Int64?)])
    func int64ValueIsExactForWholeNumbers(_ text: String, _ expected: Int64?) {
        #expect(JSONNumber(text: text)?.int64Value == expected, "\(text)")
    }

    @Test(arguments: [
        "1.5", "0.1", "-0.5", "1e-1", "5.01", "1e400", "-1e400", "1e19", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "1e99999999999999999999", "1e-99999999999999999999", "92233720368547758071e-1",
    ])
    func int64ValueRefusesFractionsAndOutOfRange(_ text: String) throws {
        let number = try #require(JSONNumber(text: text))
        #expect(number.int64Value == nil, "\(text)")
    }

    @Test func conversions() throws {
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(Int64.min).text == "-9223372036854775808")
        #expect(JSONNumber(-7 as Int).int64Value == -7)
        #expect(JSONNumber(0.1)?.text == "0.1")
        #expect(JSONNumber(5.0)?.text == "5.0")
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(text: "2.5")?.doubleValue == 2.5)
        #expect(JSONNumber(text: "1e400")?.doubleValue == nil)
        #expect(JSONNumber(text: "1e-400")?.doubleValue == 0)
        let literal: JSONNumber = 12
        #expect(literal.text == "12")
        #expect(JSONNumber(text: "12")!.isIntegerLiteral)
        #expect(!JSONNumber(text: "12.0")!.isIntegerLiteral)
    }

    @Test func equalityIsTextual() throws {
        #expect(JSONNumber(text: "1.0") != JSONNumber(text: "1"))
        #expect(JSONNumber(text: "1.0")?.int64Value == JSONNumber(text: "1")?.int64Value)
        #expect(JSONNumber(text: "1e5") == JSONNumber(text: "1e5"))
        #expect(Set([JSONNumber(1), JSONNumber(text: "1")!]).count == 1)
    }
}
