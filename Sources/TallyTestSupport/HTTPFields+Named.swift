package import HTTPTypes

extension HTTPFields {
    /// Header fields from name-value pairs, in order, for a test to write as a literal; a name
    /// that is not a valid field name is a mistake in the test and stops it.
    package static func named(_ pairs: KeyValuePairs<String, String>) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs {
            guard let fieldName = HTTPField.Name(name) else { preconditionFailure("\(name.debugDescription) is not an HTTP field name") }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }
}
