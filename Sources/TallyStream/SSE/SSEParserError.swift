/// Why an ``SSEParser`` stopped.
public struct SSEParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a value callers can match on; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// One event (its `data` and `event` lines plus the line being read) grew past the configured limit.
        public static let eventTooLarge = Code(name: "eventTooLarge")
        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The stream offset, in bytes, of the start of the line that crossed the limit.
    public var offset: Int
    /// The limit in force, in bytes.
    public var limit: Int

    /// A one-line explanation naming the offset and the limit.
    public var description: String {
        "SSE event at stream offset \(offset) exceeds the \(limit)-byte limit on one event"
    }
}
