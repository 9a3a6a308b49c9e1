import ArgumentParser

/// `quotactl`: the operator's and script's client of quotad (issue 5).
@main
struct QuotactlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quotactl",
        abstract: "Client of quotad: pools, migration leases from VirtualMachineInstance manifests, views.",
        subcommands: [
            PoolCommand.self, ReserveCommand.self, ReleaseCommand.self, RenewCommand.self,
            InspectCommand.self, LeasesCommand.self,
        ]
    )
}
