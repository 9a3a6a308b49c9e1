import Testing

@Test func placeholder_JSONRPCTests() {}
