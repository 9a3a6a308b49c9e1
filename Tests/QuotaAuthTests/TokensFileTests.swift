import QuotaAuth
import QuotaCore
import Testing

/// The tokens file and authentication, issue #6.
@Suite struct TokensFileTests {
    /// SHA-256("test"), the FIPS 180-4 style check value `printf %s test | sha256sum` prints.
    static let testDigest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    static let yaml = """
        principals:
          - name: harvester-a-controller
            role: controller
            pools: ["harvester-a"]
            tokenSHA256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08
          - name: rancher
            role: reader
            pools: ["*"]
            tokenSHA256: \(TokenDigest(of: "rancher-secret").hex)
          - name: ops.example.com
            role: admin
            pools: ["*"]
        """

    @Test func sha256MatchesTheKnownValue() {
        #expect(TokenDigest(of: "test").hex == Self.testDigest)
    }

    @Test func yamlFileParsesWithRolesScopesAndDigests() throws {
        let file = try TokensFile.parse(Self.yaml)
        #expect(file.entries.map(\.principal.name) == ["harvester-a-controller", "rancher", "ops.example.com"])
        #expect(file.entries.map(\.principal.role) == [.controller, .reader, .admin])
        #expect(file.entries[0].principal.scopes == [.prefix(try PoolPath("harvester-a"))])
        #expect(file.entries[1].principal.isUnscoped)
        #expect(file.entries[0].tokenSHA256?.hex == Self.testDigest)
        #expect(file.entries[2].tokenSHA256 == nil)
    }

    @Test func jsonFileParsesToo() throws {
        let json = #"{"principals": [{"name": "r", "role": "reader", "pools": ["c1", "c2/ns"], "tokenSHA256": "\#(Self.testDigest)"}]}"#
        let file = try TokensFile.parse(json)
        #expect(file.entries.first?.principal.scopes == [.prefix(try PoolPath("c1")), .prefix(try PoolPath("c2/ns"))])
    }

    @Test(arguments: [
        ("principals: [", "not valid YAML or JSON"),
        ("[]", "must be an object"),
        ("users: []", "users: unknown field"),
        ("principals: {}", "principals: required, a non-empty list"),
        ("principals: []", "principals: required, a non-empty list"),
        ("principals:\n  - name: a\n    token: \"hunter2\n", "at line"),
        ("principals: []\nprincipals: []\n# hunter2", "a key is given twice"),
        ("principals: [{role: admin, pools: ['*']}]", "principals[0].name: required"),
        ("principals: [{name: a, pools: ['*']}]", "principals[0].role: required"),
        ("principals: [{name: a, role: root, pools: ['*']}]", "principals[0].role: must be admin, controller or reader (got \"root\")"),
        ("principals: [{name: a, role: admin}]", "principals[0].pools: required"),
        ("principals: [{name: a, role: admin, pools: []}]", "principals[0].pools: required"),
        ("principals: [{name: a, role: admin, pools: ['C1']}]", "principals[0].pools[0]: must be \"*\" or a pool path"),
        ("principals: [{name: a, role: admin, pools: ['*'], tokenSHA256: abc}]", "principals[0].tokenSHA256: must be 64 hexadecimal digits"),
        ("principals: [{name: a, role: admin, pools: ['*'], token: hunter2}]", "principals[0].token: tokens are never stored in clear"),
        ("principals: [{name: a, role: admin, pools: ['*'], colour: red}]", "principals[0].colour: unknown field"),
        ("principals: [{name: a, role: admin, pools: ['*']}, {name: a, role: reader, pools: ['*']}]", "principals[1].name: \"a\" is used twice"),
        ("principals: [{name: \"x\\nadmin\", role: admin, pools: ['*']}]", "principals[0].name: must not contain control characters"),
    ])
    func badFilesAreRefusedNamingTheField(text: String, fragment: String) {
        do {
            _ = try TokensFile.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.reason.contains(fragment), "\(text): \(error.reason)")
            #expect(!error.reason.contains("hunter2"), "a token leaked into the message: \(error.reason)")
        }
    }

    @Test func oneTokenForTwoPrincipalsIsRefused() {
        let text = """
            principals:
              - {name: a, role: admin, pools: ["*"], tokenSHA256: \(Self.testDigest)}
              - {name: b, role: reader, pools: ["*"], tokenSHA256: \(Self.testDigest)}
            """
        #expect(throws: TokensFileError.self) { try TokensFile.parse(text) }
    }

    @Test func bearerTokensFindTheirPrincipal() throws {
        let authenticator = Authenticator(tokens: try TokensFile.parse(Self.yaml))
        #expect(authenticator.principal(bearer: "test")?.name == "harvester-a-controller")
        #expect(authenticator.principal(bearer: "rancher-secret")?.name == "rancher")
        #expect(authenticator.principal(bearer: "tes") == nil)
        #expect(authenticator.principal(bearer: "test ") == nil)
        #expect(authenticator.principal(bearer: "") == nil)
        #expect(authenticator.principal(certificateNames: ["ops.example.com"])?.role == .admin)
        #expect(authenticator.principal(certificateNames: ["someone-else"]) == nil)
    }

    @Test func authorizationHeaderParsing() {
        #expect(Authenticator.bearerToken(in: "Bearer abc") == "abc")
        #expect(Authenticator.bearerToken(in: "bearer  abc ") == "abc")
        #expect(Authenticator.bearerToken(in: "Basic YWJjOmRlZg==") == nil)
        #expect(Authenticator.bearerToken(in: "Bearer") == nil)
        #expect(Authenticator.bearerToken(in: "Bearer   ") == nil)
    }

    @Test func rolesAndScopes() throws {
        #expect(Role.reader.permits("inspect") && !Role.reader.permits("reserve"))
        #expect(Role.controller.permits("reserve") && Role.controller.permits("reconcile") && !Role.controller.permits("setPool"))
        #expect(Role.admin.permits("importAnnotations") && Role.admin.permits("deletePool"))
        let scope = try PoolScope("c1")
        let c1 = try PoolPath("c1"), c1ns = try PoolPath("c1/ns"), c10 = try PoolPath("c10"), c2 = try PoolPath("c2")
        #expect(scope.covers(c1) && scope.covers(c1ns))
        #expect(!scope.covers(c10) && !scope.covers(c2))
        #expect(PoolScope.all.covers(try PoolPath("anything/at-all")))
    }
}
