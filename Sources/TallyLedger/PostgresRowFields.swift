import PostgresNIO
import TallyPricing
import TallyUsage

/// Where a ledger row's column values go on their way to PostgreSQL: the parameters of an
/// `INSERT`, or the text of a `COPY`. One list of columns (``LedgerEntry/writeFields(to:)``)
/// feeds both, so the two ways of writing a row cannot disagree on its order.
protocol PostgresFieldSink {
    mutating func append(_ value: String?)
    mutating func append(_ value: Int64?)
}

/// Field values as the parameters of a query.
struct PostgresParameters: PostgresFieldSink {
    var binds = PostgresBindings()

    mutating func append(_ value: String?) { binds.append(value, context: .default) }
    mutating func append(_ value: Int64?) { binds.append(value, context: .default) }
}

/// Rows in the text format of `COPY … FROM STDIN`: fields separated by tabs, one row per line,
/// `\N` for NULL, and backslash, tab, newline and carriage return escaped in text.
struct PostgresCopyText: PostgresFieldSink {
    private(set) var buffer: ByteBuffer
    private var rowStarted = false

    init(capacity: Int = 1 << 16) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Bytes written and not yet taken.
    var byteCount: Int { buffer.readableBytes }

    /// The text so far, leaving this empty.
    mutating func take() -> ByteBuffer {
        defer { buffer.clear() }
        return buffer
    }

    mutating func append(_ value: String?) {
        separate()
        guard var text = value else { return writeNull() }
        text.withUTF8 { bytes in
            guard bytes.contains(where: Self.needsEscape) else {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    mutating func append(_ value: Int64?) {
        separate()
        guard let value else { return writeNull() }
        buffer.writeString(String(value))
    }

    /// Ends the current row.
    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        rowStarted = false
    }

    private mutating func separate() {
        if rowStarted { buffer.writeInteger(UInt8(ascii: "\t")) }
        rowStarted = true
    }

    private mutating func writeNull() {
        buffer.writeStaticString("\\N")
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}

extension LedgerEntry {
    /// The row's 36 columns, in `AppendStatements.rowColumns` order.
    func writeFields(to sink: inout some PostgresFieldSink) {
        sink.append(id)
        sink.append(kind.rawValue)
        sink.append(timestampMs)
        sink.append(provider)
        sink.append(modelRequested)
        sink.append(modelReturned)
        sink.append(endpoint)
        sink.append(Int64(streamed ? 1 : 0))
        sink.append(outcome.rawValue)
        sink.append(httpStatus.map(Int64.init))
        sink.append(Int64(attempts))
        sink.append(usage.input)
        sink.append(usage.cachedInput)
        sink.append(usage.cacheWrite)
        sink.append(usage.cacheWrite1h)
        sink.append(usage.output)
        sink.append(usage.reasoning)
        sink.append(usageSource.rawValue)
        sink.append(Int64(usage.recordedFlags.rawValue))
        sink.append(cost?.nanoUSD)
        sink.append(listCost?.nanoUSD)
        for reference in [priceEntry, listPriceEntry] {
            sink.append(reference?.table)
            sink.append(reference?.provider)
            sink.append(reference?.model)
            sink.append(reference?.from)
            sink.append(reference?.tierAbove)
        }
        sink.append(latencyMs)
        sink.append(firstTokenMs)
        sink.append(attribution.project)
        sink.append(attribution.user)
        sink.append(adjusts)
    }
}
