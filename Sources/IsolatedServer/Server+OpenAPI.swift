import Foundation
import IsolatedEngine

extension Server {
    /// The OpenAPI document as this server serves it: the embedded ``openAPIDocument`` with the
    /// machine types a call may name narrowed to those this server can run, so the contract
    /// says which types a client can expect to run rather than just "a string".
    func servedOpenAPIDocument() -> Data {
        let document = Data(Self.openAPIDocument.utf8)
        guard var root = (try? JSONSerialization.jsonObject(with: document)) as? [String: Any],
            var components = root["components"] as? [String: Any],
            var schemas = components["schemas"] as? [String: Any]
        else { return document }
        let runnable = engine.runnableMachineTypes
        for name in ["InvocationBody", "InvocationHeader"] {
            guard var schema = schemas[name] as? [String: Any], var properties = schema["properties"] as? [String: Any] else { continue }
            properties["machineType"] = [
                "type": "string",
                "enum": runnable,
                "description": "One of the machine types this server can run (`GET /v1/machine-types` lists the catalog).",
            ]
            schema["properties"] = properties
            schemas[name] = schema
        }
        components["schemas"] = schemas
        root["components"] = components
        return (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])) ?? document
    }
}
