import SwiftDiagnostics

/// The edit a fix-it for an `IsolatedDiagnostic` makes, as shown to the user.
struct IsolatedFixIt: FixItMessage {
    let message: String

    var fixItID: MessageID { MessageID(domain: "IsolatedMacros", id: message) }
}
