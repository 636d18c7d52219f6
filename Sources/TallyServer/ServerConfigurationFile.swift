public import Foundation
import TallyGateway
import TallyLedger
import TallyPricing
import TallyJSON
import HTTPTypes

/// A configuration file that could not be read: every problem, each naming the file and JSON path.
public struct ServerConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One line per problem.
    public var problems: [String]

    /// The problems, one per line.
    public var description: String { problems.joined(separator: "\n") }
}

extension ServerConfiguration {
    /// Reads a configuration file (see the README for its fields); API keys are read from the
    /// environment variables it names, never from the file.
    ///
    /// ```json
    /// { "listen": "127.0.0.1:8787",
    ///   "upstreams": [ { "name": "relay", "provider": "holysheep", "base_url": "https://relay.example/v1",
    ///                    "dialect": "openai", "api_key_env": "RELAY_KEY", "models": ["gpt-*"], "default": true } ],
    ///   "gateway_keys": [ { "key_env": "TEAM_A_KEY", "project": "team-a" } ],
    ///   "allow_client_keys": false,
    ///   "budgets": [ { "name": "team-a", "project": "team-a", "limit": "100", "period": "month", "tz": "UTC" } ],
    ///   "cors_origins": ["https://app.example.com"], "max_body_bytes": 33554432 }
    /// ```
    public static func load(
        _ bytes: some Collection<UInt8>, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ServerConfigurationError) -> ServerConfiguration {
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw ServerConfigurationError(problems: ["\(file): $: invalid JSON at \(error)"])
        }
        var reader = ConfigurationReader(file: file, environment: environment)
        let configuration = reader.configuration(root)
        guard reader.problems.isEmpty else { throw ServerConfigurationError(problems: reader.problems) }
        return configuration
    }
}

/// Walks a configuration file, collecting problems with their JSON paths.
struct ConfigurationReader {
    let file: String
    let environment: [String: String]
    var problems: [String] = []

    static let topFields = ["listen", "upstreams", "gateway_keys", "allow_client_keys", "budgets", "cors_origins", "max_body_bytes"]
    static let upstreamFields = ["name", "provider", "base_url", "dialect", "api_key_env", "models", "default", "headers"]
    static let keyFields = ["key", "key_env", "project"]

    mutating func problem(_ path: String, _ message: String) { problems.append("\(file): \(path): \(message)") }

    mutating func members(_ value: JSONValue, _ path: String, known: [String]) -> Bool {
        guard case .object(let members) = value else {
            problem(path, "must be an object, found \(value.kindDescription)")
            return false
        }
        for member in members where !known.contains(member.key) {
            problem("\(path).\(member.key)", "unknown field (known: \(known.joined(separator: ", ")))")
        }
        return true
    }

    mutating func string(_ value: JSONValue?, _ path: String, required: Bool = false) -> String? {
        switch value {
        case .string(let text)?: return text
        case nil: if required { problem(path, "missing") }; return nil
        case let other?: problem(path, "must be a string, found \(other.kindDescription)"); return nil
        }
    }

    mutating func strings(_ value: JSONValue?, _ path: String) -> [String] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            problem(path, "must be an array of strings")
            return []
        }
        return items.enumerated().compactMap { string($1, "\(path)[\($0)]") }
    }

    mutating func array(_ value: JSONValue?, _ path: String) -> [JSONValue] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            problem(path, "must be an array, found \(value.kindDescription)")
            return []
        }
        return items
    }

    mutating func configuration(_ root: JSONValue) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        guard members(root, "$", known: Self.topFields) else { return configuration }
        if let listen = string(root["listen"], "$.listen") { configuration.listen = listen }
        for (index, item) in array(root["upstreams"], "$.upstreams").enumerated() {
            if let entry = upstream(item, "$.upstreams[\(index)]") { configuration.upstreams.append(entry) }
        }
        if configuration.upstreams.isEmpty { problem("$.upstreams", "name at least one upstream") }
        var names: Set<String> = []
        for (index, entry) in configuration.upstreams.enumerated() where !names.insert(entry.name).inserted {
            problem("$.upstreams[\(index)].name", "\"\(entry.name)\" names two upstreams")
        }
        for (index, item) in array(root["gateway_keys"], "$.gateway_keys").enumerated() {
            let path = "$.gateway_keys[\(index)]"
            guard members(item, path, known: Self.keyFields) else { continue }
            let project = string(item["project"], path + ".project", required: true)
            var key = string(item["key"], path + ".key")
            if let variable = string(item["key_env"], path + ".key_env") {
                key = environment[variable].flatMap { $0.isEmpty ? nil : $0 }
                if key == nil { problem(path + ".key_env", "environment variable \(variable) is not set") }
            } else if key == nil {
                problem(path, "give the key in \"key_env\" (an environment variable) or \"key\"")
            }
            if let key, key.count < 16 { problem(path, "a gateway key needs at least 16 characters") }
            if let key, let project { configuration.gatewayKeys.append(.init(key: key, project: project)) }
        }
        switch root["allow_client_keys"] {
        case .bool(let value)?: configuration.allowClientKeys = value
        case nil: break
        case let other?: problem("$.allow_client_keys", "must be true or false, found \(other.kindDescription)")
        }
        // The budget format of `tally budget check --config`, read by the same reader; a period
        // naming no zone is in UTC.
        configuration.budgets = BudgetFile.budgets(
            array(root["budgets"], "$.budgets"), path: "$.budgets", file: file, defaultZone: BudgetPeriod.utc, problems: &problems
        )
        configuration.corsOrigins = strings(root["cors_origins"], "$.cors_origins")
        switch root["max_body_bytes"] {
        case .number(let text)?:
            if let value = Int(text), value > 0 { configuration.maximumBodyBytes = value } else {
                problem("$.max_body_bytes", "\(text) must be a positive whole number of bytes")
            }
        case nil: break
        case let other?: problem("$.max_body_bytes", "must be a number, found \(other.kindDescription)")
        }
        return configuration
    }

    mutating func upstream(_ item: JSONValue, _ path: String) -> ServerConfiguration.UpstreamEntry? {
        guard members(item, path, known: Self.upstreamFields) else { return nil }
        let name = string(item["name"], path + ".name", required: true)
        let provider = string(item["provider"], path + ".provider") ?? name
        let baseURL = string(item["base_url"], path + ".base_url", required: true)
        if let baseURL, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) {
            problem(path + ".base_url", "\"\(baseURL)\" must be an http:// or https:// URL")
        }
        var dialect: Upstream.Dialect?
        switch string(item["dialect"], path + ".dialect", required: true) {
        case "openai"?: dialect = .openAI
        case "anthropic"?: dialect = .anthropic
        case let other?: problem(path + ".dialect", "\"\(other)\" must be openai or anthropic")
        case nil: break
        }
        let keyVariable = string(item["api_key_env"], path + ".api_key_env")
        let key = keyVariable.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        let models = strings(item["models"], path + ".models")
        var isDefault = false
        switch item["default"] {
        case .bool(let value)?: isDefault = value
        case nil: break
        case let other?: problem(path + ".default", "must be true or false, found \(other.kindDescription)")
        }
        var headers = HTTPFields()
        if let headerValue = item["headers"] {
            if case .object(let fields) = headerValue {
                for field in fields {
                    let fieldPath = "\(path).headers.\(field.key)"
                    guard let value = string(field.value, fieldPath) else { continue }
                    guard let name = HTTPField.Name(field.key) else {
                        problem(fieldPath, "is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)")
                        continue
                    }
                    guard HTTPField.isValidValue(value) else {
                        problem(fieldPath, "must be one line of visible characters (no line break or control character)")
                        continue
                    }
                    headers.append(HTTPField(name: name, value: value))
                }
            } else {
                problem(path + ".headers", "must be an object of header names and values")
            }
        }
        guard let name, let provider, let baseURL, let dialect else { return nil }
        return .init(
            name: name,
            upstream: Upstream(provider: provider, baseURL: baseURL, dialect: dialect, apiKey: key, headers: headers),
            apiKeyEnvironment: keyVariable, models: models, isDefault: isDefault
        )
    }
}
