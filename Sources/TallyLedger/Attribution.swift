/// Who a request is charged to: a project, a user and free-form tags.
public struct Attribution: Sendable, Hashable, Codable {
    /// The project, or nil.
    public var project: String?
    /// The user, or nil.
    public var user: String?
    /// Tags, kept sorted and without duplicates.
    public private(set) var tags: [String]

    /// Creates an attribution; empty strings count as absent, tags are sorted and deduplicated.
    public init(project: String? = nil, user: String? = nil, tags: [String] = []) {
        self.project = project.flatMap { $0.isEmpty ? nil : $0 }
        self.user = user.flatMap { $0.isEmpty ? nil : $0 }
        self.tags = Array(Set(tags.filter { !$0.isEmpty })).sorted()
    }

    /// No attribution.
    public static let none = Attribution()

    /// The first value holding a control character (which the ledger refuses), or nil.
    var invalidValue: String? {
        let values = [project, user].compactMap { $0 } + tags
        return values.first { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }
    }
}
