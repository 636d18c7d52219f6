/// Why bytes are not valid JSON, and where: the byte offset, and the line and column a person
/// opening the file would look at.
package struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong ("expected ',' or '}' in an object").
    package var message: String
    /// 0-based byte offset of the error.
    package var offset: Int
    /// 1-based line of the error.
    package var line: Int
    /// 1-based column (in bytes) of the error.
    package var column: Int

    /// An error at `offset` of `bytes`, with its line and column counted from the start.
    package init(_ message: String, at offset: Int, in bytes: UnsafeRawBufferPointer) {
        self.message = message
        self.offset = offset
        var line = 1
        var lineStart = 0
        for position in 0..<min(offset, bytes.count) where bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        self.line = line
        self.column = offset - lineStart + 1
    }

    package var description: String { "line \(line), column \(column): \(message)" }
}
