import ArgumentParser
import Foundation
import IsolatedClient
import IsolatedServer
import IsolatedStore

/// `isolated keys`: the server's API keys.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys (in this machine's database, or a server's with --server).",
        subcommands: [Create.self, List.self, Revoke.self],
        defaultSubcommand: List.self
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print its secret, which is shown only this once.")

        @OptionGroup var options: HomeOptions

        @Argument(help: "A name for the key: who or what uses it.")
        var name: String

        @Option(help: "invoke: call functions and read calls and their output; admin: also manage keys, environments and runners.")
        var scope: KeyScope = .invoke

        func run() async throws {
            let created: CreatedKey
            if let client = try options.client() {
                created = try await client.createKey(name: name, scope: scope.rawValue)
            } else {
                let store = try await options.openStore()
                let (record, secret) = try await store.createKey(name: name, scope: scope)
                try await store.close()
                created = CreatedKey(key: KeyInfo(record), secret: secret)
            }
            if options.json { return try printJSON(created) }
            print(created.secret)
            // Standard output stays the secret alone, for scripts; the rest is for people.
            FileHandle.standardError.write(
                Data(
                    """
                    created \(created.key.scope) key \(created.key.id) (\(name)); the secret above is shown only once: export ISOLATED_KEY=…
                    for the fal-serverless client (isolated serve --grpc-port):
                    export FAL_KEY_ID=\(created.key.id)
                    export FAL_KEY_SECRET=\(created.secret)

                    """.utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @OptionGroup var options: HomeOptions

        func run() async throws {
            let keys: [KeyInfo]
            if let client = try options.client() {
                keys = try await client.keys()
            } else {
                let store = try await options.openStore()
                keys = try await store.keys().map(KeyInfo.init)
                try await store.close()
            }
            if options.json { return try printJSON(keys) }
            printTable(
                ["ID", "NAME", "SCOPE", "CREATED", "LAST USED", "REVOKED"],
                keys.map {
                    [
                        $0.id, $0.name, $0.scope, $0.createdAt.formatted(date: .abbreviated, time: .shortened),
                        $0.lastUsedAt?.formatted(date: .abbreviated, time: .shortened) ?? "-",
                        $0.revokedAt?.formatted(date: .abbreviated, time: .shortened) ?? "-",
                    ]
                }
            )
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; requests with it are refused from then on.")

        @OptionGroup var options: HomeOptions

        @Argument(help: "The key's id, as `isolated keys list` shows it.")
        var id: String

        func run() async throws {
            if let client = try options.client() {
                _ = try await client.revokeKey(id)
            } else {
                let store = try await options.openStore()
                try await store.revokeKey(id: id)
                try await store.close()
            }
            print("revoked \(id)")
        }
    }
}

extension KeyScope: ExpressibleByArgument {}
