/// Why an encoding could not be loaded, or text or tokens could not be handled.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The embedded vocabulary failed its SHA-256 check or is malformed.
        public static let corruptVocabulary = Code(name: "corrupt vocabulary")
        /// The text contains a special token the caller asked to be rejected.
        public static let disallowedSpecialToken = Code(name: "disallowed special token")
        /// A token id is not in the encoding.
        public static let unknownToken = Code(name: "unknown token")
        /// A chat request is not JSON or not the shape expected.
        public static let malformedRequest = Code(name: "malformed request")
        /// The code's name, e.g. "unknown token".
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed and where (the encoding, the byte offset, the token id, the JSON field).
    public let message: String

    /// An error of `code` with a message saying what failed and where.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message, e.g. "unknown token: token 300000 at index 2 is not in o200k_base".
    public var description: String { "\(code): \(message)" }
}
