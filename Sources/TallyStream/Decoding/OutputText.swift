import TallyJSON
/// Reads the generated text of a non-streamed reply, the same text a stream's deltas carry:
/// answer, reasoning or thinking, and tool calls (name and arguments). What a reply does not
/// report as usage is estimated from it.
enum OutputText {
    /// A chat completion's `message`: reasoning (`reasoning_content`, `reasoning`), then the
    /// content (a string, or parts with `text`) and the refusal, then each tool call.
    static func readChatMessage(_ reader: inout JSONReader, into text: inout [UInt8]) throws(JSONSyntaxError) {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return
        }
        var reasoning: [UInt8] = []
        var content: [UInt8] = []
        var tools: [UInt8] = []
        var message = try reader.beginObject()
        while let key = try reader.nextKey(&message) {
            if key == "reasoning_content" || key == "reasoning" {
                try readText(&reader, into: &reasoning)
            } else if key == "content" || key == "refusal" {
                try readText(&reader, into: &content)
            } else if key == "tool_calls" {
                try readChatToolCalls(&reader, into: &tools)
            } else if key == "function_call" {
                try readFunction(&reader, into: &tools)
            } else {
                try reader.skipValue()
            }
        }
        text += reasoning
        text += content
        text += tools
    }

    /// An Anthropic message's `content` blocks, in order: text, thinking, and tool uses (name
    /// and input as JSON).
    static func readAnthropicContent(_ reader: inout JSONReader, into text: inout [UInt8]) throws(JSONSyntaxError) {
        try forEachObject(&reader) { reader throws(JSONSyntaxError) in
            var block = try reader.beginObject()
            while let key = try reader.nextKey(&block) {
                if key == "text" || key == "thinking" || key == "name" {
                    try readText(&reader, into: &text)
                } else if key == "input" {
                    text += try reader.readRawValue()
                } else {
                    try reader.skipValue()
                }
            }
        }
    }

    /// A Responses body's `output` items, in order: message content (`output_text`, refusals),
    /// reasoning summaries and text, function calls (name and arguments).
    static func readResponsesOutput(_ reader: inout JSONReader, into text: inout [UInt8]) throws(JSONSyntaxError) {
        try forEachObject(&reader) { reader throws(JSONSyntaxError) in
            var item = try reader.beginObject()
            while let key = try reader.nextKey(&item) {
                if key == "content" || key == "summary" {
                    try forEachObject(&reader) { reader throws(JSONSyntaxError) in
                        var part = try reader.beginObject()
                        while let field = try reader.nextKey(&part) {
                            if field == "text" || field == "refusal" { try readText(&reader, into: &text) } else { try reader.skipValue() }
                        }
                    }
                } else if key == "name" || key == "arguments" {
                    try readText(&reader, into: &text)
                } else {
                    try reader.skipValue()
                }
            }
        }
    }

    /// A string's bytes, or the `text` of each part of an array of parts; anything else is skipped.
    static func readText(_ reader: inout JSONReader, into text: inout [UInt8]) throws(JSONSyntaxError) {
        switch reader.peekKind() {
        case .string:
            if let string = try reader.readString() { text += string.utf8 }
        case .array:
            try forEachObject(&reader) { reader throws(JSONSyntaxError) in
                var part = try reader.beginObject()
                while let key = try reader.nextKey(&part) {
                    if key == "text" { try readText(&reader, into: &text) } else { try reader.skipValue() }
                }
            }
        default:
            try reader.skipValue()
        }
    }

    private static func readChatToolCalls(_ reader: inout JSONReader, into text: inout [UInt8]) throws(JSONSyntaxError) {
        try forEachObject(&reader) { reader throws(JSONSyntaxError) in
            var call = try reader.beginObject()
            while let key = try reader.nextKey(&call) {
                if key == "function" { try readFunction(&reader, into: &text) } else { try reader.skipValue() }
            }
        }
    }

    /// A `function` object: its name, then its arguments.
    private static func readFunction(_ reader: inout JSONReader, into text: inout [UInt8]) throws(JSONSyntaxError) {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return
        }
        var name: [UInt8] = []
        var arguments: [UInt8] = []
        var function = try reader.beginObject()
        while let key = try reader.nextKey(&function) {
            if key == "name" {
                try readText(&reader, into: &name)
            } else if key == "arguments" {
                try readText(&reader, into: &arguments)
            } else {
                try reader.skipValue()
            }
        }
        text += name
        text += arguments
    }

    /// Calls `body` positioned at each object element of an array; other values are skipped.
    private static func forEachObject(
        _ reader: inout JSONReader, _ body: (inout JSONReader) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        guard reader.peekKind() == .array else {
            try reader.skipValue()
            return
        }
        var array = try reader.beginArray()
        while try reader.nextElement(&array) {
            if reader.peekKind() == .object { try body(&reader) } else { try reader.skipValue() }
        }
    }
}
