import AgentCacheCore
import Foundation
import HTTPTypes
import Testing

@testable import AgentCacheServer

/// SPEC §6: `GET /openapi.json` describes every route. The document is docs/openapi.yaml as
/// JSON (scripts/openapi-check proves the two agree and runs schemathesis against a live node);
/// these tests hold it to the route table and the error mapping.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// The operations of a Path Item, by lowercase method.
    static let methods: Set<String> = ["get", "head", "post", "put", "delete", "options", "patch", "trace"]

    /// `GET /openapi.json` from `api`, parsed.
    private func document(_ api: APIClient) async throws -> [String: Any] {
        let reply = try await api.request("/openapi.json")
        #expect(reply.status == .ok)
        return try reply.object()
    }

    private func object(_ value: Any?, _ name: String) throws -> [String: Any] {
        try #require(value as? [String: Any], "\(name) is not an object")
    }

    /// The scheme names of an operation's `security` and the roles (scopes) each lists.
    private func security(_ operation: [String: Any]) throws -> [String: [String]] {
        let requirements = try #require(operation["security"] as? [[String: [String]]], "no security on \(operation["operationId"] ?? "?")")
        var schemes: [String: [String]] = [:]
        for requirement in requirements {
            for (scheme, roles) in requirement { schemes[scheme] = roles }
        }
        return schemes
    }

    @Test("every route of the route table, CORS preflights included, is an operation with the access it declares, and every operation is a route")
    func routeTableIsDocumented() async throws {
        try await withAuthServer(configure: { $0.cors = CORSPolicy(origins: ["*"]) }) { api in
            let paths = try object(try await document(api)["paths"], "paths")
            var documented: Set<String> = []
            for (path, item) in paths {
                for method in try object(item, path).keys where Self.methods.contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            let routes = api.parts.routes
            #expect(routes.contains { $0.route == "OPTIONS /api/cache/get" }, "the walk covers the CORS preflights")
            #expect(routes.contains { $0.route == "GET /openapi.json" })
            var routed: Set<String> = []
            for (route, access) in routes {
                // The router's `:name` parameters are OpenAPI's `{name}`.
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let path = parts[1].replacing(#/:([a-z_]+)/#) { "{\($0.1)}" }
                routed.insert("\(parts[0]) \(path)")
                guard let operation = (paths[path] as? [String: Any])?[parts[0].lowercased()] as? [String: Any] else {
                    Issue.record("\(route) [\(access)] is not in docs/openapi.yaml")
                    continue
                }
                let schemes = try security(operation)
                switch access {
                case "public":
                    #expect(schemes.isEmpty, "\(route) is public; the document asks for \(schemes)")
                case "admin":
                    #expect(schemes == ["AdminToken": []], "\(route): \(schemes)")
                case "admin or key holder":
                    #expect(schemes == ["AdminToken": [], "ApiKey": [], "BearerKey": []], "\(route): \(schemes)")
                default:
                    let scope = String(access.dropFirst("scope ".count))
                    #expect(access.hasPrefix("scope "), "\(route): unknown access \(access)")
                    #expect(schemes == ["ApiKey": [scope], "BearerKey": [scope]], "\(route) needs \(scope): \(schemes)")
                }
            }
            #expect(documented.subtracting(routed).isEmpty, "operations without a route: \(documented.subtracting(routed).sorted())")
        }
    }

    @Test("every error code is documented under each status the server answers it with, and no other code is")
    func errorCodesByStatus() async throws {
        try await withTestServer { api in
            let components = try object(try await document(api)["components"], "components")
            let schemas = try object(components["schemas"], "schemas")
            let listed = try #require(try object(schemas["ErrorCode"], "ErrorCode")["enum"] as? [String])
            #expect(Set(listed) == Set(ErrorCode.allCases.map(\.rawValue)))
            for code in ErrorCode.allCases {
                // An origin that timed out is 504, one that failed 502: the only code with two.
                let errors = code == .originUnavailable
                    ? [CacheError(code, ""), CacheError(code, "", timedOut: true)] : [CacheError(code, "")]
                for error in errors {
                    let status = error.httpStatus.code
                    let schema = try object(schemas["Error\(status)"], "Error\(status) (for \(code.rawValue))")
                    let codes = try #require((schema["properties"] as? [String: Any])?["code"] as? [String: Any])
                    #expect((codes["enum"] as? [String])?.contains(code.rawValue) == true, "\(code.rawValue) is not listed under \(status)")
                }
            }
            // And each status lists only codes the server maps to it.
            for (name, schema) in schemas where name.wholeMatch(of: #/Error\d{3}/#) != nil {
                let status = Int(name.dropFirst("Error".count))!
                let codes = ((schema as? [String: Any])?["properties"] as? [String: Any]).flatMap { ($0["code"] as? [String: Any])?["enum"] as? [String] } ?? []
                for text in codes {
                    let code = try #require(ErrorCode(rawValue: text), "\(name) lists an unknown code \(text)")
                    let statuses = [CacheError(code, "").httpStatus.code, CacheError(code, "", timedOut: true).httpStatus.code]
                    #expect(statuses.contains(status), "\(name) lists \(text), which the server answers with \(statuses)")
                }
            }
        }
    }

    @Test("GET /openapi.json is public with API keys on, JSON, the compiled document; HEAD answers its headers")
    func served() async throws {
        try await withAuthServer { api in
            let reply = try await api.request("/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/json")
            #expect(reply.text == OpenAPIDocument.json)
            let json = try reply.object()
            #expect(json["openapi"] as? String == "3.1.0")
            let head = try await api.request("/openapi.json", method: .head)
            #expect(head.status == .ok && head.bytes.isEmpty)
            #expect(head.headers[.contentType] == "application/json")
        }
    }
}
