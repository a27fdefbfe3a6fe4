/// One line of `isolated doctor`: what this machine offers runners, and what the engine enforces.
package struct MachineCheck: Codable, Sendable, Hashable {
    /// What was checked: "toolchain", "sandbox", ….
    package var name: String
    /// "ok", "enforced", "not enforced", "available", "warning", "error", ….
    package var status: String
    /// The details a person needs to act on it.
    package var detail: String

    package init(name: String, status: String, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}
