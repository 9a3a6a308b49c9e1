import Testing

@Test func placeholder_EventHTTPTests() {}
