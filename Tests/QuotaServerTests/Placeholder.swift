import Testing

@Test func placeholder_QuotaServerTests() {}
