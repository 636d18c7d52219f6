/// The character classes the pre-tokenization patterns test, as bit flags of one byte per scalar.
///
/// Categories come from Swift's Unicode tables (`Unicode.Scalar.Properties`). Swift 6.3 follows
/// Unicode 17, the Rust `regex` crate inside tiktoken 0.14 an older version (16): scalars assigned
/// after `unicodeLimit` are classified as unassigned, as tiktoken sees them
/// (`Scripts/peer/tiktoken-check --all-scalars` checks every scalar below U+20000).
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    static let letter = ScalarClass(rawValue: 1 << 0)
    /// `\p{N}`: Nd, Nl, No.
    static let number = ScalarClass(rawValue: 1 << 1)
    /// `\s` in the Rust regex crate: the Unicode White_Space property.
    static let space = ScalarClass(rawValue: 1 << 2)
    /// o200k_base's `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`.
    static let upperish = ScalarClass(rawValue: 1 << 3)
    /// o200k_base's `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`.
    static let lowerish = ScalarClass(rawValue: 1 << 4)
    /// `[\r\n]`.
    static let newline = ScalarClass(rawValue: 1 << 5)

    /// The newest Unicode version whose assignments tiktoken's regex knows.
    static let unicodeLimit = (major: 16, minor: 0)

    /// The class of one scalar, from the Unicode tables (the slow path the table is built from).
    static func of(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        let properties = scalar.properties
        var result: ScalarClass
        switch properties.generalCategory {
        case .unassigned, .privateUse, .surrogate:
            return []
        case .uppercaseLetter, .titlecaseLetter:
            result = [.letter, .upperish]
        case .lowercaseLetter:
            result = [.letter, .lowerish]
        case .modifierLetter, .otherLetter:
            result = [.letter, .upperish, .lowerish]
        case .nonspacingMark, .spacingMark, .enclosingMark:
            result = [.upperish, .lowerish]
        case .decimalNumber, .letterNumber, .otherNumber:
            result = .number
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control:
            // Every White_Space scalar is in one of these four categories.
            result = properties.isWhitespace ? .space : []
            if value == 0x0A || value == 0x0D { result.insert(.newline) }
        default:
            result = []
        }
        if let age = properties.age, (age.major, age.minor) > unicodeLimit { return [] }
        return result
    }
}

/// A flat table of `ScalarClass` for every scalar below U+20000 (the BMP and the SMP), built once
/// per process from the Unicode tables (about 10 ms). Scalars above it (CJK extensions, tags,
/// private use) are classified on the fly.
struct ScalarClassTable: @unchecked Sendable {
    // @unchecked: `flags` is written only in `init` and never freed (the table lives as long as
    // the process), so sharing the pointer between threads is safe.
    let flags: UnsafeMutablePointer<UInt8>
    static let tableLimit: UInt32 = 0x20000

    /// The one table of the process.
    static let shared = ScalarClassTable()

    private init() {
        flags = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(Self.tableLimit))
        var value: UInt32 = 0
        while value < Self.tableLimit {
            flags[Int(value)] = ScalarClass.of(value).rawValue
            value += 1
        }
    }

    @inline(__always)
    func flags(of value: UInt32) -> UInt8 {
        if value < Self.tableLimit { return flags[Int(value)] }
        return ScalarClass.of(value).rawValue
    }
}
