import Foundation

/// Names this process in rows it holds (a mailbox's hold, a claimed webhook delivery): `host/pid/tag`.
/// A restarted desk releases at once what a process of its own machine left behind when it was
/// killed; holds of other machines run out by themselves.
enum ProcessIdentity {
    static let host = String(ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "-").prefix(60))

    /// A new holder name for this process (`tag` tells holders of one process apart).
    static func holder(tag: String = String(UUID().uuidString.prefix(8))) -> String {
        "\(host)/\(ProcessInfo.processInfo.processIdentifier)/\(tag)"
    }

    /// This process's name for claims that need no more than the process.
    static let process = holder()

    /// Whether `holder` names a process of this machine that no longer runs.
    static func isGone(_ holder: String) -> Bool {
        let parts = holder.split(separator: "/")
        guard parts.count == 3, parts[0] == host, let pid = Int32(parts[1]), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
