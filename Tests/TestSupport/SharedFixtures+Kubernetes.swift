import Foundation

extension SharedFixtures {
    /// `../shared/fixtures/kubernetes`.
    public static var kubernetesDirectory: URL { directory.appendingPathComponent("kubernetes") }

    /// The text of one Kubernetes fixture, e.g. `vmi-long-name-60.yaml` or `kubevirt-examples/vmi-windows.yaml`.
    /// - Throws: ``Missing`` naming the path when it cannot be read.
    public static func kubernetes(_ name: String) throws -> String {
        let url = kubernetesDirectory.appendingPathComponent(name)
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw Missing(description: "Kubernetes fixture missing at \(url.path): \(error)")
        }
    }
}
