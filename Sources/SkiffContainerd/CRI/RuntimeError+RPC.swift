import GRPCCore
import SkiffCRI

extension SkiffCRI.RuntimeError {
    /// Maps a gRPC status to the codes the agent acts on; everything without a counterpart is `.failed`.
    static func code(for rpcCode: RPCError.Code) -> SkiffCRI.RuntimeError.Code {
        switch rpcCode {
        case .notFound: .notFound
        case .unavailable: .unavailable
        case .deadlineExceeded: .deadlineExceeded
        case .invalidArgument: .invalidArgument
        case .alreadyExists: .alreadyExists
        default: .failed
        }
    }

    /// Wraps whatever a generated client threw; `method` names the CRI call for the message.
    static func wrapping(_ error: any Error, method: String) -> SkiffCRI.RuntimeError {
        if let rpc = error as? RPCError {
            return SkiffCRI.RuntimeError(code(for: rpc.code), "\(method): \(rpc.message)", cause: rpc)
        }
        if error is CancellationError {
            return SkiffCRI.RuntimeError(.unavailable, "\(method): cancelled", cause: error)
        }
        return SkiffCRI.RuntimeError(.failed, "\(method): \(error)", cause: error)
    }
}
