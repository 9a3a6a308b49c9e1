import Foundation
import Logging
import StructuredLog
import Testing

/// The log line formats of issue #7: one JSON object or one logfmt line per event, fields in a
/// fixed order, hostile values escaped so that they cannot break or forge a line.
@Suite struct LogLineTests {
    /// 2026-11-29T14:13:59.123Z.
    static let time: Int64 = 1_795_961_639_123_456_789

    static let metadata: Logger.Metadata = [
        "holder": "ctl \"a\"\nlevel=error",
        "event": "call",
        "method": "reserve",
        "code": .stringConvertible(1002),
        "duration": .stringConvertible(0.0015),
        "shortfall": ["limits.cpu": "500m"],
        "zeta": "z",
        "alpha": "a",
    ]

    @Test func timestampIsRFC3339InUTCWithMilliseconds() {
        #expect(LogLine.timestamp(Self.time) == "2026-11-29T14:13:59.123Z")
        #expect(LogLine.timestamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(LogLine.timestamp(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func jsonLineParsesWithTypedFieldsInOrder() throws {
        let bytes = LogLine.render(format: .json, nanosecondsSinceEpoch: Self.time, level: .warning, message: "denied", metadata: Self.metadata)
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.dropLast().contains(UInt8(ascii: "\n")) == false, "one event, one line")
        let text = String(decoding: bytes, as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["time"] as? String == "2026-11-29T14:13:59.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["code"] as? Int == 1002)
        #expect(object["duration"] as? Double == 0.0015)
        #expect(object["holder"] as? String == "ctl \"a\"\nlevel=error")
        #expect((object["shortfall"] as? [String: String]) == ["limits.cpu": "500m"])
        #expect(object["msg"] as? String == "denied")
        // time, level, the leading keys in their order, the rest sorted, msg last.
        let order = ["\"time\"", "\"level\"", "\"event\"", "\"method\"", "\"code\"", "\"holder\"", "\"duration\"", "\"alpha\"", "\"shortfall\"", "\"zeta\"", "\"msg\""]
        let positions = order.map { text.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    @Test func textLineQuotesAndEscapesHostileValues() {
        let bytes = LogLine.render(format: .text, nanosecondsSinceEpoch: Self.time, level: .info, message: "lease granted", metadata: Self.metadata)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == #"time=2026-11-29T14:13:59.123Z level=info event=call method=reserve code=1002 holder="ctl \"a\"\nlevel=error" duration=0.0015 alpha=a shortfall="{\"limits.cpu\":\"500m\"}" zeta=z msg="lease granted""# + "\n")
    }

    @Test func controlCharactersAndEmptyValuesAreQuoted() {
        let bytes = LogLine.render(format: .text, nanosecondsSinceEpoch: 0, level: .debug, message: "", metadata: ["vmName": "a\u{1}b\tc", "pool": ""])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == #"time=1970-01-01T00:00:00.000Z level=debug pool="" vmName="a\u0001b\tc" msg="""# + "\n")
    }

    @Test func c1ControlsAndLineSeparatorsAreEscapedInText() {
        let bytes = LogLine.render(format: .text, nanosecondsSinceEpoch: 0, level: .info, message: "m",
                                   metadata: ["holder": "ctl\u{85}\u{9B}31mFAKE\u{2028}line"])
        let line = String(decoding: bytes, as: UTF8.self)
        #expect(line.contains(#"holder="ctl\u0085\u009b31mFAKE\u2028line""#), "\(line)")
        #expect(!line.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0x2028 })
    }

    @Test func handlerMergesLoggerMetadataAndWritesOneLinePerEvent() throws {
        final class Lines: @unchecked Sendable { var lines: [[UInt8]] = [] }
        let sink = Lines()
        var logger = Logger(label: "test") { _ in
            StructuredLogHandler(format: .json, level: .notice, output: { sink.lines.append($0) }, clock: { LogLineTests.time })
        }
        logger[metadataKey: "component"] = "server"
        logger.info("below the level")
        logger.notice("started", metadata: ["event": "start"])
        #expect(sink.lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sink.lines[0])) as? [String: Any])
        #expect(object["component"] as? String == "server")
        #expect(object["event"] as? String == "start")
        #expect(object["level"] as? String == "notice")
        logger.logLevel = .trace
        logger.trace("now written")
        #expect(sink.lines.count == 2)
    }
}
