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

    /// The first value holding a control character (C0, DEL or C1, which the ledger refuses), or nil.
    var invalidValue: String? {
        func isInvalid(_ value: String) -> Bool {
            var previous: UInt8 = 0
            for byte in value.utf8 {
                // C0 and DEL are single bytes; C1 (U+0080…U+009F) is 0xC2 followed by 0x80…0x9F.
                if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte < 0xA0) { return true }
                previous = byte
            }
            return false
        }
        if let project, isInvalid(project) { return project }
        if let user, isInvalid(user) { return user }
        return tags.first(where: isInvalid)
    }
}
