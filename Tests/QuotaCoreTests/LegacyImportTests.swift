import QuotaCore
import Testing

/// Legacy Harvester migration annotations turned into leases, issue #5. Numbers from
/// ../shared/fixtures/kubernetes/resourcequota-team-a.yaml (harvester#9411).
@Suite struct LegacyImportTests {
    let nameKey = "harvesterhci.io/migrating-legacy-vm-started-before-upgrade"
    let uidKey = "harvesterhci.io/migratingUID-9d461576-6cd4-4f91-bda5-36a3a434d6f9"
    let legacyUID = "3ddab6b5-edb6-4e2f-8d8e-b596c8965f78"
    let webUID = "9d461576-6cd4-4f91-bda5-36a3a434d6f9"

    /// A stand-in for UUIDv5: a fixed id per name, so tests can tell derived ids apart.
    func derived(_ name: String) -> LeaseID {
        (try? lid(0xD000 + name.utf8.count)) ?? LeaseID.placeholder
    }

    func entries(_ pairs: [(String, [String: String])]) throws -> [LegacyMigration.Entry] {
        try pairs.map { key, amounts in
            LegacyMigration.Entry(annotation: key, key: try #require(try LegacyAnnotationKey(key)), resources: try rl(amounts))
        }
    }

    @Test func keysAreClassifiedByPrefix() throws {
        #expect(try LegacyAnnotationKey(nameKey) == .vmName("legacy-vm-started-before-upgrade"))
        #expect(try LegacyAnnotationKey(uidKey) == .uid(try LeaseID(webUID)))
        #expect(try LegacyAnnotationKey("harvesterhci.io/sshNames") == nil)
        #expect(try LegacyAnnotationKey("field.cattle.io/resourceQuota") == nil)
        // A VM whose name starts with "uid" is still name-keyed.
        #expect(try LegacyAnnotationKey("harvesterhci.io/migrating-uid-vm") == .vmName("uid-vm"))
        #expect(throws: InvalidValue.self) { try LegacyAnnotationKey("harvesterhci.io/migratingUID-not-a-uuid") }
        #expect(throws: InvalidValue.self) { try LegacyAnnotationKey("harvesterhci.io/migrating-Bad_Name") }
        #expect(throws: InvalidValue.self) { try LegacyAnnotationKey("harvesterhci.io/migrating-") }
    }

    @Test func withoutVMIsANameKeyedEntryGetsADerivedIdAndTheLegacyLabel() throws {
        let migrations = try LegacyMigration.merging(
            entries([(nameKey, ["limits.cpu": "1", "limits.memory": "1456469952"]), (uidKey, ["limits.cpu": "2", "limits.memory": "4531245057"])]),
            vmis: [:], derivedID: derived
        )
        #expect(migrations.count == 2)
        let byName = try #require(migrations.first { $0.labels["vmName"] == "legacy-vm-started-before-upgrade" })
        #expect(byName.lease == derived("legacy-vm-started-before-upgrade"))
        #expect(byName.labels["legacy"] == "true")
        let byUID = try #require(migrations.first { $0.lease == (try? LeaseID(webUID)) })
        #expect(byUID.labels.isEmpty)
        #expect(byUID.resources == (try rl(["limits.cpu": "2", "limits.memory": "4531245057"])))
    }

    @Test func vmisResolveNamesAndLabelUIDKeyedEntries() throws {
        let vmis = ["legacy-vm-started-before-upgrade": try LeaseID(legacyUID), "web-frontend-7": try LeaseID(webUID)]
        let migrations = try LegacyMigration.merging(
            entries([(nameKey, ["limits.cpu": "1", "limits.memory": "1456469952"]), (uidKey, ["limits.cpu": "2", "limits.memory": "4531245057"])]),
            vmis: vmis, derivedID: derived
        )
        #expect(migrations.map(\.lease) == [try LeaseID(legacyUID), try LeaseID(webUID)])
        #expect(migrations.map { $0.labels } == [["vmName": "legacy-vm-started-before-upgrade"], ["vmName": "web-frontend-7"]])
    }

    @Test func bothKeysOfOneVMBecomeOneMigration() throws {
        let nameOfWeb = "harvesterhci.io/migrating-web-frontend-7"
        let migrations = try LegacyMigration.merging(
            entries([(nameOfWeb, ["limits.cpu": "2", "limits.memory": "4531245057"]), (uidKey, ["limits.cpu": "2", "limits.memory": "4531245057"])]),
            vmis: ["web-frontend-7": try LeaseID(webUID)], derivedID: derived
        )
        #expect(migrations.count == 1)
        #expect(migrations[0].lease == (try LeaseID(webUID)))
        #expect(migrations[0].labels == ["vmName": "web-frontend-7"])
        #expect(Set(migrations[0].annotations) == [nameOfWeb, uidKey])
    }

    @Test func theSameLeaseTwiceInOneFormIsRefusedNamingTheAnnotation() throws {
        let upper = "harvesterhci.io/migratingUID-9D461576-6CD4-4F91-BDA5-36A3A434D6F9"
        let error = quotaError {
            try LegacyMigration.merging(entries([(uidKey, ["limits.cpu": "1"]), (upper, ["limits.cpu": "1"])]), vmis: [:], derivedID: derived)
        }
        #expect(invalidField(of: error) == "annotations[\"\(upper)\"]")
    }

    /// The fixture's pool: base and capacity 3 CPU / 5000Mi.
    func teamA() throws -> Ledger {
        var ledger = Ledger()
        try ledger.pool("c1", ["limits.cpu": "16"])
        try ledger.pool("c1/team-a", ["limits.cpu": "3", "limits.memory": "5000Mi"], base: ["limits.cpu": "3", "limits.memory": "5000Mi"])
        return ledger
    }

    func fixtureMigrations() throws -> [LegacyMigration] {
        try LegacyMigration.merging(
            entries([(nameKey, ["limits.cpu": "1", "limits.memory": "1456469952"]), (uidKey, ["limits.cpu": "2", "limits.memory": "4531245057"])]),
            vmis: [:], derivedID: derived
        )
    }

    @Test func importAdmitsInFlightMigrationsBeyondCapacityAtOneRevision() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        let before = ledger.revision
        let outcome = try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "harvester", ttlSeconds: 600, now: clock.now())
        #expect(outcome.imported.count == 2)
        #expect(outcome.existing.isEmpty)
        #expect(ledger.revision == before + 1)
        #expect(outcome.imported.allSatisfy { $0.revision == ledger.revision && $0.holder == "harvester" && $0.ttlSeconds == 600 })
        // 1456469952 + 4531245057 bytes exceed 5000Mi: admitted, and the pool says so.
        #expect(outcome.pool.reserved == (try rl(["limits.cpu": "3", "limits.memory": "5987715009"])))
        #expect(outcome.pool.overcommitted)
        #expect(outcome.pool.effective == (try rl(["limits.cpu": "6", "limits.memory": "11230595009"])))
        #expect(try ledger.v("c1").activeLeases == 2)
        try checkInvariants(ledger)
        // Nothing new fits until enough is released.
        #expect(quotaError { try ledger.grant(lid(1), in: "c1/team-a", ["limits.cpu": "1"], now: clock.now()) }?.code == 1002)
    }

    @Test func importingTwiceChangesNothing() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        _ = try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        ledger.acknowledgeCommit()
        let snapshot = LedgerSnapshot(ledger)
        let again = try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        #expect(again.imported.isEmpty)
        #expect(again.existing.count == 2)
        #expect(LedgerSnapshot(ledger) == snapshot)
        #expect(!ledger.hasPendingChanges)
    }

    @Test func aMigrationReleasedSinceIsNotBroughtBack() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        _ = try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        _ = ledger.release(try LeaseID(webUID), now: clock.now())
        let again = try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        #expect(again.imported.isEmpty)
        #expect(again.existing.first { $0.id == (try? LeaseID(webUID)) }?.state == .released)
        #expect(try ledger.v("c1/team-a").activeLeases == 1)
    }

    @Test func aConflictRefusesTheWholeImport() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        // The web VM's lease is already active with other resources.
        try ledger.grant(try LeaseID(webUID), in: "c1/team-a", ["limits.cpu": "1"], now: clock.now())
        ledger.acknowledgeCommit()
        let snapshot = LedgerSnapshot(ledger)
        let error = quotaError {
            try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        }
        #expect(error?.code == 1003)
        #expect(LedgerSnapshot(ledger) == snapshot)
    }

    @Test func anOverflowRefusesTheWholeImport() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        let huge = [
            LegacyMigration(lease: try lid(1), resources: try rl(["limits.memory": "5E"]), labels: [:], annotations: ["a"]),
            LegacyMigration(lease: try lid(2), resources: try rl(["limits.memory": "5E"]), labels: [:], annotations: ["b"]),
        ]
        let snapshot = LedgerSnapshot(ledger)
        let error = quotaError { try ledger.importMigrations(huge, into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now()) }
        #expect(error == .quantityOverflow(field: "annotations[\"limits.memory\"]"))
        #expect(LedgerSnapshot(ledger) == snapshot)
    }

    @Test func badArgumentsNameTheirField() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        let negative = [LegacyMigration(lease: try lid(1), resources: try rl(["limits.cpu": "-1"]), labels: [:], annotations: [nameKey])]
        #expect(invalidField(of: quotaError {
            try ledger.importMigrations(negative, into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        }) == "annotations[\"\(nameKey)\"][\"limits.cpu\"]")
        #expect(invalidField(of: quotaError {
            try ledger.importMigrations([], into: pp("c1/team-a"), holder: "", ttlSeconds: 0, now: clock.now())
        }) == "ttlSeconds")
        #expect(quotaError {
            try ledger.importMigrations([], into: pp("c9"), holder: "", ttlSeconds: 900, now: clock.now())
        }?.code == 1001)
    }

    @Test func anUncommittedImportRollsBack() throws {
        let clock = ManualClock()
        var ledger = try teamA()
        ledger.acknowledgeCommit()
        let snapshot = LedgerSnapshot(ledger)
        _ = try ledger.importMigrations(try fixtureMigrations(), into: pp("c1/team-a"), holder: "", ttlSeconds: 900, now: clock.now())
        ledger.rollbackUncommitted()
        #expect(LedgerSnapshot(ledger).ignoringZeroReserved == snapshot.ignoringZeroReserved)
        try checkInvariants(ledger)
    }
}

extension LeaseID {
    static let placeholder = try! LeaseID("00000000-0000-4000-8000-000000000000")
}
