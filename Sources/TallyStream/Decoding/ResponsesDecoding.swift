import TallyUsage
import TallyJSON

/// Decodes OpenAI Responses API stream events.
///
/// Text, reasoning and function-call argument deltas become typed events; `response.completed`,
/// `response.incomplete` and `response.failed` carry the usage and end the stream.
enum ResponsesDecoding {
    static func decode(
        _ reader: inout JSONReader,
        sseType: String,
        state: inout DecoderState,
        staging: inout EventStaging
    ) throws(JSONSyntaxError) {
        var kind: EventKind?
        var delta: String?
        var outputIndex = 0
        var response = ResponseFields()
        var item: Item?
        var topLevelError = ProviderError()
        var hasTopLevelError = false

        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "type" {
                kind = try reader.readName().map { name in EventKind { name == $0 } }
            } else if key == "delta" {
                delta = try reader.readString()
            } else if key == "output_index" {
                outputIndex = try reader.readIndex()
            } else if key == "response" {
                response = try readResponse(&reader)
            } else if key == "item" {
                item = try readItem(&reader)
            } else if key == "code" {
                topLevelError.code = try reader.readText()
                hasTopLevelError = true
            } else if key == "message" {
                topLevelError.message = try reader.readText() ?? ""
                hasTopLevelError = true
            } else if key == "error" {
                if let error = try reader.readProviderError() {
                    topLevelError = error
                    hasTopLevelError = true
                }
            } else {
                try reader.skipValue()
            }
        }
        try reader.end()

        state.model = state.model ?? response.model
        state.responseID = state.responseID ?? response.id
        if !state.started, state.model != nil || state.responseID != nil {
            state.started = true
            staging.events.append(.started(model: state.model, id: state.responseID))
        }
        switch kind ?? EventKind(matching: { AnthropicMessagesDecoding.equal(sseType, $0) }) {
        case .outputTextDelta:
            if let delta { staging.events.append(.text(delta, index: outputIndex)) }
        case .reasoningDelta:
            if let delta { staging.events.append(.reasoning(delta, index: outputIndex)) }
        case .functionCallArgumentsDelta:
            if let delta { staging.events.append(.toolCall(ToolCallDelta(index: outputIndex, arguments: delta))) }
        case .outputItemAdded:
            if let item, item.type == "function_call" {
                staging.events.append(.toolCall(ToolCallDelta(
                    index: outputIndex, id: item.callID, name: item.name, arguments: item.arguments ?? ""
                )))
            }
        case .terminal:
            if let usage = response.usage {
                state.usage = usage
                staging.events.append(.usage(usage))
            }
            if let error = response.error { staging.events.append(.providerError(error)) }
            if let reason = response.incompleteReason ?? response.status {
                state.finishReason = reason
                staging.events.append(.finished(reason: reason, index: 0))
            }
            state.done = true
            staging.events.append(.done)
        case .error:
            staging.events.append(.providerError(topLevelError))
        case .other:
            if hasTopLevelError, kind == nil { staging.events.append(.providerError(topLevelError)) }
        }
    }

    /// The kinds of event this decoder acts on.
    enum EventKind {
        case outputTextDelta, reasoningDelta, functionCallArgumentsDelta, outputItemAdded
        /// `response.completed`, `response.incomplete` or `response.failed`.
        case terminal
        case error, other

        /// The kind whose wire name `matches` accepts.
        init(matching matches: (StaticString) -> Bool) {
            if matches("response.output_text.delta") {
                self = .outputTextDelta
            } else if matches("response.reasoning_summary_text.delta") || matches("response.reasoning_text.delta") {
                self = .reasoningDelta
            } else if matches("response.function_call_arguments.delta") {
                self = .functionCallArgumentsDelta
            } else if matches("response.output_item.added") {
                self = .outputItemAdded
            } else if matches("response.completed") || matches("response.incomplete") || matches("response.failed") {
                self = .terminal
            } else if matches("error") {
                self = .error
            } else {
                self = .other
            }
        }
    }

    /// The fields read from a `response` object.
    struct ResponseFields {
        var id: String?
        var model: String?
        var status: String?
        var incompleteReason: String?
        var usage: Usage?
        var error: ProviderError?
    }

    static func readResponse(_ reader: inout JSONReader) throws(JSONSyntaxError) -> ResponseFields {
        var fields = ResponseFields()
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return fields
        }
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "id" {
                fields.id = try reader.readString()
            } else if key == "model" {
                fields.model = try reader.readString()
            } else if key == "status" {
                fields.status = try reader.readString()
            } else if key == "usage" {
                fields.usage = try UsageCounts.readInclusive(&reader)?.inclusiveUsage
            } else if key == "error" {
                fields.error = try reader.readProviderError()
            } else if key == "incomplete_details" {
                guard reader.peekKind() == .object else {
                    try reader.skipValue()
                    continue
                }
                var details = try reader.beginObject()
                while let field = try reader.nextKey(&details) {
                    if field == "reason" { fields.incompleteReason = try reader.readString() } else { try reader.skipValue() }
                }
            } else {
                try reader.skipValue()
            }
        }
        return fields
    }

    /// The fields read from an output `item`.
    struct Item {
        var type: String?
        var callID: String?
        var name: String?
        var arguments: String?
    }

    private static func readItem(_ reader: inout JSONReader) throws(JSONSyntaxError) -> Item? {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return nil
        }
        var item = Item()
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "type" {
                item.type = try reader.readString()
            } else if key == "call_id" {
                item.callID = try reader.readString()
            } else if key == "name" {
                item.name = try reader.readString()
            } else if key == "arguments" {
                item.arguments = try reader.readString()
            } else {
                try reader.skipValue()
            }
        }
        return item
    }
}
