public import TallyPricing

/// The usage, model and error of a non-streamed response body, in any ``WireFormat``.
public struct ResponseSummary: Sendable, Hashable {
    /// The usage the body reported; nil when it had no usage object.
    public var usage: Usage?
    /// The model the provider said it used.
    public var model: String?
    /// The provider's ID of the response.
    public var responseID: String?
    /// The finish or stop reason (of the first choice, for chat completions).
    public var finishReason: String?
    /// The error object the body held, if any.
    public var error: ProviderError?

    /// Creates a summary from its parts.
    public init(
        usage: Usage? = nil, model: String? = nil, responseID: String? = nil,
        finishReason: String? = nil, error: ProviderError? = nil
    ) {
        self.usage = usage
        self.model = model
        self.responseID = responseID
        self.finishReason = finishReason
        self.error = error
    }

    /// Reads the summary from a whole response body; throws ``DecodeError`` when it is not JSON.
    public init(decoding body: some Collection<UInt8>, format: WireFormat) throws(DecodeError) {
        let result: Result<ResponseSummary, DecodeError>? = body.withContiguousStorageIfAvailable { buffer in
            Self.decode(UnsafeRawBufferPointer(buffer), format: format)
        }
        let decoded = result ?? Array(body).withUnsafeBytes { Self.decode($0, format: format) }
        self = try decoded.get()
    }

    private static func decode(_ body: UnsafeRawBufferPointer, format: WireFormat) -> Result<ResponseSummary, DecodeError> {
        var reader = JSONReader(body)
        do throws(JSONReader.Failure) {
            var summary = ResponseSummary()
            var object = try reader.beginObject()
            while let key = try reader.nextKey(&object) {
                if key == "model" {
                    summary.model = try reader.readString()
                } else if key == "id" {
                    summary.responseID = try reader.readString()
                } else if key == "usage" {
                    let counts = format == .anthropicMessages
                        ? try UsageCounts.readAnthropic(&reader)
                        : try UsageCounts.readInclusive(&reader)
                    summary.usage = format == .anthropicMessages ? counts?.anthropicUsage : counts?.inclusiveUsage
                } else if key == "error" {
                    summary.error = try reader.readProviderError()
                } else if key == "stop_reason" || key == "status" {
                    summary.finishReason = try reader.readString()
                } else if key == "choices", format == .openAIChat, reader.peekKind() == .array {
                    var choices = try reader.beginArray()
                    while try reader.nextElement(&choices) {
                        let reason = try readFinishReason(&reader)
                        summary.finishReason = summary.finishReason ?? reason
                    }
                } else {
                    try reader.skipValue()
                }
            }
            try reader.end()
            return .success(summary)
        } catch {
            return .failure(DecodeError(message: error.message, offset: error.offset, data: body))
        }
    }

    private static func readFinishReason(_ reader: inout JSONReader) throws(JSONReader.Failure) -> String? {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return nil
        }
        var reason: String?
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "finish_reason" { reason = try reader.readString() } else { try reader.skipValue() }
        }
        return reason
    }
}
