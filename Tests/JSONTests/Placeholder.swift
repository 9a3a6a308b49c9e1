import Testing

@Test func placeholder_JSONTests() {}
