import GRPCCore

/// Upstream's controller methods that Isolated does not serve. Each answers `UNIMPLEMENTED` with
/// what Isolated does instead, where gRPC alone would only say the method does not exist; the
/// client shows the message as it is.
struct UnsupportedMethods: RegistrableRPCService {
    /// Each method's name, and what to do instead.
    static let methods: [(name: String, instead: String)] = [
        ("Map", "call the function once per item with .submit() and collect the futures' results"),
        (
            "RegisterApplication",
            "Isolated runs function calls, not hosted applications or web endpoints; call the function from your own service"
        ),
        ("ListAliases", "Isolated has no applications to alias; call the function itself"),
        ("RegisterCron", "Isolated does not schedule calls; run your script from cron or a systemd timer"),
        ("CancelCron", "Isolated does not schedule calls; remove the cron entry or timer that runs your script"),
        ("ListCrons", "Isolated does not schedule calls; your cron table or systemd timers list them"),
        ("ListActivations", "`isolated invocations` lists the calls the server recorded, with their phases"),
        ("GetActivationLogs", "`isolated logs ID` prints what one recorded call printed"),
        ("GetLogs", "`isolated logs ID` prints what one recorded call printed; `isolated invocations` lists the calls"),
        ("SetSecret", "Isolated keeps no secrets; pass them to the function as arguments, or read them where the function runs"),
        ("ListSecrets", "Isolated keeps no secrets; pass them to the function as arguments, or read them where the function runs"),
    ]

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        for (name, instead) in Self.methods {
            router.registerHandler(
                forMethod: MethodDescriptor(fullyQualifiedService: "controller.IsolateController", method: name),
                deserializer: Ignored(),
                serializer: Ignored()
            ) { _, _ in
                throw RPCError(code: .unimplemented, message: "\(name) is not supported by Isolated: \(instead)")
            }
        }
    }

    /// Neither reads nor writes a message: these methods fail before either.
    private struct Ignored: MessageSerializer, MessageDeserializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ message: Void) throws -> Bytes { Bytes(repeating: 0, count: 0) }
        func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws {}
    }
}
