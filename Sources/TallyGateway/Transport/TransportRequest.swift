package import HTTPTypes

extension Transport {
    /// One HTTP request: method, absolute URL, header fields and body bytes.
    package struct Request: Sendable {
        /// The HTTP method, upper case (`GET`, `POST`, …).
        package var method: String
        /// The absolute `http` or `https` URL.
        package var url: String
        /// Header fields sent as given; libcurl adds `Host`, `Content-Length` and, for HTTP/1.1,
        /// nothing else (`Expect: 100-continue` is suppressed).
        package var headers: HTTPFields
        /// The body, or `nil` for none.
        package var body: [UInt8]?

        package init(method: String = "GET", url: String, headers: HTTPFields = [:], body: [UInt8]? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }
}
