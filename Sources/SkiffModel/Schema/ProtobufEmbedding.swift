/// A protobuf field of a message that holds a nested message whose fields JSON inlines into the outer object.
public struct ProtobufEmbedding: Sendable, Hashable {
    /// The field number in the outer message.
    public var number: Int
    /// The `TypeSchema` name of the nested message.
    public var type: String

    public init(number: Int, type: String) {
        self.number = number
        self.type = type
    }
}
