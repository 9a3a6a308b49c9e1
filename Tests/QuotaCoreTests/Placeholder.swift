import Testing

@Test func placeholder_QuotaCoreTests() {}
