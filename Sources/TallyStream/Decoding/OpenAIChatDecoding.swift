import TallyJSON
/// Decodes OpenAI chat completion chunks, and the DeepSeek, OpenRouter and relay variants of them.
///
/// Reads role, content, `reasoning_content` (DeepSeek) and `reasoning` (OpenRouter) deltas,
/// tool call deltas, finish reasons, a `usage` object wherever it appears (the usage chunk
/// has empty `choices`; DeepSeek sends usage beside the last choice), and an `error` object.
enum OpenAIChatDecoding {
    static func decode(
        _ reader: inout JSONReader,
        state: inout DecoderState,
        staging: inout EventStaging
    ) throws(JSONSyntaxError) {
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "choices" {
                guard reader.peekKind() == .array else {
                    try reader.skipValue()
                    continue
                }
                var choices = try reader.beginArray()
                while try reader.nextElement(&choices) {
                    try decodeChoice(&reader, state: &state, staging: &staging)
                }
            } else if key == "model", state.model == nil {
                state.model = try reader.readString()
            } else if key == "id", state.responseID == nil {
                state.responseID = try reader.readString()
            } else if key == "usage" {
                if let counts = try UsageCounts.readInclusive(&reader) {
                    let usage = counts.inclusiveUsage(state.usageConvention)
                    state.usage = usage
                    staging.events.append(.usage(usage))
                }
            } else if key == "error" {
                if let error = try reader.readProviderError() {
                    staging.events.append(.providerError(error))
                }
            } else {
                try reader.skipValue()
            }
        }
        try reader.end()
        if !state.started, state.model != nil || state.responseID != nil {
            state.started = true
            staging.events.insert(.started(model: state.model, id: state.responseID), at: 0)
        }
    }

    private static func decodeChoice(
        _ reader: inout JSONReader,
        state: inout DecoderState,
        staging: inout EventStaging
    ) throws(JSONSyntaxError) {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return
        }
        var index = 0
        var role: String?
        var content: String?
        var reasoning: String?
        var finishReason: String?
        staging.toolCalls.removeAll(keepingCapacity: true)
        var choice = try reader.beginObject()
        while let key = try reader.nextKey(&choice) {
            if key == "delta" || key == "message" {
                guard reader.peekKind() == .object else {
                    try reader.skipValue()
                    continue
                }
                var delta = try reader.beginObject()
                while let field = try reader.nextKey(&delta) {
                    if field == "content" {
                        content = try reader.readString()
                    } else if field == "role" {
                        role = try reader.readString()
                    } else if field == "reasoning_content" || field == "reasoning" {
                        reasoning = try reader.readString()
                    } else if field == "tool_calls" {
                        try decodeToolCalls(&reader, staging: &staging)
                    } else {
                        try reader.skipValue()
                    }
                }
            } else if key == "index" {
                index = try reader.readIndex()
            } else if key == "finish_reason" {
                finishReason = try reader.readString()
            } else {
                try reader.skipValue()
            }
        }
        if let role { staging.events.append(.role(role, index: index)) }
        if let reasoning, !reasoning.isEmpty { staging.events.append(.reasoning(reasoning, index: index)) }
        if let content, !content.isEmpty { staging.events.append(.text(content, index: index)) }
        for var call in staging.toolCalls {
            call.choice = index
            staging.events.append(.toolCall(call))
        }
        if let finishReason, !finishReason.isEmpty {
            state.finishReason = finishReason
            staging.events.append(.finished(reason: finishReason, index: index))
        }
    }

    private static func decodeToolCalls(
        _ reader: inout JSONReader,
        staging: inout EventStaging
    ) throws(JSONSyntaxError) {
        guard reader.peekKind() == .array else {
            try reader.skipValue()
            return
        }
        var calls = try reader.beginArray()
        while try reader.nextElement(&calls) {
            guard reader.peekKind() == .object else {
                try reader.skipValue()
                continue
            }
            var call = ToolCallDelta(index: 0)
            var object = try reader.beginObject()
            while let key = try reader.nextKey(&object) {
                if key == "index" {
                    call.index = try reader.readIndex()
                } else if key == "id" {
                    call.id = try reader.readString()
                } else if key == "function" {
                    guard reader.peekKind() == .object else {
                        try reader.skipValue()
                        continue
                    }
                    var function = try reader.beginObject()
                    while let field = try reader.nextKey(&function) {
                        if field == "name" {
                            call.name = try reader.readString()
                        } else if field == "arguments" {
                            call.arguments = try reader.readString() ?? ""
                        } else {
                            try reader.skipValue()
                        }
                    }
                } else {
                    try reader.skipValue()
                }
            }
            staging.toolCalls.append(call)
        }
    }
}
