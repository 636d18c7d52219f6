public import TallyUsage
import TallyJSON

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
    /// The reply's generated text, in order: answer, reasoning or thinking, tool names and
    /// arguments (as a stream's deltas carry them), for estimating output the body did not report.
    package var outputText: [UInt8] = []

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

    /// Reads the summary from a whole response body of a provider counting usage by
    /// `usageConvention`; throws ``DecodeError`` when it is not JSON.
    public init(
        decoding body: some Collection<UInt8>, format: WireFormat, usageConvention: UsageConvention = .standard
    ) throws(DecodeError) {
        let result: Result<ResponseSummary, DecodeError>? = body.withContiguousStorageIfAvailable { buffer in
            Self.decode(UnsafeRawBufferPointer(buffer), format: format, usageConvention: usageConvention)
        }
        let decoded = result ?? Array(body).withUnsafeBytes { Self.decode($0, format: format, usageConvention: usageConvention) }
        self = try decoded.get()
    }

    private static func decode(
        _ body: UnsafeRawBufferPointer, format: WireFormat, usageConvention: UsageConvention
    ) -> Result<ResponseSummary, DecodeError> {
        var reader = JSONReader(body)
        do throws(JSONSyntaxError) {
            var summary = ResponseSummary()
            var object = try reader.beginObject()
            while let key = try reader.nextKey(&object) {
                if key == "model" {
                    summary.model = try reader.readString()
                } else if key == "id" {
                    summary.responseID = try reader.readString()
                } else if key == "usage" {
                    switch format {
                    case .anthropicMessages:
                        summary.usage = try UsageCounts.readAnthropic(&reader)?.anthropicUsage
                    case .openAIChat:
                        summary.usage = try UsageCounts.readInclusive(&reader)?.inclusiveUsage(usageConvention)
                    case .openAIResponses:
                        summary.usage = try UsageCounts.readInclusive(&reader)?.inclusiveUsage
                    }
                } else if key == "error" {
                    summary.error = try reader.readProviderError()
                } else if key == "stop_reason" || key == "status" {
                    summary.finishReason = try reader.readString()
                } else if key == "choices", format == .openAIChat, reader.peekKind() == .array {
                    var choices = try reader.beginArray()
                    while try reader.nextElement(&choices) {
                        let reason = try readChoice(&reader, text: &summary.outputText)
                        summary.finishReason = summary.finishReason ?? reason
                    }
                } else if key == "content", format == .anthropicMessages {
                    try OutputText.readAnthropicContent(&reader, into: &summary.outputText)
                } else if key == "output", format == .openAIResponses {
                    try OutputText.readResponsesOutput(&reader, into: &summary.outputText)
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

    /// Reads one chat or completions choice: its text goes to `text`; returns its finish reason.
    private static func readChoice(_ reader: inout JSONReader, text: inout [UInt8]) throws(JSONSyntaxError) -> String? {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return nil
        }
        var reason: String?
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "finish_reason" {
                reason = try reader.readString()
            } else if key == "message" {
                try OutputText.readChatMessage(&reader, into: &text)
            } else if key == "text" {
                try OutputText.readText(&reader, into: &text)
            } else {
                try reader.skipValue()
            }
        }
        return reason
    }
}
