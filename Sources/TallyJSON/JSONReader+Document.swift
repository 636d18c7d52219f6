extension JSONReader {
    /// Objects with fewer members are checked for duplicate names by a scan, not a set.
    private static let smallObjectMembers = 16

    /// Parses one whole JSON document into a ``JSONValue``: the grammar, no trailing content, no
    /// duplicate member names, valid UTF-8 in every string. A UTF-8 byte order mark at the very
    /// start is tolerated, as editors write it.
    package static func parse(_ data: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        let parsed: Result<JSONValue, JSONSyntaxError>? = data.withContiguousStorageIfAvailable { buffer in
            parse(UnsafeRawBufferPointer(buffer))
        }
        if let parsed { return try parsed.get() }
        return try Array(data).withUnsafeBytes { parse($0) }.get()
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<JSONValue, JSONSyntaxError> {
        var reader = JSONReader(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.position = 3 }
        do throws(JSONSyntaxError) {
            let value = try reader.readDocumentValue()
            try reader.end()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    private mutating func readDocumentValue() throws(JSONSyntaxError) -> JSONValue {
        switch peekKind() {
        case nil:
            throw failure("unexpected end of input")
        case .object:
            var object = try beginObject()
            var members: [(key: String, value: JSONValue)] = []
            // Duplicates are found by a scan while the object is small, and by a set past that
            // (request bodies have a handful of members; price tables have thousands).
            var seen: Set<String> = []
            while true {
                skipWhitespace()
                let keyStart = position
                guard let key = try nextKey(&object) else { break }
                let name = try key.validatedString(or: failure(at: keyStart, "invalid UTF-8 in a member name"))
                let duplicate: Bool
                if members.count < Self.smallObjectMembers {
                    duplicate = members.contains { $0.key == name }
                } else {
                    if seen.isEmpty { seen = Set(members.map(\.key)) }
                    duplicate = !seen.insert(name).inserted
                }
                if duplicate {
                    // Point at the name itself, after any ',' that preceded it.
                    throw failure(at: nameStart(from: keyStart), "duplicate member \"\(name)\"")
                }
                members.append((name, try readDocumentValue()))
            }
            return .object(members)
        case .array:
            var array = try beginArray()
            var items: [JSONValue] = []
            while try nextElement(&array) { items.append(try readDocumentValue()) }
            return .array(items)
        case .string:
            return .string(try readValidatedString() ?? "")
        case .number:
            return .number(try readNumberText() ?? "")
        case .bool:
            if bytes[position] == UInt8(ascii: "t") {
                try literal("true")
                return .bool(true)
            }
            try literal("false")
            return .bool(false)
        case .null:
            try literal("null")
            return .null
        }
    }

    /// The offset of the opening quote of a member name whose `,` or `{` is at or after `offset`.
    private func nameStart(from offset: Int) -> Int {
        var index = offset
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        return index
    }

    private func failure(at offset: Int, _ message: String) -> JSONSyntaxError {
        JSONSyntaxError(message, at: offset, in: bytes)
    }
}

extension JSONKey {
    /// The name as a string, or `error` when its bytes are not valid UTF-8.
    func validatedString(or error: @autoclosure () -> JSONSyntaxError) throws(JSONSyntaxError) -> String {
        let text: String? = if let decoded { String(validating: decoded, as: UTF8.self) } else { String(validating: raw, as: UTF8.self) }
        guard let text else { throw error() }
        return text
    }
}
